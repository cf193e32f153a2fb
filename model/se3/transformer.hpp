// The v1 SE3Transformer stack: num_layers x [GSE3Res(1x1) -> GNormBias] + GSE3Res(attentive self-interaction).
#pragma once

#include <string>
#include <vector>

#include "model/se3/layers.hpp"
#include "model/weights.hpp"

namespace trifold::model::se3 {

class SE3Transformer {
 public:
  // prefix: the module's state_dict prefix including the trailing dot, e.g.
  // "feat_extractor.iter_block_2.0.str2str.se3." (Gblock.<i> below it). Shapes are checked against cfg.
  SE3Transformer(const Weights& w, const std::string& prefix, const Se3Config& cfg);

  // l0 [N, l0_in] (degree-0 features), l1 [N, l1_in, 3] (degree-1, Cartesian vectors); graph over N nodes.
  // Returns degree 0 -> [N, l0_out, 1] and degree 1 -> [N, l1_out, 3]. Each Gblock's output is recorded in
  // trace as "Gblock.<i>" (and the GSE3Res internals as "Gblock.<i>.GMAB.v" etc.) when trace is non-null.
  Features forward(const Graph& g, const Tensor& l0, const Tensor& l1, Se3Trace* trace = nullptr) const;
  // Same, starting from arbitrary input features (the fiber 'in') and an already computed edge geometry.
  Features forward_features(const Graph& g, const EdgeGeometry& geo, const Features& in,
                            Se3Trace* trace = nullptr) const;

  const Se3Config& config() const { return cfg_; }
  // The layers, for backends that mirror this stack (model/cuda/se3_gpu.hpp).
  const std::vector<GSE3Res>& blocks() const { return res_; }
  const std::vector<GNormBias>& norms() const { return norm_; }
  int max_degree() const { return cfg_.num_degrees - 1; }

 private:
  Se3Config cfg_;
  std::vector<GSE3Res> res_;     // num_layers + 1
  std::vector<GNormBias> norm_;  // num_layers
};

}  // namespace trifold::model::se3
