// CUDA ops: cuBLAS GEMM wrappers (row-major), linear layers, batched matmul and channel-last 2-D convolution.
//
// Every product goes through cublasGemm{,StridedBatched,Batched}Ex with fp32 C and fp32 accumulation; the
// context's MatmulPrecision picks the operands: Fp32 (CUDA_R_32F, CUBLAS_COMPUTE_32F under
// CUBLAS_DEFAULT_MATH: no tensor-core shortcut), Tf32 (CUBLAS_COMPUTE_32F_FAST_TF32) or Bf16 (the operands are
// first rounded to nearest even into bf16 scratch copies, __float2bfloat16_rn, then CUDA_R_16BF with
// CUBLAS_COMPUTE_32F) — the arithmetic cpu::gemm emulates under the same precision.
#include <cuda_bf16.h>

#include <climits>
#include <memory>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "model/cuda/context.cuh"

namespace trifold::model::cuda {
namespace {

int as_int(int64_t v, const char* what) {
  TRIFOLD_CHECK(v >= 0 && v <= INT_MAX, std::string("gemm: ") + what + " = " + std::to_string(v) +
                                            " does not fit cuBLAS's 32-bit int");
  return static_cast<int>(v);
}

// out[r, :] = bias for every row (the bias is then accumulated by a beta = 1 GEMM, exactly like cpu::linear).
__global__ void fill_rows_kernel(float* y, const float* b, int64_t rows, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < rows * n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = b[i % n];
}

// Pointer arrays of a two-level batch: index t = o·inner + h (T = float or __nv_bfloat16 operands).
template <typename T>
__global__ void batch_ptrs_kernel(const T** pa, const T** pb, float** pc, const T* a, const T* b,
                                  float* c, int64_t sa_o, int64_t sa_i, int64_t sb_o, int64_t sb_i, int64_t sc_o,
                                  int64_t sc_i, int64_t outer, int64_t inner) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < outer * inner;
       t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / inner, h = t % inner;
    pa[t] = a + o * sa_o + h * sa_i;
    pb[t] = b + o * sb_o + h * sb_i;
    pc[t] = c + o * sc_o + h * sc_i;
  }
}

// Zero-padded copy for the 3×3 conv: pad [(h+3), (w+2), c] with x at rows 1..h, columns 1..w.
__global__ void pad_kernel(const float* x, float* pad, int64_t h, int64_t w, int64_t c) {
  const int64_t wp = w + 2, n = (h + 3) * wp * c;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < n; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ch = t % c, pos = t / c, j = pos % wp, i = pos / wp;
    pad[t] = (i >= 1 && i <= h && j >= 1 && j <= w) ? x[((i - 1) * w + (j - 1)) * c + ch] : 0.0f;
  }
}

// Tap-major weights wt[tap][cout][cin] from PyTorch [cout][cin][3][3].
__global__ void tap_major_kernel(const float* w, float* wt, int64_t cout, int64_t cin) {
  const int64_t n = 9 * cout * cin;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < n; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = t % cin, o = (t / cin) % cout, tap = t / (cin * cout);
    wt[t] = w[(o * cin + c) * 9 + tap];
  }
}

// Drop the 2 extra grid columns and add the bias (cpu::conv2d adds it after the taps, as here).
__global__ void crop_bias_kernel(const float* outp, const float* bias, float* y, int64_t h, int64_t w, int64_t cout) {
  const int64_t n = h * w * cout, wp = w + 2;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < n; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t % cout, pos = t / cout, j = pos % w, i = pos / w;
    y[t] = outp[(i * wp + j) * cout + o] + (bias ? bias[o] : 0.0f);
  }
}

// C = beta C on an [m, n] block with leading dimension ldc (k = 0 products; beta = 0 writes exact zeros).
__global__ void scale_block_kernel(float* c, int64_t m, int64_t n, int64_t ldc, float beta) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < m * n; t += int64_t(gridDim.x) * blockDim.x) {
    float* p = c + (t / n) * ldc + t % n;
    *p = beta == 0.0f ? 0.0f : beta * *p;
  }
}

__global__ void to_bf16_kernel(const float* x, __nv_bfloat16* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __float2bfloat16_rn(x[i]);
}

// Elements from the first to the last one a (batched) row-major operand reads: rows × cols with leading
// dimension ld, repeated at the given batch offsets (the largest offset is enough: offsets are ≥ 0).
int64_t operand_span(int64_t rows, int64_t cols, int64_t ld, int64_t max_batch_offset = 0) {
  return max_batch_offset + (rows - 1) * ld + cols;
}

