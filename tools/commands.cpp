// The table of `trifold` subcommands. Each subcommand lives in tools/cmd_<name>.cpp.
#include "tools/command.hpp"

namespace trifold::cli {

int run_msa(const std::vector<std::string>& args);

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"msa", "build a multiple sequence alignment (builtin search, hhblits, jackhmmer, mmseqs2)", run_msa},
  };
  return table;
}

}  // namespace trifold::cli
