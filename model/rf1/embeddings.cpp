// RoseTTAFold v1 input embeddings: MSA_emb, Templ_emb (PE on template 0 only), Pair_emb_w_templ.
#include <cmath>
#include <cstring>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {

Tensor msa_emb(const Weights& w, const std::vector<int32_t>& msa, int64_t n, int64_t l, const std::vector<int32_t>& idx) {
  TRIFOLD_CHECK(static_cast<int64_t>(idx.size()) == l, "msa_emb: idx length");
  Tensor x = cpu::embedding(w.get("msa_emb.emb.weight"), msa, {n, l});
  const Tensor& pe = w.get("msa_emb.pos.pe");  // [1, max_len, d]
  const Tensor& q = w.get("msa_emb.pos_q.pe.weight");  // [2, d]: 0 = query row, 1 = others
  const int64_t d = x.dim(2), max_len = pe.dim(1);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t i = 0; i < l; ++i) {
      TRIFOLD_CHECK(idx[static_cast<size_t>(i)] >= 0 && idx[static_cast<size_t>(i)] < max_len,
                    "msa_emb: residue index " + std::to_string(idx[static_cast<size_t>(i)]) + " beyond the PE table");
      float* dst = x.data() + (s * l + i) * d;
      const float* pr = pe.data() + idx[static_cast<size_t>(i)] * d;
      const float* qr = q.data() + (s == 0 ? 0 : d);
      for (int64_t c = 0; c < d; ++c) dst[c] = (dst[c] + pr[c]) + qr[c];
    }
  return x;
}

void add_pos_2d(Tensor& x, const Tensor& div_term, const std::vector<int32_t>& idx) {
  const int64_t l = x.dim(0), d = x.dim(2), half = d / 2, nf = div_term.numel();
  TRIFOLD_CHECK(2 * nf == half, "add_pos_2d: div_term size " + std::to_string(nf) + " for d " + std::to_string(d));
  std::vector<float> emb(static_cast<size_t>(l * half));  // [sin(idx·f_k) (nf), cos(idx·f_k) (nf)]
  for (int64_t i = 0; i < l; ++i)
    for (int64_t k = 0; k < nf; ++k) {
      const float arg = static_cast<float>(idx[static_cast<size_t>(i)]) * div_term[k];
      emb[static_cast<size_t>(i * half + k)] = static_cast<float>(std::sin(static_cast<double>(arg)));
      emb[static_cast<size_t>(i * half + nf + k)] = static_cast<float>(std::cos(static_cast<double>(arg)));
    }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j) {
      float* dst = x.data() + (i * l + j) * d;
      for (int64_t c = 0; c < half; ++c) dst[c] += emb[static_cast<size_t>(i * half + c)];
      for (int64_t c = 0; c < half; ++c) dst[half + c] += emb[static_cast<size_t>(j * half + c)];
    }
}

Tensor template_pair_features(const Tensor& t1d, const Tensor& t2d, int64_t t, const std::vector<float>& sep) {
  const int64_t l = t1d.dim(1), c1 = t1d.dim(2), c2 = t2d.dim(3);
  const int64_t cf = c2 + 2 * c1 + 1;
  Tensor feat({l, l, cf});
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j) {
      float* dst = feat.data() + (i * l + j) * cf;
      std::memcpy(dst, t2d.data() + ((t * l + i) * l + j) * c2, sizeof(float) * static_cast<size_t>(c2));
      std::memcpy(dst + c2, t1d.data() + (t * l + i) * c1, sizeof(float) * static_cast<size_t>(c1));
      std::memcpy(dst + c2 + c1, t1d.data() + (t * l + j) * c1, sizeof(float) * static_cast<size_t>(c1));
      dst[cf - 1] = sep[static_cast<size_t>(i * l + j)];
    }
  return feat;
}

