// CPU reference ops (fp32, OpenMP, OpenBLAS): the oracle every other backend is tested against.
//
// Layout conventions used by every op here:
//  * Tensors are row-major (C order); "features last": a linear layer acts on the last axis.
//  * 2-D feature maps (pair features, ResNet internals) are CHANNEL-LAST [H, W, C]. The reference
//    (PyTorch) runs its convolutions and InstanceNorm on NCHW; we keep [L, L, C] throughout so the pair
//    tensor never has to be transposed between the attention and the ResNet code. conv2d/instance_norm
//    below take [H, W, C] and produce [H, W, C]; weights keep the PyTorch layout [C_out, C_in, kh, kw].
//  * Nothing depends on the thread count (docs/STYLE.md 7): our own loops never reduce across threads (fixed
//    chunking), and gemm runs OpenBLAS single-threaded on blocks whose size depends on the shape alone.
#pragma once

#include <cstdint>
#include <vector>

#include "model/precision.hpp"
#include "model/tensor.hpp"

namespace trifold::model::cpu {

// ---------------------------------------------------------------- matrix products (ops_linear.cpp)
// C[M,N] = alpha * op(A) op(B) + beta * C, row-major, op = transpose when trans_* (cblas_sgemm semantics).
// Large products run in blocks over OpenMP threads (gemm_blocks); inside a parallel region, in turn.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Operand precision of gemm (and so of linear, bmm, conv2d), PROCESS-WIDE (default Fp32). Tf32/Bf16 EMULATE
// the GPU's tensor-core modes: every element of op(A) and op(B) is rounded to nearest even (round_to_tf32 /
// round_to_bf16) into a scratch copy, then an ordinary fp32 sgemm runs; the products of rounded values are exact
// in fp32 and the sums are fp32, as on the tensor cores (only the summation order differs). It exists to
// measure the reduced-precision modes' accuracy on any machine (trifold bench precision); it is slower than
// fp32, never faster. Set it around a whole computation on one thread, not concurrently with other work.
void set_matmul_precision(MatmulPrecision p);
MatmulPrecision matmul_precision();
// Sets the precision while alive and restores the previous one (the SE(3) layers hold an Fp32 scope: the
// reduced-precision modes apply to the trunk, never to SE(3), as in the reference's mixed precision).
class MatmulPrecisionScope {
 public:
  explicit MatmulPrecisionScope(MatmulPrecision p) : saved_(matmul_precision()) { set_matmul_precision(p); }
  ~MatmulPrecisionScope() { set_matmul_precision(saved_); }
  MatmulPrecisionScope(const MatmulPrecisionScope&) = delete;
  MatmulPrecisionScope& operator=(const MatmulPrecisionScope&) = delete;

 private:
  MatmulPrecision saved_;
};

// How gemm cuts an m x n x k product into independent sgemm calls: `count` blocks of `size` rows of C
// (along_m) or columns of C (otherwise), the last one shorter. A function of the shape only, never of the
// thread count, so every element of C is computed by the same call shape on any number of threads.
struct GemmBlocks {
  bool along_m = true;
  int64_t size = 0;
  int64_t count = 1;
};
GemmBlocks gemm_blocks(int64_t m, int64_t n, int64_t k);

// TriFold runs OpenBLAS single-threaded and parallelises with OpenMP itself. gemm sets this on its first call
// from serial code; code that calls gemm from its own parallel regions calls this before opening them (from
// serial code; a no-op inside a parallel region).
void keep_blas_single_threaded();

// From the first call on (process-wide; rf1::Trunk's constructor calls it), glibc keeps freed memory in its heap
// instead of unmapping chunks above its mmap threshold (at most 32 MiB) and trimming the heap top: otherwise
// every op that allocates a large output pays page faults and the kernel's zeroing again. Measured on the 2-core
// VM, full-size random weights: bench trunk L = 96, N = 256 22.3/21.9 -> 17.0/16.8 s, system time 5.5 -> 0.6 s;
// bench e2e L = 128, N = 256: trunk 53.5 -> 42.3 s, peak RSS 1218 -> 1193 MiB. Not for the MSA search or the
// coevolution method (their peak RSS grew ~17 % with it). Malloc settings made in the environment are kept.
void keep_tensors_in_heap();

// y[..., out] = x[..., in] · W[out, in]ᵀ + b[out]   (torch.nn.Linear; bias may be null).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias);
// Same, writing into a preallocated y (numel = rows·out).
void linear_into(const float* x, int64_t rows, int64_t in, const Tensor& weight, const Tensor* bias, float* y);

// Batched matrix product: a [B, M, K] · b [B, K, N] -> [B, M, N] (trans flags transpose the last two axes
// of each operand as stored, e.g. trans_b with b stored [B, N, K]).
Tensor bmm(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// 2-D convolution on a channel-last map x [H, W, C_in] with PyTorch weights w [C_out, C_in, k, k],
// k ∈ {1, 3}, stride 1, dilation 1, zero padding k/2 ("same"); bias [C_out] may be null. -> [H, W, C_out].
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias);

// ---------------------------------------------------------------- normalisation (ops_norm.cpp)
// RoseTTAFold's custom LayerNorm over the last axis: a·(x−μ)/sqrt(σ²+eps) + b, σ² biased. Same math as
// nn.LayerNorm; both are provided so rounding order can follow the module actually used.
Tensor layer_norm(const Tensor& x, const Tensor& a2, const Tensor& b2, float eps = 1e-5f);
// In-place variant of layer_norm (saves one copy of large tensors).
void layer_norm_(Tensor& x, const Tensor& a2, const Tensor& b2, float eps = 1e-5f);
// torch.nn.LayerNorm: (x−μ)/sqrt(σ²+eps)·w + b.
Tensor layer_norm_torch(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps = 1e-5f);
// InstanceNorm2d(affine) on a channel-last map x [H, W, C]: per channel, statistics over all H·W
// positions (biased variance), then ·gamma[c] + beta[c]. The reference uses eps 1e-6.
Tensor instance_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps = 1e-6f);

// ---------------------------------------------------------------- pointwise (ops_basic.cpp)
void relu_(Tensor& x);
void elu_(Tensor& x);                       // alpha = 1
void leaky_relu_(Tensor& x, float slope);   // torch default slope 0.01
void sigmoid_(Tensor& x);
void add_(Tensor& x, const Tensor& y);      // x += y (same shape)
void scale_(Tensor& x, float s);            // x *= s
Tensor add(const Tensor& x, const Tensor& y);

// Softmax along `axis` (negative counts from the end), max-subtracted like torch.softmax.
Tensor softmax(const Tensor& x, int axis);
// Generic axis permutation (like torch.permute(...).contiguous()).
Tensor permute(const Tensor& x, const std::vector<int>& perm);
// Swap the two axes of a [A, B, C] tensor -> [B, A, C] (the common pair/MSA transpose, C may be 1).
Tensor transpose01(const Tensor& x);
// Concatenation along `axis` (all other dims equal).
Tensor concat(const std::vector<const Tensor*>& parts, int axis);
// Embedding lookup: table [V, D], tokens (any shape `shape`, values in [0, V)) -> [shape..., D].
Tensor embedding(const Tensor& table, const std::vector<int32_t>& tokens, const Shape& shape);

}  // namespace trifold::model::cpu
