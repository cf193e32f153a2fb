// Fused SE(3) convolution on the GPU vs the CPU GConvSE3Partial (label gpu), on a seeded 24-node k-NN graph
// with RoseTTAFold's fibers. Skipped visibly without CUDA in the build or without a visible device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <random>

#include "io/error.hpp"
#include "model/device.hpp"
#include "model/se3/basis.hpp"
#include "model/se3/graph.hpp"
#include "model/se3/layers.hpp"
#include "model/se3/transformer.hpp"
#include "model/weight_table.hpp"
#include "model/weights_random.hpp"

#ifndef TRIFOLD_WITH_CUDA

TEST(CudaSe3, NeedsACudaBuild) { GTEST_SKIP() << "built without CUDA (configure with -DTRIFOLD_CUDA=ON)"; }

#else

#include "model/cuda/se3_gpu.hpp"
#include "tests/common/cuda_test.hpp"

namespace trifold::model {
namespace {

namespace gpu = trifold::model::cuda;
using test::rel_l2;

Tensor random_tensor(Shape s, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor t(std::move(s));
  for (auto& v : t.vec()) v = u(rng);
  return t;
}

// Radial MLP weights for every (d_in, d_out) of a GConvSE3Partial under `prefix` (RadialFunc naming), sized like
// the reference (mid 32; output layer scaled by 1/sqrt(F_in) like model::random_weights so messages stay O(1)).
Weights conv_weights(const std::string& prefix, const se3::Fiber& f_in, const se3::Fiber& f_out, int feat_dim,
                     uint32_t seed) {
  std::mt19937 rng(seed);
  Weights w;
  const int mid = 32;
  const int f_in_total = se3::fiber_features(f_in);
  for (auto [di, mi] : f_in)
    for (auto [dout, mo] : f_out) {
      const std::string p = prefix + "kernel_unary.(" + std::to_string(di) + "," + std::to_string(dout) + ").rp.net.";
      const int nf = se3::num_freq(di, dout), out = mo * mi * nf;
      const float a0 = 1.0f / std::sqrt(float(feat_dim)), a1 = 1.0f / std::sqrt(float(mid));
      w.tensors[p + "0.weight"] = random_tensor({mid, feat_dim}, rng, -a0, a0);
      w.tensors[p + "0.bias"] = random_tensor({mid}, rng, -a0, a0);
      w.tensors[p + "1.bn.weight"] = random_tensor({mid}, rng, 0.5f, 1.5f);
      w.tensors[p + "1.bn.bias"] = random_tensor({mid}, rng, -0.1f, 0.1f);
      w.tensors[p + "3.weight"] = random_tensor({mid, mid}, rng, -a1, a1);
      w.tensors[p + "3.bias"] = random_tensor({mid}, rng, -a1, a1);
      w.tensors[p + "4.bn.weight"] = random_tensor({mid}, rng, 0.5f, 1.5f);
      w.tensors[p + "4.bn.bias"] = random_tensor({mid}, rng, -0.1f, 0.1f);
      const float a6 = a1 / std::sqrt(float(f_in_total));
      w.tensors[p + "6.weight"] = random_tensor({out, mid}, rng, -a6, a6);
      w.tensors[p + "6.bias"] = random_tensor({out}, rng, -a6, a6);
    }
  return w;
}

// 24 residues on a compact random chain (3.8 Å steps), top-k 8 plus |i − j| < 9 neighbours, 32 edge features.
struct Case {
  se3::Graph g;
  se3::EdgeGeometry geo;
};

Case make_case(int L, int top_k, int edge_dim, int max_degree, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> ca(static_cast<size_t>(L) * 3);
  double p[3] = {0, 0, 0};
  for (int i = 0; i < L; ++i) {
    double s[3], n2 = 0;
    for (double& v : s) {
      v = nd(rng);
      n2 += v * v;
    }
    for (int a = 0; a < 3; ++a) {
      p[a] += 3.8 * s[a] / std::sqrt(n2) - 0.05 * p[a];
      ca[static_cast<size_t>(i) * 3 + a] = static_cast<float>(p[a]);
    }
  }
  std::vector<int64_t> idx(static_cast<size_t>(L));
  for (int i = 0; i < L; ++i) idx[static_cast<size_t>(i)] = i;
  std::vector<float> feat(static_cast<size_t>(L) * L * edge_dim);
  for (auto& v : feat) v = nd(rng);
  Case c;
  c.g = se3::make_topk_graph(ca.data(), idx.data(), 1, L, top_k, feat.data(), edge_dim);
  c.geo = se3::edge_geometry(c.g, max_degree);
  return c;
}

se3::Features node_features(const se3::Fiber& f, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  se3::Features h;
  for (auto [d, m] : f) h.emplace(d, random_tensor({n, m, 2 * d + 1}, rng, -1.f, 1.f));
  return h;
}

// Same tolerance argument as test_cuda_ops.cpp: both sides fp32, only summation orders differ (cuBLAS GEMMs in
// the radial MLP, warp-shuffle dot products of length m_in·n_J ≤ 160); 1e-5 relative L2 is a 10× margin over
// that and far below any basis/sign/layout error (O(1)).
constexpr double kTol = 1e-5;

class CudaSe3 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
    ctx_ = test::make_cuda_context();
  }
  void check_layer(const std::string& what, const se3::Fiber& f_in, const se3::Fiber& f_out, int max_degree,
                   int64_t chunk) {
    SCOPED_TRACE(what);
    const int edge_dim = 32;
    Case c = make_case(24, 8, edge_dim, max_degree, 7);
    Weights w = conv_weights("v.", f_in, f_out, edge_dim + 1, 11);
    se3::GConvSE3Partial layer(w, "v.", f_in, f_out);
    se3::Features h = node_features(f_in, c.g.n_nodes, 13);
    se3::Features ref = layer.forward(h, c.g, c.geo);
    gpu::GConvSE3PartialGpu conv = gpu::make_gconv_gpu(*ctx_, layer);
    gpu::DeviceGraph dg = gpu::upload_graph(*ctx_, c.g);
    gpu::DeviceEdgeGeometry dgeo = gpu::upload_geometry(*ctx_, c.geo);
    gpu::DeviceFeatures dh = gpu::upload_features(*ctx_, h);
    se3::Features got = gpu::download_features(conv.forward(*ctx_, dh, dg, dgeo, chunk));
    ASSERT_EQ(got.size(), ref.size());
    for (const auto& [d, t] : ref) {
      ASSERT_EQ(got.at(d).shape(), t.shape()) << "degree " << d;
      const double e = rel_l2(got.at(d), t);
      std::printf("  %-28s degree %d  E = %lld  rel L2 %.2e\n", what.c_str(), d, (long long)c.g.num_edges(), e);
      EXPECT_LE(e, kTol) << what << " degree " << d;
    }
  }
  std::unique_ptr<gpu::Context> ctx_;
};

