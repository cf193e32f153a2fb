// Refine_Network: embeddings with RBF/bonded edge terms, SE(3)-Transformer, backbone update.
#include "model/se3/refine_net.hpp"

#include <cmath>
#include <optional>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/profile.hpp"
#include "model/rf1/modules.hpp"
#include "model/se3/graph.hpp"
#include "model/se3/str2str.hpp"
#include "model/se3/transformer.hpp"

namespace trifold::model::se3 {

RefineOutput refine_network(const Weights& w, const std::string& p, const Se3Config& cfg, const Tensor& node,
                            const Tensor& pair, const Tensor& xyz, const Tensor& state, const Tensor& seq1hot,
                            const std::vector<int32_t>& idx, int top_k, Se3Trace* trace) {
  TRIFOLD_CHECK(node.ndim() == 3 && pair.ndim() == 4, "refine_network: node [B, L, d], pair [1 or B, L, L, d]");
  const int64_t B = node.dim(0), L = node.dim(1), dn = node.dim(2), ds = state.dim(2), s1 = seq1hot.dim(2);
  TRIFOLD_CHECK((pair.dim(0) == B || pair.dim(0) == 1) && pair.dim(1) == L && pair.dim(2) == L &&
                    xyz.numel() == B * L * 9 && state.dim(1) == L && static_cast<int64_t>(idx.size()) == B * L,
                "refine_network: inconsistent shapes");
  // The graph depends on the CA coordinates alone, so it comes first.
  std::vector<float> ca(static_cast<size_t>(B * L * 3));
  for (int64_t r = 0; r < B * L; ++r)
    for (int a = 0; a < 3; ++a) ca[r * 3 + a] = xyz[(r * 3 + 1) * 3 + a];
  std::vector<int64_t> id(idx.begin(), idx.end());
  std::optional<StageTimer> graph_time(std::in_place, "SE(3): top-k graph");
  Graph g = make_topk_graph(ca.data(), id.data(), static_cast<int>(B), static_cast<int>(L), top_k, nullptr, 0);
  graph_time.reset();
  std::optional<StageTimer> embed(std::in_place, "refine: node and edge embeddings");
  Tensor n1 = rf1::layer_norm(w, p + ".norm_msa", node);
  Tensor st = rf1::layer_norm(w, p + ".norm_state", state);
  Tensor x_in({B, L, dn + s1 + ds});
  for (int64_t r = 0; r < B * L; ++r) {
    float* o = x_in.data() + r * (dn + s1 + ds);
    std::copy(n1.data() + r * dn, n1.data() + (r + 1) * dn, o);
    std::copy(seq1hot.data() + r * s1, seq1hot.data() + (r + 1) * s1, o + dn);
    std::copy(st.data() + r * ds, st.data() + (r + 1) * ds, o + dn + s1);
  }
  Tensor x = rf1::layer_norm(w, p + ".norm_node", rf1::linear(w, p + ".embed_x", x_in));  // [B, L, l0_in]
  // Edge features at the graph's edges only. Every step of the reference's edge embedding (LN, Linear, LN,
  // [., RBF, bonded sign], Linear, LN) acts on one (i, j) at a time and the SE(3) layers read the result only at
  // the graph's edges, so E ~ B L (top_k + 16) rows replace B L^2 (at L = 1000: 0.13 M instead of 2 M rows, and
  // no [B, L, L, *] tensors). pair [1 or B, L, L, d]: both mirror copies share one pair.
  const int64_t E = g.num_edges(), dp = pair.dim(3);
  Tensor pe({E, dp});
#pragma omp parallel for schedule(static) if (E >= 4096)
  for (int64_t e = 0; e < E; ++e) {
    const int64_t src = g.src[e], dst = g.dst[e], b = src / L, i = src % L, j = dst % L;
    const int64_t row = ((pair.dim(0) == 1 ? 0 : b) * L + i) * L + j;
    std::copy(pair.data() + row * dp, pair.data() + (row + 1) * dp, pe.data() + e * dp);
  }
  Tensor e1 = rf1::layer_norm(w, p + ".norm_edge1",
                              rf1::linear(w, p + ".embed_e1", rf1::layer_norm(w, p + ".norm_pair", pe)));  // [E, de]
  pe = Tensor();
  const int64_t de = e1.dim(1);
  // [e1, RBF(d_CA), bonded sign] -> embed_e2 -> LN.
  constexpr int kRbf = 36;
  const int64_t dw = de + kRbf + 1;
  Tensor e_in({E, dw});
#pragma omp parallel for schedule(static) if (E >= 4096)
  for (int64_t e = 0; e < E; ++e) {
    const int64_t src = g.src[e], dst = g.dst[e];  // b L + i, b L + j
    float* o = e_in.data() + e * dw;
    std::copy(e1.data() + e * de, e1.data() + (e + 1) * de, o);
    const float* ci = xyz.data() + (src * 3 + 1) * 3;
    const float* cj = xyz.data() + (dst * 3 + 1) * 3;
    const double dx = double(ci[0]) - cj[0], dy = double(ci[1]) - cj[1], dz = double(ci[2]) - cj[2];
    const float dist = static_cast<float>(std::sqrt(dx * dx + dy * dy + dz * dz));
    const float sigma = 20.0f / kRbf;
    for (int k = 0; k < kRbf; ++k) {
      const float mu = 20.0f * k / (kRbf - 1);  // linspace(0, 20, 36)
      const float z = (dist - mu) / sigma;
      o[de + k] = std::exp(-z * z);
    }
    const int64_t sep = int64_t(idx[static_cast<size_t>(dst)]) - idx[static_cast<size_t>(src)];
    o[de + kRbf] = (sep == 1 || sep == -1) ? static_cast<float>(sep) : 0.0f;
  }
  e1 = Tensor();
  g.w = rf1::layer_norm(w, p + ".norm_edge2", rf1::linear(w, p + ".embed_e2", e_in)).vec();  // [E, de]
  g.edge_dim = static_cast<int>(de);
  e_in = Tensor();
  embed.reset();
  Tensor l1({B * L, 3, 3});
  for (int64_t r = 0; r < B * L; ++r)
    for (int k = 0; k < 3; ++k)
      for (int a = 0; a < 3; ++a) l1[(r * 3 + k) * 3 + a] = xyz[(r * 3 + k) * 3 + a] - xyz[(r * 3 + 1) * 3 + a];
  SE3Transformer net(w, p + ".se3.", cfg);
  Features out = net.forward(g, x.reshaped({B * L, cfg.l0_in_features}), l1, trace);
  RefineOutput res;
  res.state = out.at(0).reshaped({B, L, cfg.l0_out_features});
  TRIFOLD_CHECK(cfg.l1_out_features == 3, "refine_network: the coordinate update needs 3 degree-1 outputs");
  StageTimer t("SE(3): backbone update (download, host)");
  res.xyz = update_backbone(xyz, out.at(1)).reshaped({B, L, 3, 3});
  return res;
}

}  // namespace trifold::model::se3
