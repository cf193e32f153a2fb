// The RoseTTAFold v1 two-track block on the GPU, composed from the CUDA ops exactly as model/rf1/blocks.cpp
// and resnet.cpp compose the CPU ops (same order of residual additions, same norms, same head layouts).
#include "model/cuda/rf1.hpp"

#include <algorithm>
#include <functional>
#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"
#include "model/cuda/net_ops.hpp"
#include "model/profile.hpp"

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

// cat[i, j, :] = [po[i, j], pn[i, j], f[i0 + i], f[j], att[i0 + i, j]] for the ni query rows of a block
// (po, pn: the block's rows; f, att: whole).
__global__ void msa2pair_cat_kernel(const float* po, const float* pn, const float* f, const float* att, float* cat,
                                    int64_t i0, int64_t ni, int64_t l, int64_t dp, int64_t dn, int64_t p2, int64_t h) {
  const int64_t ctot = dp + dn + 2 * p2 + h;
  TRIFOLD_GRID_STRIDE(t, ni * l * ctot) {
    const int64_t c = t % ctot, ij = t / ctot, i = i0 + ij / l, j = ij % l;
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
      v = att[(i * l + j) * h + c - dp - dn - 2 * p2];
    cat[t] = v;
  }
}

// x[t] += d[t] (x offset by the caller to a block's first row).
__global__ void add_block_kernel(float* x, const float* d, int64_t n) {
  TRIFOLD_GRID_STRIDE(t, n) x[t] += d[t];
}

// sym[i, j, k] = ½(pair[i, j, k] + pair[j, i, k])
__global__ void symmetrize_pair_kernel(const float* pair, float* sym, int64_t l, int64_t c) {
  TRIFOLD_GRID_STRIDE(t, l * l * c) {
    const int64_t k = t % c, j = (t / c) % l, i = t / (c * l);
    sym[t] = 0.5f * (pair[t] + pair[(j * l + i) * c + k]);
  }
}

// Rows [r0, r0 + n) of x: x itself when that is all of it, else a copy held in `hold`.
const DeviceTensor& rows_of(const Context& ctx, const DeviceTensor& x, int64_t r0, int64_t n, DeviceTensor& hold) {
  if (r0 == 0 && n == x.dim(0)) return x;
  hold = slice_rows(ctx, x, r0, n);
  return hold;
}

DeviceTensor conv(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x) {
  return conv2d(ctx, x, w.get(p + ".weight"), w.find(p + ".bias"));
}

// In place: the ResNets never need the un-normalised map again (one [L, L, C] less at the peak).
void inorm_(const Context& ctx, const DeviceWeights& w, const std::string& p, DeviceTensor& x) {
  instance_norm_(ctx, x, w.get(p + ".weight"), w.get(p + ".bias"), 1e-6f);
}

}  // namespace

// ------------------------------------------------------------------------------------------ row blocks
DeviceTensor map_row_blocks(const Context& ctx, int64_t rows, int64_t blocks,
                            const std::function<DeviceTensor(int64_t, int64_t)>& fn) {
  const int64_t per = rows_per_block(rows, blocks);
  if (per >= rows) return fn(0, rows);
  DeviceTensor out;
  int64_t rs = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += per) {
    const int64_t nr = std::min(per, rows - r0);
    DeviceTensor b = fn(r0, nr);
    TRIFOLD_CHECK(b.ndim() >= 1 && b.dim(0) == nr, "map_row_blocks: block of " + std::to_string(nr) + " rows gave " +
                                                       shape_str(b.shape()));
    const int64_t brs = nr ? b.numel() / nr : 0;
    if (r0 == 0) {
      Shape sh = b.shape();
      sh[0] = rows;
      out = DeviceTensor(ctx, sh, false);
      rs = brs;
    }
    TRIFOLD_CHECK(brs == rs, "map_row_blocks: blocks of different widths");
    if (b.numel() > 0)
      TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(out.device_data() + r0 * rs, b.device_data(),
                                         static_cast<size_t>(b.numel()) * sizeof(float), cudaMemcpyDeviceToDevice,
                                         stream_of(ctx)));
  }
  return out;
}

