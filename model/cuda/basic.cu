// CUDA ops: activations, elementwise arithmetic, softmax, permutations, concatenation, embedding lookup.
#include <cmath>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "model/cuda/context.cuh"

namespace trifold::model::cuda {
namespace {

#define TRIFOLD_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void relu_kernel(float* p, int64_t n) {
  TRIFOLD_GRID_STRIDE(i, n) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
}
__global__ void elu_kernel(float* p, int64_t n) {
  TRIFOLD_GRID_STRIDE(i, n) p[i] = p[i] > 0.0f ? p[i] : expm1f(p[i]);
}
__global__ void leaky_relu_kernel(float* p, int64_t n, float slope) {
  TRIFOLD_GRID_STRIDE(i, n) p[i] = p[i] > 0.0f ? p[i] : p[i] * slope;
}
__global__ void sigmoid_kernel(float* p, int64_t n) {
  TRIFOLD_GRID_STRIDE(i, n) p[i] = 1.0f / (1.0f + expf(-p[i]));
}
__global__ void add_kernel(float* p, int64_t n, const float* q) {
  TRIFOLD_GRID_STRIDE(i, n) p[i] += q[i];
}
__global__ void scale_kernel(float* p, int64_t n, float s) {
  TRIFOLD_GRID_STRIDE(i, n) p[i] *= s;
}

// Softmax along an axis with stride `inner`: one thread per (outer, inner) line (inner > 1 layouts).
__global__ void softmax_strided_kernel(const float* x, float* y, int64_t outer, int64_t n, int64_t inner) {
  TRIFOLD_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, in = t % inner;
    const float* xp = x + o * n * inner + in;
    float* yp = y + o * n * inner + in;
    float mx = -INFINITY;
    for (int64_t k = 0; k < n; ++k) mx = fmaxf(mx, xp[k * inner]);
    float s = 0.0f;
    for (int64_t k = 0; k < n; ++k) {
      const float e = expf(xp[k * inner] - mx);
      yp[k * inner] = e;
      s += e;
    }
    for (int64_t k = 0; k < n; ++k) yp[k * inner] /= s;
  }
}

// Softmax over contiguous rows (inner = 1): one warp per row, fp32 like the CPU (the sum order differs).
__global__ void softmax_rows_kernel(const float* x, float* y, int64_t rows, int64_t n) {
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x / 32);
  const int lane = threadIdx.x & 31;
  for (int64_t r = blockIdx.x * int64_t(blockDim.x / 32) + threadIdx.x / 32; r < rows; r += warps) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float mx = -INFINITY;
    for (int64_t k = lane; k < n; k += 32) mx = fmaxf(mx, xr[k]);
    for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
    float s = 0.0f;
    for (int64_t k = lane; k < n; k += 32) {
      const float e = expf(xr[k] - mx);
      yr[k] = e;
      s += e;
    }
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    for (int64_t k = lane; k < n; k += 32) yr[k] /= s;
  }
}

constexpr int kMaxDims = 8;
struct PermuteArgs {
  int nd;
  int64_t out_shape[kMaxDims];
  int64_t src_stride[kMaxDims];
};

__global__ void permute_kernel(const float* x, float* y, int64_t n, PermuteArgs a) {
  TRIFOLD_GRID_STRIDE(t, n) {
    int64_t rem = t, src = 0;
    for (int i = a.nd - 1; i >= 0; --i) {
      const int64_t d = a.out_shape[i];
      src += (rem % d) * a.src_stride[i];
      rem /= d;
    }
    y[t] = x[src];
  }
}

// y[o, off + j] = part[o, j] for one concat operand (row length n_part, output row length n_total).
__global__ void concat_part_kernel(const float* part, float* y, int64_t outer, int64_t n_part, int64_t n_total,
                                   int64_t off) {
  TRIFOLD_GRID_STRIDE(t, outer * n_part) {
    const int64_t o = t / n_part, j = t % n_part;
    y[o * n_total + off + j] = part[t];
  }
}

