// RoseTTAFold v1 attention variants: Performer (ReLU kernel), sequence weights, soft-tied row attention and
// Pair2MSA direct attention with interleaved heads.
#include <cmath>
#include <algorithm>
#include <cstring>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {

Tensor performer(const Weights& w, const std::string& p, const Tensor& x) {
  TRIFOLD_CHECK(x.ndim() == 3, "performer: input must be [B, n, d], got " + shape_str(x.shape()));
  const Tensor& proj = w.get(p + ".fast_attention.projection_matrix");  // [m, d_k]
  const int64_t bsz = x.dim(0), n = x.dim(1), d = x.dim(2), m = proj.dim(0), dk = proj.dim(1);
  TRIFOLD_CHECK(d % dk == 0, "performer: d_k " + std::to_string(dk) + " does not divide " + std::to_string(d));
  const int64_t heads = d / dk;
  Tensor q = linear(w, p + ".to_query", x);
  Tensor k = linear(w, p + ".to_key", x);
  Tensor v = linear(w, p + ".to_value", x);
  Tensor out({bsz, n, d});
  // Generalized kernel: phi(x) = relu(d_k^-1/4 · x Pᵀ) + 1e-3 on q and k (no softmax, no max subtraction).
  // q viewed as [B·n·heads, d_k] rows (heads contiguous), so phi of every head is ONE gemm -> [B, n, heads, m].
  const float norm = static_cast<float>(std::pow(static_cast<double>(dk), -0.25));
  const int64_t rows = bsz * n * heads;
  std::vector<float> qf(static_cast<size_t>(rows * m)), kf(qf.size());
  cpu::gemm(false, true, rows, m, dk, norm, q.data(), dk, proj.data(), dk, 0.0f, qf.data(), m);
  cpu::gemm(false, true, rows, m, dk, norm, k.data(), dk, proj.data(), dk, 0.0f, kf.data(), m);
  q = Tensor();
  k = Tensor();
  const int64_t nf = rows * m;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < nf; ++i) {
    qf[static_cast<size_t>(i)] = (qf[static_cast<size_t>(i)] > 0.0f ? qf[static_cast<size_t>(i)] : 0.0f) + 1e-3f;
    kf[static_cast<size_t>(i)] = (kf[static_cast<size_t>(i)] > 0.0f ? kf[static_cast<size_t>(i)] : 0.0f) + 1e-3f;
  }
  // Per (sequence, head): context[m, d_k] = Σ_n phi(k_n) v_nᵀ; out_i = phi(q_i)·context / phi(q_i)·Σ_n phi(k_n).
  // Many small independent GEMMs: spread them over OpenMP threads with single-threaded BLAS.
  {
    cpu::keep_blas_single_threaded();
    const int64_t ld = heads * m;
#pragma omp parallel
    {
      std::vector<float> ctx(static_cast<size_t>(m * dk)), ks(static_cast<size_t>(m));
#pragma omp for schedule(static)
      for (int64_t bh = 0; bh < bsz * heads; ++bh) {
        const int64_t b = bh / heads, h = bh % heads;
        const float* kb = kf.data() + b * n * ld + h * m;
        const float* qb = qf.data() + b * n * ld + h * m;
        std::fill(ks.begin(), ks.end(), 0.0f);
        for (int64_t r = 0; r < n; ++r)
          for (int64_t c = 0; c < m; ++c) ks[static_cast<size_t>(c)] += kb[r * ld + c];
        cpu::gemm(true, false, m, dk, n, 1.0f, kb, ld, v.data() + b * n * d + h * dk, d, 0.0f, ctx.data(), dk);
        float* o = out.data() + b * n * d + h * dk;
        cpu::gemm(false, false, n, dk, m, 1.0f, qb, ld, ctx.data(), dk, 0.0f, o, d);
        for (int64_t r = 0; r < n; ++r) {
          float den = 0.0f;
          for (int64_t c = 0; c < m; ++c) den += qb[r * ld + c] * ks[static_cast<size_t>(c)];
          const float inv = 1.0f / den;
          for (int64_t c = 0; c < dk; ++c) o[r * d + c] *= inv;
        }
      }
    }
  }
  return linear(w, p + ".to_out", out);
}