void update_row_blocks(const Context& ctx, DeviceTensor& x, int64_t blocks,
                       const std::function<DeviceTensor(const DeviceTensor&)>& fn) {
  const int64_t rows = x.dim(0), per = rows_per_block(rows, blocks);
  if (per >= rows) {
    add_(ctx, x, fn(x));
    return;
  }
  const int64_t rs = rows ? x.numel() / rows : 0;
  for (int64_t r0 = 0; r0 < rows; r0 += per) {
    const int64_t nr = std::min(per, rows - r0);
    const DeviceTensor d = fn(slice_rows(ctx, x, r0, nr));
    TRIFOLD_CHECK(d.numel() == nr * rs, "update_row_blocks: update of shape " + shape_str(d.shape()));
    if (d.numel() > 0) {
      add_block_kernel<<<grid_for(d.numel()), 256, 0, stream_of(ctx)>>>(x.device_data() + r0 * rs, d.device_data(),
                                                                        d.numel());
      TRIFOLD_CUDA_LAUNCH_CHECK(add_block_kernel, ctx);
    }
  }
}

DeviceTensor conv3x3_rows(const Context& ctx, const DeviceTensor& x, const DeviceTensor& weight,
                          const DeviceTensor* bias, int64_t blocks) {
  TRIFOLD_CHECK(x.ndim() == 3, "conv3x3_rows: input must be [H, W, C], got " + shape_str(x.shape()));
  const int64_t h = x.dim(0);
  if (rows_per_block(h, blocks) >= h) return conv2d(ctx, x, weight, bias);
  return map_row_blocks(ctx, h, blocks, [&](int64_t r0, int64_t nr) {
    // Rows [r0 − 1, r0 + nr + 1) ∩ [0, H): conv2d zero-pads the map's real edges; the outputs on a block's halo
    // rows (padded where the map is not) are dropped.
    const int64_t lo = std::max<int64_t>(0, r0 - 1), hi = std::min<int64_t>(h, r0 + nr + 1);
    DeviceTensor y = conv2d(ctx, slice_rows(ctx, x, lo, hi - lo), weight, bias);
    return slice_rows(ctx, y, r0 - lo, nr);
  });
}

// ------------------------------------------------------------------------------------------ modules
DeviceTensor res_block_2d(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x,
                          const Chunking& ck) {
  // Convolutions in row blocks; each InstanceNorm over the whole map (exact statistics).
  auto conv3 = [&](const std::string& c, const DeviceTensor& in) {
    return conv3x3_rows(ctx, in, w.get(c + ".weight"), w.find(c + ".bias"), ck.pair_blocks);
  };
  DeviceTensor y = conv3(p + ".layer.0", x);
  inorm_(ctx, w, p + ".layer.1", y);
  elu_(ctx, y);
  y = conv3(p + ".layer.4", y);
  inorm_(ctx, w, p + ".layer.5", y);
  add_(ctx, y, x);
  elu_(ctx, y);
  return y;
}

namespace {
bool has_first_conv(const DeviceWeights& w, const std::string& p) { return !w.has(p + ".layer.0.layer.0.weight"); }

// residual_network after its leading 1×1 conv (y = that conv's output when the network has one, else its input).
DeviceTensor residual_after_first_conv(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                       DeviceTensor y, const Chunking& ck) {
  int i = 0;
  if (has_first_conv(w, p)) {
    inorm_(ctx, w, p + ".layer.1", y);
    elu_(ctx, y);
    i = 3;
  }
  const std::string blk = p + ".layer." + std::to_string(i);
  TRIFOLD_CHECK(w.has(blk + ".layer.0.weight"), "residual_network: no ResBlock2D at " + blk);
  y = res_block_2d(ctx, w, blk, y, ck);
  ++i;
  const std::string last = p + ".layer." + std::to_string(i);
  if (w.has(last + ".weight")) y = conv(ctx, w, last, y);
  return y;
}
}  // namespace

DeviceTensor residual_network(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x,
                              const Chunking& ck) {
  return residual_after_first_conv(ctx, w, p, has_first_conv(w, p) ? conv(ctx, w, p + ".layer.0", x) : x.clone(),
                                   ck);
}

