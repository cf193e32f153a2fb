// CUDA op layer vs the CPU oracle (label gpu): the same seeded inputs through model/cpu and model/cuda.
// Skipped visibly without CUDA in the build or without a visible device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdlib>
#include <random>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/device.hpp"
#include "model/rf1/modules.hpp"
#include "model/se3/graph.hpp"
#include "model/se3/layers.hpp"

#ifndef TRIFOLD_WITH_CUDA

TEST(CudaOps, NeedsACudaBuild) { GTEST_SKIP() << "built without CUDA (configure with -DTRIFOLD_CUDA=ON)"; }

#else

#include "model/cuda/ops.hpp"
#include "tests/common/cuda_test.hpp"

namespace trifold::model {
namespace {

namespace gpu = trifold::model::cuda;
using test::rel_l2;

Tensor random_tensor(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor t(std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = u(rng);
  return t;
}

// Tolerance: both sides are fp32; they differ only in summation order (cuBLAS vs OpenBLAS blocking, warp
// reductions vs serial loops), which gives ~sqrt(K)·2^-24 ≈ 1e-7..1e-6 relative for the reduction lengths
// here (K ≤ ~3000). 1e-5 leaves a 10× margin and is still ~5 orders below what any indexing or layout error
// produces (O(1)). NaN anywhere fails (the comparison below is false for NaN).
constexpr double kTol = 1e-5;

#define EXPECT_GPU_MATCHES(gpu_tensor, cpu_tensor)                                                         \
  do {                                                                                                     \
    const Tensor g_ = (gpu_tensor).download();                                                            \
    const Tensor& c_ = (cpu_tensor);                                                                       \
    ASSERT_EQ(g_.shape(), c_.shape());                                                                     \
    const double e_ = rel_l2(g_, c_);                                                                      \
    EXPECT_LE(e_, kTol) << #gpu_tensor << ": relative L2 error " << e_;                                    \
  } while (0)

class CudaOps : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
    ctx_ = test::make_cuda_context();
  }
  gpu::DeviceTensor up(const Tensor& t) { return gpu::DeviceTensor::upload(*ctx_, t); }
  gpu::Context& ctx() { return *ctx_; }
  std::unique_ptr<gpu::Context> ctx_;
};

// ------------------------------------------------------------------------------------------ context
TEST(CudaContext, NoDeviceIsAClearInputError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is visible (this test covers machines without one)";
  try {
    gpu::Context c(0);
    FAIL() << "Context(0) succeeded without a device";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA device is visible"), std::string::npos) << e.what();
  }
}

TEST_F(CudaOps, ContextReportsDeviceMemoryAndFlags) {
  EXPECT_EQ(ctx().device(), 0);
  EXPECT_EQ(ctx().matmul_precision(), MatmulPrecision::Fp32);
  EXPECT_THROW(gpu::Context{cuda_device_count()}, InputError);
  const size_t before = ctx().bytes_in_use();
  {
    gpu::DeviceTensor t(ctx(), {1024, 256});
    EXPECT_EQ(ctx().bytes_in_use(), before + 1024 * 256 * sizeof(float));
    EXPECT_GE(ctx().peak_bytes(), before + 1024 * 256 * sizeof(float));
  }
  EXPECT_EQ(ctx().bytes_in_use(), before);
  auto [free_b, total_b] = ctx().device_memory();
  EXPECT_GT(total_b, 0u);
  EXPECT_LE(free_b, total_b);
  gpu::Context bf16(0, MatmulPrecision::Bf16);
  EXPECT_EQ(bf16.matmul_precision(), MatmulPrecision::Bf16);
  {
    gpu::MatmulPrecisionScope fp32(bf16, MatmulPrecision::Fp32);
    EXPECT_EQ(bf16.matmul_precision(), MatmulPrecision::Fp32);
  }
  EXPECT_EQ(bf16.matmul_precision(), MatmulPrecision::Bf16);
}

TEST_F(CudaOps, MemoryLimitRefusesAllocationsBeyondIt) {
  gpu::Context c(0);
  EXPECT_EQ(c.memory_limit(), 0u);
  c.set_memory_limit(4u << 20);  // 4 MiB
  gpu::DeviceTensor ok(c, {512, 1024});  // 2 MiB
  try {
    gpu::DeviceTensor big(c, {1024, 1024});  // 4 MiB more: over the limit
    ADD_FAILURE() << "no error beyond the memory limit";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.bytes_in_use(), size_t(512 * 1024 * sizeof(float)));
  c.set_memory_limit(0);
  gpu::DeviceTensor fine(c, {1024, 1024});
}

TEST_F(CudaOps, UploadDownloadRoundTripIsExact) {
  Tensor x = random_tensor({7, 5, 3}, 1);
  gpu::DeviceTensor d = up(x);
  EXPECT_EQ(d.shape(), x.shape());
  EXPECT_EQ(d.download().vec(), x.vec());
  gpu::DeviceTensor c = d.clone();
  c.reshape({35, -1});
  EXPECT_EQ(c.shape(), (Shape{35, 3}));
  EXPECT_EQ(c.download().vec(), x.vec());
  gpu::DeviceTensor m = std::move(c);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(m.download().vec(), x.vec());
  gpu::DeviceInts ints(ctx(), {3, -1, 7});
  EXPECT_EQ(ints.download(), (std::vector<int32_t>{3, -1, 7}));
}

// ------------------------------------------------------------------------------------------ products
TEST_F(CudaOps, GemmAllTransposesWithLeadingDimensions) {
  const int64_t M = 37, N = 29, K = 301;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      // Stored with padded leading dimensions (+3) to exercise lda/ldb/ldc.
      const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 3, ldc = N + 3;
      Tensor a = random_tensor({ta ? K : M, lda}, 10 + ta), b = random_tensor({tb ? N : K, ldb}, 20 + tb);
      Tensor c = random_tensor({M, ldc}, 30);
      Tensor ref = c;
      cpu::gemm(ta, tb, M, N, K, 0.7f, a.data(), lda, b.data(), ldb, 0.3f, ref.data(), ldc);
      gpu::DeviceTensor da = up(a), db = up(b), dc = up(c);
      gpu::gemm(ctx(), ta, tb, M, N, K, 0.7f, da.device_data(), lda, db.device_data(), ldb, 0.3f, dc.device_data(),
                ldc);
      EXPECT_GPU_MATCHES(dc, ref);
    }
}

