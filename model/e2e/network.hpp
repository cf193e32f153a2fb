// The complete RoseTTAFold v1 e2e network (RoseTTAFoldModule_e2e.forward) on the CPU: trunk, IterBlock_w_Str,
// FinalBlock, DistanceNetwork heads, and the refinement module.
#pragma once

#include <functional>

#include "model/se3/refine_module.hpp"
#include "model/e2e/str_blocks.hpp"
#include "model/features.hpp"
#include "model/rf1/trunk.hpp"

namespace trifold::model::e2e {

// The refinement module is se3::refine_module (model/se3/refine_module.hpp).
using RefineOptions = se3::RefineOptions;
using RefineResult = se3::RefineResult;

// return_raw outputs (what the crop path accumulates) plus the heads.
struct TrunkOutputs {
  rf1::DistanceOutputs heads;  // logits [L, L, bins] and prob_s [L, L, 130]
  Tensor node;                 // [L, d_msa] msa[:,0] after the FinalBlock
  Tensor xyz;                  // [L, 3, 3] Å, FinalBlock Str2Str output
  Tensor lddt;                 // [L] trunk lDDT head, raw (not clamped)
};

struct NetworkOutputs {
  TrunkOutputs trunk;
  RefineResult refine;  // refined xyz [L, 3, 3], lddt [L] in [0, 1], iteration counts
};

class Network {
 public:
  // Keeps a reference to `w` (must outlive the Network). SE(3) hyper-parameters come from w.config (se3, ref).
  explicit Network(const Weights& w);
  // Everything up to the heads (return_raw=True in the reference).
  TrunkOutputs trunk(const TrunkInputs& in) const;
  // trunk + Refine_module.
  NetworkOutputs forward(const TrunkInputs& in, const RefineOptions& opt = {}) const;
  // refine_only=True: node [L, d_msa], prob_s [L, L, 130].
  RefineResult refine(const Tensor& node, const Tensor& prob_s, const std::vector<int32_t>& seq,
                      const std::vector<int32_t>& idx, const RefineOptions& opt = {}) const;

  const rf1::Dims& dims() const { return trunk_.dims(); }
  int n_str_blocks() const { return n_str_; }
  // Observer of named intermediates (state_dict prefix + "/out<i>").
  rf1::Tap tap;

 private:
  const Weights& w_;
  mutable rf1::Trunk trunk_;  // mutable: its tap is set from ours per call
  int n_str_ = 0;
};

}  // namespace trifold::model::e2e
