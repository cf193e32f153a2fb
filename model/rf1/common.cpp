// RoseTTAFold v1 trunk: dimension inference and the small shared layers (Linear, LayerNorm, FeedForward).
#include <algorithm>
#include <cmath>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {

Dims Dims::infer(const Weights& w) {
  Dims d;
  d.d_msa = static_cast<int>(w.get("msa_emb.emb.weight").dim(1));
  d.d_pair = static_cast<int>(w.get("pair_emb.projection.weight").dim(0));
  d.d_templ = static_cast<int>(w.get("templ_emb.proj.weight").dim(0));
  d.d_hidden = static_cast<int>(w.get("feat_extractor.init_str.embed_x.0.weight").dim(0));
  auto heads = [&](const std::string& pm, int dim) {
    const int64_t dk = w.get(pm).dim(1);
    TRIFOLD_CHECK(dk > 0 && dim % dk == 0, "weights: " + pm + " does not divide " + std::to_string(dim));
    return static_cast<int>(dim / dk);
  };
  d.n_head_msa = heads("feat_extractor.iter_block_1.0.msa2msa.encoder_2.layers.0.attn.fast_attention.projection_matrix",
                       d.d_msa);
  d.n_head_pair = heads("feat_extractor.initial.encoder.layers.0.attn_L.fast_attention.projection_matrix", d.d_pair);
  d.n_head_templ = heads("templ_emb.encoder_L.layers.0.attn_L.fast_attention.projection_matrix", d.d_templ);
  while (w.has("feat_extractor.iter_block_1." + std::to_string(d.n_module) + ".msa2msa.encoder_1.layers.0.norm1.a_2"))
    ++d.n_module;
  return d;
}

Tensor linear(const Weights& w, const std::string& p, const Tensor& x) {
  const std::string b = p + ".bias";
  return cpu::linear(x, w.get(p + ".weight"), w.has(b) ? &w.get(b) : nullptr);
}

Tensor layer_norm(const Weights& w, const std::string& p, const Tensor& x) {
  return cpu::layer_norm(x, w.get(p + ".a_2"), w.get(p + ".b_2"), 1e-5f);
}

Tensor feed_forward(const Weights& w, const std::string& p, const Tensor& x) {
  // Rows are independent: process them in blocks so the r_ff-wide hidden layer never exists for the whole
  // MSA at once (4096 rows keep the GEMMs large enough to run at full speed).
  const Tensor& w1 = w.get(p + ".linear1.weight");
  const Tensor& w2 = w.get(p + ".linear2.weight");
  const Tensor* b1 = w.has(p + ".linear1.bias") ? &w.get(p + ".linear1.bias") : nullptr;
  const Tensor* b2 = w.has(p + ".linear2.bias") ? &w.get(p + ".linear2.bias") : nullptr;
  const int64_t d = x.dim(-1), hid = w1.dim(0), dout = w2.dim(0);
  const int64_t rows = d ? x.numel() / d : 0;
  constexpr int64_t kBlock = 4096;
  Shape s = x.shape();
  s.back() = dout;
  Tensor y(s);
  Tensor h({std::min(rows, kBlock), hid});
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
    const int64_t nr = std::min(kBlock, rows - r0);
    cpu::linear_into(x.data() + r0 * d, nr, d, w1, b1, h.data());
    float* hp = h.data();
    const int64_t nh = nr * hid;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nh; ++i) hp[i] = hp[i] > 0.0f ? hp[i] : 0.0f;
    cpu::linear_into(h.data(), nr, hid, w2, b2, y.data() + r0 * dout);
  }
  return y;
}

std::vector<float> signed_log_seqsep(const std::vector<int32_t>& idx) {
  const size_t l = idx.size();
  std::vector<float> out(l * l);
  for (size_t i = 0; i < l; ++i)
    for (size_t j = 0; j < l; ++j) {
      const float s = static_cast<float>(idx[j] - idx[i]);
      const float sign = s > 0 ? 1.0f : (s < 0 ? -1.0f : 0.0f);
      float v = std::log(std::fabs(s) + 1.0f);
      v = std::min(std::max(v, 0.0f), 5.5f);
      out[i * l + j] = sign * v;
    }
  return out;
}

std::vector<float> log_seqsep(const std::vector<int32_t>& idx) {
  const size_t l = idx.size();
  std::vector<float> out(l * l);
  for (size_t i = 0; i < l; ++i)
    for (size_t j = 0; j < l; ++j) out[i * l + j] = std::log(static_cast<float>(std::abs(idx[i] - idx[j]) + 1));
  return out;
}

}  // namespace trifold::model::rf1