TEST_F(CudaOps, LinearWithAndWithoutBias) {
  Tensor x = random_tensor({3, 50, 96}, 1), w = random_tensor({130, 96}, 2), b = random_tensor({130}, 3);
  gpu::DeviceTensor dx = up(x), dw = up(w), db = up(b);
  EXPECT_GPU_MATCHES(gpu::linear(ctx(), dx, dw, &db), cpu::linear(x, w, &b));
  EXPECT_GPU_MATCHES(gpu::linear(ctx(), dx, dw, nullptr), cpu::linear(x, w, nullptr));
}

TEST_F(CudaOps, BmmAllTransposes) {
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      const int64_t B = 3, M = 17, N = 23, K = 40;
      Tensor a = random_tensor(ta ? Shape{B, K, M} : Shape{B, M, K}, 10 + ta);
      Tensor b = random_tensor(tb ? Shape{B, N, K} : Shape{B, K, N}, 20 + tb);
      EXPECT_GPU_MATCHES(gpu::bmm(ctx(), up(a), up(b), ta, tb), cpu::bmm(a, b, ta, tb));
    }
}

// bf16/TF32 tensor-core products against the CPU's emulation of the same operand rounding (cpu::gemm under a
// MatmulPrecisionScope). Tolerance: rounding to bf16 is exact on both sides (round to nearest even) and products
// of bf16 values are exact in fp32, so what remains is the accumulation order: 1e-4 for bf16 (measured on an
// H200: 5e-8–9e-8) — still 20× below the rounding itself (~2e-3, which the second check requires, so a
// silently-fp32 path fails). TF32 is an allowance, not an order (CUBLAS_COMPUTE_32F_FAST_TF32): cuBLAS may pick
// an fp32 kernel for small batched products (it did on the H200 for bmm and gemm_batched2 here), so a TF32
// result must match the TF32 emulation or plain fp32, within 1e-3 (measured: 7.6e-7 vs the emulation).
TEST_F(CudaOps, ReducedPrecisionProductsMatchTheCpuEmulation) {
  for (auto p : {MatmulPrecision::Bf16, MatmulPrecision::Tf32}) {
    const double tol = p == MatmulPrecision::Bf16 ? 1e-4 : 1e-3, live = 5e-4;
    const char* pn = matmul_precision_name(p);
    gpu::MatmulPrecisionScope gpu_scope(ctx(), p);
    auto check = [&](const std::string& what, const gpu::DeviceTensor& got, const std::function<Tensor()>& cpu_op) {
      const Tensor g = got.download();
      Tensor emu, fp32 = cpu_op();
      {
        cpu::MatmulPrecisionScope cpu_scope(p);
        emu = cpu_op();
      }
      const double e = rel_l2(g, emu), moved = rel_l2(g, fp32);
      std::printf("  %s %-22s vs CPU emulation %.2e, vs fp32 %.2e\n", pn, what.c_str(), e, moved);
      if (p == MatmulPrecision::Tf32) {
        EXPECT_LE(std::min(e, moved), tol) << pn << " " << what << ": neither TF32 nor fp32";
        return;
      }
      EXPECT_LE(e, tol) << pn << " " << what;
      EXPECT_GE(moved, live) << pn << " " << what << ": no rounding happened";
    };
    const int64_t M = 37, N = 29, K = 301;
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 3;
        Tensor a = random_tensor({ta ? K : M, lda}, 10 + ta), b = random_tensor({tb ? N : K, ldb}, 20 + tb);
        gpu::DeviceTensor da = up(a), db = up(b), dc(ctx(), {M, N});
        gpu::gemm(ctx(), ta, tb, M, N, K, 1.0f, da.device_data(), lda, db.device_data(), ldb, 0.0f, dc.device_data(), N);
        check("gemm ta " + std::to_string(ta) + " tb " + std::to_string(tb), dc, [&] {
          Tensor c({M, N});
          cpu::gemm(ta, tb, M, N, K, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), N);
          return c;
        });
      }
    Tensor a = random_tensor({3, 17, 40}, 1), b = random_tensor({3, 23, 40}, 2);
    check("bmm", gpu::bmm(ctx(), up(a), up(b), false, true), [&] { return cpu::bmm(a, b, false, true); });
    Tensor x = random_tensor({13, 11, 24}, 3), w = random_tensor({20, 24, 3, 3}, 4), bias = random_tensor({20}, 5);
    gpu::DeviceTensor dbias = up(bias);
    check("conv2d 3x3", gpu::conv2d(ctx(), up(x), up(w), &dbias), [&] { return cpu::conv2d(x, w, &bias); });
    // Two-level batch (pointer arrays into the bf16 copies): [2 outer, 3 inner] products of [5, 40]·[40, 7].
    Tensor ba = random_tensor({2, 3, 5, 40}, 6), bb = random_tensor({2, 3, 40, 7}, 7);
    gpu::DeviceTensor dba = up(ba), dbb = up(bb), dbc(ctx(), {2, 3, 5, 7});
    gpu::gemm_batched2(ctx(), false, false, 5, 7, 40, 1.0f, dba.device_data(), 40, 600, 200, dbb.device_data(), 7,
                       840, 280, 0.0f, dbc.device_data(), 7, 105, 35, 2, 3);
    check("gemm_batched2", dbc, [&] { return cpu::bmm(ba.reshaped({6, 5, 40}), bb.reshaped({6, 40, 7})).reshaped({2, 3, 5, 7}); });
  }
  EXPECT_EQ(ctx().matmul_precision(), MatmulPrecision::Fp32);  // the scope restored the context's default
}

