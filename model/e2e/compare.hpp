// How far two e2e forwards of the same input are apart: what `trifold bench precision` reports and what
// tests/e2e/test_precision.cpp bounds (reduced-precision matrix products against fp32).
#pragma once

#include <string>
#include <vector>

#include "model/e2e/network.hpp"

namespace trifold::model::e2e {

struct OutputDifference {
  std::string name;  // e.g. "prob_s rel L2"
  double value = 0;
};

// Relative L2 ‖got − ref‖ / ‖ref‖ of two equally shaped tensors (NaN when a value is not finite, so no bound
// can pass with a NaN); max |got − ref|; plain coordinate RMSD over [.., 3] rows (no superposition: both come
// from the same network in the same frame), Å.
double rel_l2(const Tensor& got, const Tensor& ref);
double max_abs_diff(const Tensor& got, const Tensor& ref);
double coordinate_rmsd(const Tensor& got, const Tensor& ref);
// Fraction of residue pairs i ≠ j whose most probable distance bin (dist logits [L, L, bins]) is the same.
double top_bin_agreement(const Tensor& got_logits, const Tensor& ref_logits);

// The differences of every output, in a fixed order: the four distogram/orientation logits, prob_s, the
// query-row node features, trunk xyz and lDDT, Regen xyz, whether the refinement returned the other mirror copy
// (1) or the same (0), refined xyz and lDDT. The refinement entries are comparable when both ran the same
// iterations (forced fixed_iter) and returned the same copy: the two mirror copies' mean lDDTs can be close
// enough (random weights) that a tiny difference picks the other one, tens of Å away.
std::vector<OutputDifference> compare_outputs(const NetworkOutputs& got, const NetworkOutputs& ref);

}  // namespace trifold::model::e2e
