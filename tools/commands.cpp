// The table of `trifold` subcommands. Each subcommand lives in tools/cmd_<name>.cpp.
#include "tools/command.hpp"

namespace trifold::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
  };
  return table;
}

}  // namespace trifold::cli