TEST_F(CudaOps, Conv2dSamePadding) {
  Tensor x = random_tensor({13, 11, 24}, 1);
  for (int k : {1, 3}) {
    Tensor w = random_tensor({20, 24, k, k}, 2 + k), b = random_tensor({20}, 9);
    gpu::DeviceTensor dx = up(x), dw = up(w), db = up(b);
    EXPECT_GPU_MATCHES(gpu::conv2d(ctx(), dx, dw, &db), cpu::conv2d(x, w, &b));
    EXPECT_GPU_MATCHES(gpu::conv2d(ctx(), dx, dw, nullptr), cpu::conv2d(x, w, nullptr));
  }
}

// ------------------------------------------------------------------------------------------ norms
TEST_F(CudaOps, LayerNormBothFlavoursAndInPlace) {
  Tensor x = random_tensor({4, 9, 288}, 1, -3.f, 5.f), g = random_tensor({288}, 2, 0.5f, 1.5f), b = random_tensor({288}, 3);
  gpu::DeviceTensor dx = up(x), dg = up(g), db = up(b);
  EXPECT_GPU_MATCHES(gpu::layer_norm(ctx(), dx, dg, db), cpu::layer_norm(x, g, b));
  EXPECT_GPU_MATCHES(gpu::layer_norm_torch(ctx(), dx, dg, db, 1e-6f), cpu::layer_norm_torch(x, g, b, 1e-6f));
  gpu::layer_norm_(ctx(), dx, dg, db);
  EXPECT_GPU_MATCHES(dx, cpu::layer_norm(x, g, b));
  // Wide rows (the coevolution norm over P·P = 1024 channels).
  Tensor y = random_tensor({5, 1024}, 4), g2 = random_tensor({1024}, 5), b2 = random_tensor({1024}, 6);
  EXPECT_GPU_MATCHES(gpu::layer_norm(ctx(), up(y), up(g2), up(b2)), cpu::layer_norm(y, g2, b2));
}

