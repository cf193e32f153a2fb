// CPU ops: GEMM wrapper, linear layers, batched matmul and channel-last 2-D convolution (OpenBLAS).
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"

namespace trifold::model::cpu {

namespace {

std::atomic<MatmulPrecision> g_precision{MatmulPrecision::Fp32};

// A compact copy of a rows × cols operand (leading dimension ld), each element rounded to the precision.
std::vector<float> rounded_copy(const float* x, int64_t rows, int64_t cols, int64_t ld, MatmulPrecision p) {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  float (*round)(float) = p == MatmulPrecision::Bf16 ? round_to_bf16 : round_to_tf32;
#pragma omp parallel for schedule(static) if (rows * cols > (1 << 16))
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(r * cols + c)] = round(x[r * ld + c]);
  return out;
}

}  // namespace

void set_matmul_precision(MatmulPrecision p) { g_precision.store(p); }
MatmulPrecision matmul_precision() { return g_precision.load(); }

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  const MatmulPrecision prec = matmul_precision();
  std::vector<float> ar, br;  // rounded operands (emulated TF32/bf16 tensor-core inputs)
  if (prec != MatmulPrecision::Fp32) {
    const int64_t ra = trans_a ? k : m, ca = trans_a ? m : k, rb = trans_b ? n : k, cb = trans_b ? k : n;
    ar = rounded_copy(a, ra, ca, lda, prec);
    br = rounded_copy(b, rb, cb, ldb, prec);
    a = ar.data(), lda = ca, b = br.data(), ldb = cb;
  }
  // Thread-count independence (docs/STYLE.md 7). OpenBLAS's threaded sgemm rounds differently with 1 and 2
  // threads, and even a single-threaded call rounds an element differently depending on the call's shape (its
  // kernel blocking and small-matrix paths). So OpenBLAS always runs single-threaded here, and a large product
  // is cut into blocks along its longer output axis whose size depends on (m, n, k) alone; the blocks are
  // spread over OpenMP threads (or run in turn inside a caller's parallel region). Every element then comes
  // from the same sgemm call shape whatever the thread count. On a 2-core node this is as fast as OpenBLAS's
  // own threading or faster, and nothing waits on OpenBLAS's worker hand-offs when the node is busy.
  keep_blas_single_threaded();
  const auto trans = [](bool t) { return t ? CblasTrans : CblasNoTrans; };
  const auto call = [&](int64_t mm, int64_t nn, const float* aa, const float* bb, float* cc) {
    cblas_sgemm(CblasRowMajor, trans(trans_a), trans(trans_b), static_cast<blasint>(mm), static_cast<blasint>(nn),
                static_cast<blasint>(k), alpha, aa, static_cast<blasint>(lda), bb, static_cast<blasint>(ldb), beta,
                cc, static_cast<blasint>(ldc));
  };
  const GemmBlocks blk = gemm_blocks(m, n, k);
  if (blk.count == 1) {
    call(m, n, a, b, c);
    return;
  }
#pragma omp parallel for schedule(dynamic, 1) if (!omp_in_parallel())
  for (int64_t i = 0; i < blk.count; ++i) {
    const int64_t r0 = i * blk.size, len = std::min(blk.size, (blk.along_m ? m : n) - r0);
    if (blk.along_m)  // rows r0.. of op(A) and C
      call(len, n, trans_a ? a + r0 : a + r0 * lda, b, c + r0 * ldc);
    else  // columns r0.. of op(B) and C
      call(m, len, a, trans_b ? b + r0 * ldb : b + r0, c + r0);
  }
}

GemmBlocks gemm_blocks(int64_t m, int64_t n, int64_t k) {
  GemmBlocks g;
  g.along_m = m >= n;
  const int64_t len = g.along_m ? m : n, other = g.along_m ? n : m;
  const double macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  // Below ~4 M multiply-adds one call: splitting costs about what it saves (and far more on a busy node).
  if (macs < double(1 << 22)) {
    g.size = len;
    return g;
  }
  // At most 64 blocks (balance for up to 16-32 threads), each at least ~1 M multiply-adds and 16 rows,
  // a multiple of 16 (whole micro-kernel tiles).
  const int64_t per_row = std::max<int64_t>(1, other * k);
  int64_t size = std::max({(len + 63) / 64, ((int64_t(1) << 20) + per_row - 1) / per_row, int64_t(16)});
  size = (size + 15) / 16 * 16;
  g.size = std::min(size, len);
  g.count = (len + g.size - 1) / g.size;
  return g;
}

