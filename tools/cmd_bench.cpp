// `trifold bench <name>`: benchmark programs, one per row of a small table (add a row to add a benchmark).
#include <iostream>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "tools/command.hpp"

namespace trifold::cli {

int run_bench_score(const std::vector<std::string>& args);  // tools/bench_score.cpp
int run_bench_trunk(const std::vector<std::string>& args);  // tools/cmd_bench_trunk.cpp
int run_bench_se3(const std::vector<std::string>& args);    // tools/cmd_bench_se3.cpp
int run_bench_e2e(const std::vector<std::string>& args);    // tools/cmd_bench_e2e.cpp
int run_bench_gpu(const std::vector<std::string>& args);    // tools/cmd_bench_gpu.cpp
int run_bench_precision(const std::vector<std::string>& args);  // tools/cmd_bench_precision.cpp

namespace {

struct Bench {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

// Benchmarks, in the order `trifold bench --help` lists them.
const std::vector<Bench>& benches() {
  static const std::vector<Bench> table = {
      {"score", "score predictions of a CASP-style set against natives; summary, plots, published-score check",
       run_bench_score},
      {"trunk", "time the v1 trunk forward (through the distance heads) with random full-size weights",
       run_bench_trunk},
      {"se3", "time and peak memory of the SE(3)-Transformer forward vs L (random full-size weights)", run_bench_se3},
      {"e2e", "full e2e forward (trunk, SE(3), refinement) with random full-size weights: time, iterations, RSS",
       run_bench_e2e},
      {"gpu", "CUDA ops at RoseTTAFold sizes (GEMM, conv, attention, outer product, fused SE(3) conv): time, memory",
       run_bench_gpu},
      {"precision", "accuracy of bf16/TF32 matrix products vs fp32 through the whole network (CPU emulation or GPU)",
       run_bench_precision},
  };
  return table;
}

void usage(std::ostream& os) {
  os << "usage: trifold bench <benchmark> [options]   (trifold bench <benchmark> --help for details)\n\nbenchmarks:\n";
  for (const auto& b : benches()) {
    std::string n = b.name;
    os << "  " << n << std::string(n.size() < 10 ? 10 - n.size() : 1, ' ') << b.summary << "\n";
  }
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  for (const auto& b : benches())
    if (args[0] == b.name) return b.run(std::vector<std::string>(args.begin() + 1, args.end()));
  throw InputError("trifold bench: unknown benchmark '" + args[0] + "' (see 'trifold bench --help')");
}

}  // namespace trifold::cli