TEST_F(CudaOps, InstanceNormPerChannel) {
  Tensor x = random_tensor({37, 41, 64}, 1, -2.f, 3.f), g = random_tensor({64}, 2, 0.5f, 1.5f), b = random_tensor({64}, 3);
  EXPECT_GPU_MATCHES(gpu::instance_norm(ctx(), up(x), up(g), up(b)), cpu::instance_norm(x, g, b));
}

// ------------------------------------------------------------------------------------------ pointwise, layout
TEST_F(CudaOps, ActivationsAndArithmetic) {
  Tensor x = random_tensor({1000, 3}, 1, -4.f, 4.f), y = random_tensor({1000, 3}, 2);
  auto check = [&](auto gpu_op, auto cpu_op) {
    gpu::DeviceTensor d = up(x);
    gpu_op(d);
    Tensor r = x;
    cpu_op(r);
    EXPECT_GPU_MATCHES(d, r);
  };
  check([&](gpu::DeviceTensor& d) { gpu::relu_(ctx(), d); }, [](Tensor& t) { cpu::relu_(t); });
  check([&](gpu::DeviceTensor& d) { gpu::elu_(ctx(), d); }, [](Tensor& t) { cpu::elu_(t); });
  check([&](gpu::DeviceTensor& d) { gpu::leaky_relu_(ctx(), d, 0.01f); }, [](Tensor& t) { cpu::leaky_relu_(t, 0.01f); });
  check([&](gpu::DeviceTensor& d) { gpu::sigmoid_(ctx(), d); }, [](Tensor& t) { cpu::sigmoid_(t); });
  check([&](gpu::DeviceTensor& d) { gpu::scale_(ctx(), d, -0.37f); }, [](Tensor& t) { cpu::scale_(t, -0.37f); });
  gpu::DeviceTensor dy = up(y);
  check([&](gpu::DeviceTensor& d) { gpu::add_(ctx(), d, dy); }, [&](Tensor& t) { cpu::add_(t, y); });
  EXPECT_GPU_MATCHES(gpu::add(ctx(), up(x), dy), cpu::add(x, y));
}

TEST_F(CudaOps, SoftmaxEveryAxis) {
  Tensor x = random_tensor({4, 5, 6}, 1, -8.f, 8.f);
  gpu::DeviceTensor dx = up(x);
  for (int axis : {0, 1, 2, -1}) EXPECT_GPU_MATCHES(gpu::softmax(ctx(), dx, axis), cpu::softmax(x, axis));
  Tensor rows = random_tensor({7, 1000}, 2, -20.f, 20.f);  // long rows: the warp-per-row kernel
  EXPECT_GPU_MATCHES(gpu::softmax(ctx(), up(rows), -1), cpu::softmax(rows, -1));
}

