// Str2Str: embeddings, graph, SE(3)-Transformer and coordinate update.
#include "model/se3/str2str.hpp"

#include <optional>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/profile.hpp"
#include "model/rf1/modules.hpp"
#include "model/se3/graph.hpp"
#include "model/se3/transformer.hpp"

namespace trifold::model::se3 {

Tensor update_backbone(const Tensor& xyz, const Tensor& off) {
  const int64_t n = xyz.numel() / 9;
  TRIFOLD_CHECK(off.numel() == n * 9, "update_backbone: offsets must be [n, 3, 3]");
  Tensor out({n, 3, 3});
  for (int64_t i = 0; i < n; ++i)
    for (int a = 0; a < 3; ++a) {
      const float ca = xyz[(i * 3 + 1) * 3 + a] + off[(i * 3 + 1) * 3 + a];
      out[(i * 3 + 0) * 3 + a] = ca + off[(i * 3 + 0) * 3 + a];
      out[(i * 3 + 1) * 3 + a] = ca;
      out[(i * 3 + 2) * 3 + a] = ca + off[(i * 3 + 2) * 3 + a];
    }
  return out;
}

Str2StrOutput str2str(const Weights& w, const std::string& p, const Se3Config& cfg, const Tensor& msa,
                      const Tensor& pair, const Tensor& xyz, const Tensor& seq1hot, const std::vector<int32_t>& idx,
                      int top_k, Se3Trace* trace) {
  TRIFOLD_CHECK(msa.ndim() == 3 && pair.ndim() == 3, "str2str: msa [N, L, d], pair [L, L, d]");
  const int64_t N = msa.dim(0), L = msa.dim(1), dm = msa.dim(2);
  TRIFOLD_CHECK(pair.dim(0) == L && xyz.numel() == L * 9 && seq1hot.dim(0) == L &&
                    static_cast<int64_t>(idx.size()) == L,
                "str2str: inconsistent lengths");
  // Node features: sequence-weighted sum over MSA rows, then [., seq1hot] -> embed_x -> LN.
  Tensor m = rf1::layer_norm(w, p + ".norm_msa", msa);
  Tensor sw = rf1::sequence_weight(w, p + ".encoder_seq", m, 1);  // [L, 1, N]
  const int64_t s1 = seq1hot.dim(1);
  Tensor node_in({L, dm + s1});
  for (int64_t i = 0; i < L; ++i) {
    float* o = node_in.data() + i * (dm + s1);
    for (int64_t n = 0; n < N; ++n) {
      const float wn = sw[i * N + n];
      const float* mr = m.data() + (n * L + i) * dm;
      for (int64_t c = 0; c < dm; ++c) o[c] += wn * mr[c];
    }
    for (int64_t c = 0; c < s1; ++c) o[dm + c] = seq1hot[i * s1 + c];
  }
  Tensor node = rf1::layer_norm(w, p + ".norm_node", rf1::linear(w, p + ".embed_x", node_in));  // [L, l0_in]
  // Edge features.
  Tensor edge = rf1::layer_norm(w, p + ".norm_edge",
                                rf1::linear(w, p + ".embed_e", rf1::layer_norm(w, p + ".norm_pair", pair)));
  const int ed = static_cast<int>(edge.dim(2));
  std::vector<float> ca(static_cast<size_t>(L * 3));
  for (int64_t i = 0; i < L; ++i)
    for (int a = 0; a < 3; ++a) ca[i * 3 + a] = xyz[(i * 3 + 1) * 3 + a];
  std::vector<int64_t> id(idx.begin(), idx.end());
  std::optional<StageTimer> graph_time(std::in_place, "SE(3): top-k graph");
  Graph g = make_topk_graph(ca.data(), id.data(), 1, static_cast<int>(L), top_k, edge.data(), ed);
  graph_time.reset();
  // Degree-1 input: displacement of every backbone atom from CA (the CA row is exactly 0).
  Tensor l1({L, 3, 3});
  for (int64_t i = 0; i < L; ++i)
    for (int k = 0; k < 3; ++k)
      for (int a = 0; a < 3; ++a) l1[(i * 3 + k) * 3 + a] = xyz[(i * 3 + k) * 3 + a] - xyz[(i * 3 + 1) * 3 + a];
  SE3Transformer net(w, p + ".se3.", cfg);
  Features out = net.forward(g, node, l1, trace);
  Str2StrOutput r;
  r.state = out.at(0).reshaped({L, cfg.l0_out_features});
  TRIFOLD_CHECK(cfg.l1_out_features == 3, "str2str: the coordinate update needs 3 degree-1 outputs");
  StageTimer t("SE(3): backbone update (download, host)");
  r.xyz = update_backbone(xyz, out.at(1));
  return r;
}

}  // namespace trifold::model::se3
