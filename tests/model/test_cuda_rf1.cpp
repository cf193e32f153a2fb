// The RoseTTAFold two-track block on the GPU vs the CPU modules (label gpu): random weights of the tiny and
// small configs (model::random_weights), seeded random MSA/pair. Skipped visibly without CUDA or a device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "model/device.hpp"
#include "model/rf1/modules.hpp"
#include "model/weight_table.hpp"
#include "model/weights_random.hpp"

#ifndef TRIFOLD_WITH_CUDA

TEST(CudaRf1, NeedsACudaBuild) { GTEST_SKIP() << "built without CUDA (configure with -DTRIFOLD_CUDA=ON)"; }

#else

#include "model/cuda/rf1.hpp"
#include "tests/common/cuda_test.hpp"

namespace trifold::model {
namespace {

namespace gpu = trifold::model::cuda;
using test::rel_l2;

Tensor random_tensor(Shape s, uint32_t seed, float scale = 1.0f) {
  return test::random_normal_tensor(std::move(s), seed, scale);
}

// Whole modules chain ~10–30 ops; each GPU/CPU pair differs by fp32 summation order only (~1e-7 relative per op,
// the CPU's own module-level parity with PyTorch is ≤ 1.1e-6). The bound, 1e-5 relative L2 per module
// output, still leaves ~10× margin; any layout or head-order mistake is O(1).
constexpr double kTol = 1e-5;

void expect_match(const char* what, const gpu::DeviceTensor& g, const Tensor& c) {
  Tensor d = g.download();
  ASSERT_EQ(d.shape(), c.shape()) << what;
  const double e = rel_l2(d, c);
  std::printf("  %-34s %-16s rel L2 %.2e\n", what, shape_str(c.shape()).c_str(), e);
  EXPECT_LE(e, kTol) << what;
}

class CudaRf1 : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
    ctx_ = test::make_cuda_context();
    w_ = random_weights(preset_config(GetParam()), 5);
    d_ = rf1::Dims::infer(w_);
    dw_ = std::make_unique<gpu::DeviceWeights>(*ctx_, w_.tensors, "feat_extractor.iter_block_1.0.");
  }
  std::unique_ptr<gpu::Context> ctx_;
  Weights w_;
  rf1::Dims d_;
  std::unique_ptr<gpu::DeviceWeights> dw_;
  const std::string p_ = "feat_extractor.iter_block_1.0";
  const int64_t n_ = 9, l_ = 23;
};

TEST_P(CudaRf1, EachModuleOfIterBlock) {
  Tensor msa = random_tensor({n_, l_, d_.d_msa}, 1), pair = random_tensor({l_, l_, d_.d_pair}, 2);
  gpu::Context& c = *ctx_;
  gpu::DeviceTensor dmsa = gpu::DeviceTensor::upload(c, msa), dpair = gpu::DeviceTensor::upload(c, pair);
  Tensor att;
  Tensor m1 = rf1::msa2msa(w_, p_ + ".msa2msa", msa, d_.n_head_msa, &att);
  gpu::DeviceTensor datt;
  expect_match("msa2msa", gpu::msa2msa(c, *dw_, p_ + ".msa2msa", dmsa, d_.n_head_msa, &datt), m1);
  expect_match("msa2msa att", datt, att);
  // Each following module from the CPU's inputs, so errors do not compound across modules.
  gpu::DeviceTensor dm1 = gpu::DeviceTensor::upload(c, m1), dattc = gpu::DeviceTensor::upload(c, att);
  Tensor p1 = rf1::msa2pair(w_, p_ + ".msa2pair", m1, pair, att);
  expect_match("msa2pair (incl. ResNet update)", gpu::msa2pair(c, *dw_, p_ + ".msa2pair", dm1, dpair, dattc), p1);
  // The same with the coevolution tensor in blocks of 5 query rows (4 full blocks and one of 3).
  expect_match("msa2pair, 5-row blocks", gpu::msa2pair(c, *dw_, p_ + ".msa2pair", dm1, dpair, dattc, Chunking{1, 1, 0, 5}), p1);
  gpu::DeviceTensor dp1 = gpu::DeviceTensor::upload(c, p1);
  Tensor p2 = rf1::pair2pair(w_, p_ + ".pair2pair", p1);
  expect_match("pair2pair", gpu::pair2pair(c, *dw_, p_ + ".pair2pair", dp1), p2);
  gpu::DeviceTensor dp2 = gpu::DeviceTensor::upload(c, p2);
  Tensor m2 = rf1::pair2msa(w_, p_ + ".pair2msa", p2, m1);
  expect_match("pair2msa", gpu::pair2msa(c, *dw_, p_ + ".pair2msa", dp2, dm1), m2);
}