TEST_F(CudaOps, PermuteTransposeConcatEmbedding) {
  Tensor x = random_tensor({3, 4, 5, 2}, 1);
  gpu::DeviceTensor dx = up(x);
  for (const auto& p : std::vector<std::vector<int>>{{3, 1, 0, 2}, {0, 1, 2, 3}, {2, 3, 1, 0}})
    EXPECT_GPU_MATCHES(gpu::permute(ctx(), dx, p), cpu::permute(x, p));
  Tensor t = random_tensor({6, 7, 9}, 2);
  EXPECT_GPU_MATCHES(gpu::transpose01(ctx(), up(t)), cpu::transpose01(t));
  Tensor a = random_tensor({6, 7, 9}, 3), b = random_tensor({6, 2, 9}, 4), c = random_tensor({6, 7, 1}, 5);
  gpu::DeviceTensor da = up(a), db = up(b), dc = up(c), dt = up(t);
  EXPECT_GPU_MATCHES(gpu::concat(ctx(), {&da, &db}, 1), cpu::concat({&a, &b}, 1));
  EXPECT_GPU_MATCHES(gpu::concat(ctx(), {&da, &dc}, -1), cpu::concat({&a, &c}, -1));
  EXPECT_GPU_MATCHES(gpu::concat(ctx(), {&da, &dt}, 0), cpu::concat({&a, &t}, 0));
  Tensor table = random_tensor({21, 16}, 6);
  std::vector<int32_t> tok = {0, 20, 3, 3, 7, 1};
  EXPECT_GPU_MATCHES(gpu::embedding(ctx(), up(table), tok, {2, 3}), cpu::embedding(table, tok, {2, 3}));
}

// ------------------------------------------------------------------------------------------ rf1 fused ops
// Random weights for one module: Linear (with bias), LayerNorm (a_2/b_2), projection matrices.
struct WeightBuilder {
  Weights w;
  uint32_t seed = 100;
  void linear(const std::string& p, int64_t in, int64_t out, bool bias = true) {
    const float a = 1.0f / std::sqrt(static_cast<float>(in));
    w.tensors[p + ".weight"] = random_tensor({out, in}, seed++, -a, a);
    if (bias) w.tensors[p + ".bias"] = random_tensor({out}, seed++, -a, a);
  }
  void norm(const std::string& p, int64_t d) {
    w.tensors[p + ".a_2"] = random_tensor({d}, seed++, 0.5f, 1.5f);
    w.tensors[p + ".b_2"] = random_tensor({d}, seed++, -0.1f, 0.1f);
  }
  void tensor(const std::string& name, Shape s) { w.tensors[name] = random_tensor(std::move(s), seed++); }
};

TEST_F(CudaOps, PerformerModule) {
  // Column Performer of MSA2MSA: B = L residues, n = N sequences, d = 64 (4 heads of 16), m = 32 features.
  WeightBuilder wb;
  for (const char* l : {"to_query", "to_key", "to_value", "to_out"}) wb.linear(std::string("p.") + l, 64, 64);
  wb.tensor("p.fast_attention.projection_matrix", {32, 16});
  Tensor x = random_tensor({9, 31, 64}, 1);
  gpu::DeviceWeights dw(ctx(), wb.w.tensors);
  EXPECT_GPU_MATCHES(gpu::performer(ctx(), dw, "p", up(x)), rf1::performer(wb.w, "p", x));
}

TEST_F(CudaOps, FeedForwardModule) {
  WeightBuilder wb;
  wb.linear("ff.linear1", 48, 192);
  wb.linear("ff.linear2", 192, 48);
  Tensor x = random_tensor({5, 11, 48}, 1);
  gpu::DeviceWeights dw(ctx(), wb.w.tensors);
  EXPECT_GPU_MATCHES(gpu::feed_forward(ctx(), dw, "ff", up(x)), rf1::feed_forward(wb.w, "ff", x));
}

TEST_F(CudaOps, SoftTiedAttentionAndSequenceWeight) {
  const int heads = 4;
  const int64_t n = 13, l = 21, d = 32;
  WeightBuilder wb;
  for (const char* q : {"to_query", "to_key", "to_value", "to_out"}) wb.linear(std::string("a.") + q, d, d);
  for (const char* q : {"to_query", "to_key"}) wb.linear(std::string("a.seq_weight.") + q, d, d);
  Tensor x = random_tensor({n, l, d}, 1);
  gpu::DeviceWeights dw(ctx(), wb.w.tensors);
  gpu::DeviceTensor dx = up(x);
  EXPECT_GPU_MATCHES(gpu::sequence_weight(ctx(), dw, "a.seq_weight", dx, heads),
                     rf1::sequence_weight(wb.w, "a.seq_weight", x, heads));
  Tensor att;
  gpu::DeviceTensor datt;
  Tensor out = rf1::soft_tied_attention(wb.w, "a", x, heads, &att);
  EXPECT_GPU_MATCHES(gpu::soft_tied_attention(ctx(), dw, "a", dx, heads, &datt), out);
  EXPECT_GPU_MATCHES(datt, att);
}

