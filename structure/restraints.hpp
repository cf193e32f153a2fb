// Inter-residue restraints as binned probabilities (the RoseTTAFold distogram/orientogram bins, spec §4.8).
#pragma once

#include <vector>

#include "structure/backbone.hpp"

namespace trifold::structure {

// Bin layout (spec §4.8), bin axis last:
//   dist  37: Cβ–Cβ distance, bin k < 36 covers [2 + 0.5k, 2.5 + 0.5k) Å (bin 0 also < 2 Å), bin 36 = ≥ 20 Å.
//   omega 37: dihedral CAi–CBi–CBj–CAj, bin k < 36 covers [-π + k·10°, -π + (k+1)·10°), bin 36 = no contact.
//   theta 37: dihedral Ni–CAi–CBi–CBj (asymmetric: [i][j] ≠ [j][i]), same bins as omega.
//   phi   19: planar angle CAi–CBi–CBj (asymmetric), bin k < 18 covers [k·10°, (k+1)·10°), bin 18 = no contact.
inline constexpr int kDistBins = 37, kOmegaBins = 37, kThetaBins = 37, kPhiBins = 19;
inline constexpr double kDistMin = 2.0, kDistStep = 0.5, kDistMax = 20.0;  // Å
inline constexpr double kAngleStep = 0.17453292519943295;                  // 10° in rad

// Probabilities for L residues. dist/omega/theta: [L, L, 37], phi: [L, L, 19], row-major, bin axis last;
// each (i,j) row sums to 1. Diagonal entries are ignored.
struct Restraints {
  int length = 0;
  std::vector<float> dist, omega, theta, phi;
  float* d(int i, int j) { return &dist[(static_cast<size_t>(i) * length + j) * kDistBins]; }
  const float* d(int i, int j) const { return &dist[(static_cast<size_t>(i) * length + j) * kDistBins]; }
  const float* o(int i, int j) const { return &omega[(static_cast<size_t>(i) * length + j) * kOmegaBins]; }
  const float* t(int i, int j) const { return &theta[(static_cast<size_t>(i) * length + j) * kThetaBins]; }
  const float* p(int i, int j) const { return &phi[(static_cast<size_t>(i) * length + j) * kPhiBins]; }
};

// All four arrays allocated for L residues, every pair put in the no-contact bin with probability 1.
Restraints empty_restraints(int length);

// Bin index of a Cβ distance (Å) / an angle (rad, dihedral in [-π, π] or planar in [0, π]). No-contact bins
// are never returned (the caller decides contact vs no contact).
int dist_bin(double d);
int dihedral_bin(double a);
int planar_bin(double a);

// Inter-residue geometry of one ordered pair from a backbone (virtual Cβ): Cβ distance (Å), omega, theta_ij,
// phi_ij (rad).
struct PairGeometry {
  double d, omega, theta, phi;
};
PairGeometry pair_geometry(const Backbone& bb, int i, int j);

// Restraints that describe a known structure (e.g. a native): for pairs with both residues present and
// Cβ distance < 20 Å, each of the four quantities gets a Gaussian over bin centres with width sigma_bins
// (in bins; 0 = one-hot); other pairs get the no-contact bin with probability 1. present: empty = all.
Restraints restraints_from_backbone(const Backbone& bb, const std::vector<bool>& present, double sigma_bins = 1.0);

}  // namespace trifold::structure
