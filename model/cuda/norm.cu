// CUDA ops: LayerNorm (RoseTTAFold custom and torch.nn flavours) and channel-last InstanceNorm2d.
//
// Statistics are accumulated in double exactly like the CPU oracle (two passes: mean, then Σ(x−μ)²), so the
// results differ from the CPU only by the order of the double additions (far below fp32 rounding).
#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"

namespace trifold::model::cuda {
namespace {

constexpr int kNormThreads = 128;

// Block-wide sum of one double per thread (blockDim.x = kNormThreads); every thread gets the result.
__device__ double block_sum(double v, double* sh) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // sh may still be read from a previous call
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  double t = 0.0;
  for (int i = 0; i < kNormThreads / 32; ++i) t += sh[i];
  return t;
}

// One block per row of width d. kCustom: g·(x−μ)/sd + b; else (x−μ)/sd·g + b (nn.LayerNorm). y may alias x.
template <bool kCustom>
__global__ void layer_norm_kernel(const float* x, float* y, const float* g, const float* b, int64_t rows, int64_t d,
                                  float eps) {
  __shared__ double sh[kNormThreads / 32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    double s = 0.0;
    for (int64_t c = threadIdx.x; c < d; c += blockDim.x) s += xr[c];
    const double mean = block_sum(s, sh) / static_cast<double>(d);
    double v = 0.0;
    for (int64_t c = threadIdx.x; c < d; c += blockDim.x) {
      const double t = xr[c] - mean;
      v += t * t;
    }
    const double var = block_sum(v, sh) / static_cast<double>(d);
    const float m = static_cast<float>(mean);
    const float sd = static_cast<float>(sqrt(var + static_cast<double>(eps)));
    __syncthreads();  // every thread has read its inputs before y (possibly = x) is written
    for (int64_t c = threadIdx.x; c < d; c += blockDim.x) {
      if (kCustom)
        yr[c] = g[c] * (xr[c] - m) / sd + b[c];
      else
        yr[c] = (xr[c] - m) / sd * g[c] + b[c];
    }
  }
}

template <bool kCustom>
void launch_layer_norm(const Context& ctx, const DeviceTensor& x, const DeviceTensor& g, const DeviceTensor& b,
                       float eps, float* y) {
  same_context(ctx, x, "layer_norm");
  TRIFOLD_CHECK(x.ndim() >= 1, "layer_norm: scalar input");
  const int64_t d = x.dim(-1);
  TRIFOLD_CHECK(g.numel() == d && b.numel() == d,
                "layer_norm: parameters of size " + std::to_string(g.numel()) + " for input " + shape_str(x.shape()));
  const int64_t rows = d ? x.numel() / d : 0;
  if (rows == 0) return;
  const unsigned grid = static_cast<unsigned>(std::min<int64_t>(rows, 1 << 20));
  layer_norm_kernel<kCustom><<<grid, kNormThreads, 0, stream_of(ctx)>>>(x.device_data(), y, g.device_data(),
                                                                        b.device_data(), rows, d, eps);
  TRIFOLD_CUDA_LAUNCH_CHECK(layer_norm_kernel, ctx);
}

// Instance norm, pass 1/2: partial per-channel sums over a fixed number of position chunks (blockIdx.y), one
// thread per channel; with `mean` given, sums of squared deviations.
constexpr int64_t kChunks = 512;  // fixed: results do not depend on the launch configuration
__global__ void inorm_partial_kernel(const float* x, const double* mean, double* part, int64_t hw, int64_t c) {
  const int64_t k = blockIdx.y;
  const int64_t lo = hw * k / kChunks, hi = hw * (k + 1) / kChunks;
  for (int64_t ch = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; ch < c; ch += int64_t(gridDim.x) * blockDim.x) {
    double acc = 0.0;
    const double mu = mean ? mean[ch] : 0.0;
    for (int64_t p = lo; p < hi; ++p) {
      const double t = static_cast<double>(x[p * c + ch]) - mu;
      acc += mean ? t * t : t;
    }
    part[k * c + ch] = acc;
  }
}

// Merge the chunks in chunk order and divide by H·W.
__global__ void inorm_merge_kernel(const double* part, double* out, int64_t hw, int64_t c) {
  for (int64_t ch = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; ch < c; ch += int64_t(gridDim.x) * blockDim.x) {
    double s = 0.0;
    for (int64_t k = 0; k < kChunks; ++k) s += part[k * c + ch];
    out[ch] = s / static_cast<double>(hw);
  }
}

__global__ void inorm_apply_kernel(const float* x, float* y, const double* mean, const double* var,
                                   const float* gamma, const float* beta, int64_t hw, int64_t c, float eps) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < hw * c; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ch = t % c;
    // Same float scale/shift as the CPU (computed in double, rounded once).
    const double inv = 1.0 / sqrt(var[ch] + static_cast<double>(eps));
    const float scale = static_cast<float>(inv * gamma[ch]);
    const float shift = static_cast<float>(beta[ch] - mean[ch] * inv * gamma[ch]);
    y[t] = x[t] * scale + shift;
  }
}

}  // namespace