TEST_F(CudaOps, DirectAttention) {
  const int64_t n = 7, l = 19, d = 32, dp = 24, heads = 4;
  WeightBuilder wb;
  wb.linear("e.proj_pair", dp, heads);
  wb.linear("e.proj_msa", d, d);
  wb.linear("e.proj_out", d, d);
  Tensor pair = random_tensor({l, l, dp}, 1), msa = random_tensor({n, l, d}, 2);
  gpu::DeviceWeights dw(ctx(), wb.w.tensors);
  EXPECT_GPU_MATCHES(gpu::direct_attention(ctx(), dw, "e", up(pair), up(msa)), rf1::direct_attention(wb.w, "e", pair, msa));
}

TEST_F(CudaOps, OuterProductMatchesDoubleLoop) {
  const int64_t n = 23, l = 17, p = 8;
  Tensor xd = random_tensor({n, l, p}, 1), xw = random_tensor({n, l, p}, 2);
  Tensor ref({l, l, p * p});
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j)
      for (int64_t a = 0; a < p; ++a)
        for (int64_t b = 0; b < p; ++b) {
          double s = 0.0;
          for (int64_t t = 0; t < n; ++t) s += double(xd[(t * l + i) * p + a]) * xw[(t * l + j) * p + b];
          ref[(i * l + j) * p * p + a * p + b] = static_cast<float>(s);
        }
  EXPECT_GPU_MATCHES(gpu::outer_product(ctx(), up(xd), up(xw)), ref);
}

// ------------------------------------------------------------------------------------------ graph ops
se3::Graph small_graph(int L, int top_k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 6.f);
  std::vector<float> ca(static_cast<size_t>(L) * 3);
  for (auto& v : ca) v = nd(rng);
  std::vector<int64_t> idx(static_cast<size_t>(L));
  for (int i = 0; i < L; ++i) idx[static_cast<size_t>(i)] = i;
  return se3::make_topk_graph(ca.data(), idx.data(), 1, L, top_k, nullptr, 0);
}

gpu::DeviceGraph upload_graph(const gpu::Context& c, const se3::Graph& g) {
  return gpu::DeviceGraph(c, g.n_nodes, g.src, g.dst, g.in_ptr, g.in_edges);
}

TEST_F(CudaOps, GatherScatterSegmentSoftmax) {
  se3::Graph g = small_graph(24, 8, 3);
  const int64_t E = g.num_edges(), N = g.n_nodes;
  gpu::DeviceGraph dg = upload_graph(ctx(), g);
  Tensor x = random_tensor({N, 5, 3}, 1);
  Tensor gs({E, 5, 3}), gd({E, 5, 3});
  for (int64_t e = 0; e < E; ++e)
    for (int c = 0; c < 15; ++c) {
      gs[e * 15 + c] = x[g.src[e] * 15 + c];
      gd[e * 15 + c] = x[g.dst[e] * 15 + c];
    }
  gpu::DeviceTensor dx = up(x);
  EXPECT_GPU_MATCHES(gpu::gather_rows(ctx(), dx, dg, true), gs);
  EXPECT_GPU_MATCHES(gpu::gather_rows(ctx(), dx, dg, false), gd);
  Tensor ex = random_tensor({E, 6}, 2, -5.f, 5.f);
  Tensor sum({N, 6}, 0.0f), sm({E, 6}, 0.0f);
  for (int64_t e = 0; e < E; ++e)
    for (int c = 0; c < 6; ++c) sum[g.dst[e] * 6 + c] += ex[e * 6 + c];
  for (int64_t v = 0; v < N; ++v)
    for (int c = 0; c < 6; ++c) {
      double mx = -1e30, s = 0.0;
      for (int64_t t = g.in_ptr[v]; t < g.in_ptr[v + 1]; ++t) mx = std::max<double>(mx, ex[g.in_edges[t] * 6 + c]);
      for (int64_t t = g.in_ptr[v]; t < g.in_ptr[v + 1]; ++t) s += std::exp(ex[g.in_edges[t] * 6 + c] - mx);
      for (int64_t t = g.in_ptr[v]; t < g.in_ptr[v + 1]; ++t)
        sm[g.in_edges[t] * 6 + c] = static_cast<float>(std::exp(ex[g.in_edges[t] * 6 + c] - mx) / s);
    }
  gpu::DeviceTensor dex = up(ex);
  EXPECT_GPU_MATCHES(gpu::scatter_add_dst(ctx(), dex, dg), sum);
  EXPECT_GPU_MATCHES(gpu::segment_softmax(ctx(), dex, dg), sm);
}