__global__ void embedding_kernel(const float* table, const int32_t* tok, float* y, int64_t n_tok, int64_t d) {
  TRIFOLD_GRID_STRIDE(t, n_tok * d) y[t] = table[static_cast<int64_t>(tok[t / d]) * d + t % d];
}

template <typename Kernel, typename... Args>
void pointwise(const Context& ctx, DeviceTensor& x, const char* name, Kernel k, Args... args) {
  same_context(ctx, x, name);
  if (x.numel() == 0) return;
  k<<<grid_for(x.numel()), 256, 0, stream_of(ctx)>>>(x.device_data(), x.numel(), args...);
  TRIFOLD_CUDA_LAUNCH_CHECK(pointwise, ctx);
}

}  // namespace

void relu_(const Context& ctx, DeviceTensor& x) { pointwise(ctx, x, "relu_", relu_kernel); }
void elu_(const Context& ctx, DeviceTensor& x) { pointwise(ctx, x, "elu_", elu_kernel); }
void leaky_relu_(const Context& ctx, DeviceTensor& x, float slope) {
  pointwise(ctx, x, "leaky_relu_", leaky_relu_kernel, slope);
}
void sigmoid_(const Context& ctx, DeviceTensor& x) { pointwise(ctx, x, "sigmoid_", sigmoid_kernel); }
void scale_(const Context& ctx, DeviceTensor& x, float s) { pointwise(ctx, x, "scale_", scale_kernel, s); }

void add_(const Context& ctx, DeviceTensor& x, const DeviceTensor& y) {
  TRIFOLD_CHECK(x.numel() == y.numel(), "add: " + shape_str(x.shape()) + " + " + shape_str(y.shape()));
  same_context(ctx, y, "add_");
  pointwise(ctx, x, "add_", add_kernel, y.device_data());
}

DeviceTensor add(const Context& ctx, const DeviceTensor& x, const DeviceTensor& y) {
  DeviceTensor z = x.clone();
  add_(ctx, z, y);
  return z;
}

DeviceTensor softmax(const Context& ctx, const DeviceTensor& x, int axis) {
  same_context(ctx, x, "softmax");
  const int nd = x.ndim();
  const int a = axis < 0 ? axis + nd : axis;
  TRIFOLD_CHECK(a >= 0 && a < nd, "softmax: axis out of range");
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= x.dim(i);
  for (int i = a + 1; i < nd; ++i) inner *= x.dim(i);
  const int64_t n = x.dim(a);
  DeviceTensor y(ctx, x.shape(), false);
  if (y.numel() == 0) return y;
  cudaStream_t s = stream_of(ctx);
  if (inner == 1) {
    const int64_t blocks = (outer + 7) / 8;  // 8 warps per block
    softmax_rows_kernel<<<static_cast<unsigned>(std::min<int64_t>(blocks, 1 << 20)), 256, 0, s>>>(
        x.device_data(), y.device_data(), outer, n);
    TRIFOLD_CUDA_LAUNCH_CHECK(softmax_rows_kernel, ctx);
  } else {
    softmax_strided_kernel<<<grid_for(outer * inner), 256, 0, s>>>(x.device_data(), y.device_data(), outer, n, inner);
    TRIFOLD_CUDA_LAUNCH_CHECK(softmax_strided_kernel, ctx);
  }
  return y;
}