namespace {

// Rows [r0, r0 + n) of a weight [out, in] (or entries of a bias [out]).
Tensor weight_rows(const Tensor& t, int64_t r0, int64_t n) { return slice_rows(t, r0, n); }

// A Linear of the weights `p` restricted to output features [c0, c0 + nc) (all of them when nc = out).
Tensor linear_cols(const Weights& w, const std::string& p, const Tensor& x, int64_t c0, int64_t nc) {
  const Tensor& wt = w.get(p + ".weight");
  const std::string bn = p + ".bias";
  const Tensor* b = w.has(bn) ? &w.get(bn) : nullptr;
  if (c0 == 0 && nc == wt.dim(0)) return cpu::linear(x, wt, b);
  const Tensor ws = weight_rows(wt, c0, nc);
  if (!b) return cpu::linear(x, ws, nullptr);
  const Tensor bs = weight_rows(*b, c0, nc);
  return cpu::linear(x, ws, &bs);
}

// SequenceWeight for heads [h0, h0 + nh) of `heads` (the head's channels only): -> [L, nh, N].
Tensor sequence_weight_heads(const Weights& w, const std::string& p, const Tensor& x, int heads, int64_t h0,
                             int64_t nh) {
  TRIFOLD_CHECK(x.ndim() == 3, "sequence_weight: input must be [N, L, d]");
  const int64_t n = x.dim(0), l = x.dim(1), d = x.dim(2), dk = d / heads, dg = nh * dk;
  Tensor x0({l, d}, std::vector<float>(x.data(), x.data() + l * d));
  Tensor q = linear_cols(w, p + ".to_query", x0, h0 * dk, dg);  // [L, nh·dk]
  cpu::scale_(q, static_cast<float>(1.0 / std::sqrt(static_cast<double>(dk))));
  Tensor k = linear_cols(w, p + ".to_key", x, h0 * dk, dg);     // [N, L, nh·dk]
  Tensor logits({l, nh, n});
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < l; ++i)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t s = 0; s < n; ++s) {
        const float* qp = q.data() + i * dg + h * dk;
        const float* kp = k.data() + (s * l + i) * dg + h * dk;
        float acc = 0.0f;
        for (int64_t c = 0; c < dk; ++c) acc += qp[c] * kp[c];
        logits[(i * nh + h) * n + s] = acc;
      }
  return cpu::softmax(logits, -1);
}

}  // namespace

Tensor sequence_weight(const Weights& w, const std::string& p, const Tensor& x, int heads) {
  return sequence_weight_heads(w, p, x, heads, 0, heads);
}

Tensor soft_tied_attention(const Weights& w, const std::string& p, const Tensor& x, int heads, Tensor* att,
                           int64_t head_group) {
  const int64_t n = x.dim(0), l = x.dim(1), d = x.dim(2), dk = d / heads;
  TRIFOLD_CHECK(dk * heads == d, "soft_tied_attention: heads do not divide d");
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dk)));
  const int64_t nk = n * dk, group = tied_group(heads, head_group);
  // Heads are independent up to to_out: q, k, v, the sequence weights and the head-major copies exist for one
  // group of heads at a time (their channels [h0·dk, (h0 + nh)·dk) of the projections).
  Tensor o({n, l, d});
  if (att) *att = Tensor({l, l, heads});
  for (int64_t h0 = 0; h0 < heads; h0 += group) {
    const int64_t nh = std::min(group, heads - h0), dg = nh * dk;
    Tensor sw = sequence_weight_heads(w, p + ".seq_weight", x, heads, h0, nh);  // [L, nh, N]
    Tensor q = linear_cols(w, p + ".to_query", x, h0 * dk, dg);
    Tensor k = linear_cols(w, p + ".to_key", x, h0 * dk, dg);
    Tensor v = linear_cols(w, p + ".to_value", x, h0 * dk, dg);
    // Head-major copies: qh[h][i][(n, c)] = q[n,i,h,c]·w[i,h,n]; kh[h][j][(n, c)] = k[n,j,h,c]/sqrt(d_k).
    std::vector<float> qh(static_cast<size_t>(nh * l * nk)), kh(qh.size()), vh(qh.size());
#pragma omp parallel for schedule(static)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t i = 0; i < l; ++i)
        for (int64_t s = 0; s < n; ++s) {
          const float sw_ = sw[(i * nh + h) * n + s];
          const int64_t src = (s * l + i) * dg + h * dk;
          const size_t dst = static_cast<size_t>((h * l + i) * nk + s * dk);
          for (int64_t c = 0; c < dk; ++c) {
            qh[dst + static_cast<size_t>(c)] = q[src + c] * sw_;
            kh[dst + static_cast<size_t>(c)] = k[src + c] * scale;
            vh[dst + static_cast<size_t>(c)] = v[src + c];
          }
        }
    q = Tensor();
    k = Tensor();
    v = Tensor();
    Tensor a({nh, l, l});
    for (int64_t h = 0; h < nh; ++h)
      cpu::gemm(false, true, l, l, nk, 1.0f, qh.data() + h * l * nk, nk, kh.data() + h * l * nk, nk, 0.0f,
                a.data() + h * l * l, l);
    a = cpu::softmax(a, -1);
    // out_h[i, (n, c)] = Σ_j A[h,i,j] v[n,j,h,c]  (reuse qh as the output buffer).
    for (int64_t h = 0; h < nh; ++h)
      cpu::gemm(false, false, l, nk, l, 1.0f, a.data() + h * l * l, l, vh.data() + h * l * nk, nk, 0.0f,
                qh.data() + h * l * nk, nk);
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < l; ++i)
        for (int64_t h = 0; h < nh; ++h)
          std::memcpy(o.data() + (s * l + i) * d + (h0 + h) * dk, qh.data() + (h * l + i) * nk + s * dk,
                      sizeof(float) * static_cast<size_t>(dk));
    if (att)
      for (int64_t i = 0; i < l; ++i)
        for (int64_t j = 0; j < l; ++j)
          for (int64_t h = 0; h < nh; ++h)
            (*att)[(i * l + j) * heads + h0 + h] = 0.5f * (a[(h * l + i) * l + j] + a[(h * l + j) * l + i]);
  }
  return linear(w, p + ".to_out", o);
}

