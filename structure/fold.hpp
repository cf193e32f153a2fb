// Restraint-based folding (TRFold equivalent, spec §4.11): Adam over per-residue rigid frames, several restarts.
#pragma once

#include <cstdint>
#include <vector>

#include "structure/fold_energy.hpp"

namespace trifold::structure {

struct FoldOptions {
  FoldEnergyParams energy;
  int restarts = 15;           // independent runs; the lowest final loss wins (reference: batch=15)
  int steps = 200;             // Adam steps per restart (reference: 200)
  double learning_rate = 0.1;  // Adam lr (reference: 0.1); β1 0.9, β2 0.999, ε 1e-8 (torch defaults)
  std::uint64_t seed = 0;      // restart r uses std::mt19937_64(seed + r): output independent of thread count
  // Starting CA positions [L] (Å), e.g. the network's refined CA. Empty: classical MDS of the expected Cβ
  // distances (shortest-path completed), mirrored on odd restarts (chirality comes from the orientation terms).
  std::vector<Vec3> init_ca;
  double init_noise = 1.0;     // Å, uniform in [-noise, noise] added to every start coordinate
  // > 0: an MDS start whose radius of gyration exceeds this (Å) is shrunk about its centroid to it. Sparse
  // restraints (coevolution) leave most distances to the shortest-path bound, i.e. an extended start in which
  // many restrained pairs sit beyond 20 Å where the distance energy is zero; compact_start_rg() gives a
  // typical globular value. 0 = no rescaling (network distograms).
  double start_max_rg = 0.0;
  int threads = 0;             // OpenMP threads over restarts; 0 = runtime default
};

struct FoldRestart {
  EnergyTerms final_terms;  // full-weight loss (geometry ramp at 1) at the returned coordinates
  Backbone backbone;        // final N, CA, C of this restart (Å)
};

struct FoldResult {
  Backbone backbone;               // N, CA, C of the best restart (Å)
  EnergyTerms terms;               // its final loss terms
  int best_restart = -1;
  std::vector<FoldRestart> restarts;
  size_t restrained_pairs = 0;     // pairs with p20 > contact_cutoff
};

// Folds from binned restraint probabilities. Deterministic for a given options.seed: restarts run in
// parallel, each with its own RNG, and the best is chosen by (loss, restart index). Throws InputError when
// the restraints are malformed (array sizes not matching length) or init_ca has the wrong length.
FoldResult fold(const Restraints& restraints, const FoldOptions& opt = {});

// Same from already-built spline restraints (lets callers reuse them).
FoldResult fold(const FoldRestraintSet& set, const FoldOptions& opt, const std::vector<double>& expected_cb_dist);

// Expected Cβ distance per pair (Å) from the distogram, [L, L] row-major; pairs whose no-contact probability
// is > 0.5 get -1 (unknown). Used for the MDS start.
std::vector<double> expected_distances(const Restraints& r);

// Starting CA coordinates (Å) by classical MDS of a distance matrix ([L, L], -1 = unknown) completed by
// shortest paths over the known pairs and 3.8 Å between sequence neighbours.
std::vector<Vec3> mds_start(int length, const std::vector<double>& dist);

// Handedness of a CA trace: (n_right − n_left) / (L − 3) over the CA(i..i+3) virtual dihedrals, right = in
// [20°, 100°] (α-helix region, ~+50°), left = in [−100°, −20°]. Native proteins score > 0; their mirror images
// score < 0. Distance-only restraints cannot tell the two apart, so callers use this to pick the hand.
double ca_handedness(const std::vector<Vec3>& ca);

// Typical radius of gyration of a compact globular protein of L residues: 2.2·L^0.38 Å (Skolnick et al. 1997).
double compact_start_rg(int length);

// Per-residue confidence in [0,1] from restraint satisfaction: for residue i, the p20-weighted mean over its
// restrained partners j of the distogram probability mass within ±1 Å of the model's Cβ–Cβ distance
// (pairs whose model distance is ≥ 20 Å score the no-contact probability). Residues without restrained
// partners get 0.
std::vector<double> restraint_confidence(const Restraints& r, const Backbone& bb, double contact_cutoff = 0.5);

}  // namespace trifold::structure
