// Str2MSA (masked direct attention over CA-distance shells), IterBlock_w_Str and FinalBlock.
#include "model/e2e/str_blocks.hpp"

#include <cmath>
#include <limits>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/profile.hpp"
#include "model/se3/str2str.hpp"

namespace trifold::model::e2e {

Tensor masked_direct_attention(const Weights& w, const std::string& p, const Tensor& state, const Tensor& msa,
                               const float* ca) {
  const int64_t n = msa.dim(0), l = msa.dim(1), dm = msa.dim(2);
  constexpr int kHeads = 4;
  Tensor q = rf1::linear(w, p + ".to_query", state);  // [L, 4·d_k]
  Tensor k = rf1::linear(w, p + ".to_key", state);
  const int64_t dk = q.dim(1) / kHeads;
  TRIFOLD_CHECK(dk * kHeads == q.dim(1) && dm % kHeads == 0, "str2msa: head split does not divide the widths");
  const int64_t dv = dm / kHeads;
  Tensor v = rf1::linear(w, p + ".to_value", msa);  // [N, L, d_msa]
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dk)));
  // The reference scales q before the product: (q·scale)·k.
  for (float& x : q.vec()) x *= scale;
  // attn [heads, L (i), L (j)], softmax over j.
  Tensor att({kHeads, l, l});
  const float fmin = std::numeric_limits<float>::lowest();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < l; ++i) {
    for (int h = 0; h < kHeads; ++h) {
      float* a = att.data() + (h * l + i) * l;
      float mx = fmin;
      for (int64_t j = 0; j < l; ++j) {
        double dd = 0.0;
        for (int c = 0; c < 3; ++c) {
          const double t = double(ca[i * 3 + c]) - ca[j * 3 + c];
          dd += t * t;
        }
        const float dist = static_cast<float>(std::sqrt(dd));
        // mask = 1 − sigmoid(d − cut) < 0.5  <=>  sigmoid(d − cut) > 0.5 (evaluated in fp32 like the reference)
        const float sig = 1.0f / (1.0f + std::exp(-(dist - kStr2MsaCutoffs[h])));
        float s;
        if (1.0f - sig < 0.5f) {
          s = fmin;
        } else {
          s = 0.0f;
          const float* qi = q.data() + i * kHeads * dk + h * dk;
          const float* kj = k.data() + j * kHeads * dk + h * dk;
          for (int64_t t = 0; t < dk; ++t) s += qi[t] * kj[t];
        }
        a[j] = s;
        mx = std::max(mx, s);
      }
      float sum = 0.0f;
      for (int64_t j = 0; j < l; ++j) {
        a[j] = std::exp(a[j] - mx);
        sum += a[j];
      }
      for (int64_t j = 0; j < l; ++j) a[j] /= sum;
    }
  }
  // out[n, i, h·dv + c] = Σ_j att[h, i, j] v[n, j, h·dv + c]
  Tensor out({n, l, dm});
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < l; ++i) {
      float* o = out.data() + (r * l + i) * dm;
      for (int h = 0; h < kHeads; ++h) {
        const float* a = att.data() + (h * l + i) * l;
        for (int64_t j = 0; j < l; ++j) {
          const float aj = a[j];
          const float* vj = v.data() + (r * l + j) * dm + h * dv;
          for (int64_t c = 0; c < dv; ++c) o[h * dv + c] += aj * vj[c];
        }
      }
    }
  return rf1::linear(w, p + ".to_out", out);
}

Tensor str2msa(const Weights& w, const std::string& p, const Tensor& msa, const Tensor& xyz, const Tensor& state) {
  const int64_t l = msa.dim(1);
  TRIFOLD_CHECK(xyz.numel() == l * 9 && state.dim(0) == l, "str2msa: inconsistent lengths");
  std::vector<float> ca(static_cast<size_t>(l * 3));
  for (int64_t i = 0; i < l; ++i)
    for (int c = 0; c < 3; ++c) ca[static_cast<size_t>(i * 3 + c)] = xyz[(i * 3 + 1) * 3 + c];
  Tensor st = rf1::layer_norm(w, p + ".norm_state", state);
  Tensor x = msa;
  cpu::add_(x, masked_direct_attention(w, p + ".attn", st, rf1::layer_norm(w, p + ".norm1", msa), ca.data()));
  cpu::add_(x, rf1::feed_forward(w, p + ".ff", rf1::layer_norm(w, p + ".norm2", x)));
  return x;
}

namespace {
void str2str_step(const Weights& w, const std::string& p, const Se3Config& cfg, StrBlockState& s,
                  const Tensor& seq1hot, const std::vector<int32_t>& idx, int top_k, const rf1::Tap& tap) {
  se3::Str2StrOutput o = se3::str2str(w, p + ".str2str", cfg, s.msa, s.pair, s.xyz, seq1hot, idx, top_k);
  s.xyz = std::move(o.xyz);
  s.state = std::move(o.state);
  if (tap) {
    tap(p + ".str2str/out0", s.xyz);
    tap(p + ".str2str/out1", s.state);
  }
}
}  // namespace

void iter_block_w_str(const Weights& w, const std::string& p, const rf1::Dims& d, const Se3Config& cfg,
                      StrBlockState& s, const Tensor& seq1hot, const std::vector<int32_t>& idx, int top_k,
                      const rf1::Tap& tap) {
  rf1::iter_block(w, p, d, s.msa, s.pair, tap);
  str2str_step(w, p, cfg, s, seq1hot, idx, top_k, tap);
  StageTimer t("trunk: Str2MSA");
  s.msa = str2msa(w, p + ".str2msa", s.msa, s.xyz, s.state);
  if (tap) {
    tap(p + ".str2msa/out0", s.msa);
    tap(p + "/out0", s.msa);
    tap(p + "/out1", s.pair);
    tap(p + "/out2", s.xyz);
  }
}

Tensor final_block(const Weights& w, const std::string& p, const rf1::Dims& d, const Se3Config& cfg,
                   StrBlockState& s, const Tensor& seq1hot, const std::vector<int32_t>& idx, const rf1::Tap& tap) {
  rf1::iter_block(w, p, d, s.msa, s.pair, tap);
  str2str_step(w, p, cfg, s, seq1hot, idx, 32, tap);
  const int64_t l = s.msa.dim(1);
  Tensor lddt = rf1::linear(w, p + ".pred_lddt", rf1::layer_norm(w, p + ".norm_state", s.state));  // [L, 1]
  lddt.reshape({l});
  if (tap) tap(p + "/out3", lddt);
  return lddt;
}

int count_str_blocks(const Weights& w) {
  int n = 0;
  while (w.has("feat_extractor.iter_block_2." + std::to_string(n) + ".str2msa.norm1.a_2")) ++n;
  return n;
}

int str_block_top_k(int i) {
  static constexpr int kTopK[4] = {128, 128, 64, 64};
  return i < 4 ? kTopK[i] : 64;
}

}  // namespace trifold::model::e2e
