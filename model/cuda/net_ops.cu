// Network-level kernels of the e2e forward pass (see net_ops.hpp; each mirrors a CPU loop named there).
#include <cfloat>
#include <cmath>
#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"
#include "model/cuda/net_ops.hpp"

namespace trifold::model::cuda {
namespace {

#define TRIFOLD_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void msa_embed_kernel(const int32_t* tok, const int32_t* idx, const float* emb, const float* pe,
                                 const float* q, float* out, int64_t n, int64_t l, int64_t d) {
  TRIFOLD_GRID_STRIDE(t, n * l * d) {
    const int64_t c = t % d, si = t / d, i = si % l, s = si / l;
    out[t] = (emb[int64_t(tok[si]) * d + c] + pe[int64_t(idx[i]) * d + c]) + q[(s == 0 ? 0 : d) + c];
  }
}

__global__ void add_pos_2d_kernel(float* x, const float* emb, int64_t l, int64_t d) {
  const int64_t half = d / 2;
  TRIFOLD_GRID_STRIDE(t, l * l * d) {
    const int64_t c = t % d, ij = t / d, j = ij % l, i = ij / l;
    if (c >= 2 * half) continue;  // odd d: the last channel gets no PE (as the CPU); emb[j, half] would be out of row
    x[t] += c < half ? emb[i * half + c] : emb[j * half + (c - half)];
  }
}

__global__ void broadcast_pair_kernel(const float* x, float* out, int64_t l, int64_t d, bool rows) {
  TRIFOLD_GRID_STRIDE(t, l * l * d) {
    const int64_t c = t % d, ij = t / d, j = ij % l, i = ij / l;
    out[t] = x[(rows ? i : j) * d + c];
  }
}

__global__ void template_pool_kernel(const float* logit, const float* feat, float* out, int64_t nt, int64_t p,
                                     int64_t d) {
  TRIFOLD_GRID_STRIDE(t, p * d) {
    const int64_t c = t % d, ij = t / d;
    float mx = -INFINITY;
    for (int64_t s = 0; s < nt; ++s) mx = fmaxf(mx, logit[s * p + ij]);
    float sum = 0.0f;
    for (int64_t s = 0; s < nt; ++s) sum += expf(logit[s * p + ij] - mx);
    float acc = 0.0f;
    for (int64_t s = 0; s < nt; ++s) acc += (expf(logit[s * p + ij] - mx) / sum) * feat[(s * p + ij) * d + c];
    out[t] = acc;
  }
}

__global__ void symmetrize_kernel(const float* x, float* y, int64_t l, int64_t c) {
  TRIFOLD_GRID_STRIDE(t, l * l * c) {
    const int64_t k = t % c, ij = t / c, j = ij % l, i = ij / l;
    y[t] = 0.5f * (x[t] + x[(j * l + i) * c + k]);
  }
}

// One block per (target j, head h); scores in shared memory (L floats).
__global__ void transformer_conv_kernel(const float* q, const float* k, const float* v, const float* e, float* out,
                                        int64_t l, int64_t heads, int64_t c, float scale) {
  extern __shared__ float alpha[];
  __shared__ float red[32];
  const int64_t j = blockIdx.x / heads, h = blockIdx.x % heads, hc = heads * c;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  const float* qj = q + j * hc + h * c;
  for (int64_t i = warp; i < l; i += nwarps) {
    const float* ki = k + i * hc + h * c;
    const float* eij = e + (i * l + j) * hc + h * c;
    float s = 0.0f;
    for (int64_t t = lane; t < c; t += 32) s += qj[t] * (ki[t] + eij[t]);
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    if (lane == 0) alpha[i] = (i == j) ? -INFINITY : s * scale;
  }
  __syncthreads();
  // max
  float mx = -INFINITY;
  for (int64_t i = threadIdx.x; i < l; i += blockDim.x) mx = fmaxf(mx, alpha[i]);
  for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
  if (lane == 0) red[warp] = mx;
  __syncthreads();
  if (threadIdx.x == 0) {
    float m = -INFINITY;
    for (int w = 0; w < nwarps; ++w) m = fmaxf(m, red[w]);
    red[0] = m;
  }
  __syncthreads();
  mx = red[0];
  __syncthreads();
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < l; i += blockDim.x) {
    const float a = (i == j) ? 0.0f : expf(alpha[i] - mx);
    alpha[i] = a;
    sum += a;
  }
  for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
  if (lane == 0) red[warp] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    float s = 0.0f;
    for (int w = 0; w < nwarps; ++w) s += red[w];
    red[0] = s;
  }
  __syncthreads();
  const float inv = 1.0f / (red[0] + 1e-16f);
  float* oj = out + j * hc + h * c;
  for (int64_t t = threadIdx.x; t < c; t += blockDim.x) {
    float acc = oj[t];
    for (int64_t i = 0; i < l; ++i) {
      if (i == j) continue;
      acc += (alpha[i] * inv) * (v[i * hc + h * c + t] + e[(i * l + j) * hc + h * c + t]);
    }
    oj[t] = acc;
  }
}

