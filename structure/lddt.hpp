// lDDT (Mariani et al. 2013) computed as OpenStructure's `lddt` program does by default: distances between
// heavy atoms of different residues within 15 Å in the native, thresholds 0.5/1/2/4 Å, symmetric side-chain
// atoms named to the model's advantage per residue; per-residue scores; optional CA-only mode (`lddt -c`).
#pragma once

#include <string>
#include <vector>

#include "io/structure.hpp"

namespace trifold::structure {

struct LddtOptions {
  double radius = 15.0;                           // Å, inclusion radius in the native
  std::vector<double> thresholds{0.5, 1.0, 2.0, 4.0};  // Å; a distance is conserved at t when |d_model - d_native| <= t
  bool ca_only = false;                           // use CA atoms only (no symmetry handling needed)
};

struct LddtResidue {
  std::string name;  // native three-letter code
  int seqnum = 0;
  char icode = ' ';
  bool in_model = false;  // the model has this residue (same number)
  double score = 0.0;     // conserved / total over the distances involving this residue; 0 when total is 0
  long conserved = 0;     // summed over thresholds
  long total = 0;         // distances x thresholds
};

struct LddtResult {
  double score = 0.0;        // global lDDT: conserved / total over all native distances (each pair once)
  long conserved = 0;        // summed over thresholds
  long total = 0;            // native distances x number of thresholds
  int native_residues = 0;   // residues in the native chain that start distances (standard amino acids)
  int covered_residues = 0;  // of those, present in the model
  std::vector<LddtResidue> residues;  // one per native residue, native order
};

// model and native chains are matched by residue number + insertion code (see match_to_native for
// sequence-based matching). Model atoms missing for a native distance count as not conserved.
LddtResult lddt(const Chain& model, const Chain& native, const LddtOptions& opt = {});

}  // namespace trifold::structure
