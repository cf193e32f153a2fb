// The RoseTTAFold v1 two-track block on the GPU, composed from the CUDA ops exactly as model/rf1/blocks.cpp
// and resnet.cpp compose the CPU ops (same order of residual additions, same norms, same head layouts).
#include "model/cuda/rf1.hpp"

#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"

namespace trifold::model::cuda {
namespace {

#define TRIFOLD_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// xw[s, i, c] = sw[i, s]·xd[s, i, c]   (sw [L, 1, N])
__global__ void seq_weighting_kernel(const float* xd, const float* sw, float* xw, int64_t n, int64_t l, int64_t p) {
  TRIFOLD_GRID_STRIDE(t, n * l * p) {
    const int64_t i = (t / p) % l, s = t / (p * l);
    xw[t] = sw[i * n + s] * xd[t];
  }
}

// f[i, c] = Σ_s xw[s, i, c] (s ascending, fp32); f[i, P + c] = xd[0, i, c].
__global__ void msa2pair_1d_kernel(const float* xd, const float* xw, float* f, int64_t n, int64_t l, int64_t p) {
  TRIFOLD_GRID_STRIDE(t, l * p) {
    const int64_t i = t / p, c = t % p;
    float s = 0.0f;
    for (int64_t k = 0; k < n; ++k) s += xw[(k * l + i) * p + c];
    f[i * 2 * p + c] = s;
    f[i * 2 * p + p + c] = xd[i * p + c];
  }
}

// cat[i, j, :] = [po[i, j], pn[i, j], f[i], f[j], att[i, j]]
__global__ void msa2pair_cat_kernel(const float* po, const float* pn, const float* f, const float* att, float* cat,
                                    int64_t l, int64_t dp, int64_t dn, int64_t p2, int64_t h) {
  const int64_t ctot = dp + dn + 2 * p2 + h;
  TRIFOLD_GRID_STRIDE(t, l * l * ctot) {
    const int64_t c = t % ctot, ij = t / ctot, i = ij / l, j = ij % l;
    float v;
    if (c < dp)
      v = po[ij * dp + c];
    else if (c < dp + dn)
      v = pn[ij * dn + c - dp];
    else if (c < dp + dn + p2)
      v = f[i * p2 + c - dp - dn];
    else if (c < dp + dn + 2 * p2)
      v = f[j * p2 + c - dp - dn - p2];
    else
      v = att[ij * h + c - dp - dn - 2 * p2];
    cat[t] = v;
  }
}

// sym[i, j, k] = ½(pair[i, j, k] + pair[j, i, k])
__global__ void symmetrize_pair_kernel(const float* pair, float* sym, int64_t l, int64_t c) {
  TRIFOLD_GRID_STRIDE(t, l * l * c) {
    const int64_t k = t % c, j = (t / c) % l, i = t / (c * l);
    sym[t] = 0.5f * (pair[t] + pair[(j * l + i) * c + k]);
  }
}

DeviceTensor conv(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  return conv2d(ctx, x, w.get(p + ".weight"), w.find(p + ".bias"));
}

DeviceTensor inorm(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  return instance_norm(ctx, x, w.get(p + ".weight"), w.get(p + ".bias"), 1e-6f);
}

// Pre-LN EncoderLayer with a Performer over axis 1 of x [A, n, d].
DeviceTensor performer_encoder_layer(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                     const DeviceTensor& x) {
  DeviceTensor y = x.clone();
  add_(ctx, y, performer(ctx, w, p + ".attn", layer_norm(ctx, w, p + ".norm1", x)));
  add_(ctx, y, feed_forward(ctx, w, p + ".ff", layer_norm(ctx, w, p + ".norm2", y)));
  return y;
}

}  // namespace

DeviceTensor res_block_2d(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  DeviceTensor y = inorm(ctx, w, p + ".layer.1", conv(ctx, w, p + ".layer.0", x));
  elu_(ctx, y);
  y = inorm(ctx, w, p + ".layer.5", conv(ctx, w, p + ".layer.4", y));
  add_(ctx, y, x);
  elu_(ctx, y);
  return y;
}

DeviceTensor residual_network(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  int i = 0;
  DeviceTensor y;
  if (!w.has(p + ".layer.0.layer.0.weight")) {
    y = inorm(ctx, w, p + ".layer.1", conv(ctx, w, p + ".layer.0", x));
    elu_(ctx, y);
    i = 3;
  } else {
    y = x.clone();
  }
  const std::string blk = p + ".layer." + std::to_string(i);
  TRIFOLD_CHECK(w.has(blk + ".layer.0.weight"), "residual_network: no ResBlock2D at " + blk);
  y = res_block_2d(ctx, w, blk, y);
  ++i;
  const std::string last = p + ".layer." + std::to_string(i);
  if (w.has(last + ".weight")) y = conv(ctx, w, last, y);
  return y;
}

DeviceTensor axial_encoder_layer(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                 const DeviceTensor& x) {
  DeviceTensor y = x.clone();
  add_(ctx, y, performer(ctx, w, p + ".attn_L", layer_norm(ctx, w, p + ".norm1", y)));
  DeviceTensor t = transpose01(ctx, layer_norm(ctx, w, p + ".norm2", y));
  add_(ctx, y, transpose01(ctx, performer(ctx, w, p + ".attn_N", t)));
  add_(ctx, y, feed_forward(ctx, w, p + ".ff", layer_norm(ctx, w, p + ".norm3", y)));
  return y;
}

DeviceTensor msa2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                     int heads, DeviceTensor* att) {
  const std::string e1 = p + ".encoder_1.layers.0";
  DeviceTensor x = msa.clone();
  add_(ctx, x, soft_tied_attention(ctx, w, e1 + ".attn", layer_norm(ctx, w, e1 + ".norm1", msa), heads, att));
  add_(ctx, x, feed_forward(ctx, w, e1 + ".ff", layer_norm(ctx, w, e1 + ".norm2", x)));
  DeviceTensor xt = transpose01(ctx, x);  // [L, N, d]
  x = DeviceTensor();
  xt = performer_encoder_layer(ctx, w, p + ".encoder_2.layers.0", xt);
  return transpose01(ctx, xt);
}

