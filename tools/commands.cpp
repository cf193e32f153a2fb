// The table of `trifold` subcommands. Each subcommand lives in tools/cmd_<name>.cpp.
#include "tools/command.hpp"

namespace trifold::cli {

int run_score(const std::vector<std::string>& args);  // tools/cmd_score.cpp
int run_bench(const std::vector<std::string>& args);  // tools/cmd_bench.cpp

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"score", "TM-score, GDT-TS/HA, RMSD and lDDT of models against natives", run_score},
      {"bench", "benchmarks (trifold bench --help lists them)", run_bench},
  };
  return table;
}

}  // namespace trifold::cli