DeviceTensor axial_encoder_layer(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                 const DeviceTensor& x, const Chunking& ck) {
  // As model/rf1/blocks.cpp: each step on blocks of first-axis rows; the column step on the transposed map.
  const int64_t blocks = ck.pair_blocks;
  DeviceTensor y = x.clone();
  update_row_blocks(ctx, y, blocks, [&](const DeviceTensor& r) {
    return performer(ctx, w, p + ".attn_L", layer_norm(ctx, w, p + ".norm1", r));
  });
  DeviceTensor yt = transpose01(ctx, y);
  y = DeviceTensor();
  update_row_blocks(ctx, yt, blocks, [&](const DeviceTensor& r) {
    return performer(ctx, w, p + ".attn_N", layer_norm(ctx, w, p + ".norm2", r));
  });
  y = transpose01(ctx, yt);
  yt = DeviceTensor();
  update_row_blocks(ctx, y, blocks, [&](const DeviceTensor& r) {
    return feed_forward(ctx, w, p + ".ff", layer_norm(ctx, w, p + ".norm3", r));
  });
  return y;
}

DeviceTensor msa2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                     int heads, DeviceTensor* att, const Chunking& ck) {
  const std::string e1 = p + ".encoder_1.layers.0";
  DeviceTensor x = msa.clone();
  add_(ctx, x,
       soft_tied_attention_grouped(ctx, w, e1 + ".attn", layer_norm(ctx, w, e1 + ".norm1", msa), heads, att,
                                   ck.tied_heads));
  update_row_blocks(ctx, x, ck.msa_blocks, [&](const DeviceTensor& r) {
    return feed_forward(ctx, w, e1 + ".ff", layer_norm(ctx, w, e1 + ".norm2", r));
  });
  const std::string e2 = p + ".encoder_2.layers.0";
  DeviceTensor xt = transpose01(ctx, x);  // [L, N, d]
  x = DeviceTensor();
  update_row_blocks(ctx, xt, ck.msa_blocks, [&](const DeviceTensor& r) {
    return performer(ctx, w, e2 + ".attn", layer_norm(ctx, w, e2 + ".norm1", r));
  });
  update_row_blocks(ctx, xt, ck.msa_blocks, [&](const DeviceTensor& r) {
    return feed_forward(ctx, w, e2 + ".ff", layer_norm(ctx, w, e2 + ".norm2", r));
  });
  return transpose01(ctx, xt);
}

DeviceTensor msa2pair(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                      const DeviceTensor& pair, const DeviceTensor& att, const Chunking& ck) {
  TRIFOLD_CHECK(msa.ndim() == 3 && pair.ndim() == 3 && att.ndim() == 3 && pair.dim(0) == msa.dim(1) &&
                    att.dim(0) == msa.dim(1),
                "msa2pair: msa " + shape_str(msa.shape()) + ", pair " + shape_str(pair.shape()) + ", att " +
                    shape_str(att.shape()));
  const int64_t n = msa.dim(0), l = msa.dim(1);
  cudaStream_t s = stream_of(ctx);
  DeviceTensor xd = map_row_blocks(ctx, n, ck.msa_blocks, [&](int64_t r0, int64_t nr) {  // [N, L, P], per MSA row
    DeviceTensor hold;
    return layer_norm(ctx, w, p + ".norm_down",
                      linear(ctx, w, p + ".proj_1", layer_norm(ctx, w, p + ".norm_1", rows_of(ctx, msa, r0, nr, hold))));
  });
  const int64_t pd = xd.dim(2);
  DeviceTensor sw = sequence_weight(ctx, w, p + ".encoder", xd, 1);  // [L, 1, N]
  DeviceTensor xw(ctx, {n, l, pd}, false);
  if (xw.numel() > 0) {
    seq_weighting_kernel<<<grid_for(xw.numel()), 256, 0, s>>>(xd.device_data(), sw.device_data(), xw.device_data(), n,
                                                              l, pd);
    TRIFOLD_CUDA_LAUNCH_CHECK(seq_weighting_kernel, ctx);
  }
  sw = DeviceTensor();
  // Coevolution features, LayerNorm and projection per block of query rows i (each (i, j) is independent), so the
  // [L, L, P·P] tensor (4 GB at L = 1000, P = 32) is never whole: at most `rows` rows of it at a time.
  const int64_t pp = pd * pd;
  int64_t rows = ck.coevol_rows > 0 ? ck.coevol_rows
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
  xd = DeviceTensor();
  xw = DeviceTensor();
  // The concatenation [pair LN, new pair LN, f_i, f_j, att] and the update ResNet's leading 1×1 conv per block of
  // query rows (model/rf1/blocks.cpp): the [L, L, ~700] concatenation is never whole.
  const int64_t dp = pair.dim(2), dn = pair_new.dim(2), h = att.dim(2);
  const std::string up = p + ".update";
  const bool first = has_first_conv(w, up);
  DeviceTensor y = map_row_blocks(ctx, l, ck.pair_blocks, [&](int64_t i0, int64_t ni) {
    DeviceTensor hold;
    DeviceTensor po = layer_norm(ctx, w, p + ".norm_orig", rows_of(ctx, pair, i0, ni, hold));
    hold = DeviceTensor();
    DeviceTensor pn = layer_norm(ctx, w, p + ".norm_new", rows_of(ctx, pair_new, i0, ni, hold));
    hold = DeviceTensor();
    DeviceTensor cat(ctx, {ni, l, dp + dn + 4 * pd + h}, false);
    if (cat.numel() > 0) {
      msa2pair_cat_kernel<<<grid_for(cat.numel()), 256, 0, s>>>(po.device_data(), pn.device_data(), f.device_data(),
                                                                att.device_data(), cat.device_data(), i0, ni, l, dp,
                                                                dn, 2 * pd, h);
      TRIFOLD_CUDA_LAUNCH_CHECK(msa2pair_cat_kernel, ctx);
    }
    po = DeviceTensor();
    pn = DeviceTensor();
    return first ? conv(ctx, w, up + ".layer.0", cat) : std::move(cat);
  });
  pair_new = DeviceTensor();
  return residual_after_first_conv(ctx, w, up, std::move(y), ck);
}

