// SE3Transformer stack assembly and forward.
#include "model/se3/transformer.hpp"

#include <optional>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/profile.hpp"

namespace trifold::model::se3 {

SE3Transformer::SE3Transformer(const Weights& w, const std::string& prefix, const Se3Config& cfg) : cfg_(cfg) {
  TRIFOLD_CHECK(cfg.num_degrees >= 1 && cfg.num_degrees <= 3, "SE3Transformer: num_degrees must be 1..3");
  const Fiber f_in{{0, cfg.l0_in_features}, {1, cfg.l1_in_features}};
  Fiber f_mid;
  for (int d = 0; d < cfg.num_degrees; ++d) f_mid[d] = cfg.num_channels;
  const Fiber f_out{{0, cfg.l0_out_features}, {1, cfg.l1_out_features}};
  Fiber fin = f_in;
  int idx = 0;
  for (int i = 0; i < cfg.num_layers; ++i) {
    res_.emplace_back(w, prefix + "Gblock." + std::to_string(idx++) + ".", fin, f_mid, cfg.div, cfg.n_heads, false);
    norm_.emplace_back(w, prefix + "Gblock." + std::to_string(idx++) + ".", f_mid);
    fin = f_mid;
  }
  // The final block: div 1, one head, attentive self-interaction.
  res_.emplace_back(w, prefix + "Gblock." + std::to_string(idx) + ".", f_mid, f_out, 1, 1, true);
}

Features SE3Transformer::forward_features(const Graph& g, const EdgeGeometry& geo, const Features& in,
                                          Se3Trace* trace) const {
  // The SE(3) part always runs in fp32, whatever the trunk's matrix-product precision (bench precision).
  cpu::MatmulPrecisionScope fp32(MatmulPrecision::Fp32);
  Features h = in;
  int idx = 0;
  for (size_t i = 0; i < res_.size(); ++i) {
    const std::string name = "Gblock." + std::to_string(idx);
    h = res_[i].forward(h, g, geo, trace, name);
    if (trace) trace->features[name] = h;
    ++idx;
    if (i < norm_.size()) {
      h = norm_[i].forward(h);
      if (trace) trace->features["Gblock." + std::to_string(idx)] = h;
      ++idx;
    }
  }
  return h;
}

Features SE3Transformer::forward(const Graph& g, const Tensor& l0, const Tensor& l1, Se3Trace* trace) const {
  const int64_t N = g.n_nodes;
  TRIFOLD_CHECK(l0.numel() == N * cfg_.l0_in_features, "SE3Transformer: l0 must be [N, l0_in]");
  TRIFOLD_CHECK(l1.numel() == N * cfg_.l1_in_features * 3, "SE3Transformer: l1 must be [N, l1_in, 3]");
  TRIFOLD_CHECK(g.edge_dim + 1 == res_[0].v.kernels.begin()->second.feat_dim,
                "SE3Transformer: edge feature width does not match the radial networks");
  Features in;
  in.emplace(0, l0.reshaped({N, cfg_.l0_in_features, 1}));
  in.emplace(1, l1.reshaped({N, cfg_.l1_in_features, 3}));
  std::optional<StageTimer> geo_time(std::in_place, "SE(3): harmonics");
  const EdgeGeometry geo = edge_geometry(g, max_degree());
  geo_time.reset();
  StageTimer t("SE(3): transformer layers");
  return forward_features(g, geo, in, trace);
}

}  // namespace trifold::model::se3
