// RoseTTAFold v1 two-track block: encoder layers, MSA2MSA, MSA2Pair (coevolution), Pair2Pair, Pair2MSA, IterBlock.
#include <algorithm>
#include <cstring>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/profile.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {
namespace {

void tap_out(const Tap& tap, const std::string& p, const Tensor& t, const char* slot = "out0") {
  if (tap) tap(p + "/" + slot, t);
}

}  // namespace

Tensor axial_encoder_layer(const Weights& w, const std::string& p, const Tensor& x, const Chunking& ck) {
  // Rows (attn_L, along axis 1) are independent per first-axis index and LayerNorm/FeedForward per position, so
  // each step runs on blocks of first-axis rows; the column step (attn_N) runs on the transposed map, where
  // columns are rows: y += (Performer(LN2(y)ᵀ))ᵀ is yᵀ += Performer(LN2(yᵀ)), transposed back (bitwise equal).
  const int64_t blocks = ck.pair_blocks;
  Tensor y = x;
  update_row_blocks(y, blocks, [&](const Tensor& r) { return performer(w, p + ".attn_L", layer_norm(w, p + ".norm1", r)); });
  Tensor yt = cpu::transpose01(y);
  y = Tensor();
  update_row_blocks(yt, blocks, [&](const Tensor& r) { return performer(w, p + ".attn_N", layer_norm(w, p + ".norm2", r)); });
  y = cpu::transpose01(yt);
  yt = Tensor();
  update_row_blocks(y, blocks, [&](const Tensor& r) { return feed_forward(w, p + ".ff", layer_norm(w, p + ".norm3", r)); });
  return y;
}

Tensor msa2msa(const Weights& w, const std::string& p, const Tensor& msa, int heads, Tensor* att, const Tap& tap,
               const Chunking& ck) {
  // Row step: soft-tied attention along L (EncoderLayer, use_tied), in groups of heads; FeedForward per MSA row.
  const std::string e1 = p + ".encoder_1.layers.0";
  Tensor x = msa;
  cpu::add_(x, soft_tied_attention(w, e1 + ".attn", layer_norm(w, e1 + ".norm1", msa), heads, att, ck.tied_heads));
  update_row_blocks(x, ck.msa_blocks, [&](const Tensor& r) { return feed_forward(w, e1 + ".ff", layer_norm(w, e1 + ".norm2", r)); });
  tap_out(tap, e1, x);
  // Column step: Performer along N for each residue (pre-LN EncoderLayer), in blocks of residues.
  const std::string e2 = p + ".encoder_2.layers.0";
  Tensor xt = cpu::transpose01(x);  // [L, N, d]
  x = Tensor();
  update_row_blocks(xt, ck.msa_blocks, [&](const Tensor& r) { return performer(w, e2 + ".attn", layer_norm(w, e2 + ".norm1", r)); });
  update_row_blocks(xt, ck.msa_blocks, [&](const Tensor& r) { return feed_forward(w, e2 + ".ff", layer_norm(w, e2 + ".norm2", r)); });
  tap_out(tap, e2, xt);
  return cpu::transpose01(xt);
}

