// The table of `trifold` subcommands. Each subcommand lives in tools/cmd_<name>.cpp.
#include "tools/command.hpp"

namespace trifold::cli {

int run_bench_trunk(const std::vector<std::string>& args);
int run_bench_se3(const std::vector<std::string>& args);
int run_convert(const std::vector<std::string>& args);
int run_info(const std::vector<std::string>& args);

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"bench-trunk", "time the v1 trunk forward with random full-size weights", run_bench_trunk},
      {"bench-se3", "time/peak memory of the SE(3)-Transformer forward vs L (random full-size weights)", run_bench_se3},
      {"convert", "official PyTorch checkpoint (or --random) -> TriFold HDF5 weights", run_convert},
      {"info", "architecture, hyper-parameters and parameter count of a weight file", run_info},
  };
  return table;
}

}  // namespace trifold::cli
