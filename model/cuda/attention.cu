// CUDA RoseTTAFold fused ops: device weights, Linear/LayerNorm/FeedForward by prefix, Performer (ReLU kernel),
// sequence weights, soft-tied row attention, Pair2MSA direct attention and the MSA2Pair outer product.
// Each mirrors model/rf1/attention.cpp / blocks.cpp step by step (same layouts, same reduction order where the
// CPU has a fixed one; cuBLAS replaces OpenBLAS for the products).
#include <cmath>
#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"
#include "model/cuda/net_ops.hpp"
#include "model/cuda/rf1.hpp"

namespace trifold::model::cuda {
namespace {

#define TRIFOLD_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void relu_eps_kernel(float* p, int64_t n) {
  TRIFOLD_GRID_STRIDE(i, n) p[i] = (p[i] > 0.0f ? p[i] : 0.0f) + 1e-3f;
}

// ks[b, h, c] = Σ_r kf[b, r, h, c] (r ascending, fp32: the CPU's order).
__global__ void performer_ksum_kernel(const float* kf, float* ks, int64_t bsz, int64_t n, int64_t heads, int64_t m) {
  TRIFOLD_GRID_STRIDE(t, bsz * heads * m) {
    const int64_t c = t % m, h = (t / m) % heads, b = t / (m * heads);
    const float* kb = kf + b * n * heads * m + h * m + c;
    float s = 0.0f;
    for (int64_t r = 0; r < n; ++r) s += kb[r * heads * m];
    ks[t] = s;
  }
}

// out[b, r, h·dk + c] /= Σ_c' qf[b, r, h, c']·ks[b, h, c'].
__global__ void performer_norm_kernel(const float* qf, const float* ks, float* out, int64_t bsz, int64_t n,
                                      int64_t heads, int64_t m, int64_t dk) {
  TRIFOLD_GRID_STRIDE(t, bsz * n * heads) {
    const int64_t h = t % heads, b = t / (n * heads);
    const float* q = qf + t * m;  // rows (b, r, h) are contiguous blocks of m
    const float* k = ks + (b * heads + h) * m;
    float den = 0.0f;
    for (int64_t c = 0; c < m; ++c) den += q[c] * k[c];
    const float inv = 1.0f / den;
    float* o = out + (t / heads) * heads * dk + h * dk;
    for (int64_t c = 0; c < dk; ++c) o[c] *= inv;
  }
}

// logits[i, h, s] = Σ_c q[i, h dk + c]·k[s, i, h dk + c].
__global__ void seqweight_logits_kernel(const float* q, const float* k, float* logits, int64_t n, int64_t l,
                                        int64_t heads, int64_t dk) {
  TRIFOLD_GRID_STRIDE(t, l * heads * n) {
    const int64_t s = t % n, h = (t / n) % heads, i = t / (n * heads);
    const int64_t d = heads * dk;
    const float* qp = q + i * d + h * dk;
    const float* kp = k + (s * l + i) * d + h * dk;
    float acc = 0.0f;
    for (int64_t c = 0; c < dk; ++c) acc += qp[c] * kp[c];
    logits[t] = acc;
  }
}

// Head-major copies for tied attention: qh[h][i][(s, c)] = q[s,i,h,c]·sw[i,h,s]; kh = k·scale; vh = v.
__global__ void tied_heads_kernel(const float* q, const float* k, const float* v, const float* sw, float* qh,
                                  float* kh, float* vh, int64_t n, int64_t l, int64_t heads, int64_t dk, float scale) {
  TRIFOLD_GRID_STRIDE(t, heads * l * n * dk) {
    const int64_t c = t % dk, s = (t / dk) % n, i = (t / (dk * n)) % l, h = t / (dk * n * l);
    const int64_t src = (s * l + i) * heads * dk + h * dk + c;
    qh[t] = q[src] * sw[(i * heads + h) * n + s];
    kh[t] = k[src] * scale;
    vh[t] = v[src];
  }
}

// att[i, j, h0 + h] = ½(a[h, i, j] + a[h, j, i]) for the nh heads of a group (att has `heads` channels).
__global__ void symmetrize_kernel(const float* a, float* att, int64_t l, int64_t nh, int64_t heads, int64_t h0) {
  TRIFOLD_GRID_STRIDE(t, l * l * nh) {
    const int64_t h = t % nh, j = (t / nh) % l, i = t / (nh * l);
    att[(i * l + j) * heads + h0 + h] = 0.5f * (a[(h * l + i) * l + j] + a[(h * l + j) * l + i]);
  }
}

// o[s, i, (h0 + h)·dk + c] = oh[h, i, s, c] for the nh heads of a group (o [N, L, heads·dk]).
__global__ void tied_out_kernel(const float* oh, float* o, int64_t n, int64_t l, int64_t nh, int64_t heads,
                                int64_t dk, int64_t h0) {
  TRIFOLD_GRID_STRIDE(t, nh * l * n * dk) {
    const int64_t c = t % dk, s = (t / dk) % n, i = (t / (dk * n)) % l, h = t / (dk * n * l);
    o[((s * l + i) * heads + h0 + h) * dk + c] = oh[t];
  }
}

// co[(i0 + i), j, a P + b] = tmp[(i P + a), (j P + b)] for the ni rows of one chunk.
__global__ void outer_scatter_kernel(const float* tmp, float* co, int64_t i0, int64_t ni, int64_t l, int64_t p) {
  TRIFOLD_GRID_STRIDE(t, ni * l * p * p) {
    const int64_t b = t % p, a = (t / p) % p, j = (t / (p * p)) % l, i = t / (p * p * l);
    co[((i0 + i) * l + j) * p * p + a * p + b] = tmp[(i * p + a) * l * p + j * p + b];
  }
}

void launch_check_ctx(const Context& ctx, const DeviceTensor& t, const char* op) { same_context(ctx, t, op); }

}  // namespace

