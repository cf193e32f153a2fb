// Reduced-precision matrix products: bf16/TF32 rounding, the emulated cpu::gemm, and the precision scope.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/precision.hpp"

namespace trifold::model {
namespace {

TEST(MatmulPrecision, ParsesNamesAndRejectsOthers) {
  for (auto p : {MatmulPrecision::Fp32, MatmulPrecision::Tf32, MatmulPrecision::Bf16})
    EXPECT_EQ(parse_matmul_precision(matmul_precision_name(p)), p);
  try {
    parse_matmul_precision("fp16");
    FAIL() << "fp16 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected fp32, tf32 or bf16"), std::string::npos) << e.what();
  }
}

// Exact cases: bf16 keeps 7 mantissa bits, so around 1 the grid is 2^-7.
TEST(MatmulPrecision, Bf16RoundsToNearestEven) {
  const float u = std::ldexp(1.0f, -7);
  EXPECT_EQ(round_to_bf16(1.0f), 1.0f);
  EXPECT_EQ(round_to_bf16(1.0f + u), 1.0f + u);                                // representable
  EXPECT_EQ(round_to_bf16(1.0f + 0.5f * u), 1.0f);                             // tie -> even (1.0)
  EXPECT_EQ(round_to_bf16(1.0f + 1.5f * u), 1.0f + 2 * u);                     // tie -> even (1 + 2u)
  EXPECT_EQ(round_to_bf16(1.0f + 0.5f * u + std::ldexp(1.0f, -20)), 1.0f + u);  // just above the tie
  EXPECT_EQ(round_to_bf16(-(1.0f + 1.5f * u)), -(1.0f + 2 * u));               // symmetric
  EXPECT_EQ(std::bit_cast<uint32_t>(round_to_bf16(-0.0f)), 0x80000000u);
  EXPECT_EQ(round_to_bf16(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  // The largest float is past bf16's largest finite value (0x7F7F0000) by more than half a step: +inf.
  EXPECT_EQ(round_to_bf16(std::numeric_limits<float>::max()), std::numeric_limits<float>::infinity());
  EXPECT_EQ(round_to_tf32(1.0f + std::ldexp(1.0f, -11)), 1.0f);  // TF32: 10 bits, tie -> even
  EXPECT_EQ(round_to_tf32(1.0f + 3 * std::ldexp(1.0f, -11)), 1.0f + std::ldexp(1.0f, -9));
}

// Property: the result is on the grid (dropped bits zero) and no grid neighbour is closer, over random floats of
// every magnitude (subnormals included).
TEST(MatmulPrecision, RoundingIsNearestOnTheGrid) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> bits(0, 0x7f7fffffu);
  for (auto [round, drop] : {std::pair{&round_to_bf16, 16}, std::pair{&round_to_tf32, 13}}) {
    for (int i = 0; i < 200000; ++i) {
      const float x = std::bit_cast<float>(bits(rng) | (i % 2 ? 0x80000000u : 0u));
      const float r = round(x);
      if (std::isinf(r)) continue;  // only the top step of the range overflows
      const uint32_t rb = std::bit_cast<uint32_t>(r);
      ASSERT_EQ(rb & ((1u << drop) - 1u), 0u) << x;
      const float step = std::bit_cast<float>(std::bit_cast<uint32_t>(std::fabs(r)) + (1u << drop)) - std::fabs(r);
      ASSERT_LE(std::fabs(double(x) - r), 0.5 * step) << x;
    }
  }
}

std::vector<float> random_vec(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Emulated bf16 GEMM = an fp32 GEMM of the element-wise rounded operands (the same compact layout, so the same
// sgemm: bit-identical), for every transpose and with padded leading dimensions.
TEST(MatmulPrecision, EmulatedGemmRoundsEveryOperand) {
  const int64_t M = 19, N = 23, K = 130;
  for (auto p : {MatmulPrecision::Bf16, MatmulPrecision::Tf32})
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const int64_t ra = ta ? K : M, ca = ta ? M : K, rb = tb ? N : K, cb = tb ? K : N;
        const int64_t lda = ca + 5, ldb = cb + 2;
        std::vector<float> a = random_vec(size_t(ra * lda), 1 + ta), b = random_vec(size_t(rb * ldb), 3 + tb);
        std::vector<float> ar(size_t(ra * ca)), br(size_t(rb * cb));
        float (*round)(float) = p == MatmulPrecision::Bf16 ? round_to_bf16 : round_to_tf32;
        for (int64_t r = 0; r < ra; ++r)
          for (int64_t c = 0; c < ca; ++c) ar[size_t(r * ca + c)] = round(a[size_t(r * lda + c)]);
        for (int64_t r = 0; r < rb; ++r)
          for (int64_t c = 0; c < cb; ++c) br[size_t(r * cb + c)] = round(b[size_t(r * ldb + c)]);
        std::vector<float> c0 = random_vec(size_t(M * N), 9), c1 = c0, c2 = c0;
        cpu::gemm(ta, tb, M, N, K, 0.75f, ar.data(), ca, br.data(), cb, 0.5f, c1.data(), N);
        {
          cpu::MatmulPrecisionScope scope(p);
          cpu::gemm(ta, tb, M, N, K, 0.75f, a.data(), lda, b.data(), ldb, 0.5f, c2.data(), N);
        }
        EXPECT_EQ(c1, c2) << matmul_precision_name(p) << " ta " << ta << " tb " << tb;
      }
}

// The size of the effect: random operands in [-1, 1] carry a relative rounding error of ~2^-9/√3 (bf16) per
// element, so a product's relative L2 error is ~1e-3, far above fp32 summation noise (~1e-7) and far below a
// wrong result (~1). TF32 has 3 more bits: ~8× smaller.
TEST(MatmulPrecision, EmulatedErrorHasTheExpectedSize) {
  const int64_t M = 64, N = 64, K = 256;
  std::vector<float> a = random_vec(size_t(M * K), 5), b = random_vec(size_t(K * N), 6);
  auto product = [&](MatmulPrecision p) {
    cpu::MatmulPrecisionScope scope(p);
    std::vector<float> c(size_t(M * N));
    cpu::gemm(false, false, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f, c.data(), N);
    return c;
  };
  const std::vector<float> f = product(MatmulPrecision::Fp32);
  auto rel = [&](const std::vector<float>& g) {
    double num = 0, den = 0;
    for (size_t i = 0; i < f.size(); ++i) num += (double(g[i]) - f[i]) * (double(g[i]) - f[i]), den += double(f[i]) * f[i];
    return std::sqrt(num / den);
  };
  const double e_bf16 = rel(product(MatmulPrecision::Bf16)), e_tf32 = rel(product(MatmulPrecision::Tf32));
  std::printf("  emulated GEMM rel L2 vs fp32: bf16 %.2e, tf32 %.2e\n", e_bf16, e_tf32);
  EXPECT_GT(e_bf16, 5e-4);
  EXPECT_LT(e_bf16, 5e-3);
  EXPECT_GT(e_tf32, 5e-5);
  EXPECT_LT(e_tf32, 7e-4);
  EXPECT_EQ(cpu::matmul_precision(), MatmulPrecision::Fp32);  // every scope restored the default
}

TEST(MatmulPrecision, ScopesNestAndRestore) {
  EXPECT_EQ(cpu::matmul_precision(), MatmulPrecision::Fp32);
  {
    cpu::MatmulPrecisionScope a(MatmulPrecision::Bf16);
    EXPECT_EQ(cpu::matmul_precision(), MatmulPrecision::Bf16);
    {
      cpu::MatmulPrecisionScope b(MatmulPrecision::Fp32);
      EXPECT_EQ(cpu::matmul_precision(), MatmulPrecision::Fp32);
    }
    EXPECT_EQ(cpu::matmul_precision(), MatmulPrecision::Bf16);
  }
  EXPECT_EQ(cpu::matmul_precision(), MatmulPrecision::Fp32);
}

}  // namespace
}  // namespace trifold::model
