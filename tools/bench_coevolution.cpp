// Benchmark and evaluation program for the coevolution predictor (not a test): timing, precision, folding.
//
//   bench_coevolution --a3m FILE [--rows N] [--repeat R] [--native PDB --first F --last L]
//                     [--fold OUT.pdb] [--random-folds K] [--restarts R] [--steps S] [--iterations I]
//                     [--pairs-per-residue P] [--background 0|1]
// Defaults are the library defaults (CoevolutionFoldOptions{}).
//
// --rows N pads/trims the alignment to N sequences (extra rows are copies of random rows with 15% of the
// columns mutated, seeded) so that the runtime target (L≈150, N≈1000) can be measured on a real MSA.
#include <omp.h>

#ifndef TRIFOLD_GIT_COMMIT
#define TRIFOLD_GIT_COMMIT "unknown"
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>
#include <algorithm>

#include "io/error.hpp"
#include "io/fasta.hpp"
#include "io/pdb.hpp"
#include "model/coevolution/coevolution.hpp"
#include "structure/tmscore.hpp"

using namespace trifold;
using namespace trifold::model::coevolution;

namespace {

A3m resize_msa(const A3m& in, int rows, std::uint64_t seed) {
  A3m out;
  std::mt19937_64 rng(seed);
  const std::string aa = "ARNDCQEGHILKMFPSTWYV";
  for (int r = 0; r < rows; ++r) {
    if (r < static_cast<int>(in.rows.size())) {
      out.rows.push_back(in.rows[r]);
      continue;
    }
    std::uniform_int_distribution<size_t> pick(1, in.rows.size() - 1);
    SequenceRecord rec;
    rec.name = "synthetic_" + std::to_string(r);
    std::string s = in.aligned(pick(rng));
    std::uniform_real_distribution<double> u(0, 1);
    for (char& c : s)
      if (u(rng) < 0.15) c = aa[rng() % 20];
    rec.sequence = s;
    out.rows.push_back(rec);
  }
  return out;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int k = 1; k + 1 < argc; ++k)
    if (argv[k] == name) return argv[k + 1];
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string a3m_path = arg(argc, argv, "--a3m", "");
    if (a3m_path.empty()) throw InputError("usage: bench_coevolution --a3m FILE [options] (see source header)");
    A3m a3m = read_a3m(a3m_path);
    const int rows = std::stoi(arg(argc, argv, "--rows", "0"));
    if (rows > 0) a3m = resize_msa(a3m, rows, 7);
    const int repeat = std::stoi(arg(argc, argv, "--repeat", "1"));
    CoevolutionFoldOptions opt;
    opt.fold.restarts = std::stoi(arg(argc, argv, "--restarts", std::to_string(opt.fold.restarts)));
    opt.fold.steps = std::stoi(arg(argc, argv, "--steps", std::to_string(opt.fold.steps)));
    opt.restraints.background_pairs = std::stoi(arg(argc, argv, "--background", "1")) != 0;
    opt.restraints.pairs_per_residue = std::stod(arg(argc, argv, "--pairs-per-residue", "1.5"));
    opt.contacts.potts.lbfgs.max_iterations = std::stoi(arg(argc, argv, "--iterations", "100"));
    const std::string fold_out = arg(argc, argv, "--fold", "");
    std::printf("# bench_coevolution commit=%s threads=%d msa=%s rows=%zu L=%zu\n", TRIFOLD_GIT_COMMIT,
                omp_get_max_threads(),
                a3m_path.c_str(), a3m.rows.size(), a3m.length());

    std::vector<double> times;
    CoevolutionResult res;
    for (int r = 0; r < repeat; ++r) {
      double t0 = now();
      res = predict_contacts(a3m, opt.contacts);
      times.push_back(now() - t0);
      std::printf("run %d: contacts %.2f s (weights+MI %.2f s, Potts fit %.2f s, %d L-BFGS iterations, %d evals)"
                  " distinct rows %d, Neff %.1f, columns used %ld/%d\n",
                  r, times.back(), res.seconds_weights, res.seconds_fit, res.report.iterations,
                  res.report.evaluations, res.rows, res.neff,
                  std::count(res.used_columns.begin(), res.used_columns.end(), true), res.length);
    }
    std::sort(times.begin(), times.end());
    std::printf("contacts wall time: median %.2f s, min %.2f s, max %.2f s over %d runs\n", times[times.size() / 2],
                times.front(), times.back(), repeat);

