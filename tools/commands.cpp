// The table of `trifold` subcommands. Each subcommand lives in tools/cmd_<name>.cpp.
#include "tools/command.hpp"

namespace trifold::cli {

int run_predict(const std::vector<std::string>& args);  // tools/cmd_predict.cpp
int run_batch(const std::vector<std::string>& args);    // tools/cmd_batch.cpp
int run_score(const std::vector<std::string>& args);    // tools/cmd_score.cpp
int run_bench(const std::vector<std::string>& args);    // tools/cmd_bench.cpp
int run_convert(const std::vector<std::string>& args);  // tools/cmd_convert.cpp
int run_info(const std::vector<std::string>& args);     // tools/cmd_info.cpp
int run_plan(const std::vector<std::string>& args);     // tools/cmd_plan.cpp
int run_msa(const std::vector<std::string>& args);      // tools/cmd_msa.cpp

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"predict", "predict one structure: FASTA/A3M -> MSA -> model PDB/mmCIF with confidence (resumable)", run_predict},
      {"batch", "predict many targets (FASTA, manifest or folder); sharding, Slurm arrays, --submit slurm", run_batch},
      {"msa", "build a multiple sequence alignment (builtin search, hhblits, jackhmmer, mmseqs2)", run_msa},
      {"score", "TM-score, GDT-TS/HA, RMSD and lDDT of models against natives", run_score},
      {"bench", "benchmarks (trifold bench --help lists them)", run_bench},
      {"convert", "official PyTorch checkpoint (or --random) -> TriFold HDF5 weights", run_convert},
      {"info", "architecture, hyper-parameters and parameter count of a weight file", run_info},
      {"plan", "GPU device-memory plan for lengths and MSA depth: estimated peak, chunking, or crops", run_plan},
  };
  return table;
}

}  // namespace trifold::cli