Tensor msa2pair(const Weights& w, const std::string& p, const Tensor& msa, const Tensor& pair, const Tensor& att,
                const Tap& tap, const Chunking& ck) {
  const int64_t n = msa.dim(0), l = msa.dim(1);
  Tensor xd = map_row_blocks(n, ck.msa_blocks, [&](int64_t r0, int64_t nr) {  // [N, L, P], per MSA row
    return layer_norm(w, p + ".norm_down", linear(w, p + ".proj_1", layer_norm(w, p + ".norm_1", slice_rows(msa, r0, nr))));
  });
  const int64_t pd = xd.dim(2);
  Tensor sw = sequence_weight(w, p + ".encoder", xd, 1);  // [L, 1, N]
  Tensor xw({n, l, pd});                                  // w[l, n]·x[n, l, :]
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < n; ++s)
    for (int64_t i = 0; i < l; ++i)
      for (int64_t c = 0; c < pd; ++c) xw[(s * l + i) * pd + c] = sw[i * n + s] * xd[(s * l + i) * pd + c];
  // Coevolution outer product: co[i, l, a·P + b] = Σ_n xd[n, i, a]·xw[n, l, b].
  const int64_t pp = pd * pd;
  Tensor co({l, l, pp});
  {
    // Blocks of `chunk` query residues i: tmp[(i, a), (l, b)] = Σ_n xd[n, i, a]·xw[n, l, b] is one gemm
    // (rows i·P + a of xdᵀ), then scattered to co[i, l, a·P + b]. Chunking bounds the scratch memory.
    const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(l, 16));
    std::vector<float> tmp(static_cast<size_t>(chunk * pd * l * pd));
    for (int64_t i0 = 0; i0 < l; i0 += chunk) {
      const int64_t ni = std::min(chunk, l - i0);
      cpu::gemm(true, false, ni * pd, l * pd, n, 1.0f, xd.data() + i0 * pd, l * pd, xw.data(), l * pd, 0.0f, tmp.data(),
                l * pd);
#pragma omp parallel for schedule(static) collapse(2)
      for (int64_t i = 0; i < ni; ++i)
        for (int64_t j = 0; j < l; ++j)
          for (int64_t a = 0; a < pd; ++a)
            std::memcpy(co.data() + ((i0 + i) * l + j) * pp + a * pd, tmp.data() + (i * pd + a) * l * pd + j * pd,
                        sizeof(float) * static_cast<size_t>(pd));
    }
  }
  cpu::layer_norm_(co, w.get(p + ".coevol.norm_2d.a_2"), w.get(p + ".coevol.norm_2d.b_2"));
  Tensor pair_new = linear(w, p + ".coevol.proj_2", co);
  co = Tensor();
  tap_out(tap, p + ".coevol", pair_new);
  // 1-D features f[l] = [Σ_n xw[n, l], xd[0, l]] (2P values), tiled as left (i) and right (j).
  Tensor f({l, 2 * pd});
  for (int64_t i = 0; i < l; ++i)
    for (int64_t c = 0; c < pd; ++c) {
      float s = 0.0f;
      for (int64_t t = 0; t < n; ++t) s += xw[(t * l + i) * pd + c];
      f[i * 2 * pd + c] = s;
      f[i * 2 * pd + pd + c] = xd[i * pd + c];
    }
  // The concatenation [pair LN, new pair LN, f_i, f_j, att] and the update ResNet's leading 1×1 conv are
  // per position: both run in blocks of query rows i, so the [L, L, ~700] concatenation is never whole.
  const int64_t dp = pair.dim(2), dn = pair_new.dim(2), h = att.dim(2);
  const int64_t ctot = dp + dn + 4 * pd + h;
  const std::string up = p + ".update";
  const bool first_conv = residual_network_has_first_conv(w, up);
  Tensor y = map_row_blocks(l, ck.pair_blocks, [&](int64_t i0, int64_t ni) {
    Tensor po = layer_norm(w, p + ".norm_orig", slice_rows(pair, i0, ni));
    Tensor pn = layer_norm(w, p + ".norm_new", slice_rows(pair_new, i0, ni));
    Tensor cat({ni, l, ctot});
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < ni; ++i)
      for (int64_t j = 0; j < l; ++j) {
        float* dst = cat.data() + (i * l + j) * ctot;
        const int64_t ij = i * l + j, gij = (i0 + i) * l + j;
        std::memcpy(dst, po.data() + ij * dp, sizeof(float) * static_cast<size_t>(dp));
        std::memcpy(dst + dp, pn.data() + ij * dn, sizeof(float) * static_cast<size_t>(dn));
        std::memcpy(dst + dp + dn, f.data() + (i0 + i) * 2 * pd, sizeof(float) * static_cast<size_t>(2 * pd));
        std::memcpy(dst + dp + dn + 2 * pd, f.data() + j * 2 * pd, sizeof(float) * static_cast<size_t>(2 * pd));
        std::memcpy(dst + dp + dn + 4 * pd, att.data() + gij * h, sizeof(float) * static_cast<size_t>(h));
      }
    if (!first_conv) return cat;
    const std::string c0 = up + ".layer.0";
    return cpu::conv2d(cat, w.get(c0 + ".weight"), w.has(c0 + ".bias") ? &w.get(c0 + ".bias") : nullptr);
  });
  pair_new = Tensor();
  return residual_network_after_first_conv(w, up, std::move(y), ck);
}

Tensor pair2pair(const Weights& w, const std::string& p, const Tensor& pair, const Chunking& ck) {
  return axial_encoder_layer(w, p + ".encoder.layers.0", pair, ck);
}

Tensor pair2msa(const Weights& w, const std::string& p, const Tensor& pair, const Tensor& msa, const Chunking& ck) {
  const std::string e = p + ".encoder.layers.0";
  Tensor sym = pair;
  const int64_t l = pair.dim(0), c = pair.dim(2);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j)
      for (int64_t k = 0; k < c; ++k) sym[(i * l + j) * c + k] = 0.5f * (pair[(i * l + j) * c + k] + pair[(j * l + i) * c + k]);
  // Attention logits per position (LN + proj_pair), in row blocks; then the attention per block of MSA rows
  // (each row attends with the same map), and the FeedForward per MSA row.
  Tensor logits = map_row_blocks(l, ck.pair_blocks, [&](int64_t i0, int64_t ni) {
    return linear(w, e + ".attn.proj_pair", layer_norm(w, e + ".norm", slice_rows(sym, i0, ni)));
  });
  sym = Tensor();
  const Tensor probs = direct_attention_probs(logits);
  logits = Tensor();
  Tensor x = msa;
  update_row_blocks(x, ck.msa_blocks, [&](const Tensor& r) {
    return direct_attention_apply(w, e + ".attn", probs, layer_norm(w, e + ".norm1", r));
  });
  update_row_blocks(x, ck.msa_blocks, [&](const Tensor& r) { return feed_forward(w, e + ".ff", layer_norm(w, e + ".norm2", r)); });
  return x;
}

void iter_block(const Weights& w, const std::string& p, const Dims& d, Tensor& msa, Tensor& pair, const Tap& tap,
                const Chunking& ck) {
  Tensor att;
  {
    StageTimer t("IterBlock: MSA2MSA (tied attention, Performer)");
    msa = msa2msa(w, p + ".msa2msa", msa, d.n_head_msa, &att, tap, ck);
  }
  tap_out(tap, p + ".msa2msa", msa);
  tap_out(tap, p + ".msa2msa", att, "out1");
  {
    StageTimer t("IterBlock: MSA2Pair (outer product, ResNet)");
    pair = msa2pair(w, p + ".msa2pair", msa, pair, att, tap, ck);
  }
  tap_out(tap, p + ".msa2pair", pair);
  {
    StageTimer t("IterBlock: Pair2Pair (axial Performer)");
    pair = pair2pair(w, p + ".pair2pair", pair, ck);
  }
  tap_out(tap, p + ".pair2pair", pair);
  {
    StageTimer t("IterBlock: Pair2MSA (direct attention)");
    msa = pair2msa(w, p + ".pair2msa", pair, msa, ck);
  }
  tap_out(tap, p + ".pair2msa", msa);
}

}  // namespace trifold::model::rf1