DeviceTensor pair2pair(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& pair,
                       const Chunking& ck) {
  return axial_encoder_layer(ctx, w, p + ".encoder.layers.0", pair, ck);
}

DeviceTensor pair2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& pair,
                      const DeviceTensor& msa, const Chunking& ck) {
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
  // As model/rf1/blocks.cpp: logits per pair row block, attention per block of MSA rows, FeedForward per row.
  DeviceTensor logits = map_row_blocks(ctx, l, ck.pair_blocks, [&](int64_t i0, int64_t ni) {
    DeviceTensor hold;
    return linear(ctx, w, e + ".attn.proj_pair", layer_norm(ctx, w, e + ".norm", rows_of(ctx, sym, i0, ni, hold)));
  });
  sym = DeviceTensor();
  const DeviceTensor probs = direct_attention_probs(ctx, logits);
  logits = DeviceTensor();
  DeviceTensor x = msa.clone();
  update_row_blocks(ctx, x, ck.msa_blocks, [&](const DeviceTensor& r) {
    return direct_attention_apply(ctx, w, e + ".attn", probs, layer_norm(ctx, w, e + ".norm1", r));
  });
  update_row_blocks(ctx, x, ck.msa_blocks, [&](const DeviceTensor& r) {
    return feed_forward(ctx, w, e + ".ff", layer_norm(ctx, w, e + ".norm2", r));
  });
  return x;
}

void iter_block(const Context& ctx, const DeviceWeights& w, const std::string& p, int heads, DeviceTensor& msa,
                DeviceTensor& pair, const Chunking& ck) {
  // bench e2e --profile: each track's share (a device wait at each boundary while profiling).
  const std::function<void()> wait = [&ctx] { ctx.synchronize(); };
  DeviceTensor att;
  {
    StageTimer t("IterBlock: MSA2MSA (tied attention, Performer)", wait);
    msa = msa2msa(ctx, w, p + ".msa2msa", msa, heads, &att, ck);
  }
  {
    StageTimer t("IterBlock: MSA2Pair (outer product, ResNet)", wait);
    pair = msa2pair(ctx, w, p + ".msa2pair", msa, pair, att, ck);
  }
  {
    StageTimer t("IterBlock: Pair2Pair (axial Performer)", wait);
    pair = pair2pair(ctx, w, p + ".pair2pair", pair, ck);
  }
  StageTimer t("IterBlock: Pair2MSA (direct attention)", wait);
  msa = pair2msa(ctx, w, p + ".pair2msa", pair, msa, ck);
}

}  // namespace trifold::model::cuda