DeviceTensor permute(const Context& ctx, const DeviceTensor& x, const std::vector<int>& perm) {
  same_context(ctx, x, "permute");
  const int nd = x.ndim();
  TRIFOLD_CHECK(static_cast<int>(perm.size()) == nd, "permute: wrong number of axes");
  TRIFOLD_CHECK(nd <= kMaxDims, "permute: at most 8 axes");
  PermuteArgs args{};
  args.nd = nd;
  int64_t in_stride[kMaxDims];
  if (nd > 0) in_stride[nd - 1] = 1;
  for (int i = nd - 2; i >= 0; --i) in_stride[i] = in_stride[i + 1] * x.dim(i + 1);
  Shape out_shape(static_cast<size_t>(nd));
  std::vector<bool> seen(static_cast<size_t>(nd), false);
  for (int i = 0; i < nd; ++i) {
    const int p = perm[static_cast<size_t>(i)];
    TRIFOLD_CHECK(p >= 0 && p < nd && !seen[static_cast<size_t>(p)], "permute: invalid permutation");
    seen[static_cast<size_t>(p)] = true;
    out_shape[static_cast<size_t>(i)] = x.dim(p);
    args.out_shape[i] = x.dim(p);
    args.src_stride[i] = in_stride[p];
  }
  DeviceTensor y(ctx, out_shape, false);
  if (y.numel() == 0) return y;
  permute_kernel<<<grid_for(y.numel()), 256, 0, stream_of(ctx)>>>(x.device_data(), y.device_data(), y.numel(), args);
  TRIFOLD_CUDA_LAUNCH_CHECK(permute_kernel, ctx);
  return y;
}

DeviceTensor transpose01(const Context& ctx, const DeviceTensor& x) {
  TRIFOLD_CHECK(x.ndim() == 3, "transpose01: expected [A, B, C], got " + shape_str(x.shape()));
  return permute(ctx, x, {1, 0, 2});
}

DeviceTensor concat(const Context& ctx, const std::vector<const DeviceTensor*>& parts, int axis) {
  TRIFOLD_CHECK(!parts.empty(), "concat: no inputs");
  const int nd = parts[0]->ndim();
  const int a = axis < 0 ? axis + nd : axis;
  TRIFOLD_CHECK(a >= 0 && a < nd, "concat: axis out of range");
  Shape s = parts[0]->shape();
  int64_t total = 0;
  for (const DeviceTensor* t : parts) {
    same_context(ctx, *t, "concat");
    TRIFOLD_CHECK(t->ndim() == nd, "concat: rank mismatch");
    for (int i = 0; i < nd; ++i)
      if (i != a)
        TRIFOLD_CHECK(t->dim(i) == s[static_cast<size_t>(i)], "concat: shape mismatch " + shape_str(t->shape()));
    total += t->dim(a);
  }
  s[static_cast<size_t>(a)] = total;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= s[static_cast<size_t>(i)];
  for (int i = a + 1; i < nd; ++i) inner *= s[static_cast<size_t>(i)];
  DeviceTensor y(ctx, s, false);
  int64_t off = 0;
  for (const DeviceTensor* t : parts) {
    const int64_t n = t->dim(a) * inner;
    if (outer * n > 0) {
      concat_part_kernel<<<grid_for(outer * n), 256, 0, stream_of(ctx)>>>(t->device_data(), y.device_data(), outer, n,
                                                                           total * inner, off);
      TRIFOLD_CUDA_LAUNCH_CHECK(concat_part_kernel, ctx);
    }
    off += n;
  }
  return y;
}

DeviceTensor embedding(const Context& ctx, const DeviceTensor& table, const std::vector<int32_t>& tokens,
                       const Shape& shape) {
  same_context(ctx, table, "embedding");
  TRIFOLD_CHECK(table.ndim() == 2, "embedding: table must be [V, D]");
  TRIFOLD_CHECK(shape_numel(shape) == static_cast<int64_t>(tokens.size()), "embedding: token count vs shape");
  const int64_t v = table.dim(0), d = table.dim(1);
  for (int32_t t : tokens)
    TRIFOLD_CHECK(t >= 0 && t < v, "embedding: token " + std::to_string(t) + " outside [0, " + std::to_string(v) + ")");
  Shape s = shape;
  s.push_back(d);
  DeviceTensor y(ctx, s, false);
  if (y.numel() == 0) return y;
  DeviceInts tok(ctx, tokens);
  embedding_kernel<<<grid_for(y.numel()), 256, 0, stream_of(ctx)>>>(table.device_data(), tok.device_data(),
                                                                     y.device_data(), tok.size(), d);
  TRIFOLD_CUDA_LAUNCH_CHECK(embedding_kernel, ctx);
  return y;
}

}  // namespace trifold::model::cuda