// One GEMM operand as cuBLAS reads it under the context's precision: the fp32 data itself, or its bf16 copy
// (the `span` elements from `x`, converted on the context's stream, freed in stream order). view(offset) is the
// operand starting `offset` elements further (same offset in either copy).
struct OperandView {
  const void* ptr;
  cudaDataType type;
};

class Operand {
 public:
  Operand(const Context& ctx, const float* x, int64_t span) : x_(x) {
    if (st(ctx).precision != MatmulPrecision::Bf16) return;
    bf_ = std::make_unique<Scratch<__nv_bfloat16>>(ctx, span);
    to_bf16_kernel<<<grid_for(span), 256, 0, stream_of(ctx)>>>(x, bf_->get(), span);
    TRIFOLD_CUDA_LAUNCH_CHECK(to_bf16_kernel, ctx);
  }
  OperandView view(int64_t offset = 0) const {
    if (bf_) return {bf_->get() + offset, CUDA_R_16BF};
    return {x_ + offset, CUDA_R_32F};
  }
  bool is_bf16() const { return bf_ != nullptr; }
  const __nv_bfloat16* bf16() const { return bf_->get(); }

 private:
  const float* x_;
  std::unique_ptr<Scratch<__nv_bfloat16>> bf_;
};

cublasComputeType_t compute_type(const Context& ctx) {
  return st(ctx).precision == MatmulPrecision::Tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
}

cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

// Row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ: swap the operands and m/n; each row-major
// operand is its own transpose when read column-major, so the op flags carry over unchanged.
void gemm_operands(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   OperandView a, int64_t lda, OperandView b, int64_t ldb, float beta, float* c, int64_t ldc) {
  TRIFOLD_CUBLAS_CHECK(cublasGemmEx(st(ctx).blas, op(trans_b), op(trans_a), as_int(n, "n"), as_int(m, "m"),
                                    as_int(k, "k"), &alpha, b.ptr, b.type, as_int(ldb, "ldb"), a.ptr, a.type,
                                    as_int(lda, "lda"), &beta, c, CUDA_R_32F, as_int(ldc, "ldc"), compute_type(ctx),
                                    CUBLAS_GEMM_DEFAULT));
}

}  // namespace

void gemm(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // as cpu::gemm: C = beta C
    scale_block_kernel<<<grid_for(m * n), 256, 0, stream_of(ctx)>>>(c, m, n, ldc, beta);
    TRIFOLD_CUDA_LAUNCH_CHECK(scale_block_kernel, ctx);
    return;
  }
  const Operand oa(ctx, a, trans_a ? operand_span(k, m, lda) : operand_span(m, k, lda));
  const Operand ob(ctx, b, trans_b ? operand_span(n, k, ldb) : operand_span(k, n, ldb));
  gemm_operands(ctx, trans_a, trans_b, m, n, k, alpha, oa.view(), lda, ob.view(), ldb, beta, c, ldc);
}

void gemm_strided_batched(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                          float alpha, const float* a, int64_t lda, int64_t stride_a, const float* b, int64_t ldb,
                          int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c, int64_t batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  TRIFOLD_CHECK(k > 0, "gemm_strided_batched: k = 0");
  TRIFOLD_CHECK(stride_a >= 0 && stride_b >= 0, "gemm_strided_batched: negative operand stride");
  const Operand oa(ctx, a, trans_a ? operand_span(k, m, lda, (batch - 1) * stride_a)
                                   : operand_span(m, k, lda, (batch - 1) * stride_a));
  const Operand ob(ctx, b, trans_b ? operand_span(n, k, ldb, (batch - 1) * stride_b)
                                   : operand_span(k, n, ldb, (batch - 1) * stride_b));
  TRIFOLD_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      st(ctx).blas, op(trans_b), op(trans_a), as_int(n, "n"), as_int(m, "m"), as_int(k, "k"), &alpha, ob.view().ptr,
      ob.view().type, as_int(ldb, "ldb"), stride_b, oa.view().ptr, oa.view().type, as_int(lda, "lda"), stride_a, &beta, c,
      CUDA_R_32F, as_int(ldc, "ldc"), stride_c, as_int(batch, "batch"), compute_type(ctx), CUBLAS_GEMM_DEFAULT));
}