// docs/se3.md: trunk SE3_param (degrees 0–1, 16 channels, div 2) and refinement REF_param (degrees 0–2,
// 32 channels, div 4); the first layer takes l0 32 + l1 3 channels, the last one goes back to l0 8 + l1 3.
TEST_F(CudaSe3, TrunkFirstLayerValues) { check_layer("trunk Gblock.0 v", {{0, 32}, {1, 3}}, {{0, 8}, {1, 8}}, 1, 0); }
TEST_F(CudaSe3, TrunkHiddenLayerValues) { check_layer("trunk hidden v", {{0, 16}, {1, 16}}, {{0, 8}, {1, 8}}, 1, 0); }
TEST_F(CudaSe3, RefineFirstLayerValues) {
  check_layer("refine Gblock.0 v", {{0, 32}, {1, 3}}, {{0, 8}, {1, 8}, {2, 8}}, 2, 0);
}
TEST_F(CudaSe3, RefineHiddenLayerValuesAndKeys) {
  check_layer("refine hidden v", {{0, 32}, {1, 32}, {2, 32}}, {{0, 8}, {1, 8}, {2, 8}}, 2, 0);
}
TEST_F(CudaSe3, RefineFinalBlockInSmallChunks) {
  // Final block (div 1): f_mid -> f_out, with 7-edge chunks so chunk boundaries fall everywhere.
  check_layer("refine final v (chunk 7)", {{0, 32}, {1, 32}, {2, 32}}, {{0, 8}, {1, 3}}, 2, 7);
}

// The whole SE3Transformer (GSE3Res with fused convolutions and GMAB attention, GNormBias, the attentive final
// block) vs se3::SE3Transformer, random weights (model::random_weights) of a preset config.
struct StackCase {
  const char* config;
  bool refine;
  int top_k;
};

