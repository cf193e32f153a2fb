// The RoseTTAFold v1 e2e trunk driven block by block: embeddings -> initial Pair2Pair -> IterBlocks ->
// InitStr (initial coordinates) -> DistanceNetwork. The SE(3) stages (IterBlock_w_Str, FinalBlock, refine)
// plug in between init_str() and distance() through the same State.
#pragma once

#include "model/features.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {

class Trunk {
 public:
  // Keeps a reference to `weights` (must outlive the Trunk). Dimensions are read from the tensor shapes.
  explicit Trunk(const Weights& weights);
  const Dims& dims() const { return dims_; }

  struct State {
    Tensor msa;      // [N, L, d_msa]
    Tensor pair;     // [L, L, d_pair]
    Tensor seq1hot;  // [L, 21]
    std::vector<int32_t> seq, idx;
    Tensor xyz;      // [L, 3, 3] Å, set by init_str()
  };

  // MSA_emb, Templ_emb, Pair_emb_w_templ.
  State embed(const TrunkInputs& in) const;
  // feat_extractor.initial (Pair2Pair on the pair).
  void initial(State& s) const;
  // feat_extractor.iter_block_1.<i>, 0 <= i < dims().n_module.
  void iter_block(State& s, int i) const;
  // feat_extractor.init_str: sets s.xyz.
  void init_str(State& s) const;
  // c6d_predictor on a pair [L, L, d_pair].
  DistanceOutputs distance(const Tensor& pair) const;

  // embed + initial + every IterBlock + init_str (the trunk up to the first SE(3) block).
  State run_to_init_str(const TrunkInputs& in) const;

  // Observer of named intermediates (state_dict prefix + "/out0" ...).
  Tap tap;

 private:
  const Weights& w_;
  Dims dims_;
};

}  // namespace trifold::model::rf1