// ------------------------------------------------------------------------------------------ DeviceWeights
DeviceWeights::DeviceWeights(const Context& ctx, const std::map<std::string, Tensor>& tensors,
                             const std::string& prefix) {
  for (const auto& [name, t] : tensors)
    if (name.compare(0, prefix.size(), prefix) == 0) t_.emplace(name, DeviceTensor::upload(ctx, t));
}

const DeviceTensor& DeviceWeights::get(const std::string& name) const {
  auto it = t_.find(name);
  if (it == t_.end()) throw InputError("weights: no tensor '" + name + "' on the device");
  return it->second;
}

const DeviceTensor* DeviceWeights::find(const std::string& name) const {
  auto it = t_.find(name);
  return it == t_.end() ? nullptr : &it->second;
}

// ------------------------------------------------------------------------------------------ small layers
DeviceTensor linear(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  return linear(ctx, x, w.get(p + ".weight"), w.find(p + ".bias"));
}

DeviceTensor layer_norm(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  return layer_norm(ctx, x, w.get(p + ".a_2"), w.get(p + ".b_2"), 1e-5f);
}

DeviceTensor feed_forward(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  // The whole hidden layer at once (the CPU blocks rows by 4096 only to bound host memory; results are equal).
  DeviceTensor h = linear(ctx, x, w.get(p + ".linear1.weight"), w.find(p + ".linear1.bias"));
  relu_(ctx, h);
  return linear(ctx, h, w.get(p + ".linear2.weight"), w.find(p + ".linear2.bias"));
}