void gemm_batched2(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, int64_t sa_outer, int64_t sa_inner, const float* b, int64_t ldb,
                   int64_t sb_outer, int64_t sb_inner, float beta, float* c, int64_t ldc, int64_t sc_outer,
                   int64_t sc_inner, int64_t outer, int64_t inner) {
  const int64_t batch = outer * inner;
  if (m == 0 || n == 0 || batch == 0) return;
  TRIFOLD_CHECK(k > 0, "gemm_batched2: k = 0");
  TRIFOLD_CHECK(sa_outer >= 0 && sa_inner >= 0 && sb_outer >= 0 && sb_inner >= 0,
                "gemm_batched2: negative operand stride");
  const int64_t off_a = (outer - 1) * sa_outer + (inner - 1) * sa_inner;
  const int64_t off_b = (outer - 1) * sb_outer + (inner - 1) * sb_inner;
  const Operand oa(ctx, a, trans_a ? operand_span(k, m, lda, off_a) : operand_span(m, k, lda, off_a));
  const Operand ob(ctx, b, trans_b ? operand_span(n, k, ldb, off_b) : operand_span(k, n, ldb, off_b));
  // The pointer arrays index the operands cuBLAS reads (the fp32 data or its bf16 copy, same strides).
  Scratch<const void*> pa(ctx, batch), pb(ctx, batch);
  Scratch<float*> pc(ctx, batch);
  if (oa.is_bf16()) {
    batch_ptrs_kernel<__nv_bfloat16><<<grid_for(batch), 256, 0, stream_of(ctx)>>>(
        reinterpret_cast<const __nv_bfloat16**>(pa.get()), reinterpret_cast<const __nv_bfloat16**>(pb.get()),
        pc.get(), oa.bf16(), ob.bf16(), c, sa_outer, sa_inner, sb_outer, sb_inner, sc_outer, sc_inner, outer, inner);
  } else {
    batch_ptrs_kernel<float><<<grid_for(batch), 256, 0, stream_of(ctx)>>>(
        reinterpret_cast<const float**>(pa.get()), reinterpret_cast<const float**>(pb.get()), pc.get(), a, b, c,
        sa_outer, sa_inner, sb_outer, sb_inner, sc_outer, sc_inner, outer, inner);
  }
  TRIFOLD_CUDA_LAUNCH_CHECK(batch_ptrs_kernel, ctx);
  TRIFOLD_CUBLAS_CHECK(cublasGemmBatchedEx(st(ctx).blas, op(trans_b), op(trans_a), as_int(n, "n"), as_int(m, "m"),
                                           as_int(k, "k"), &alpha, pb.get(), ob.view().type, as_int(ldb, "ldb"), pa.get(),
                                           oa.view().type, as_int(lda, "lda"), &beta,
                                           reinterpret_cast<void* const*>(pc.get()), CUDA_R_32F, as_int(ldc, "ldc"),
                                           as_int(batch, "batch"), compute_type(ctx), CUBLAS_GEMM_DEFAULT));
}

DeviceTensor linear(const Context& ctx, const DeviceTensor& x, const DeviceTensor& weight, const DeviceTensor* bias) {
  same_context(ctx, x, "linear");
  TRIFOLD_CHECK(x.ndim() >= 1, "linear: scalar input");
  const int64_t in = x.dim(-1);
  TRIFOLD_CHECK(weight.ndim() == 2 && weight.dim(1) == in,
                "linear: weight " + shape_str(weight.shape()) + " does not take " + std::to_string(in) + " inputs");
  const int64_t out = weight.dim(0), rows = in ? x.numel() / in : 0;
  Shape s = x.shape();
  s.back() = out;
  DeviceTensor y(ctx, s, false);
  if (bias) {
    TRIFOLD_CHECK(bias->numel() == out, "linear: bias size " + std::to_string(bias->numel()));
    if (rows * out > 0) {
      fill_rows_kernel<<<grid_for(rows * out), 256, 0, stream_of(ctx)>>>(y.device_data(), bias->device_data(), rows,
                                                                         out);
      TRIFOLD_CUDA_LAUNCH_CHECK(fill_rows_kernel, ctx);
    }
  }
  gemm(ctx, false, true, rows, out, in, 1.0f, x.device_data(), in, weight.device_data(), in, bias ? 1.0f : 0.0f,
       y.device_data(), out);
  return y;
}