DeviceTensor layer_norm(const Context& ctx, const DeviceTensor& x, const DeviceTensor& a2, const DeviceTensor& b2,
                        float eps) {
  DeviceTensor y(ctx, x.shape(), false);
  launch_layer_norm<true>(ctx, x, a2, b2, eps, y.device_data());
  return y;
}

void layer_norm_(const Context& ctx, DeviceTensor& x, const DeviceTensor& a2, const DeviceTensor& b2, float eps) {
  launch_layer_norm<true>(ctx, x, a2, b2, eps, x.device_data());
}

DeviceTensor layer_norm_torch(const Context& ctx, const DeviceTensor& x, const DeviceTensor& weight,
                              const DeviceTensor& bias, float eps) {
  DeviceTensor y(ctx, x.shape(), false);
  launch_layer_norm<false>(ctx, x, weight, bias, eps, y.device_data());
  return y;
}

namespace {
// y = InstanceNorm(x); y may be x (each element is read once, by the thread that writes it).
void launch_instance_norm(const Context& ctx, const DeviceTensor& x, float* y, const DeviceTensor& gamma,
                          const DeviceTensor& beta, float eps) {
  same_context(ctx, x, "instance_norm");
  TRIFOLD_CHECK(x.ndim() == 3, "instance_norm: input must be [H, W, C], got " + shape_str(x.shape()));
  const int64_t hw = x.dim(0) * x.dim(1), c = x.dim(2);
  TRIFOLD_CHECK(gamma.numel() == c && beta.numel() == c, "instance_norm: parameter size mismatch");
  if (c == 0) return;
  cudaStream_t s = stream_of(ctx);
  Scratch<double> part(ctx, kChunks * c), mean(ctx, c), var(ctx, c);
  const dim3 grid(static_cast<unsigned>((c + 127) / 128), static_cast<unsigned>(kChunks));
  inorm_partial_kernel<<<grid, 128, 0, s>>>(x.device_data(), nullptr, part.get(), hw, c);
  TRIFOLD_CUDA_LAUNCH_CHECK(inorm_partial_kernel, ctx);
  inorm_merge_kernel<<<grid_for(c, 128), 128, 0, s>>>(part.get(), mean.get(), hw, c);
  TRIFOLD_CUDA_LAUNCH_CHECK(inorm_merge_kernel, ctx);
  inorm_partial_kernel<<<grid, 128, 0, s>>>(x.device_data(), mean.get(), part.get(), hw, c);
  TRIFOLD_CUDA_LAUNCH_CHECK(inorm_partial_kernel, ctx);
  inorm_merge_kernel<<<grid_for(c, 128), 128, 0, s>>>(part.get(), var.get(), hw, c);
  TRIFOLD_CUDA_LAUNCH_CHECK(inorm_merge_kernel, ctx);
  if (hw > 0) {
    inorm_apply_kernel<<<grid_for(hw * c), 256, 0, s>>>(x.device_data(), y, mean.get(), var.get(),
                                                        gamma.device_data(), beta.device_data(), hw, c, eps);
    TRIFOLD_CUDA_LAUNCH_CHECK(inorm_apply_kernel, ctx);
  }
}
}  // namespace

DeviceTensor instance_norm(const Context& ctx, const DeviceTensor& x, const DeviceTensor& gamma,
                           const DeviceTensor& beta, float eps) {
  DeviceTensor y(ctx, x.shape(), false);
  launch_instance_norm(ctx, x, y.device_data(), gamma, beta, eps);
  return y;
}

void instance_norm_(const Context& ctx, DeviceTensor& x, const DeviceTensor& gamma, const DeviceTensor& beta,
                    float eps) {
  launch_instance_norm(ctx, x, x.device_data(), gamma, beta, eps);
}

}  // namespace trifold::model::cuda