void keep_blas_single_threaded() {
  if (!omp_in_parallel() && openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

void linear_into(const float* x, int64_t rows, int64_t in, const Tensor& weight, const Tensor* bias, float* y) {
  TRIFOLD_CHECK(weight.ndim() == 2 && weight.dim(1) == in,
                "linear: weight " + shape_str(weight.shape()) + " does not take " + std::to_string(in) + " inputs");
  const int64_t out = weight.dim(0);
  if (bias) {
    TRIFOLD_CHECK(bias->numel() == out, "linear: bias size " + std::to_string(bias->numel()));
    const float* b = bias->data();
#pragma omp parallel for schedule(static) if (rows * out >= (int64_t(1) << 16))
    for (int64_t r = 0; r < rows; ++r) std::memcpy(y + r * out, b, sizeof(float) * static_cast<size_t>(out));
  }
  gemm(false, true, rows, out, in, 1.0f, x, in, weight.data(), in, bias ? 1.0f : 0.0f, y, out);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias) {
  TRIFOLD_CHECK(x.ndim() >= 1, "linear: scalar input");
  const int64_t in = x.dim(-1);
  const int64_t rows = in ? x.numel() / in : 0;
  Shape s = x.shape();
  s.back() = weight.dim(0);
  Tensor y(s);
  linear_into(x.data(), rows, in, weight, bias, y.data());
  return y;
}

Tensor bmm(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  TRIFOLD_CHECK(a.ndim() == 3 && b.ndim() == 3 && a.dim(0) == b.dim(0),
                "bmm: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()));
  const int64_t batch = a.dim(0);
  const int64_t m = trans_a ? a.dim(2) : a.dim(1);
  const int64_t k = trans_a ? a.dim(1) : a.dim(2);
  const int64_t kb = trans_b ? b.dim(2) : b.dim(1);
  const int64_t n = trans_b ? b.dim(1) : b.dim(2);
  TRIFOLD_CHECK(k == kb, "bmm: inner dimensions " + shape_str(a.shape()) + " · " + shape_str(b.shape()));
  Tensor c({batch, m, n});
  for (int64_t i = 0; i < batch; ++i)
    gemm(trans_a, trans_b, m, n, k, 1.0f, a.data() + i * a.dim(1) * a.dim(2), a.dim(2),
         b.data() + i * b.dim(1) * b.dim(2), b.dim(2), 0.0f, c.data() + i * m * n, n);
  return c;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias) {
  TRIFOLD_CHECK(x.ndim() == 3, "conv2d: input must be [H, W, C], got " + shape_str(x.shape()));
  TRIFOLD_CHECK(weight.ndim() == 4 && weight.dim(1) == x.dim(2) && weight.dim(2) == weight.dim(3) &&
                    (weight.dim(2) == 1 || weight.dim(2) == 3),
                "conv2d: weight " + shape_str(weight.shape()) + " for input " + shape_str(x.shape()));
  const int64_t h = x.dim(0), w = x.dim(1), cin = x.dim(2), cout = weight.dim(0), k = weight.dim(2);
  if (k == 1) {
    Tensor w2 = weight.reshaped({cout, cin});
    return linear(x, w2, bias);
  }
  // 3x3, padding 1: zero-pad to [(h+3), (w+2), cin] and compute the output on a (w+2)-wide grid, so each of
  // the 9 taps is ONE gemm over uniformly strided rows; the 2 extra columns per row are dropped afterwards.
  const int64_t wp = w + 2;
  std::vector<float> pad(static_cast<size_t>((h + 3) * wp * cin), 0.0f);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < h; ++i)
    std::memcpy(pad.data() + ((i + 1) * wp + 1) * cin, x.data() + i * w * cin, sizeof(float) * static_cast<size_t>(w * cin));
  // Tap-major weights: wt[tap][cout][cin].
  std::vector<float> wt(static_cast<size_t>(9 * cout * cin));
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t c = 0; c < cin; ++c)
      for (int64_t t = 0; t < 9; ++t) wt[static_cast<size_t>((t * cout + o) * cin + c)] = weight[(o * cin + c) * 9 + t];
  const int64_t rows = h * wp;
  std::vector<float> outp(static_cast<size_t>(rows * cout), 0.0f);
  for (int64_t t = 0; t < 9; ++t) {
    const int64_t di = t / 3, dj = t % 3;
    gemm(false, true, rows, cout, cin, 1.0f, pad.data() + (di * wp + dj) * cin, cin, wt.data() + t * cout * cin, cin,
         1.0f, outp.data(), cout);
  }
  Tensor y({h, w, cout});
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) {
      float* dst = y.data() + (i * w + j) * cout;
      const float* src = outp.data() + (i * wp + j) * cout;
      for (int64_t o = 0; o < cout; ++o) dst[o] = src[o] + (bias ? (*bias)[o] : 0.0f);
    }
  return y;
}

}  // namespace trifold::model::cpu
