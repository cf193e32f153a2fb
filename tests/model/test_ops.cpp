// Unit tests of the CPU op layer against straightforward naive loops (double accumulation).
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "model/cpu/ops.hpp"

namespace trifold::model {
namespace {

Tensor random_tensor(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor t(std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = u(rng);
  return t;
}

// Max |a-b| relative to max |b|: fp32 GEMMs with K <= ~300 accumulate ~K·2^-24 relative rounding, so 1e-5 of
// the largest reference value leaves a 10x margin over that while still catching any indexing error (O(1)).
void expect_close(const Tensor& got, const std::vector<double>& ref, double rel = 1e-5) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(ref.size()));
  double mx = 1e-30, err = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    mx = std::max(mx, std::fabs(ref[i]));
    err = std::max(err, std::fabs(static_cast<double>(got[static_cast<int64_t>(i)]) - ref[i]));
  }
  EXPECT_LE(err / mx, rel) << "max abs error " << err << " vs max |ref| " << mx;
}

TEST(CpuOps, LinearMatchesNaive) {
  Tensor x = random_tensor({3, 5, 7}, 1), w = random_tensor({11, 7}, 2), b = random_tensor({11}, 3);
  Tensor y = cpu::linear(x, w, &b);
  ASSERT_EQ(y.shape(), (Shape{3, 5, 11}));
  std::vector<double> ref(3 * 5 * 11);
  for (int r = 0; r < 15; ++r)
    for (int o = 0; o < 11; ++o) {
      double s = b[o];
      for (int i = 0; i < 7; ++i) s += double(x[r * 7 + i]) * w[o * 7 + i];
      ref[static_cast<size_t>(r * 11 + o)] = s;
    }
  expect_close(y, ref);
  Tensor y0 = cpu::linear(x, w, nullptr);
  for (int r = 0; r < 15; ++r)
    for (int o = 0; o < 11; ++o) ref[static_cast<size_t>(r * 11 + o)] -= b[o];
  expect_close(y0, ref);
}

TEST(CpuOps, BmmAllTransposes) {
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      const int B = 2, M = 4, N = 5, K = 6;
      Tensor a = random_tensor(ta ? Shape{B, K, M} : Shape{B, M, K}, 10 + ta);
      Tensor b = random_tensor(tb ? Shape{B, N, K} : Shape{B, K, N}, 20 + tb);
      Tensor c = cpu::bmm(a, b, ta, tb);
      std::vector<double> ref(B * M * N);
      for (int z = 0; z < B; ++z)
        for (int i = 0; i < M; ++i)
          for (int j = 0; j < N; ++j) {
            double s = 0;
            for (int k = 0; k < K; ++k) {
              const double av = ta ? a[(z * K + k) * M + i] : a[(z * M + i) * K + k];
              const double bv = tb ? b[(z * N + j) * K + k] : b[(z * K + k) * N + j];
              s += av * bv;
            }
            ref[static_cast<size_t>((z * M + i) * N + j)] = s;
          }
      expect_close(c, ref);
    }
}