DeviceTensor msa2pair(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                      const DeviceTensor& pair, const DeviceTensor& att, int64_t row_chunk) {
  TRIFOLD_CHECK(msa.ndim() == 3 && pair.ndim() == 3 && att.ndim() == 3 && pair.dim(0) == msa.dim(1) &&
                    att.dim(0) == msa.dim(1),
                "msa2pair: msa " + shape_str(msa.shape()) + ", pair " + shape_str(pair.shape()) + ", att " +
                    shape_str(att.shape()));
  const int64_t n = msa.dim(0), l = msa.dim(1);
  cudaStream_t s = stream_of(ctx);
  DeviceTensor xd = layer_norm(ctx, w, p + ".norm_down",
                               linear(ctx, w, p + ".proj_1", layer_norm(ctx, w, p + ".norm_1", msa)));  // [N, L, P]
  const int64_t pd = xd.dim(2);
  DeviceTensor sw = sequence_weight(ctx, w, p + ".encoder", xd, 1);  // [L, 1, N]
  DeviceTensor xw(ctx, {n, l, pd}, false);
  if (xw.numel() > 0) {
    seq_weighting_kernel<<<grid_for(xw.numel()), 256, 0, s>>>(xd.device_data(), sw.device_data(), xw.device_data(), n,
                                                              l, pd);
    TRIFOLD_CUDA_LAUNCH_CHECK(seq_weighting_kernel, ctx);
  }
  // Coevolution features, LayerNorm and projection per block of query rows i (each (i, j) is independent), so the
  // [L, L, P·P] tensor (4 GB at L = 1000, P = 32) is never whole: at most `row_chunk` rows of it at a time.
  const int64_t pp = pd * pd;
  int64_t rows = row_chunk > 0 ? row_chunk
                               : (int64_t(1) << 28) / std::max<int64_t>(1, l * pp);  // automatic: ≤ 1 GiB of co
  rows = std::max<int64_t>(1, std::min<int64_t>(rows, l));
  const DeviceTensor& w2 = w.get(p + ".coevol.proj_2.weight");
  DeviceTensor pair_new(ctx, {l, l, w2.dim(0)}, false);
  for (int64_t i0 = 0; i0 < l; i0 += rows) {
    const int64_t ni = std::min(rows, l - i0);
    DeviceTensor co = outer_product_rows(ctx, xd, xw, i0, ni);  // [ni, L, P·P]
    layer_norm_(ctx, co, w.get(p + ".coevol.norm_2d.a_2"), w.get(p + ".coevol.norm_2d.b_2"));
    DeviceTensor part = linear(ctx, w, p + ".coevol.proj_2", co);  // [ni, L, d_new]
    if (part.numel() > 0)
      TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(pair_new.device_data() + i0 * l * w2.dim(0), part.device_data(),
                                         static_cast<size_t>(part.numel()) * sizeof(float), cudaMemcpyDeviceToDevice,
                                         s));
  }
  DeviceTensor f(ctx, {l, 2 * pd}, false);
  if (f.numel() > 0) {
    msa2pair_1d_kernel<<<grid_for(l * pd), 256, 0, s>>>(xd.device_data(), xw.device_data(), f.device_data(), n, l, pd);
    TRIFOLD_CUDA_LAUNCH_CHECK(msa2pair_1d_kernel, ctx);
  }
  DeviceTensor po = layer_norm(ctx, w, p + ".norm_orig", pair);
  DeviceTensor pn = layer_norm(ctx, w, p + ".norm_new", pair_new);
  const int64_t dp = po.dim(2), dn = pn.dim(2), h = att.dim(2);
  DeviceTensor cat(ctx, {l, l, dp + dn + 4 * pd + h}, false);
  if (cat.numel() > 0) {
    msa2pair_cat_kernel<<<grid_for(cat.numel()), 256, 0, s>>>(po.device_data(), pn.device_data(), f.device_data(),
                                                              att.device_data(), cat.device_data(), l, dp, dn, 2 * pd, h);
    TRIFOLD_CUDA_LAUNCH_CHECK(msa2pair_cat_kernel, ctx);
  }
  po = DeviceTensor();
  pn = DeviceTensor();
  return residual_network(ctx, w, p + ".update", cat);
}

