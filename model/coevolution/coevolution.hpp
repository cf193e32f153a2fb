// Coevolution-based prediction without network weights: MSA → Potts couplings → contacts → restraints → fold.
#pragma once

#include <vector>

#include "io/fasta.hpp"
#include "model/coevolution/potts.hpp"
#include "structure/fold.hpp"

namespace trifold::model::coevolution {

struct CoevolutionOptions {
  double identity = 0.8;    // sequence reweighting threshold (GREMLIN: 0.8)
  double gap_cutoff = 0.5;  // columns whose weighted gap fraction exceeds this are left out of the model
  PottsOptions potts;
};

struct CoevolutionResult {
  int length = 0;                   // L = number of MSA match columns (query length)
  std::vector<double> scores;       // [L, L] Frobenius norm + APC (GREMLIN), 0 for left-out columns/diagonal
  std::vector<double> mi_apc;       // [L, L] APC-corrected mutual information baseline
  std::vector<bool> used_columns;   // [L] columns in the Potts model
  int rows = 0, input_rows = 0;     // distinct / all sequences
  double neff = 0;                  // effective sequence count at the identity threshold
  LbfgsReport report;
  double seconds_weights = 0, seconds_fit = 0;  // wall time of reweighting and of the Potts fit
};

// Fits the Potts model and scores every column pair. Throws InputError for an empty alignment.
CoevolutionResult predict_contacts(const A3m& a3m, const CoevolutionOptions& opt = {});

// How contact scores become distogram restraints (the bins of structure/restraints.hpp).
struct ContactRestraintOptions {
  int min_separation = 3;        // pairs with |i−j| below this get no restraint
  double pairs_per_residue = 1.5;  // restrain the top round(pairs_per_residue·L) pairs by score
  double p_top = 0.9;            // contact probability of the best pair ...
  double p_last = 0.5;           // ... falling linearly with rank to this for the last restrained pair
  double contact_mean = 6.0;     // Å, Cβ–Cβ distance profile of a contact: Gaussian(mean, sd) on bins < 8 Å
  double contact_sd = 1.2;
  // All other pairs (i != j) get the distance background itself, p(bin) ∝ (d/19.5)^1.57 over 4–20 Å with no
  // mass in the no-contact bin: its −log(p/background) energy is flat, leaving only the folding stage's clash
  // ramp below ~4 Å Cβ–Cβ. Without it unrestrained pairs feel nothing and the chain collapses through itself.
  bool background_pairs = true;
};

// Restraints from a symmetric score matrix [L, L]. A restrained pair (i,j) gets, for both (i,j) and (j,i):
//   dist = p·N(contact_mean, contact_sd) over the bins below 8 Å + (1−p)·uniform over the bins 8–20 Å,
//   no-contact bin 0; omega/theta uniform over the 36 angle bins and phi ∝ sin-weighted bin area (flat
//   energies: coevolution says nothing about orientations). All other pairs: the flat background above when
//   background_pairs, otherwise no-contact with probability 1 (then the folding stage's p20 > 0.5 filter
//   keeps exactly the restrained pairs).
structure::Restraints restraints_from_contacts(const std::vector<double>& scores, int length,
                                               const ContactRestraintOptions& opt = {});

// Folds contact restraints: the start is classical MDS of the contact distances completed by shortest paths
// (background pairs do not count as known), shrunk to a compact radius of gyration (FoldOptions::start_max_rg,
// set here to structure::compact_start_rg(L) when it is 0), then structure::fold. Contact distances cannot
// tell a fold from its mirror image, so the hand is chosen by structure::ca_handedness: the lowest-loss
// restart with handedness >= 0 wins; when every restart is left-handed, the best one's CA trace is mirrored
// and refolded from there (same options, init_ca = mirrored trace). Returns the fold and fills
// `contact_restraints` with the contact pairs only (no background), the ones to judge the model against
// (structure::restraint_confidence).
structure::FoldResult fold_contacts(const std::vector<double>& scores, int length, const ContactRestraintOptions& ropt,
                                    const structure::FoldOptions& fopt, structure::Restraints* contact_restraints);

// Top-k precision of a score matrix against reference coordinates: among pairs with both residues present
// and |i−j| >= min_separation, the round(top_fraction·n) highest-scoring (n = number of present residues;
// at least 1) are called contacts; returns the fraction with distance < cutoff Å. points [L] are Cβ (Cα for
// glycine) in the same indexing as the scores.
double contact_precision(const std::vector<double>& scores, const std::vector<Vec3>& points,
                         const std::vector<bool>& present, int min_separation = 24, double top_fraction = 0.2,
                         double cutoff = 8.0);

// End to end: contacts → restraints → fold → per-residue confidence from restraint satisfaction.
struct CoevolutionFoldOptions {
  CoevolutionOptions contacts;
  ContactRestraintOptions restraints;
  structure::FoldOptions fold;
};
struct CoevolutionModel {
  CoevolutionResult contacts;
  structure::Restraints restraints;  // contact pairs only (see fold_contacts)
  structure::FoldResult fold;
  std::vector<double> confidence;  // [L] in [0,1], structure::restraint_confidence
  double seconds_fold = 0;
};
CoevolutionModel predict_structure(const A3m& a3m, const CoevolutionFoldOptions& opt = {});

}  // namespace trifold::model::coevolution