Tensor templ_emb(const Weights& w, const Tensor& t1d, const Tensor& t2d, const std::vector<int32_t>& idx, const Tap& tap) {
  TRIFOLD_CHECK(t1d.ndim() == 3 && t2d.ndim() == 4, "templ_emb: t1d [T, L, 3] and t2d [T, L, L, 10] expected");
  const int64_t nt = t1d.dim(0), l = t1d.dim(1);
  TRIFOLD_CHECK(t2d.dim(0) == nt && t2d.dim(1) == l && t2d.dim(2) == l, "templ_emb: t1d/t2d shapes disagree");
  const std::vector<float> sep = log_seqsep(idx);
  const Tensor& div = w.get("templ_emb.pos.div_term");
  std::vector<Tensor> per_t;
  for (int64_t t = 0; t < nt; ++t) {
    const Tensor feat = template_pair_features(t1d, t2d, t, sep);
    Tensor x = linear(w, "templ_emb.proj", feat);
    // Reference quirk: PositionalEncoding2D loops over the batch (B = 1), so only template 0 gets the PE.
    if (t == 0) add_pos_2d(x, div, idx);
    x = axial_encoder_layer(w, "templ_emb.encoder_L.layers.0", x);
    if (tap && t == 0) tap("templ_emb.encoder_L.layers.0/out0", x);
    per_t.push_back(std::move(x));
  }
  // Pointwise attention over templates: softmax_T(to_attn(LN(feat))) weighted sum.
  const int64_t d = per_t[0].dim(2);
  std::vector<Tensor> logit;
  for (int64_t t = 0; t < nt; ++t)
    logit.push_back(linear(w, "templ_emb.to_attn", layer_norm(w, "templ_emb.norm", per_t[static_cast<size_t>(t)])));
  Tensor out({l, l, d});
#pragma omp parallel for schedule(static)
  for (int64_t ij = 0; ij < l * l; ++ij) {
    float mx = -INFINITY;
    for (int64_t t = 0; t < nt; ++t) mx = std::max(mx, logit[static_cast<size_t>(t)][ij]);
    std::vector<float> a(static_cast<size_t>(nt));
    float s = 0.0f;
    for (int64_t t = 0; t < nt; ++t) s += (a[static_cast<size_t>(t)] = std::exp(logit[static_cast<size_t>(t)][ij] - mx));
    for (int64_t t = 0; t < nt; ++t) a[static_cast<size_t>(t)] /= s;
    float* dst = out.data() + ij * d;
    for (int64_t c = 0; c < d; ++c) {
      float acc = 0.0f;
      for (int64_t t = 0; t < nt; ++t) acc += a[static_cast<size_t>(t)] * per_t[static_cast<size_t>(t)][ij * d + c];
      dst[c] = acc;
    }
  }
  return out;
}

Tensor pair_emb(const Weights& w, const std::vector<int32_t>& seq, const std::vector<int32_t>& idx, const Tensor& templ) {
  const int64_t l = static_cast<int64_t>(seq.size());
  Tensor e = cpu::embedding(w.get("pair_emb.emb.weight"), seq, {l});  // [L, d/2]
  const int64_t de = e.dim(1);
  Tensor tn = layer_norm(w, "pair_emb.norm_templ", templ);
  const int64_t dt = tn.dim(2), cf = 2 * de + 1 + dt;
  const std::vector<float> sep = log_seqsep(idx);
  Tensor feat({l, l, cf});
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j) {
      float* dst = feat.data() + (i * l + j) * cf;
      std::memcpy(dst, e.data() + i * de, sizeof(float) * static_cast<size_t>(de));
      std::memcpy(dst + de, e.data() + j * de, sizeof(float) * static_cast<size_t>(de));
      dst[2 * de] = sep[static_cast<size_t>(i * l + j)];
      std::memcpy(dst + 2 * de + 1, tn.data() + (i * l + j) * dt, sizeof(float) * static_cast<size_t>(dt));
    }
  Tensor pair = linear(w, "pair_emb.projection", feat);
  add_pos_2d(pair, w.get("pair_emb.pos.div_term"), idx);
  return pair;
}

}  // namespace trifold::model::rf1