DeviceTensor bmm(const Context& ctx, const DeviceTensor& a, const DeviceTensor& b, bool trans_a, bool trans_b) {
  TRIFOLD_CHECK(a.ndim() == 3 && b.ndim() == 3 && a.dim(0) == b.dim(0),
                "bmm: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()));
  const int64_t batch = a.dim(0);
  const int64_t m = trans_a ? a.dim(2) : a.dim(1), k = trans_a ? a.dim(1) : a.dim(2);
  const int64_t kb = trans_b ? b.dim(2) : b.dim(1), n = trans_b ? b.dim(1) : b.dim(2);
  TRIFOLD_CHECK(k == kb, "bmm: inner dimensions " + shape_str(a.shape()) + " · " + shape_str(b.shape()));
  if (k == 0) return DeviceTensor(ctx, {batch, m, n}, true);
  DeviceTensor c(ctx, {batch, m, n}, false);
  gemm_strided_batched(ctx, trans_a, trans_b, m, n, k, 1.0f, a.device_data(), a.dim(2), a.dim(1) * a.dim(2),
                       b.device_data(), b.dim(2), b.dim(1) * b.dim(2), 0.0f, c.device_data(), n, m * n, batch);
  return c;
}

DeviceTensor conv2d(const Context& ctx, const DeviceTensor& x, const DeviceTensor& weight, const DeviceTensor* bias) {
  TRIFOLD_CHECK(x.ndim() == 3, "conv2d: input must be [H, W, C], got " + shape_str(x.shape()));
  TRIFOLD_CHECK(weight.ndim() == 4 && weight.dim(1) == x.dim(2) && weight.dim(2) == weight.dim(3) &&
                    (weight.dim(2) == 1 || weight.dim(2) == 3),
                "conv2d: weight " + shape_str(weight.shape()) + " for input " + shape_str(x.shape()));
  const int64_t h = x.dim(0), w = x.dim(1), cin = x.dim(2), cout = weight.dim(0), k = weight.dim(2);
  if (bias) TRIFOLD_CHECK(bias->numel() == cout, "conv2d: bias size " + std::to_string(bias->numel()));
  cudaStream_t s = stream_of(ctx);
  if (k == 1) {
    // A 1×1 conv is a linear layer on the channel axis; the [cout, cin, 1, 1] storage is [cout, cin].
    DeviceTensor y(ctx, {h, w, cout}, false);
    const int64_t rows = h * w;
    if (bias && rows * cout > 0) {
      fill_rows_kernel<<<grid_for(rows * cout), 256, 0, s>>>(y.device_data(), bias->device_data(), rows, cout);
      TRIFOLD_CUDA_LAUNCH_CHECK(fill_rows_kernel, ctx);
    }
    gemm(ctx, false, true, rows, cout, cin, 1.0f, x.device_data(), cin, weight.device_data(), cin,
         bias ? 1.0f : 0.0f, y.device_data(), cout);
    return y;
  }
  // 3×3, padding 1, exactly as cpu::conv2d: output on a (w+2)-wide grid, each tap one GEMM over strided rows.
  const int64_t wp = w + 2, rows = h * wp;
  DeviceTensor pad(ctx, {h + 3, wp, cin}, false);
  pad_kernel<<<grid_for(pad.numel()), 256, 0, s>>>(x.device_data(), pad.device_data(), h, w, cin);
  TRIFOLD_CUDA_LAUNCH_CHECK(pad_kernel, ctx);
  DeviceTensor wt(ctx, {9, cout, cin}, false);
  tap_major_kernel<<<grid_for(wt.numel()), 256, 0, s>>>(weight.device_data(), wt.device_data(), cout, cin);
  TRIFOLD_CUDA_LAUNCH_CHECK(tap_major_kernel, ctx);
  DeviceTensor outp(ctx, {rows, cout}, true);
  // The 9 taps read shifted windows of one padded map: under bf16 it is converted once, not once per tap.
  const Operand opad(ctx, pad.device_data(), pad.numel()), owt(ctx, wt.device_data(), wt.numel());
  for (int64_t t = 0; t < 9; ++t) {
    const int64_t di = t / 3, dj = t % 3;
    gemm_operands(ctx, false, true, rows, cout, cin, 1.0f, opad.view((di * wp + dj) * cin), cin,
                  owt.view(t * cout * cin), cin, 1.0f, outp.device_data(), cout);
  }
  DeviceTensor y(ctx, {h, w, cout}, false);
  if (y.numel() > 0) {
    crop_bias_kernel<<<grid_for(y.numel()), 256, 0, s>>>(outp.device_data(), bias ? bias->device_data() : nullptr,
                                                         y.device_data(), h, w, cout);
    TRIFOLD_CUDA_LAUNCH_CHECK(crop_bias_kernel, ctx);
  }
  return y;
}

}  // namespace trifold::model::cuda