    const std::string native = arg(argc, argv, "--native", "");
    Structure native_structure;
    if (!native.empty()) native_structure = read_pdb(native);
    // TM-score / GDT-TS of a model against the native (CA, residue numbers; normalised by the native length).
    auto score = [&](const Structure& model, const char* what) {
      if (native.empty()) return;
      structure::TmScoreResult t = structure::tm_score(model.chains.at(0), native_structure.chains.at(0));
      std::printf("%s: TM-score %.4f (L_native %d, d0 %.2f A), GDT-TS %.4f\n", what, t.tm_score, t.native_length,
                  t.d0, t.gdt_ts);
    };
    std::vector<Vec3> pts;
    std::vector<bool> present;
    int first = 1;
    if (!native.empty()) {
      first = std::stoi(arg(argc, argv, "--first", "1"));
      const int last = std::stoi(arg(argc, argv, "--last", std::to_string(first + res.length - 1)));
      const Structure& s = native_structure;
      // Score matrix restricted to the native span: MSA column k is residue k+1 (query numbering).
      const int n = last - first + 1;
      pts.assign(n, {});
      present.assign(n, false);
      for (const auto& ch : s.chains)
        for (const auto& r : ch.residues) {
          if (r.seqnum < first || r.seqnum > last) continue;
          const Atom* a = r.find(r.name == "GLY" ? "CA" : "CB");
          if (!a) continue;
          pts[r.seqnum - first] = a->pos;
          present[r.seqnum - first] = true;
        }
      auto sub = [&](const std::vector<double>& m) {
        std::vector<double> o(static_cast<size_t>(n) * n);
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j)
            o[static_cast<size_t>(i) * n + j] = m[static_cast<size_t>(first - 1 + i) * res.length + (first - 1 + j)];
        return o;
      };
      auto gs = sub(res.scores), ms = sub(res.mi_apc);
      for (double frac : {0.2, 0.5, 1.0})
        std::printf("precision long-range (|i-j|>=24, Cb<8A) top-L*%.1f: GREMLIN %.3f  MI-APC %.3f\n", frac,
                    contact_precision(gs, pts, present, 24, frac), contact_precision(ms, pts, present, 24, frac));
      for (double frac : {0.2, 1.0})
        std::printf("precision medium+long (|i-j|>=12) top-L*%.1f: GREMLIN %.3f  MI-APC %.3f\n", frac,
                    contact_precision(gs, pts, present, 12, frac), contact_precision(ms, pts, present, 12, frac));
    }

    if (!fold_out.empty()) {
      double t0 = now();
      structure::Restraints rs;
      structure::FoldResult fr = fold_contacts(res.scores, res.length, opt.restraints, opt.fold, &rs);
      std::vector<double> conf = structure::restraint_confidence(rs, fr.backbone);
      double tf = now() - t0;
      std::string seq = a3m.aligned(0);
      structure::ToStructureOptions so;
      double mean = 0;
      for (double c : conf) mean += c / conf.size();
      Structure model = structure::to_structure(fr.backbone, seq, conf, so);
      write_pdb(fold_out, model);
      std::printf("fold: %zu restrained pairs, loss %.4f, %.2f s (%d restarts x %d steps), mean confidence %.3f"
                  " -> %s\n", fr.restrained_pairs, fr.terms.total, tf, opt.fold.restarts, opt.fold.steps, mean,
                  fold_out.c_str());
      score(model, "coevolution model");
      std::printf("end to end (slowest contacts run + fold): %.2f s wall\n", times.back() + tf);
      // Baseline: folds from the same number of restraints on random pairs (same profile, same separation
      // rule), i.e. random compact folds of the same chain.
      const int k = std::stoi(arg(argc, argv, "--random-folds", "0"));
      for (int r = 0; r < k; ++r) {
        std::mt19937_64 rng(1000 + r);
        std::uniform_real_distribution<double> u(0, 1);
        std::vector<double> rnd(res.scores.size());
        for (int i = 0; i < res.length; ++i)
          for (int j = i; j < res.length; ++j)
            rnd[static_cast<size_t>(i) * res.length + j] = rnd[static_cast<size_t>(j) * res.length + i] = u(rng);
        structure::FoldResult f2 = fold_contacts(rnd, res.length, opt.restraints, opt.fold, nullptr);
        std::string path = fold_out + ".random" + std::to_string(r) + ".pdb";
        Structure rm = structure::to_structure(f2.backbone, seq, {}, so);
        write_pdb(path, rm);
        std::printf("random-restraint fold %d -> %s\n", r, path.c_str());
        score(rm, "  random-restraint fold");
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