__global__ void str2msa_logits_kernel(const float* q, const float* k, const float* ca, float* out, int64_t l,
                                      int64_t dk) {
  TRIFOLD_GRID_STRIDE(t, 4 * l * l) {
    const int64_t j = t % l, hi = t / l, i = hi % l, h = hi / l;
    const float cuts[4] = {8.0f, 12.0f, 16.0f, 20.0f};
    double dd = 0.0;
    for (int a = 0; a < 3; ++a) {
      const double x = double(ca[i * 3 + a]) - ca[j * 3 + a];
      dd += x * x;
    }
    const float dist = static_cast<float>(sqrt(dd));
    const float sig = 1.0f / (1.0f + expf(-(dist - cuts[h])));
    float s;
    if (1.0f - sig < 0.5f) {
      s = -FLT_MAX;
    } else {
      s = 0.0f;
      const float* qi = q + i * 4 * dk + h * dk;
      const float* kj = k + j * 4 * dk + h * dk;
      for (int64_t u = 0; u < dk; ++u) s += qi[u] * kj[u];
    }
    out[t] = s;
  }
}

__global__ void refine_edge_kernel(const float* e1, const float* ca, const int32_t* idx, float* out, int64_t b,
                                   int64_t l, int64_t de, bool shared_e1) {
  const int64_t dw = de + 37;
  TRIFOLD_GRID_STRIDE(r, b * l * l) {
    const int64_t j = r % l, bi = r / l, i = bi % l, bb = bi / l;
    float* o = out + r * dw;
    const float* src = e1 + ((shared_e1 ? 0 : bb * l * l) + i * l + j) * de;
    for (int64_t c = 0; c < de; ++c) o[c] = src[c];
    const float* ci = ca + (bb * l + i) * 3;
    const float* cj = ca + (bb * l + j) * 3;
    const double dx = double(ci[0]) - cj[0], dy = double(ci[1]) - cj[1], dz = double(ci[2]) - cj[2];
    const float dist = static_cast<float>(sqrt(dx * dx + dy * dy + dz * dz));
    const float sigma = 20.0f / 36;
    for (int kk = 0; kk < 36; ++kk) {
      const float mu = 20.0f * kk / 35;
      const float z = (dist - mu) / sigma;
      o[de + kk] = expf(-z * z);
    }
    const int64_t sep = int64_t(idx[bb * l + j]) - idx[bb * l + i];
    o[de + 36] = (sep == 1 || sep == -1) ? static_cast<float>(sep) : 0.0f;
  }
}

__global__ void edge_radial_kernel(const float* edge, const int32_t* rows, const float* r, float* out, int64_t ne,
                                   int64_t de) {
  const int64_t dw = de + 1;
  TRIFOLD_GRID_STRIDE(t, ne * dw) {
    const int64_t c = t % dw, e = t / dw;
    out[t] = c < de ? edge[int64_t(rows[e]) * de + c] : r[e];
  }
}

}  // namespace

DeviceTensor msa_embed(const Context& ctx, const DeviceTensor& emb, const DeviceTensor& pe, const DeviceTensor& q,
                       const std::vector<int32_t>& tokens, int64_t n, int64_t l, const std::vector<int32_t>& idx) {
  TRIFOLD_CHECK(emb.ndim() == 2 && pe.numel() % emb.dim(1) == 0 && q.numel() == 2 * emb.dim(1),
                "msa_embed: emb [V, d], pe [1, max_len, d], q [2, d] expected");
  TRIFOLD_CHECK(static_cast<int64_t>(tokens.size()) == n * l && static_cast<int64_t>(idx.size()) == l,
                "msa_embed: tokens [N·L] and idx [L] expected");
  const int64_t d = emb.dim(1), v = emb.dim(0), max_len = pe.numel() / d;
  for (int32_t t : tokens) TRIFOLD_CHECK(t >= 0 && t < v, "msa_embed: token " + std::to_string(t) + " out of range");
  for (int32_t i : idx)
    if (i < 0 || i >= max_len)
      throw InputError("msa_emb: residue index " + std::to_string(i) + " beyond the PE table");
  same_context(ctx, emb, "msa_embed");
  DeviceInts dt(ctx, tokens), di(ctx, idx);
  DeviceTensor out(ctx, {n, l, d}, false);
  msa_embed_kernel<<<grid_for(out.numel()), 256, 0, stream_of(ctx)>>>(dt.device_data(), di.device_data(),
                                                                      emb.device_data(), pe.device_data(),
                                                                      q.device_data(), out.device_data(), n, l, d);
  TRIFOLD_CUDA_LAUNCH_CHECK(msa_embed_kernel, ctx);
  return out;
}

