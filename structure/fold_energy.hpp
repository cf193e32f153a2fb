// TRFold-equivalent restraint energy: spline restraints built from binned probabilities, analytic gradients.
#pragma once

#include <vector>

#include "structure/restraints.hpp"

namespace trifold::structure {

// Parameters of the restraint energy (defaults = the reference's fold_params, spec §4.11).
struct FoldEnergyParams {
  double contact_cutoff = 0.5;   // keep pair i<j when its contact probability p20 > this (PCUT)
  double dfire_cut = 19.5;       // Å, distance background (d / dfire_cut)^dfire_alpha (DCUT)
  double dfire_alpha = 1.57;     // ALPHA
  double clash = 2.0;            // slope of the linear clash padding left of 4 Å (CLASH, energy per 0.5 Å)
  double angle_weight = 0.1;     // weight of the omega + theta + phi terms (WANG)
  double geom_weight = 0.1;      // weight of the peptide-bond term at the end of the ramp (WCST)
  double prob_floor = 1e-8;      // added to every probability before renormalising, as the reference
};

// Uniform-grid cubic pieces (Akima) for one restraint curve: interval k covers [start + k·h, start + (k+1)·h).
inline constexpr int kDistIntervals = 41;   // from -0.25 Å to 20.25 Å, h = 0.5 Å
inline constexpr int kOmegaIntervals = 37;  // from -5° to 365° (angle + π for dihedrals), h = 10°
inline constexpr int kPhiIntervals = 19;    // from -5° to 185°, h = 10°

// Restraint curves for the selected pairs. Coefficients are 4 per interval (c0 + c1·x + c2·x² + c3·x³ with x
// the offset from the interval start), float, laid out [pair][interval][4].
struct FoldRestraintSet {
  int length = 0;
  std::vector<int> pair_i, pair_j;  // selected pairs, i < j, in row-major order
  std::vector<float> dist;          // [npairs, kDistIntervals, 4]
  std::vector<float> omega;         // [npairs, kOmegaIntervals, 4]
  std::vector<float> theta;         // [2·npairs, kOmegaIntervals, 4]: first (i→j) for all pairs, then (j→i)
  std::vector<float> phi;           // [2·npairs, kPhiIntervals, 4], same order as theta
  // Per pair: 1 when all five orientation curves are flat (node values within 1e-5: float rounding of a
  // uniform or background-shaped distribution; coevolution restraints say nothing about orientation). The
  // energy then adds their constant values and skips the dihedral/angle evaluations; the dropped forces are
  // of the order of 1e-4 per rad, times angle_weight / npairs.
  std::vector<unsigned char> orientation_flat;  // [npairs]
  std::vector<float> flat_values;                // [npairs, 5]: ω, θij, θji, φij, φji constants
  size_t pairs() const { return pair_i.size(); }
};

// Background-corrected −log p energies, padded (clash ramp / periodic / mirrored), smoothed with the 9-point
// Savitzky–Golay quadratic filter and interpolated with Akima splines, for every pair with p20 > cutoff.
// p20 = mean over the six no-contact entries (d, ω, θij, φij, θji, φji) of (1 − p_no_contact).
FoldRestraintSet build_fold_restraints(const Restraints& r, const FoldEnergyParams& p = {});

// Value and derivative of one curve at x (offset from the curve's start, i.e. x = d + 0.25 for distances).
double eval_curve(const float* coef, int intervals, double h, double x, double* dfdx);

struct EnergyTerms {
  double dist = 0, omega = 0, theta = 0, phi = 0, geom = 0, total = 0;
  int n_dist = 0;  // pairs with Cβ distance < 20 Å (only those carry a distance energy, as the reference)
};

// Energy of one conformation. Residue i's atoms are R(q_i/|q_i|)·m + pos_i for the ideal motif m (N, CA, C and
// its virtual Cβ). pos: [L,3] Å, quat: [L,4] (w,x,y,z, any norm > 0). Total =
//   mean_{d<20} E_d + angle_weight·(mean E_ω + mean E_θ + mean E_φ) + geom_scale·geom_weight·E_geom,
// E_geom = mean over peptide bonds of (|C_i N_i+1| − 1.32868)² + (∠CA_i C_i N_i+1 − 2.02807)² +
// (∠CA_i+1 N_i+1 C_i − 2.12407)². When grad_pos/grad_quat are non-null ([L,3], [L,4]) they receive the exact
// gradient of the total (the distance count is treated as a constant, as autograd does).
EnergyTerms fold_energy(const FoldRestraintSet& set, const FoldEnergyParams& p, double geom_scale,
                        const double* pos, const double* quat, double* grad_pos, double* grad_quat);

// Backbone from pose parameters (same convention as fold_energy).
Backbone backbone_from_pose(int length, const double* pos, const double* quat);

}  // namespace trifold::structure