// Large products run as blocks of single-threaded sgemm calls whose size depends on the shape alone
// (docs/STYLE.md 7): every transpose combination, both split axes, leading dimensions wider than the operands,
// alpha and beta, against double accumulation; and bit-identical on 1, 2 and 3 threads and inside a caller's
// parallel region. (With OpenBLAS's own threading, 1 vs 2 threads differed in 48,650 of the 524,288
// outputs of a 4096 x 128 x 128 product.)
TEST(CpuOps, BlockedGemmMatchesNaiveAndIgnoresThreadCount) {
  struct Case {
    int64_t m, n, k;
  };
  for (const Case cs : {Case{3000, 96, 80}, Case{40, 5000, 64}}) {
    const cpu::GemmBlocks blk = cpu::gemm_blocks(cs.m, cs.n, cs.k);
    EXPECT_GE(blk.count, 2);
    EXPECT_EQ(blk.along_m, cs.m >= cs.n);
    EXPECT_EQ(blk.size % 16, 0);
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const int64_t m = cs.m, n = cs.n, k = cs.k, pad = 3;
        const int64_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        const int64_t lda = ac + pad, ldb = bc + pad, ldc = n + pad;
        Tensor a = random_tensor({ar, lda}, 30 + ta), b = random_tensor({br, ldb}, 40 + tb);
        const Tensor c0 = random_tensor({m, ldc}, 50);
        const float alpha = 0.5f, beta = 1.0f;
        auto run = [&](int threads) {
          omp_set_num_threads(threads);
          Tensor c = c0;
          cpu::gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
          return c;
        };
        const int saved = omp_get_max_threads();
        const Tensor one = run(1), two = run(2), three = run(3);
        omp_set_num_threads(2);
        std::vector<Tensor> inner(2, c0);
#pragma omp parallel for schedule(static) num_threads(2)
        for (int t = 0; t < 2; ++t)
          cpu::gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, inner[t].data(), ldc);
        omp_set_num_threads(saved);
        const std::string what = "m " + std::to_string(m) + " n " + std::to_string(n) + " trans " +
                                 std::to_string(ta) + std::to_string(tb);
        EXPECT_EQ(one.vec(), two.vec()) << what;
        EXPECT_EQ(one.vec(), three.vec()) << what;
        EXPECT_EQ(one.vec(), inner[0].vec()) << what;
        EXPECT_EQ(one.vec(), inner[1].vec()) << what;
        std::vector<double> ref(static_cast<size_t>(m * ldc));
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < ldc; ++j) {
            double s = 0;
            if (j < n)
              for (int64_t q = 0; q < k; ++q)
                s += double(ta ? a[q * lda + i] : a[i * lda + q]) * double(tb ? b[j * ldb + q] : b[q * ldb + j]);
            ref[static_cast<size_t>(i * ldc + j)] = j < n ? alpha * s + beta * double(c0[i * ldc + j])
                                                          : double(c0[i * ldc + j]);  // padding untouched
          }
        expect_close(one, ref);
      }
  }
}

// Naive NCHW-semantics convolution evaluated on the channel-last input.
std::vector<double> naive_conv(const Tensor& x, const Tensor& w, const Tensor* bias) {
  const int64_t H = x.dim(0), W = x.dim(1), Ci = x.dim(2), Co = w.dim(0), k = w.dim(2), p = k / 2;
  std::vector<double> out(static_cast<size_t>(H * W * Co));
  for (int64_t i = 0; i < H; ++i)
    for (int64_t j = 0; j < W; ++j)
      for (int64_t o = 0; o < Co; ++o) {
        double s = bias ? (*bias)[o] : 0.0;
        for (int64_t c = 0; c < Ci; ++c)
          for (int64_t di = 0; di < k; ++di)
            for (int64_t dj = 0; dj < k; ++dj) {
              const int64_t ii = i + di - p, jj = j + dj - p;
              if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
              s += double(x[(ii * W + jj) * Ci + c]) * w[((o * Ci + c) * k + di) * k + dj];
            }
        out[static_cast<size_t>((i * W + j) * Co + o)] = s;
      }
  return out;
}

TEST(CpuOps, Conv3x3SamePaddingNoBias) {
  Tensor x = random_tensor({7, 9, 5}, 4), w = random_tensor({6, 5, 3, 3}, 5);
  expect_close(cpu::conv2d(x, w, nullptr), naive_conv(x, w, nullptr));
}

TEST(CpuOps, Conv1x1WithBias) {
  Tensor x = random_tensor({4, 3, 8}, 6), w = random_tensor({5, 8, 1, 1}, 7), b = random_tensor({5}, 8);
  expect_close(cpu::conv2d(x, w, &b), naive_conv(x, w, &b));
}

TEST(CpuOps, LayerNormBothFlavours) {
  Tensor x = random_tensor({6, 10}, 9, -3, 5), g = random_tensor({10}, 10, 0.5, 1.5), b = random_tensor({10}, 11);
  std::vector<double> ref(60);
  for (int r = 0; r < 6; ++r) {
    double m = 0, v = 0;
    for (int c = 0; c < 10; ++c) m += x[r * 10 + c];
    m /= 10;
    for (int c = 0; c < 10; ++c) v += (x[r * 10 + c] - m) * (x[r * 10 + c] - m);
    v /= 10;  // biased
    for (int c = 0; c < 10; ++c) ref[static_cast<size_t>(r * 10 + c)] = g[c] * (x[r * 10 + c] - m) / std::sqrt(v + 1e-5) + b[c];
  }
  expect_close(cpu::layer_norm(x, g, b), ref);
  expect_close(cpu::layer_norm_torch(x, g, b), ref);
  Tensor xi = x;
  cpu::layer_norm_(xi, g, b);
  expect_close(xi, ref);
}