void add_pos_2d(const Context& ctx, DeviceTensor& x, const DeviceTensor& emb) {
  TRIFOLD_CHECK(x.ndim() == 3 && x.dim(0) == x.dim(1) && emb.numel() == x.dim(0) * (x.dim(2) / 2),
                "add_pos_2d: x [L, L, d], emb [L, d/2] expected, got " + shape_str(x.shape()) + ", " +
                    shape_str(emb.shape()));
  same_context(ctx, x, "add_pos_2d");
  add_pos_2d_kernel<<<grid_for(x.numel()), 256, 0, stream_of(ctx)>>>(x.device_data(), emb.device_data(), x.dim(0),
                                                                     x.dim(2));
  TRIFOLD_CUDA_LAUNCH_CHECK(add_pos_2d_kernel, ctx);
}

DeviceTensor broadcast_pair(const Context& ctx, const DeviceTensor& x, bool rows) {
  TRIFOLD_CHECK(x.ndim() == 2, "broadcast_pair: x [L, d] expected, got " + shape_str(x.shape()));
  const int64_t l = x.dim(0), d = x.dim(1);
  DeviceTensor out(ctx, {l, l, d}, false);
  broadcast_pair_kernel<<<grid_for(out.numel()), 256, 0, stream_of(ctx)>>>(x.device_data(), out.device_data(), l, d,
                                                                           rows);
  TRIFOLD_CUDA_LAUNCH_CHECK(broadcast_pair_kernel, ctx);
  return out;
}

DeviceTensor template_pool(const Context& ctx, const DeviceTensor& logits, const DeviceTensor& feats) {
  TRIFOLD_CHECK(logits.ndim() == 2 && feats.ndim() == 3 && feats.dim(0) == logits.dim(0) &&
                    feats.dim(1) == logits.dim(1),
                "template_pool: logits [T, P], feats [T, P, d] expected");
  const int64_t nt = feats.dim(0), p = feats.dim(1), d = feats.dim(2);
  DeviceTensor out(ctx, {p, d}, false);
  template_pool_kernel<<<grid_for(out.numel()), 256, 0, stream_of(ctx)>>>(logits.device_data(), feats.device_data(),
                                                                          out.device_data(), nt, p, d);
  TRIFOLD_CUDA_LAUNCH_CHECK(template_pool_kernel, ctx);
  return out;
}

DeviceTensor symmetrize_pair(const Context& ctx, const DeviceTensor& x) {
  TRIFOLD_CHECK(x.ndim() == 3 && x.dim(0) == x.dim(1), "symmetrize_pair: x [L, L, c] expected");
  DeviceTensor y(ctx, x.shape(), false);
  symmetrize_kernel<<<grid_for(x.numel()), 256, 0, stream_of(ctx)>>>(x.device_data(), y.device_data(), x.dim(0),
                                                                     x.dim(2));
  TRIFOLD_CUDA_LAUNCH_CHECK(symmetrize_kernel, ctx);
  return y;
}

void transformer_conv_attend(const Context& ctx, const DeviceTensor& q, const DeviceTensor& k, const DeviceTensor& v,
                             const DeviceTensor& e, int64_t heads, float scale, DeviceTensor& out) {
  const int64_t l = q.dim(0), hc = q.dim(1);
  TRIFOLD_CHECK(q.ndim() == 2 && k.shape() == q.shape() && v.shape() == q.shape() && out.shape() == q.shape() &&
                    e.ndim() == 3 && e.dim(0) == l && e.dim(1) == l && e.dim(2) == hc && heads > 0 && hc % heads == 0,
                "transformer_conv_attend: q, k, v, out [L, H·C], e [L, L, H·C] expected");
  const size_t smem = static_cast<size_t>(l) * sizeof(float);
  TRIFOLD_CHECK(smem + 32 * sizeof(float) <= 48 * 1024,
                "transformer_conv_attend: L = " + std::to_string(l) +
                    " needs more than 48 KiB of shared memory (L ≤ 12256)");
  if (l == 0) return;
  transformer_conv_kernel<<<static_cast<unsigned>(l * heads), 128, smem, stream_of(ctx)>>>(
      q.device_data(), k.device_data(), v.device_data(), e.device_data(), out.device_data(), l, heads, hc / heads,
      scale);
  TRIFOLD_CUDA_LAUNCH_CHECK(transformer_conv_kernel, ctx);
}

