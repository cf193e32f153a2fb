// Benchmark program for the folding stage (not a test): native-derived restraints → fold → PDB, with timing.
//
//   bench_fold --native PDB --first F --last L --out MODEL.pdb [--restarts 15] [--steps 200] [--sigma 1.0]
//              [--seed 0] [--repeat 1]
//
// Score the written model with e.g. `TMscore MODEL.pdb PDB` (residue numbers are the native's).
#include <omp.h>

#ifndef TRIFOLD_GIT_COMMIT
#define TRIFOLD_GIT_COMMIT "unknown"
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "io/pdb.hpp"
#include "structure/fold.hpp"

using namespace trifold;
using namespace trifold::structure;

namespace {
std::string arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int k = 1; k + 1 < argc; ++k)
    if (argv[k] == name) return argv[k + 1];
  return def;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string native = arg(argc, argv, "--native", ""), out = arg(argc, argv, "--out", "");
    if (native.empty() || out.empty()) throw InputError("usage: bench_fold --native PDB --first F --last L --out PDB");
    const int first = std::stoi(arg(argc, argv, "--first", "1")), last = std::stoi(arg(argc, argv, "--last", "0"));
    Structure nat = read_pdb(native);
    std::vector<bool> present;
    Backbone bb = backbone_from_structure(nat, first, last, &present);
    Restraints r = restraints_from_backbone(bb, present, std::stod(arg(argc, argv, "--sigma", "1.0")));
    FoldOptions opt;
    opt.restarts = std::stoi(arg(argc, argv, "--restarts", "15"));
    opt.steps = std::stoi(arg(argc, argv, "--steps", "200"));
    opt.seed = std::stoull(arg(argc, argv, "--seed", "0"));
    const int repeat = std::stoi(arg(argc, argv, "--repeat", "1"));
    std::vector<double> times;
    FoldResult res;
    for (int k = 0; k < repeat; ++k) {
      auto t0 = std::chrono::steady_clock::now();
      res = fold(r, opt);
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    std::string seq;
    for (int k = first; k <= last; ++k) {
      char c = 'G';
      for (const auto& ch : nat.chains)
        for (const auto& rr : ch.residues)
          if (rr.seqnum == k && rr.one_letter() != 'X') c = rr.one_letter();
      seq.push_back(c);
    }
    ToStructureOptions so;
    so.first_residue_number = first;
    write_pdb(out, to_structure(res.backbone, seq, restraint_confidence(r, res.backbone), so));
    std::printf("# bench_fold commit=%s\n", TRIFOLD_GIT_COMMIT);
    std::printf("%s L=%zu pairs=%zu restarts=%d steps=%d threads=%d loss=%.4f time median %.2f s (min %.2f, max "
                "%.2f, %d runs)\n",
                native.c_str(), bb.size(), res.restrained_pairs, opt.restarts, opt.steps, omp_get_max_threads(),
                res.terms.total, times[times.size() / 2], times.front(), times.back(), repeat);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