// gtest prints a parameter into the test's listing (which ctest's test names are made from): a readable form,
// instead of the struct's bytes (a pointer among them, different on every run).
void PrintTo(const StackCase& c, std::ostream* os) {
  *os << c.config << (c.refine ? " refine" : " trunk") << " top_k " << c.top_k;
}

class CudaSe3Stack : public ::testing::TestWithParam<StackCase> {};

TEST_P(CudaSe3Stack, MatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  const StackCase sc = GetParam();
  const ModelConfig mc = preset_config(sc.config);
  const Se3Config cfg = sc.refine ? mc.ref : mc.se3;
  const std::string prefix = sc.refine ? "refine.refine_net.0.se3." : "feat_extractor.iter_block_2.0.str2str.se3.";
  static std::map<std::string, Weights> cache;  // full-size random weights take seconds: build once per config
  auto it = cache.find(sc.config);
  if (it == cache.end()) it = cache.emplace(sc.config, random_weights(mc, 3)).first;
  se3::SE3Transformer net(it->second, prefix, cfg);
  Case c = make_case(24, sc.top_k, cfg.num_edge_features, net.max_degree(), 17);
  std::mt19937 rng(19);
  const int64_t N = c.g.n_nodes;
  Tensor l0 = random_tensor({N, cfg.l0_in_features}, rng, -1.f, 1.f);
  Tensor l1 = random_tensor({N, cfg.l1_in_features, 3}, rng, -3.f, 3.f);
  se3::Features ref = net.forward(c.g, l0, l1);
  std::unique_ptr<gpu::Context> ctxp = test::make_cuda_context();
  gpu::Context& ctx = *ctxp;
  gpu::Se3TransformerGpu gnet = gpu::make_se3_transformer_gpu(ctx, net);
  se3::Features in;
  in.emplace(0, l0.reshaped({N, cfg.l0_in_features, 1}));
  in.emplace(1, l1);
  gpu::DeviceGraph dg = gpu::upload_graph(ctx, c.g);
  gpu::DeviceEdgeGeometry dgeo = gpu::upload_geometry(ctx, c.geo);
  se3::Features got =
      gpu::download_features(gnet.forward_features(ctx, dg, dgeo, gpu::upload_features(ctx, in)));
  ASSERT_EQ(got.size(), ref.size());
  for (const auto& [d, t] : ref) {
    ASSERT_EQ(got.at(d).shape(), t.shape()) << "degree " << d;
    const double e = rel_l2(got.at(d), t);
    std::printf("  SE3Transformer %-5s %-6s top_k %-3d E = %-4lld degree %d  rel L2 %.2e\n", sc.config,
                sc.refine ? "refine" : "trunk", sc.top_k, (long long)c.g.num_edges(), d, e);
    EXPECT_LE(e, kTol) << "degree " << d;
  }
}

// top_k 64 > L = 24 reproduces the reference's self-loop quirk (every pair, d = 0 edges).
INSTANTIATE_TEST_SUITE_P(Configs, CudaSe3Stack,
                         ::testing::Values(StackCase{"tiny", false, 8}, StackCase{"tiny", true, 8},
                                           StackCase{"full", false, 8}, StackCase{"full", true, 8},
                                           StackCase{"full", true, 64}),
                         // Readable test names.
                         [](const ::testing::TestParamInfo<StackCase>& info) {
                           return std::string(info.param.config) + (info.param.refine ? "_refine" : "_trunk") +
                                  "_top" + std::to_string(info.param.top_k);
                         });

TEST_F(CudaSe3, WrongInputsAreClearErrors) {
  Case c = make_case(24, 8, 32, 1, 7);
  const se3::Fiber f_in{{0, 16}, {1, 16}}, f_out{{0, 8}, {1, 8}};
  Weights w = conv_weights("v.", f_in, f_out, 33, 11);
  se3::GConvSE3Partial layer(w, "v.", f_in, f_out);
  gpu::GConvSE3PartialGpu conv = gpu::make_gconv_gpu(*ctx_, layer);
  gpu::DeviceGraph dg = gpu::upload_graph(*ctx_, c.g);
  gpu::DeviceEdgeGeometry dgeo = gpu::upload_geometry(*ctx_, c.geo);
  gpu::DeviceFeatures bad = gpu::upload_features(*ctx_, node_features({{0, 16}, {1, 15}}, c.g.n_nodes, 1));
  try {
    conv.forward(*ctx_, bad, dg, dgeo);
    FAIL() << "wrong channel count accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("degree 1 input"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trifold::model

#endif  // TRIFOLD_WITH_CUDA