DeviceTensor str2msa_logits(const Context& ctx, const DeviceTensor& q, const DeviceTensor& k, const DeviceTensor& ca) {
  const int64_t l = q.dim(0);
  TRIFOLD_CHECK(q.ndim() == 2 && k.shape() == q.shape() && q.dim(1) % 4 == 0 && ca.numel() == l * 3,
                "str2msa_logits: q, k [L, 4·d_k], ca [L, 3] expected");
  DeviceTensor out(ctx, {4, l, l}, false);
  str2msa_logits_kernel<<<grid_for(out.numel()), 256, 0, stream_of(ctx)>>>(q.device_data(), k.device_data(),
                                                                           ca.device_data(), out.device_data(), l,
                                                                           q.dim(1) / 4);
  TRIFOLD_CUDA_LAUNCH_CHECK(str2msa_logits_kernel, ctx);
  return out;
}

DeviceTensor refine_edge_input(const Context& ctx, const DeviceTensor& e1, const DeviceTensor& ca,
                               const DeviceInts& idx, int64_t batch) {
  TRIFOLD_CHECK(e1.ndim() == 4 && (e1.dim(0) == 1 || e1.dim(0) == batch) && e1.dim(1) == e1.dim(2),
                "refine_edge_input: e1 [1 or B, L, L, de] expected, got " + shape_str(e1.shape()));
  const int64_t l = e1.dim(1), de = e1.dim(3);
  TRIFOLD_CHECK(ca.numel() == batch * l * 3 && idx.size() == batch * l, "refine_edge_input: ca/idx sizes");
  DeviceTensor out(ctx, {batch, l, l, de + 37}, false);
  refine_edge_kernel<<<grid_for(batch * l * l), 256, 0, stream_of(ctx)>>>(
      e1.device_data(), ca.device_data(), idx.device_data(), out.device_data(), batch, l, de, e1.dim(0) == 1);
  TRIFOLD_CUDA_LAUNCH_CHECK(refine_edge_kernel, ctx);
  return out;
}

DeviceTensor edge_radial_input(const Context& ctx, const DeviceTensor& edge, const DeviceInts& rows,
                               const DeviceTensor& r) {
  TRIFOLD_CHECK(edge.ndim() >= 1 && r.numel() == rows.size(), "edge_radial_input: edge [..., de], rows/r [E]");
  const int64_t ne = rows.size(), de = edge.dim(-1);
  DeviceTensor out(ctx, {ne, de + 1}, false);
  if (ne == 0) return out;
  edge_radial_kernel<<<grid_for(out.numel()), 256, 0, stream_of(ctx)>>>(edge.device_data(), rows.device_data(),
                                                                        r.device_data(), out.device_data(), ne, de);
  TRIFOLD_CUDA_LAUNCH_CHECK(edge_radial_kernel, ctx);
  return out;
}

DeviceTensor slice_rows(const Context& ctx, const DeviceTensor& x, int64_t begin, int64_t count) {
  TRIFOLD_CHECK(x.ndim() >= 1 && begin >= 0 && count >= 0 && begin + count <= x.dim(0), "slice_rows: out of range");
  Shape s = x.shape();
  s[0] = count;
  DeviceTensor y(ctx, s, false);
  const int64_t row = x.dim(0) ? x.numel() / x.dim(0) : 0;
  if (y.numel() > 0)
    TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(y.device_data(), x.device_data() + begin * row,
                                       static_cast<size_t>(y.numel()) * sizeof(float), cudaMemcpyDeviceToDevice,
                                       stream_of(ctx)));
  return y;
}

DeviceTensor weighted_row_sum(const Context& ctx, const DeviceTensor& w, const DeviceTensor& x) {
  TRIFOLD_CHECK(x.ndim() == 3 && w.numel() == x.dim(1) * x.dim(0), "weighted_row_sum: w [L, N], x [N, L, d]");
  const int64_t n = x.dim(0), l = x.dim(1), d = x.dim(2);
  DeviceTensor out(ctx, {l, d}, true);
  if (n == 0 || l == 0) return out;
  // C_i [1, d] = A_i [1, N] · B_i [N, d]; A_i = w + i·N, B_i = x + i·d (row stride L·d).
  gemm_strided_batched(ctx, false, false, 1, d, n, 1.0f, w.device_data(), n, n, x.device_data(), l * d, d, 0.0f,
                       out.device_data(), d, d, l);
  return out;
}

}  // namespace trifold::model::cuda