Tensor direct_attention_probs(const Tensor& logits) {
  TRIFOLD_CHECK(logits.ndim() == 3 && logits.dim(0) == logits.dim(1),
                "direct_attention: logits must be [L, L, H], got " + shape_str(logits.shape()));
  const int64_t l = logits.dim(0), heads = logits.dim(2);
  Tensor a = cpu::softmax(logits, 0);  // over i
  // Head-major attention A[h][i][j].
  Tensor ah({heads, l, l});
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j)
      for (int64_t h = 0; h < heads; ++h) ah[(h * l + i) * l + j] = a[(i * l + j) * heads + h];
  return ah;
}

Tensor direct_attention_apply(const Weights& w, const std::string& p, const Tensor& probs, const Tensor& msa) {
  const int64_t n = msa.dim(0), l = msa.dim(1), d = msa.dim(2), heads = probs.dim(0);
  TRIFOLD_CHECK(probs.ndim() == 3 && probs.dim(1) == l && probs.dim(2) == l && heads > 0 && d % heads == 0,
                "direct_attention: probabilities " + shape_str(probs.shape()) + " for msa " + shape_str(msa.shape()));
  const float* ah = probs.data();
  Tensor v = linear(w, p + ".proj_msa", msa);  // [N, L, d]
  // Interleaved heads: channel c = c'·H + h. vh[h][i][(n, c')] = v[n, i, c'·H + h].
  const int64_t dh = d / heads, cols = n * dh;
  std::vector<float> vh(static_cast<size_t>(heads * l * cols)), oh(vh.size());
#pragma omp parallel for schedule(static)
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < l; ++i)
      for (int64_t s = 0; s < n; ++s)
        for (int64_t c = 0; c < dh; ++c)
          vh[static_cast<size_t>((h * l + i) * cols + s * dh + c)] = v[(s * l + i) * d + c * heads + h];
  for (int64_t h = 0; h < heads; ++h)
    cpu::gemm(true, false, l, cols, l, 1.0f, ah + h * l * l, l, vh.data() + h * l * cols, cols, 0.0f,
              oh.data() + h * l * cols, cols);
  Tensor o({n, l, d});
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < n; ++s)
    for (int64_t j = 0; j < l; ++j)
      for (int64_t c = 0; c < dh; ++c)
        for (int64_t h = 0; h < heads; ++h)
          o[(s * l + j) * d + c * heads + h] = oh[static_cast<size_t>((h * l + j) * cols + s * dh + c)];
  return linear(w, p + ".proj_out", o);
}

Tensor direct_attention(const Weights& w, const std::string& p, const Tensor& pair, const Tensor& msa) {
  const int64_t l = msa.dim(1), d = msa.dim(2);
  TRIFOLD_CHECK(pair.ndim() == 3 && pair.dim(0) == l && pair.dim(1) == l,
                "direct_attention: pair " + shape_str(pair.shape()) + " and msa " + shape_str(msa.shape()));
  Tensor logits = linear(w, p + ".proj_pair", pair);  // [L(i), L(j), H]
  TRIFOLD_CHECK(d % logits.dim(2) == 0, "direct_attention: heads do not divide d");
  return direct_attention_apply(w, p, direct_attention_probs(logits), msa);
}

}  // namespace trifold::model::rf1