TEST_P(CudaRf1, WholeIterBlock) {
  Tensor msa = random_tensor({n_, l_, d_.d_msa}, 4), pair = random_tensor({l_, l_, d_.d_pair}, 5);
  gpu::DeviceTensor dmsa = gpu::DeviceTensor::upload(*ctx_, msa), dpair = gpu::DeviceTensor::upload(*ctx_, pair);
  rf1::iter_block(w_, p_, d_, msa, pair);
  gpu::iter_block(*ctx_, *dw_, p_, d_.n_head_msa, dmsa, dpair);
  expect_match("iter_block msa", dmsa, msa);
  expect_match("iter_block pair", dpair, pair);
}

// The memory-bounded decomposition (model/chunking.hpp) at block sizes that force several blocks of every kind:
// N = 9 MSA rows in 4 blocks (3 + 2 + 2 + 2), L = 23 pair rows in 5 blocks (5 + 5 + 5 + 5 + 3; the 3×3 convs'
// halo rows cross every block edge), soft-tied heads in groups of 3 (tiny 4 heads: 3 + 1; small 7: 3 + 3 + 1),
// coevolution rows in blocks of 4 — on the GPU, against the unchunked CPU modules; same tolerance as above.
TEST_P(CudaRf1, ChunkedModulesMatchCpu) {
  const Chunking ck{4, 5, 3, 4};
  Tensor msa = random_tensor({n_, l_, d_.d_msa}, 6), pair = random_tensor({l_, l_, d_.d_pair}, 7);
  gpu::Context& c = *ctx_;
  gpu::DeviceTensor dmsa = gpu::DeviceTensor::upload(c, msa), dpair = gpu::DeviceTensor::upload(c, pair);
  Tensor att;
  Tensor m1 = rf1::msa2msa(w_, p_ + ".msa2msa", msa, d_.n_head_msa, &att);
  gpu::DeviceTensor datt;
  expect_match("msa2msa chunked", gpu::msa2msa(c, *dw_, p_ + ".msa2msa", dmsa, d_.n_head_msa, &datt, ck), m1);
  expect_match("msa2msa att chunked", datt, att);
  gpu::DeviceTensor dm1 = gpu::DeviceTensor::upload(c, m1), dattc = gpu::DeviceTensor::upload(c, att);
  Tensor p1 = rf1::msa2pair(w_, p_ + ".msa2pair", m1, pair, att);
  expect_match("msa2pair chunked", gpu::msa2pair(c, *dw_, p_ + ".msa2pair", dm1, dpair, dattc, ck), p1);
  gpu::DeviceTensor dp1 = gpu::DeviceTensor::upload(c, p1);
  Tensor p2 = rf1::pair2pair(w_, p_ + ".pair2pair", p1);
  expect_match("pair2pair chunked", gpu::pair2pair(c, *dw_, p_ + ".pair2pair", dp1, ck), p2);
  gpu::DeviceTensor dp2 = gpu::DeviceTensor::upload(c, p2);
  Tensor m2 = rf1::pair2msa(w_, p_ + ".pair2msa", p2, m1);
  expect_match("pair2msa chunked", gpu::pair2msa(c, *dw_, p_ + ".pair2msa", dp2, dm1, ck), m2);
  rf1::iter_block(w_, p_, d_, msa, pair);
  gpu::iter_block(c, *dw_, p_, d_.n_head_msa, dmsa, dpair, ck);
  expect_match("iter_block msa chunked", dmsa, msa);
  expect_match("iter_block pair chunked", dpair, pair);
}

INSTANTIATE_TEST_SUITE_P(Configs, CudaRf1, ::testing::Values("tiny", "small"));

}  // namespace
}  // namespace trifold::model

#endif  // TRIFOLD_WITH_CUDA
