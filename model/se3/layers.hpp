// The equivariant layers of the v1 SE(3)-Transformer (Fuchs et al. as used by RoseTTAFold), CPU fp32.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/se3/basis.hpp"
#include "model/se3/graph.hpp"
#include "model/tensor.hpp"
#include "model/weights.hpp"

namespace trifold::model::se3 {

using Fiber = std::map<int, int>;        // degree -> channels (multiplicity m)
using Features = std::map<int, Tensor>;  // degree -> [rows, m, 2d+1] (rows = nodes, or edges for per-edge data)

int fiber_features(const Fiber& f);  // sum_d m_d (2d+1)

// Named intermediates of one SE(3) forward, keyed like the reference's module names relative to the
// SE3Transformer ("Gblock.0.GMAB.v", "Gblock.0.cat", "Gblock.1", ...), plus per-edge attention tensors
// ("Gblock.0.GMAB.attn.edge_logits" / ".edge_softmax", [E, heads]).
struct Se3Trace {
  std::map<std::string, Features> features;
  std::map<std::string, Tensor> tensors;
};

// RadialFunc: Linear(feat_dim->32) -> nn.LayerNorm -> ReLU -> Linear(32->32) -> nn.LayerNorm -> ReLU ->
// Linear(32 -> m_out m_in nJ). Weights under `prefix` ("...kernel_unary.(d_in,d_out).rp.").
struct RadialFunc {
  int d_in = 0, d_out = 0, m_in = 0, m_out = 0, nf = 0, feat_dim = 0;
  Tensor w0, b0, g1, be1, w3, b3, g4, be4, w6, b6;
  RadialFunc() = default;
  RadialFunc(const Weights& w, const std::string& prefix, int d_in, int d_out, int m_in, int m_out);
  int out_dim() const { return m_out * m_in * nf; }
  // feat [rows, feat_dim] -> R [rows, m_out, m_in, nf] (the reference's (rows, m_out, 1, m_in, 1, nf)).
  void forward(const float* feat, int64_t rows, float* R) const;
};

// The dense per-edge kernel W [m_out (2d_out+1), m_in (2d_in+1)] = sum_J R K_J of one edge: only for tests and
// debugging (the layers never build it).
void edge_kernel(const float* R, const float* K, int d_in, int d_out, int m_in, int m_out, float* W);

// GConvSE3Partial: per-edge messages msg_dout[e] = sum_din W_(din,dout)(e) x_src[din]. The (basis x radial)
// kernel is contracted on the fly per edge; edges are processed in chunks, so temporary memory is
// O(chunk * m_out m_in nJ) regardless of E.
struct GConvSE3Partial {
  Fiber f_in, f_out;
  std::map<std::pair<int, int>, RadialFunc> kernels;  // (d_in, d_out)
  GConvSE3Partial() = default;
  GConvSE3Partial(const Weights& w, const std::string& prefix, Fiber f_in, Fiber f_out);
  // h: node features; returns per-edge features [E, m_out, 2d_out+1] for every degree of f_out.
  Features forward(const Features& h, const Graph& g, const EdgeGeometry& geo) const;
};

// G1x1SE3: per degree present in both, out = T_d [m_out, m_in] x. Weights `prefix`transform.<d>.
struct G1x1SE3 {
  std::map<int, Tensor> transform;
  G1x1SE3() = default;
  G1x1SE3(const Weights& w, const std::string& prefix, const Fiber& f_in, const Fiber& f_out);
  Features forward(const Features& x) const;
};

// GMABSE3: multi-head attention over incoming edges. Keys/queries are split into heads by contiguous channel
// blocks and concatenated over degrees; logits = k_e . q_dst / sqrt(total key features); softmax over the
// incoming edges of dst; out_d[dst] = sum_e a_e v_e (head of channel c = c / (m / heads)).
Features gmab_attention(const Features& v, const Features& k, const Features& q, const Fiber& f_value,
                        const Fiber& f_key, int n_heads, const Graph& g, Tensor* logits_out = nullptr,
                        Tensor* softmax_out = nullptr);

// GNormBias: out = ReLU(|v| + b_d) v / |v| per channel, |v| over the 2d+1 components clamped >= 1e-12.
struct GNormBias {
  std::map<int, Tensor> bias;  // d -> [m]
  GNormBias() = default;
  GNormBias(const Weights& w, const std::string& prefix, const Fiber& f);
  Features forward(const Features& x) const;
};

// GAttentiveSelfInt: per degree, Gram G = v v^T (sign-preserving clamp |.| >= 1e-12) -> nn.LayerNorm(m_in^2) ->
// LeakyReLU(0.01) -> Linear(m_in^2 -> m_out m_in) -> softmax over m_in -> out = A v.
struct GAttentiveSelfInt {
  struct Net {
    int m_in = 0, m_out = 0;
    Tensor ln_w, ln_b, lin_w, lin_b;
  };
  std::map<int, Net> nets;
  GAttentiveSelfInt() = default;
  GAttentiveSelfInt(const Weights& w, const std::string& prefix, const Fiber& f_in, const Fiber& f_out);
  Features forward(const Features& x) const;
};

// GSE3Res with skip='cat': v, k = GConvSE3Partial; q = G1x1SE3; attention; cat([attn, input]) on the degrees
// of the value fiber; project = G1x1SE3 (self-interaction '1x1') or GAttentiveSelfInt ('att').
struct GSE3Res {
  Fiber f_in, f_out, f_mid_out, f_mid_in;
  int n_heads = 1;
  bool attentive = false;
  GConvSE3Partial v, k;
  G1x1SE3 q;
  G1x1SE3 project_1x1;
  GAttentiveSelfInt project_att;
  GSE3Res() = default;
  GSE3Res(const Weights& w, const std::string& prefix, const Fiber& f_in, const Fiber& f_out, int div, int n_heads,
          bool attentive);
  // trace_name: prefix for trace entries ("Gblock.0"); trace may be null.
  Features forward(const Features& h, const Graph& g, const EdgeGeometry& geo, Se3Trace* trace = nullptr,
                   const std::string& trace_name = "") const;
};

}  // namespace trifold::model::se3
