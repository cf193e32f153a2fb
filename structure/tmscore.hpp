// TM-score, GDT-TS, GDT-HA and MaxSub with the superposition search of the TMscore program (Zhang & Skolnick,
// Proteins 2004), on CA atoms of residues matched by number.
#pragma once

#include <array>
#include <vector>

#include "io/structure.hpp"
#include "structure/superpose.hpp"

namespace trifold::structure {

struct TmScoreOptions {
  double d0_fixed = 0.0;  // > 0: use this d0 (Å) instead of the length-dependent one (TMscore -d)
  // Also run a per-cutoff GDT search (LGA-like: superpose on the residues within each cutoff, iterate), seeded
  // from the whole aligned set and the fragments of half its length; fills gdt_*_ext. Roughly doubles the cost.
  bool extended_gdt = false;
};

struct TmScoreResult {
  int native_length = 0;   // native residues with a CA atom: every score is normalised by this length
  int model_length = 0;    // model residues with a CA atom
  int aligned = 0;         // residues present in both (matched by number and insertion code)
  double d0 = 0.0;         // Å, 1.24 (L-15)^(1/3) - 1.8 for L > 15, at least 0.5
  double d0_search = 0.0;  // Å, d0 clamped to [4.5, 8]
  double tm_score = 0.0;   // max over the search of sum_i 1/(1+(d_i/d0)^2) / native_length
  double maxsub = 0.0;     // same with d0 = 3.5 Å, counting only d < 3.5 Å
  double rmsd_common = 0.0;  // Å, CA RMSD over all aligned residues after their optimal superposition
  // Residues within 0.5, 1, 2, 4, 8 Å (d <= cutoff), each maximised separately over the search.
  std::array<int, 5> gdt_counts{};
  double gdt_ts = 0.0;  // (n1 + n2 + n4 + n8) / (4 L), fraction in [0, 1]
  double gdt_ha = 0.0;  // (n0.5 + n1 + n2 + n4) / (4 L)
  Transform best;       // superposition giving tm_score (model -> native)
  // With extended_gdt: counts maximised by the TMscore search and by a per-cutoff search (never below
  // gdt_counts); otherwise equal to the TMscore values.
  std::array<int, 5> gdt_counts_ext{};
  double gdt_ts_ext = 0.0, gdt_ha_ext = 0.0;
};

// CA coordinates of residues paired by number. model_ca / native_ca: every residue's CA (in chain order);
// pairs: (index into model_ca, index into native_ca), in model order. TMscore semantics: seed fragments of
// the pair list of length L, L/2, L/4, ... (at least 4), each followed by up to 20 extension iterations.
TmScoreResult tm_score(const std::vector<Vec3>& model_ca, const std::vector<Vec3>& native_ca,
                       const std::vector<std::pair<int, int>>& pairs, const TmScoreOptions& opt = {});

// Convenience: CA atoms of the two chains, paired by residue number + insertion code. Throws InputError
// when the native has no CA atoms or no residue is in common.
TmScoreResult tm_score(const Chain& model, const Chain& native, const TmScoreOptions& opt = {});

}  // namespace trifold::structure
