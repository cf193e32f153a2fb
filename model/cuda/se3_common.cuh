// Kernels shared by the SE(3) .cu files (internal).
#pragma once

#include <cstdint>

namespace trifold::model::cuda {
namespace {

enum class Se3Act { None = 0, Relu = 1, LeakyRelu = 2 };

// In place: nn.LayerNorm over rows of width n with the se3 CPU arithmetic (double mean and variance, then
// float((v − mean)·inv)·g + b), then an optional activation (ReLU, or LeakyReLU with slope 0.01). One warp per row.
__global__ void se3_layer_norm_act_kernel(float* x, int64_t rows, int n, const float* g, const float* b, float eps,
                                          int act) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x / 32);
  for (int64_t r = blockIdx.x * int64_t(blockDim.x / 32) + threadIdx.x / 32; r < rows; r += warps) {
    float* v = x + r * n;
    double s = 0.0;
    for (int i = lane; i < n; i += 32) s += v[i];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    const double mean = s / n;
    double q = 0.0;
    for (int i = lane; i < n; i += 32) q += (v[i] - mean) * (v[i] - mean);
    for (int o = 16; o > 0; o >>= 1) q += __shfl_xor_sync(0xffffffffu, q, o);
    const double inv = 1.0 / sqrt(q / n + eps);
    for (int i = lane; i < n; i += 32) {
      float t = static_cast<float>((v[i] - mean) * inv) * g[i] + b[i];
      if (act == static_cast<int>(Se3Act::Relu)) t = t > 0.f ? t : 0.f;
      if (act == static_cast<int>(Se3Act::LeakyRelu)) t = t > 0.f ? t : 0.01f * t;
      v[i] = t;
    }
  }
}

inline unsigned se3_rows_grid(int64_t rows) {  // 8 warps per 256-thread block
  const int64_t blocks = (rows + 7) / 8;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > (1 << 20) ? (1 << 20) : blocks));
}

__global__ void se3_fill_rows_kernel(float* y, const float* b, int64_t rows, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < rows * n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = b[i % n];
}

}  // namespace
}  // namespace trifold::model::cuda