TEST_F(CudaOps, GmabAttentionMatchesCpu) {
  // Refinement-size fibers: values/keys of degrees 0..2 with 8 channels, 4 heads.
  se3::Graph g = small_graph(24, 8, 5);
  const int64_t E = g.num_edges(), N = g.n_nodes;
  const se3::Fiber f{{0, 8}, {1, 8}, {2, 8}};
  const int H = 4;
  se3::Features v, k, q;
  gpu::DeviceFeatures dv, dk, dq;
  uint32_t seed = 10;
  for (auto [d, m] : f) {
    v.emplace(d, random_tensor({E, m, 2 * d + 1}, seed++));
    k.emplace(d, random_tensor({E, m, 2 * d + 1}, seed++));
    q.emplace(d, random_tensor({N, m, 2 * d + 1}, seed++));
    dv.emplace(d, up(v.at(d)));
    dk.emplace(d, up(k.at(d)));
    dq.emplace(d, up(q.at(d)));
  }
  Tensor logits, soft;
  se3::Features ref = se3::gmab_attention(v, k, q, f, f, H, g, &logits, &soft);
  gpu::DeviceGraph dg = upload_graph(ctx(), g);
  gpu::DeviceTensor dlog, dsoft;
  gpu::DeviceFeatures out = gpu::gmab_attention(ctx(), dv, dk, dq, f, f, H, dg, &dlog, &dsoft);
  EXPECT_GPU_MATCHES(dlog, logits);
  EXPECT_GPU_MATCHES(dsoft, soft);
  for (auto [d, m] : f) EXPECT_GPU_MATCHES(out.at(d), ref.at(d));
}

// ------------------------------------------------------------------------------------------ error paths
TEST_F(CudaOps, BadShapesAreClearErrors) {
  gpu::DeviceTensor x(ctx(), {4, 8}), w(ctx(), {5, 7}), b(ctx(), {6});
  auto throws_with = [](auto fn, const std::string& what) {
    try {
      fn();
      ADD_FAILURE() << "no exception, expected one mentioning '" << what << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  throws_with([&] { gpu::linear(ctx(), x, w, nullptr); }, "does not take 8 inputs");
  gpu::DeviceTensor w2(ctx(), {5, 8});
  throws_with([&] { gpu::linear(ctx(), x, w2, &b); }, "bias size 6");
  throws_with([&] { gpu::bmm(ctx(), gpu::DeviceTensor(ctx(), {2, 3, 4}), gpu::DeviceTensor(ctx(), {2, 5, 6})); },
              "inner dimensions");
  gpu::DeviceTensor map(ctx(), {5, 5, 8}), w5(ctx(), {4, 8, 5, 5});
  throws_with([&] { gpu::conv2d(ctx(), map, w5, nullptr); }, "conv2d: weight [4, 8, 5, 5]");
  throws_with([&] { gpu::layer_norm(ctx(), x, b, b); }, "layer_norm: parameters of size 6");
  throws_with([&] { gpu::softmax(ctx(), x, 2); }, "axis out of range");
  throws_with([&] { gpu::permute(ctx(), x, {0, 0}); }, "invalid permutation");
  throws_with([&] { gpu::embedding(ctx(), w2, {0, 5}, {2}); }, "token 5 outside [0, 5)");
  gpu::DeviceTensor q(ctx(), {2, 3, 12}), proj(ctx(), {8, 5});
  throws_with([&] { gpu::performer_attention(ctx(), q, q, q, proj); }, "d_k 5 does not divide 12");
  throws_with([&] { gpu::DeviceGraph(ctx(), 3, {0, 3}, {1, 1}, {0, 0, 2, 2}, {0, 1}); }, "out of range");
  gpu::Context other(0);
  gpu::DeviceTensor foreign(other, {4, 8});
  throws_with([&] { gpu::linear(ctx(), foreign, w2, nullptr); }, "different CUDA context");
  gpu::DeviceWeights dw;
  throws_with([&] { dw.get("nope.weight"); }, "no tensor 'nope.weight'");
}

}  // namespace
}  // namespace trifold::model

#endif  // TRIFOLD_WITH_CUDA