// ------------------------------------------------------------------------------------------ Performer
DeviceTensor performer_attention(const Context& ctx, const DeviceTensor& q, const DeviceTensor& k,
                                 const DeviceTensor& v, const DeviceTensor& proj) {
  for (const DeviceTensor* t : {&q, &k, &v, &proj}) launch_check_ctx(ctx, *t, "performer_attention");
  TRIFOLD_CHECK(q.ndim() == 3 && q.shape() == k.shape() && q.shape() == v.shape(),
                "performer: q/k/v must be equal [B, n, d], got " + shape_str(q.shape()) + ", " + shape_str(k.shape()) +
                    ", " + shape_str(v.shape()));
  TRIFOLD_CHECK(proj.ndim() == 2, "performer: projection matrix must be [m, d_k], got " + shape_str(proj.shape()));
  const int64_t bsz = q.dim(0), n = q.dim(1), d = q.dim(2), m = proj.dim(0), dk = proj.dim(1);
  TRIFOLD_CHECK(dk > 0 && d % dk == 0, "performer: d_k " + std::to_string(dk) + " does not divide " + std::to_string(d));
  const int64_t heads = d / dk, rows = bsz * n * heads;
  cudaStream_t s = stream_of(ctx);
  const float norm = static_cast<float>(std::pow(static_cast<double>(dk), -0.25));
  DeviceTensor qf(ctx, {bsz, n, heads, m}, false), kf(ctx, {bsz, n, heads, m}, false);
  gemm(ctx, false, true, rows, m, dk, norm, q.device_data(), dk, proj.device_data(), dk, 0.0f, qf.device_data(), m);
  gemm(ctx, false, true, rows, m, dk, norm, k.device_data(), dk, proj.device_data(), dk, 0.0f, kf.device_data(), m);
  DeviceTensor out(ctx, {bsz, n, d}, false);
  if (rows * m == 0) return DeviceTensor(ctx, {bsz, n, d}, true);
  relu_eps_kernel<<<grid_for(rows * m), 256, 0, s>>>(qf.device_data(), rows * m);
  TRIFOLD_CUDA_LAUNCH_CHECK(relu_eps_kernel, ctx);
  relu_eps_kernel<<<grid_for(rows * m), 256, 0, s>>>(kf.device_data(), rows * m);
  TRIFOLD_CUDA_LAUNCH_CHECK(relu_eps_kernel, ctx);
  DeviceTensor ks(ctx, {bsz, heads, m}, false), context(ctx, {bsz, heads, m, dk}, false);
  performer_ksum_kernel<<<grid_for(ks.numel()), 256, 0, s>>>(kf.device_data(), ks.device_data(), bsz, n, heads, m);
  TRIFOLD_CUDA_LAUNCH_CHECK(performer_ksum_kernel, ctx);
  const int64_t ld = heads * m;
  // context[b, h] (m × d_k) = phi(k)_bhᵀ · v_bh
  gemm_batched2(ctx, true, false, m, dk, n, 1.0f, kf.device_data(), ld, n * ld, m, v.device_data(), d, n * d, dk, 0.0f,
                context.device_data(), dk, heads * m * dk, m * dk, bsz, heads);
  // out_bh (n × d_k, row stride d) = phi(q)_bh · context[b, h]
  gemm_batched2(ctx, false, false, n, dk, m, 1.0f, qf.device_data(), ld, n * ld, m, context.device_data(), dk,
                heads * m * dk, m * dk, 0.0f, out.device_data(), d, n * d, dk, bsz, heads);
  performer_norm_kernel<<<grid_for(rows), 256, 0, s>>>(qf.device_data(), ks.device_data(), out.device_data(), bsz, n,
                                                       heads, m, dk);
  TRIFOLD_CUDA_LAUNCH_CHECK(performer_norm_kernel, ctx);
  return out;
}

DeviceTensor performer(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  TRIFOLD_CHECK(x.ndim() == 3, "performer: input must be [B, n, d], got " + shape_str(x.shape()));
  DeviceTensor q = linear(ctx, w, p + ".to_query", x);
  DeviceTensor k = linear(ctx, w, p + ".to_key", x);
  DeviceTensor v = linear(ctx, w, p + ".to_value", x);
  DeviceTensor o = performer_attention(ctx, q, k, v, w.get(p + ".fast_attention.projection_matrix"));
  return linear(ctx, w, p + ".to_out", o);
}