TEST(CpuOps, InstanceNormPerChannelOverMap) {
  Tensor x = random_tensor({5, 6, 3}, 12, -2, 4), g = random_tensor({3}, 13, 0.5, 1.5), b = random_tensor({3}, 14);
  std::vector<double> ref(90);
  for (int c = 0; c < 3; ++c) {
    double m = 0, v = 0;
    for (int p = 0; p < 30; ++p) m += x[p * 3 + c];
    m /= 30;
    for (int p = 0; p < 30; ++p) v += (x[p * 3 + c] - m) * (x[p * 3 + c] - m);
    v /= 30;
    for (int p = 0; p < 30; ++p) ref[static_cast<size_t>(p * 3 + c)] = (x[p * 3 + c] - m) / std::sqrt(v + 1e-6) * g[c] + b[c];
  }
  expect_close(cpu::instance_norm(x, g, b), ref);
}

TEST(CpuOps, Activations) {
  Tensor x = random_tensor({50}, 15, -3, 3);
  std::vector<double> relu(50), elu(50), leaky(50), sig(50);
  for (int i = 0; i < 50; ++i) {
    const double v = x[i];
    relu[static_cast<size_t>(i)] = v > 0 ? v : 0;
    elu[static_cast<size_t>(i)] = v > 0 ? v : std::exp(v) - 1;
    leaky[static_cast<size_t>(i)] = v > 0 ? v : 0.01 * v;
    sig[static_cast<size_t>(i)] = 1 / (1 + std::exp(-v));
  }
  Tensor a = x, b = x, c = x, d = x;
  cpu::relu_(a);
  cpu::elu_(b);
  cpu::leaky_relu_(c, 0.01f);
  cpu::sigmoid_(d);
  expect_close(a, relu);
  expect_close(b, elu);
  expect_close(c, leaky);
  expect_close(d, sig);
}

TEST(CpuOps, SoftmaxMiddleAxis) {
  Tensor x = random_tensor({2, 4, 3}, 16, -5, 5);
  Tensor y = cpu::softmax(x, 1);
  std::vector<double> ref(24);
  for (int a = 0; a < 2; ++a)
    for (int c = 0; c < 3; ++c) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += std::exp(double(x[(a * 4 + k) * 3 + c]));
      for (int k = 0; k < 4; ++k) ref[static_cast<size_t>((a * 4 + k) * 3 + c)] = std::exp(double(x[(a * 4 + k) * 3 + c])) / s;
    }
  expect_close(y, ref);
  // Large logits must not overflow (max subtraction).
  Tensor big({2}, std::vector<float>{1000.0f, 1000.0f});
  Tensor p = cpu::softmax(big, -1);
  EXPECT_FLOAT_EQ(p[0], 0.5f);
}

TEST(CpuOps, PermuteTransposeConcatEmbedding) {
  Tensor x = random_tensor({2, 3, 4}, 17);
  Tensor y = cpu::permute(x, {2, 0, 1});
  ASSERT_EQ(y.shape(), (Shape{4, 2, 3}));
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) EXPECT_EQ(y[(c * 2 + a) * 3 + b], x[(a * 3 + b) * 4 + c]);
  Tensor t = cpu::transpose01(x);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) EXPECT_EQ(t[(b * 2 + a) * 4 + c], x[(a * 3 + b) * 4 + c]);
  Tensor z = random_tensor({2, 3, 2}, 18);
  Tensor cat = cpu::concat({&x, &z}, -1);
  ASSERT_EQ(cat.shape(), (Shape{2, 3, 6}));
  for (int r = 0; r < 6; ++r) {
    for (int c = 0; c < 4; ++c) EXPECT_EQ(cat[r * 6 + c], x[r * 4 + c]);
    for (int c = 0; c < 2; ++c) EXPECT_EQ(cat[r * 6 + 4 + c], z[r * 2 + c]);
  }
  Tensor table = random_tensor({5, 3}, 19);
  Tensor e = cpu::embedding(table, {4, 0, 2, 2}, {2, 2});
  ASSERT_EQ(e.shape(), (Shape{2, 2, 3}));
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(e[0 * 3 + c], table[4 * 3 + c]);
    EXPECT_EQ(e[3 * 3 + c], table[2 * 3 + c]);
  }
  EXPECT_THROW(cpu::embedding(table, {5}, {1}), std::exception);
}

}  // namespace
}  // namespace trifold::model
