// Protein backbone helpers: ideal N/CA/C motif, virtual Cβ, O placement, conversion to io Structure.
#pragma once

#include <string>
#include <vector>

#include "io/structure.hpp"

namespace trifold::structure {

// Backbone of L residues: n[i], ca[i], c[i] in Å (same length L).
struct Backbone {
  std::vector<Vec3> n, ca, c;
  size_t size() const { return ca.size(); }
};

// The ideal N/CA/C motif used by the reference's folding stage, CA at the origin (Å).
// Index 0 = N, 1 = CA, 2 = C.
const Vec3* ideal_ncac_motif();

// Ideal virtual Cβ from N, CA, C (spec §2.3): -0.58273431·(b×c) + 0.56802827·b - 0.54067466·c + CA,
// b = CA - N, c = C - CA.
Vec3 virtual_cb(const Vec3& n, const Vec3& ca, const Vec3& c);

// Places atom d given a, b, c so that |c-d| = bond (Å), angle(b,c,d) = angle (rad) and
// dihedral(a,b,c,d) = dihedral (rad) (natural extension of reference frame).
Vec3 place_atom(const Vec3& a, const Vec3& b, const Vec3& c, double bond, double angle, double dihedral);

// Dihedral a-b-c-d in rad, (-π, π], IUPAC sign convention. Planar angle a-b-c in rad, [0, π].
double dihedral(const Vec3& a, const Vec3& b, const Vec3& c, const Vec3& d);
double planar_angle(const Vec3& a, const Vec3& b, const Vec3& c);

// How the carbonyl O of the last residue is placed.
enum class OxygenPlacement {
  // As the reference (predict_e2e.py): O_i = place(N_{i+1}, CA_i, C_i, 1.231 Å, 2.108, -3.142) with N
  // rolled cyclically, so the LAST residue uses residue 1's N (a quirk: its O points somewhere arbitrary).
  kReference,
  // Same for residues 0..L-2; the last residue uses a virtual next N built from its own N/CA/C with an ideal
  // psi (BackboneOptions::last_psi) and the ideal C-N bond (1.329 Å, CA-C-N angle 2.028 rad).
  kGeometric,
};

// O positions for every residue (Å), L entries.
std::vector<Vec3> place_oxygens(const Backbone& bb, OxygenPlacement mode = OxygenPlacement::kReference,
                                double last_psi = 2.36 /* rad, ~135°, extended-chain psi */);

// Options for writing a backbone as an io Structure.
struct ToStructureOptions {
  OxygenPlacement oxygen = OxygenPlacement::kReference;
  double last_psi = 2.36;         // rad; used only with kGeometric
  int first_residue_number = 1;   // residue i gets seqnum first_residue_number + i
  std::string chain_id = "A";
  double bfactor_scale = 100.0;   // confidence in [0,1] × scale → B-factor (100: AF2/ColabFold; 1: reference)
};

// Builds chain A with atoms N, CA, C, O per residue. sequence: one-letter codes, length L ('X' → UNK).
// confidence: per-residue values in [0,1] (clamped), empty = 0. Throws InputError on length mismatch.
Structure to_structure(const Backbone& bb, const std::string& sequence, const std::vector<double>& confidence,
                       const ToStructureOptions& opt = {});

// Reads N, CA, C of residues numbered first..last (author numbering, first chain that has them) from a
// Structure. present[i] = false where residue first+i is missing or lacks one of N/CA/C (its coordinates are
// then zero). Throws InputError when no residue in the range is present.
Backbone backbone_from_structure(const Structure& s, int first, int last, std::vector<bool>* present);

}  // namespace trifold::structure