// ------------------------------------------------------------------------------------------ tied attention
namespace {

// A Linear of the weights `p` restricted to output features [c0, c0 + nc) (the whole layer when nc = out): the
// weight rows and bias entries of those features, copied (≤ d² floats).
DeviceTensor linear_cols(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x,
                         int64_t c0, int64_t nc) {
  const DeviceTensor& wt = w.get(p + ".weight");
  const DeviceTensor* b = w.find(p + ".bias");
  if (c0 == 0 && nc == wt.dim(0)) return linear(ctx, x, wt, b);
  const DeviceTensor ws = slice_rows(ctx, wt, c0, nc);
  if (!b) return linear(ctx, x, ws, nullptr);
  const DeviceTensor bs = slice_rows(ctx, *b, c0, nc);
  return linear(ctx, x, ws, &bs);
}

// SequenceWeight for heads [h0, h0 + nh) of `heads`: x [N, L, d] -> [L, nh, N].
DeviceTensor sequence_weight_heads(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                   const DeviceTensor& x, int heads, int64_t h0, int64_t nh) {
  launch_check_ctx(ctx, x, "sequence_weight");
  TRIFOLD_CHECK(x.ndim() == 3, "sequence_weight: input must be [N, L, d], got " + shape_str(x.shape()));
  const int64_t n = x.dim(0), l = x.dim(1), d = x.dim(2);
  TRIFOLD_CHECK(heads > 0 && d % heads == 0, "sequence_weight: heads do not divide d");
  const int64_t dk = d / heads;
  DeviceTensor x0(ctx, {l, d}, false);
  if (l * d > 0)
    TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(x0.device_data(), x.device_data(), static_cast<size_t>(l * d) * sizeof(float),
                                       cudaMemcpyDeviceToDevice, stream_of(ctx)));
  DeviceTensor q = linear_cols(ctx, w, p + ".to_query", x0, h0 * dk, nh * dk);
  scale_(ctx, q, static_cast<float>(1.0 / std::sqrt(static_cast<double>(dk))));
  DeviceTensor k = linear_cols(ctx, w, p + ".to_key", x, h0 * dk, nh * dk);
  DeviceTensor logits(ctx, {l, nh, n}, false);
  if (logits.numel() > 0) {
    seqweight_logits_kernel<<<grid_for(logits.numel()), 256, 0, stream_of(ctx)>>>(
        q.device_data(), k.device_data(), logits.device_data(), n, l, nh, dk);
    TRIFOLD_CUDA_LAUNCH_CHECK(seqweight_logits_kernel, ctx);
  }
  return softmax(ctx, logits, -1);
}

}  // namespace

DeviceTensor sequence_weight(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x,
                             int heads) {
  return sequence_weight_heads(ctx, w, p, x, heads, 0, heads);
}

DeviceTensor soft_tied_attention(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                 const DeviceTensor& x, int heads, DeviceTensor* att) {
  return soft_tied_attention_grouped(ctx, w, p, x, heads, att, 0);
}