DeviceTensor pair2pair(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& pair) {
  return axial_encoder_layer(ctx, w, p + ".encoder.layers.0", pair);
}

DeviceTensor pair2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& pair,
                      const DeviceTensor& msa) {
  TRIFOLD_CHECK(pair.ndim() == 3 && pair.dim(0) == pair.dim(1), "pair2msa: pair must be [L, L, C], got " +
                                                                     shape_str(pair.shape()));
  const std::string e = p + ".encoder.layers.0";
  const int64_t l = pair.dim(0), c = pair.dim(2);
  DeviceTensor sym(ctx, pair.shape(), false);
  if (sym.numel() > 0) {
    symmetrize_pair_kernel<<<grid_for(sym.numel()), 256, 0, stream_of(ctx)>>>(pair.device_data(), sym.device_data(),
                                                                               l, c);
    TRIFOLD_CUDA_LAUNCH_CHECK(symmetrize_pair_kernel, ctx);
  }
  DeviceTensor src = layer_norm(ctx, w, e + ".norm", sym);
  sym = DeviceTensor();
  DeviceTensor x = msa.clone();
  add_(ctx, x, direct_attention(ctx, w, e + ".attn", src, layer_norm(ctx, w, e + ".norm1", msa)));
  add_(ctx, x, feed_forward(ctx, w, e + ".ff", layer_norm(ctx, w, e + ".norm2", x)));
  return x;
}

void iter_block(const Context& ctx, const DeviceWeights& w, const std::string& p, int heads, DeviceTensor& msa,
                DeviceTensor& pair) {
  DeviceTensor att;
  msa = msa2msa(ctx, w, p + ".msa2msa", msa, heads, &att);
  pair = msa2pair(ctx, w, p + ".msa2pair", msa, pair, att);
  pair = pair2pair(ctx, w, p + ".pair2pair", pair);
  msa = pair2msa(ctx, w, p + ".pair2msa", pair, msa);
}

}  // namespace trifold::model::cuda
