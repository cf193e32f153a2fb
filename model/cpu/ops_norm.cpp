// CPU ops: LayerNorm (RoseTTAFold custom and torch.nn flavours) and channel-last InstanceNorm2d.
#include <algorithm>
#include <cmath>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"

namespace trifold::model::cpu {
namespace {

// y may alias x (row statistics are computed before the row is written).
template <bool kCustom>
void layer_norm_rows(const Tensor& x, const Tensor& g, const Tensor& b, float eps, float* ydata) {
  const int64_t d = x.dim(-1);
  TRIFOLD_CHECK(g.numel() == d && b.numel() == d,
                "layer_norm: parameters of size " + std::to_string(g.numel()) + " for input " + shape_str(x.shape()));
  const int64_t rows = d ? x.numel() / d : 0;
  const float* gp = g.data();
  const float* bp = b.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * d;
    float* yr = ydata + r * d;
    // Two-pass statistics in double: the result is then independent of summation order up to fp32 rounding.
    double mean = 0.0;
    for (int64_t c = 0; c < d; ++c) mean += xr[c];
    mean /= static_cast<double>(d);
    double var = 0.0;
    for (int64_t c = 0; c < d; ++c) {
      const double t = xr[c] - mean;
      var += t * t;
    }
    var /= static_cast<double>(d);
    const float m = static_cast<float>(mean);
    const float sd = static_cast<float>(std::sqrt(var + static_cast<double>(eps)));
    for (int64_t c = 0; c < d; ++c) {
      if constexpr (kCustom)
        yr[c] = gp[c] * (xr[c] - m) / sd + bp[c];
      else
        yr[c] = (xr[c] - m) / sd * gp[c] + bp[c];
    }
  }
}

template <bool kCustom>
Tensor layer_norm_impl(const Tensor& x, const Tensor& g, const Tensor& b, float eps) {
  Tensor y(x.shape());
  layer_norm_rows<kCustom>(x, g, b, eps, y.data());
  return y;
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& a2, const Tensor& b2, float eps) {
  return layer_norm_impl<true>(x, a2, b2, eps);
}

void layer_norm_(Tensor& x, const Tensor& a2, const Tensor& b2, float eps) {
  layer_norm_rows<true>(x, a2, b2, eps, x.data());
}

Tensor layer_norm_torch(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  return layer_norm_impl<false>(x, weight, bias, eps);
}

Tensor instance_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  TRIFOLD_CHECK(x.ndim() == 3, "instance_norm: input must be [H, W, C], got " + shape_str(x.shape()));
  const int64_t hw = x.dim(0) * x.dim(1), c = x.dim(2);
  TRIFOLD_CHECK(gamma.numel() == c && beta.numel() == c, "instance_norm: parameter size mismatch");
  // Statistics in double over a FIXED number of position chunks (independent of the thread count), merged
  // in chunk order: deterministic, and each chunk streams rows contiguously (channel-last friendly).
  constexpr int64_t kChunks = 64;
  const size_t cs = static_cast<size_t>(c);
  std::vector<double> part(static_cast<size_t>(kChunks) * cs, 0.0);
  std::vector<double> mean(cs, 0.0), var(cs, 0.0);
  auto chunk_lo = [&](int64_t k) { return hw * k / kChunks; };
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < kChunks; ++k) {
    double* acc = part.data() + static_cast<size_t>(k) * cs;
    for (int64_t p = chunk_lo(k); p < chunk_lo(k + 1); ++p)
      for (int64_t ch = 0; ch < c; ++ch) acc[ch] += x[p * c + ch];
  }
  for (int64_t k = 0; k < kChunks; ++k)
    for (size_t ch = 0; ch < cs; ++ch) mean[ch] += part[static_cast<size_t>(k) * cs + ch];
  for (size_t ch = 0; ch < cs; ++ch) mean[ch] /= static_cast<double>(hw);
  std::fill(part.begin(), part.end(), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < kChunks; ++k) {
    double* acc = part.data() + static_cast<size_t>(k) * cs;
    for (int64_t p = chunk_lo(k); p < chunk_lo(k + 1); ++p)
      for (int64_t ch = 0; ch < c; ++ch) {
        const double t = x[p * c + ch] - mean[static_cast<size_t>(ch)];
        acc[ch] += t * t;
      }
  }
  for (int64_t k = 0; k < kChunks; ++k)
    for (size_t ch = 0; ch < cs; ++ch) var[ch] += part[static_cast<size_t>(k) * cs + ch];
  for (size_t ch = 0; ch < cs; ++ch) var[ch] /= static_cast<double>(hw);
  std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double inv = 1.0 / std::sqrt(var[static_cast<size_t>(ch)] + static_cast<double>(eps));
    scale[static_cast<size_t>(ch)] = static_cast<float>(inv * gamma[ch]);
    shift[static_cast<size_t>(ch)] = static_cast<float>(beta[ch] - mean[static_cast<size_t>(ch)] * inv * gamma[ch]);
  }
  Tensor y(x.shape());
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < hw; ++p)
    for (int64_t ch = 0; ch < c; ++ch)
      y[p * c + ch] = x[p * c + ch] * scale[static_cast<size_t>(ch)] + shift[static_cast<size_t>(ch)];
  return y;
}

}  // namespace trifold::model::cpu