DeviceTensor soft_tied_attention_grouped(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                         const DeviceTensor& x, int heads, DeviceTensor* att, int64_t head_group) {
  TRIFOLD_CHECK(x.ndim() == 3, "soft_tied_attention: input must be [N, L, d], got " + shape_str(x.shape()));
  const int64_t n = x.dim(0), l = x.dim(1), d = x.dim(2);
  TRIFOLD_CHECK(heads > 0 && d % heads == 0, "soft_tied_attention: heads do not divide d");
  const int64_t dk = d / heads, nk = n * dk, group = tied_group(heads, head_group);
  cudaStream_t s = stream_of(ctx);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dk)));
  // Heads are independent up to to_out (model/rf1/attention.cpp, same groups): q, k, v, the sequence weights and
  // the head-major copies exist for one group of heads at a time.
  DeviceTensor o(ctx, {n, l, d}, false);
  if (att) *att = DeviceTensor(ctx, {l, l, heads}, false);
  for (int64_t h0 = 0; h0 < heads; h0 += group) {
    const int64_t nh = std::min(group, heads - h0), dg = nh * dk;
    DeviceTensor sw = sequence_weight_heads(ctx, w, p + ".seq_weight", x, heads, h0, nh);  // [L, nh, N]
    DeviceTensor q = linear_cols(ctx, w, p + ".to_query", x, h0 * dk, dg);
    DeviceTensor k = linear_cols(ctx, w, p + ".to_key", x, h0 * dk, dg);
    DeviceTensor v = linear_cols(ctx, w, p + ".to_value", x, h0 * dk, dg);
    DeviceTensor qh(ctx, {nh, l, nk}, false), kh(ctx, {nh, l, nk}, false), vh(ctx, {nh, l, nk}, false);
    if (qh.numel() > 0) {
      tied_heads_kernel<<<grid_for(qh.numel()), 256, 0, s>>>(q.device_data(), k.device_data(), v.device_data(),
                                                             sw.device_data(), qh.device_data(), kh.device_data(),
                                                             vh.device_data(), n, l, nh, dk, scale);
      TRIFOLD_CUDA_LAUNCH_CHECK(tied_heads_kernel, ctx);
    }
    q = DeviceTensor();
    k = DeviceTensor();
    v = DeviceTensor();
    sw = DeviceTensor();
    DeviceTensor a(ctx, {nh, l, l}, true);
    if (nk > 0)
      gemm_strided_batched(ctx, false, true, l, l, nk, 1.0f, qh.device_data(), nk, l * nk, kh.device_data(), nk,
                           l * nk, 0.0f, a.device_data(), l, l * l, nh);
    kh = DeviceTensor();
    a = softmax(ctx, a, -1);
    // out_h[i, (s, c)] = Σ_j A[h, i, j] v[s, j, h, c]  (qh reused as the output buffer)
    if (l > 0)
      gemm_strided_batched(ctx, false, false, l, nk, l, 1.0f, a.device_data(), l, l * l, vh.device_data(), nk,
                           l * nk, 0.0f, qh.device_data(), nk, l * nk, nh);
    vh = DeviceTensor();
    if (qh.numel() > 0) {
      tied_out_kernel<<<grid_for(qh.numel()), 256, 0, s>>>(qh.device_data(), o.device_data(), n, l, nh, heads, dk, h0);
      TRIFOLD_CUDA_LAUNCH_CHECK(tied_out_kernel, ctx);
    }
    if (att && l > 0) {
      symmetrize_kernel<<<grid_for(l * l * nh), 256, 0, s>>>(a.device_data(), att->device_data(), l, nh, heads, h0);
      TRIFOLD_CUDA_LAUNCH_CHECK(symmetrize_kernel, ctx);
    }
  }
  return linear(ctx, w, p + ".to_out", o);
}

// ------------------------------------------------------------------------------------------ direct attention
DeviceTensor direct_attention_probs(const Context& ctx, const DeviceTensor& logits) {
  TRIFOLD_CHECK(logits.ndim() == 3 && logits.dim(0) == logits.dim(1),
                "direct_attention: logits must be [L, L, H], got " + shape_str(logits.shape()));
  DeviceTensor a = softmax(ctx, logits, 0);  // over i
  return permute(ctx, a, {2, 0, 1});          // [H, i, j]
}

DeviceTensor direct_attention_apply(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                    const DeviceTensor& probs, const DeviceTensor& msa) {
  TRIFOLD_CHECK(msa.ndim() == 3 && probs.ndim() == 3 && probs.dim(1) == msa.dim(1) && probs.dim(2) == msa.dim(1),
                "direct_attention: probabilities " + shape_str(probs.shape()) + " for msa " + shape_str(msa.shape()));
  const int64_t n = msa.dim(0), l = msa.dim(1), d = msa.dim(2), heads = probs.dim(0);
  TRIFOLD_CHECK(heads > 0 && d % heads == 0, "direct_attention: heads do not divide d");
  DeviceTensor v = linear(ctx, w, p + ".proj_msa", msa);  // [N, L, d], channel c = c'·H + h
  const int64_t dh = d / heads, cols = n * dh;
  v.reshape({n, l, dh, heads});
  DeviceTensor vh = permute(ctx, v, {3, 1, 0, 2});  // [H, L, N, dh]
  v = DeviceTensor();
  DeviceTensor oh(ctx, {heads, l, n, dh}, true);
  if (cols > 0 && l > 0)
    gemm_strided_batched(ctx, true, false, l, cols, l, 1.0f, probs.device_data(), l, l * l, vh.device_data(), cols,
                         l * cols, 0.0f, oh.device_data(), cols, l * cols, heads);
  vh = DeviceTensor();
  DeviceTensor o = permute(ctx, oh, {2, 1, 3, 0});  // [N, L, dh, H]
  oh = DeviceTensor();
  o.reshape({n, l, d});
  return linear(ctx, w, p + ".proj_out", o);
}

