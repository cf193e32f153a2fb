// RoseTTAFold v1 InitStr_Network: sequence-weighted node features, UniMP graph transformer (PyG
// TransformerConv semantics), Linear to absolute N/CA/C coordinates.
#include <cmath>
#include <cstring>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {

Tensor transformer_conv(const Weights& w, const std::string& p, const Tensor& x, const Tensor& edge) {
  const int64_t l = x.dim(0);
  Tensor q = linear(w, p + ".lin_query", x);  // [L, H·C]
  Tensor k = linear(w, p + ".lin_key", x);
  Tensor v = linear(w, p + ".lin_value", x);
  Tensor e = linear(w, p + ".lin_edge", edge);  // [L, L, H·C] (no bias), edge i -> j at [i, j]
  Tensor out = linear(w, p + ".lin_skip", x);   // root weight
  const int64_t hc = q.dim(1);
  const int64_t c = w.get(p + ".lin_query.weight").dim(1);  // out_channels per head = in_channels here
  const int64_t heads = hc / c;
  TRIFOLD_CHECK(heads * c == hc, "transformer_conv: heads·channels mismatch");
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c)));
  // Target j gathers from every source i ≠ j: alpha = softmax_i(q_j·(k_i + e_ij)/sqrt(C)),
  // out_j = Σ_i alpha (v_i + e_ij) + skip_j. PyG's softmax adds 1e-16 to the denominator.
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < l; ++j) {
    std::vector<float> alpha(static_cast<size_t>(l));
    for (int64_t h = 0; h < heads; ++h) {
      const float* qj = q.data() + j * hc + h * c;
      float mx = -INFINITY;
      for (int64_t i = 0; i < l; ++i) {
        if (i == j) continue;
        const float* ki = k.data() + i * hc + h * c;
        const float* eij = e.data() + (i * l + j) * hc + h * c;
        float s = 0.0f;
        for (int64_t t = 0; t < c; ++t) s += qj[t] * (ki[t] + eij[t]);
        alpha[static_cast<size_t>(i)] = s * scale;
        mx = std::max(mx, alpha[static_cast<size_t>(i)]);
      }
      float sum = 0.0f;
      for (int64_t i = 0; i < l; ++i) {
        if (i == j) continue;
        alpha[static_cast<size_t>(i)] = std::exp(alpha[static_cast<size_t>(i)] - mx);
        sum += alpha[static_cast<size_t>(i)];
      }
      const float inv = 1.0f / (sum + 1e-16f);
      float* oj = out.data() + j * hc + h * c;
      for (int64_t i = 0; i < l; ++i) {
        if (i == j) continue;
        const float a = alpha[static_cast<size_t>(i)] * inv;
        const float* vi = v.data() + i * hc + h * c;
        const float* eij = e.data() + (i * l + j) * hc + h * c;
        for (int64_t t = 0; t < c; ++t) oj[t] += a * (vi[t] + eij[t]);
      }
    }
  }
  return out;
}

Tensor init_str(const Weights& w, const std::string& p, const Tensor& seq1hot, const std::vector<int32_t>& idx,
                const Tensor& msa, const Tensor& pair, const Tap& tap) {
  const int64_t n = msa.dim(0), l = msa.dim(1);
  Tensor m = layer_norm(w, p + ".norm_node", msa);
  Tensor pr = layer_norm(w, p + ".norm_edge", pair);
  Tensor sw = sequence_weight(w, p + ".encoder_seq", m, 1);  // [L, 1, N]
  const int64_t dm = m.dim(2), dp = pr.dim(2);
  Tensor node_in({l, dm + 21});
  for (int64_t i = 0; i < l; ++i) {
    float* dst = node_in.data() + i * (dm + 21);
    for (int64_t c = 0; c < dm; ++c) {
      float s = 0.0f;
      for (int64_t t = 0; t < n; ++t) s += sw[i * n + t] * m[(t * l + i) * dm + c];
      dst[c] = s;
    }
    std::memcpy(dst + dm, seq1hot.data() + i * 21, sizeof(float) * 21);
  }
  Tensor x = linear(w, p + ".embed_x.0", node_in);
  cpu::elu_(x);
  const std::vector<float> sep = signed_log_seqsep(idx);
  Tensor e_in({l, l, dp + 1});
#pragma omp parallel for schedule(static)
  for (int64_t ij = 0; ij < l * l; ++ij) {
    std::memcpy(e_in.data() + ij * (dp + 1), pr.data() + ij * dp, sizeof(float) * static_cast<size_t>(dp));
    e_in[ij * (dp + 1) + dp] = sep[static_cast<size_t>(ij)];
  }
  Tensor edge = linear(w, p + ".embed_e.0", e_in);
  cpu::elu_(edge);
  if (tap) {
    tap(p + ".embed_x/out0", x);
    tap(p + ".embed_e/out0", edge);
  }
  for (int b = 0; w.has(p + ".transformer." + std::to_string(b) + ".Linear.weight"); ++b) {
    const std::string bp = p + ".transformer." + std::to_string(b);
    Tensor h = transformer_conv(w, bp + ".TConv", x, edge);
    if (tap) tap(bp + ".TConv/out0", h);
    Tensor y = linear(w, bp + ".Linear", layer_norm(w, bp + ".LNorm", h));
    cpu::add_(y, x);
    cpu::elu_(y);
    x = std::move(y);
    if (tap) tap(bp + "/out0.x", x);
  }
  Tensor xyz = linear(w, p + ".get_xyz", x);  // [L, 9]
  xyz.reshape({l, 3, 3});
  return xyz;
}

}  // namespace trifold::model::rf1
