// Crop mode of predict_e2e.py for long sequences (L > 300): trunk + heads on every pair of 150-residue windows
// (shift 75), probabilities and query-node features averaged by coverage, then one refinement on the full length.
#pragma once

#include <functional>

#include "model/e2e/network.hpp"
#include "model/templates.hpp"

namespace trifold::model::e2e {

struct CropOptions {
  int window = 150;  // residues per window
  int shift = 75;    // window starts: 0, shift, 2·shift, ... < L − window + shift
  // Full-length template features, cut to each crop's residues (the reference's step 4); null or empty
  // features: no templates.
  const TemplateFeatures* templates = nullptr;
};

// The crops in the reference's loop order: for window i, for window j >= i, the union of both windows'
// residues (ascending). Returns residue index lists.
std::vector<std::vector<int32_t>> crop_residue_sets(int64_t length, const CropOptions& opt = {});

// Count-averaged accumulation over all crops. Memory: prob_s [L, L, 130] + node [L, d_msa] + counts, whatever
// the number of crops (each crop's outputs are added and dropped before the next one runs).
struct CropAverage {
  Tensor prob_s;  // [L, L, 130] sum over crops / count_2d
  Tensor node;    // [L, d_msa] sum over crops / count_1d
  int n_crops = 0;
};

// Per crop: rows with >= 50 % gaps inside the crop's columns are dropped (row 0 included if it is gappy, as in
// the reference), then the first 1000 rows are kept; the templates (opt.templates) cut to the crop's residues. msa: the full tokenised alignment (all
// rows). on_crop (optional) sees crop number, residues, kept-row mask and the trunk outputs.
CropAverage run_crops(const Network& net, const MsaTokens& msa, const CropOptions& opt = {},
                      const std::function<void(int, const std::vector<int32_t>&, const std::vector<bool>&,
                                               const TrunkOutputs&)>& on_crop = {});
// The same loop over any trunk (e.g. model::cuda::NetworkGpu::trunk, when the full length does not fit on the
// device); d_msa: width of TrunkOutputs::node.
using TrunkFn = std::function<TrunkOutputs(const TrunkInputs&)>;
CropAverage run_crops(const TrunkFn& trunk, int64_t d_msa, const MsaTokens& msa, const CropOptions& opt = {},
                      const std::function<void(int, const std::vector<int32_t>&, const std::vector<bool>&,
                                               const TrunkOutputs&)>& on_crop = {});

}  // namespace trifold::model::e2e