DeviceTensor direct_attention(const Context& ctx, const DeviceWeights& w, const std::string& p,
                              const DeviceTensor& pair, const DeviceTensor& msa) {
  TRIFOLD_CHECK(msa.ndim() == 3 && pair.ndim() == 3 && pair.dim(0) == msa.dim(1) && pair.dim(1) == msa.dim(1),
                "direct_attention: pair " + shape_str(pair.shape()) + " and msa " + shape_str(msa.shape()));
  DeviceTensor probs = direct_attention_probs(ctx, linear(ctx, w, p + ".proj_pair", pair));
  return direct_attention_apply(ctx, w, p, probs, msa);
}

// ------------------------------------------------------------------------------------------ outer product
DeviceTensor outer_product(const Context& ctx, const DeviceTensor& xd, const DeviceTensor& xw) {
  TRIFOLD_CHECK(xd.ndim() == 3, "outer_product: xd must be [N, L, P], got " + shape_str(xd.shape()));
  return outer_product_rows(ctx, xd, xw, 0, xd.dim(1));
}

DeviceTensor outer_product_rows(const Context& ctx, const DeviceTensor& xd, const DeviceTensor& xw, int64_t i_begin,
                                int64_t n_rows) {
  launch_check_ctx(ctx, xd, "outer_product");
  launch_check_ctx(ctx, xw, "outer_product");
  TRIFOLD_CHECK(xd.ndim() == 3 && xd.shape() == xw.shape(),
                "outer_product: xd " + shape_str(xd.shape()) + " and xw " + shape_str(xw.shape()) + " must be equal [N, L, P]");
  const int64_t n = xd.dim(0), l = xd.dim(1), p = xd.dim(2), pp = p * p;
  TRIFOLD_CHECK(i_begin >= 0 && n_rows >= 0 && i_begin + n_rows <= l, "outer_product: rows out of range");
  DeviceTensor co(ctx, {n_rows, l, pp}, n == 0);
  if (n == 0 || n_rows == 0 || l == 0 || p == 0) return co;
  // Blocks of query residues i: tmp[(i, a), (j, b)] = Σ_n xd[n, i, a] xw[n, j, b] is one GEMM (as the CPU), then
  // scattered to co[i − i_begin, j, a P + b]. The chunk bounds the scratch to ~64 M floats.
  const int64_t per_i = p * l * p;
  const int64_t chunk =
      std::max<int64_t>(1, std::min<int64_t>(n_rows, (int64_t(64) << 20) / std::max<int64_t>(1, per_i)));
  DeviceTensor tmp(ctx, {chunk * per_i}, false);
  for (int64_t i0 = i_begin; i0 < i_begin + n_rows; i0 += chunk) {
    const int64_t ni = std::min(chunk, i_begin + n_rows - i0);
    gemm(ctx, true, false, ni * p, l * p, n, 1.0f, xd.device_data() + i0 * p, l * p, xw.device_data(), l * p, 0.0f,
         tmp.device_data(), l * p);
    outer_scatter_kernel<<<grid_for(ni * per_i), 256, 0, stream_of(ctx)>>>(tmp.device_data(), co.device_data(),
                                                                           i0 - i_begin, ni, l, p);
    TRIFOLD_CUDA_LAUNCH_CHECK(outer_scatter_kernel, ctx);
  }
  return co;
}

}  // namespace trifold::model::cuda
