// The e2e network on the GPU (model/cuda/network.hpp) vs the CPU (label gpu):
//  * CudaE2eModules: each module not covered by test_cuda_rf1/test_cuda_se3 (embeddings, TransformerConv, InitStr,
//    distance heads, Str2Str, Str2MSA, Regen_Network, Refine_Network with the two mirror copies) from the same
//    inputs as its CPU counterpart, seeded random weights of the tiny and small presets: relative L2 <= 1e-5;
//    then the whole forward (NetworkGpu vs e2e::Network, 2 forced refinement iterations): <= 1e-4.
//  * CudaE2eGolden: the end-to-end golden cases of ../shared/golden/rf1 (small config; tools/gpu-check.sh
//    --prepare bundles exactly these files) with the bounds of tests/e2e/test_e2e_network.cpp.
// Skipped visibly without CUDA or a device; the golden cases also without their shared files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "model/device.hpp"
#include "model/e2e/crop.hpp"
#include "model/e2e/network.hpp"
#include "model/e2e/str_blocks.hpp"
#include "model/rf1/modules.hpp"
#include "model/se3/refine_module.hpp"
#include "model/se3/refine_net.hpp"
#include "model/se3/str2str.hpp"
#include "model/se3/transformer.hpp"
#include "model/templates.hpp"
#include "model/weight_table.hpp"
#include "model/weights_random.hpp"
#include "tests/e2e/e2e_golden.hpp"

#ifndef TRIFOLD_WITH_CUDA

TEST(CudaE2e, NeedsACudaBuild) { GTEST_SKIP() << "built without CUDA (configure with -DTRIFOLD_CUDA=ON)"; }

#else

#include "model/cpu/ops.hpp"
#include "model/cuda/network.hpp"
#include "tests/common/cuda_test.hpp"
#include "model/cuda/se3_gpu.hpp"
#include "tests/e2e/precision_envelope.hpp"

namespace trifold::model {
namespace {

namespace gpu = trifold::model::cuda;
using test::rel_l2;
namespace eg = trifold::test::e2eg;

Tensor random_tensor(Shape s, uint32_t seed, float scale = 1.0f) {
  return test::random_normal_tensor(std::move(s), seed, scale);
}

// A compact random backbone: CA on a 3.8 Å random walk, N and C at fixed offsets plus noise. [L, 3, 3].
Tensor chain_xyz(int64_t l, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  Tensor x({l, 3, 3});
  float ca[3] = {0, 0, 0};
  for (int64_t i = 0; i < l; ++i) {
    float d[3] = {nd(rng), nd(rng), nd(rng)};
    const float n = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) + 1e-6f;
    for (int a = 0; a < 3; ++a) {
      if (i > 0) ca[a] += 3.8f * d[a] / n;
      x[(i * 3 + 1) * 3 + a] = ca[a];
    }
    const float off_n[3] = {-1.2f, 0.6f, 0.3f}, off_c[3] = {1.3f, 0.4f, -0.3f};
    for (int a = 0; a < 3; ++a) {
      x[(i * 3 + 0) * 3 + a] = ca[a] + off_n[a] + 0.1f * nd(rng);
      x[(i * 3 + 2) * 3 + a] = ca[a] + off_c[a] + 0.1f * nd(rng);
    }
  }
  return x;
}

constexpr double kTol = 1e-5;       // one module (see test_cuda_rf1.cpp)
constexpr double kTolWhole = 1e-4;  // the whole network: ~70 modules chained (the golden tests' bound)

void expect_host(const char* what, const Tensor& d, const Tensor& c, double tol = kTol) {
  ASSERT_EQ(d.numel(), c.numel()) << what;
  const double e = rel_l2(d, c);
  std::printf("  %-40s %-16s rel L2 %.2e\n", what, shape_str(c.shape()).c_str(), e);
  EXPECT_LE(e, tol) << what;
}
void expect_match(const char* what, const gpu::DeviceTensor& g, const Tensor& c, double tol = kTol) {
  Tensor d = g.download();
  ASSERT_EQ(d.numel(), c.numel()) << what;
  expect_host(what, d, c, tol);
}

Tensor twice(const Tensor& t) {
  Shape s = t.shape();
  s.insert(s.begin(), 2);
  std::vector<float> v(t.vec());
  v.insert(v.end(), t.vec().begin(), t.vec().end());
  return Tensor(s, std::move(v));
}

class CudaE2eModules : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
    ctx_ = test::make_cuda_context();
    w_ = random_weights(preset_config(GetParam()), 11);
    d_ = rf1::Dims::infer(w_);
    dw_ = std::make_unique<gpu::DeviceWeights>(*ctx_, w_.tensors);
    for (int64_t i = 0; i < l_; ++i) idx_.push_back(static_cast<int32_t>(i < 11 ? i : i + 4));  // a chain break
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> tok(0, 20);
    for (int64_t i = 0; i < l_; ++i) seq_.push_back(tok(rng));
    seq1hot_ = one_hot_21(seq_);
  }
  gpu::DeviceTensor up(const Tensor& t) { return gpu::DeviceTensor::upload(*ctx_, t); }
  gpu::Se3TransformerGpu stack(const std::string& p, const Se3Config& cfg) {
    return gpu::make_se3_transformer_gpu(*ctx_, se3::SE3Transformer(w_, p + ".se3.", cfg));
  }
  std::unique_ptr<gpu::Context> ctx_;
  Weights w_;
  rf1::Dims d_;
  std::unique_ptr<gpu::DeviceWeights> dw_;
  const int64_t n_ = 9, l_ = 23;
  std::vector<int32_t> idx_, seq_;
  Tensor seq1hot_;
};

TEST_P(CudaE2eModules, Embeddings) {
  gpu::Context& c = *ctx_;
  std::vector<int32_t> tokens(static_cast<size_t>(n_ * l_));
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> tok(0, 20);
  for (auto& t : tokens) t = tok(rng);
  expect_match("msa_emb", gpu::msa_emb(c, *dw_, tokens, n_, l_, idx_), rf1::msa_emb(w_, tokens, n_, l_, idx_));
  const Tensor t1d = random_tensor({2, l_, 3}, 5), t2d = random_tensor({2, l_, l_, 10}, 6);
  const Tensor templ = rf1::templ_emb(w_, t1d, t2d, idx_);
  expect_match("templ_emb (2 templates)", gpu::templ_emb(c, *dw_, t1d, t2d, idx_), templ);
  const Tensor t1 = random_tensor({1, l_, 3}, 7), t2 = random_tensor({1, l_, l_, 10}, 8);
  expect_match("templ_emb (1 template)", gpu::templ_emb(c, *dw_, t1, t2, idx_), rf1::templ_emb(w_, t1, t2, idx_));
  expect_match("pair_emb", gpu::pair_emb(c, *dw_, seq_, idx_, up(templ)), rf1::pair_emb(w_, seq_, idx_, templ));
}

TEST_P(CudaE2eModules, InitStrAndTransformerConv) {
  gpu::Context& c = *ctx_;
  const std::string tp = "feat_extractor.init_str.transformer.0.TConv";
  const int64_t cin = w_.get(tp + ".lin_query.weight").dim(1), ce = w_.get(tp + ".lin_edge.weight").dim(1);
  const Tensor x = random_tensor({l_, cin}, 9), e = random_tensor({l_, l_, ce}, 10);
  expect_match("transformer_conv", gpu::transformer_conv(c, *dw_, tp, up(x), up(e)),
               rf1::transformer_conv(w_, tp, x, e));
  const Tensor msa = random_tensor({n_, l_, d_.d_msa}, 11), pair = random_tensor({l_, l_, d_.d_pair}, 12);
  expect_host("init_str xyz",
              gpu::init_str(c, *dw_, "feat_extractor.init_str", up(seq1hot_), idx_, up(msa), up(pair)),
              rf1::init_str(w_, "feat_extractor.init_str", seq1hot_, idx_, msa, pair));
}

TEST_P(CudaE2eModules, DistanceHeads) {
  const Tensor pair = random_tensor({l_, l_, d_.d_pair}, 13);
  const rf1::DistanceOutputs o = rf1::distance_network(w_, "c6d_predictor", pair);
  gpu::DeviceDistance g = gpu::distance_network(*ctx_, *dw_, "c6d_predictor", up(pair));
  expect_match("distance dist", g.dist, o.dist);
  expect_match("distance omega", g.omega, o.omega);
  expect_match("distance theta", g.theta, o.theta);
  expect_match("distance phi", g.phi, o.phi);
  expect_match("distance prob_s", g.prob_s, o.prob_s);
  // The ResNets' 3×3 convolutions in 5 row blocks (5 + 5 + 5 + 5 + 3 rows, one-row halos; InstanceNorm over the
  // whole map): same result (model::Chunking).
  gpu::DeviceDistance gc = gpu::distance_network(*ctx_, *dw_, "c6d_predictor", up(pair), Chunking{1, 5, 0, 0});
  expect_match("distance dist, 5 row blocks", gc.dist, o.dist);
  expect_match("distance phi, 5 row blocks", gc.phi, o.phi);
  expect_match("distance prob_s, 5 row blocks", gc.prob_s, o.prob_s);
}

TEST_P(CudaE2eModules, Str2StrAndStr2Msa) {
  gpu::Context& c = *ctx_;
  const Se3Config& cfg = w_.config.se3;
  const std::string p = "feat_extractor.iter_block_2.0";
  const gpu::Se3TransformerGpu net = stack(p + ".str2str", cfg);
  const Tensor msa = random_tensor({n_, l_, d_.d_msa}, 14), pair = random_tensor({l_, l_, d_.d_pair}, 15);
  const Tensor xyz = chain_xyz(l_, 16);
  for (int top_k : {8, 128}) {  // 128 > L: every node including itself (the reference's self-loop quirk)
    const se3::Str2StrOutput o = se3::str2str(w_, p + ".str2str", cfg, msa, pair, xyz, seq1hot_, idx_, top_k);
    gpu::Str2StrGpuOutput g =
        gpu::str2str(c, *dw_, p + ".str2str", net, cfg, up(msa), up(pair), xyz, up(seq1hot_), idx_, top_k);
    const std::string k = " (top-k " + std::to_string(top_k) + ")";
    expect_host(("str2str xyz" + k).c_str(), g.xyz, o.xyz);
    expect_match(("str2str state" + k).c_str(), g.state, o.state);
  }
  const Tensor state = random_tensor({l_, cfg.l0_out_features}, 17);
  expect_match("str2msa", gpu::str2msa(c, *dw_, p + ".str2msa", up(msa), xyz, up(state)),
               e2e::str2msa(w_, p + ".str2msa", msa, xyz, state));
  // In 4 blocks of MSA rows (3 + 2 + 2 + 2 of N = 9; model::Chunking): same result.
  expect_match("str2msa, 4 MSA row blocks",
               gpu::str2msa(c, *dw_, p + ".str2msa", up(msa), xyz, up(state), Chunking{4, 1, 0, 0}),
               e2e::str2msa(w_, p + ".str2msa", msa, xyz, state));
}

TEST_P(CudaE2eModules, RegenAndRefineNetwork) {
  gpu::Context& c = *ctx_;
  const Se3Config& cfg = w_.config.ref;
  const int64_t dn = d_.d_msa, de = w_.get("refine.proj_edge.weight").dim(0);
  const Tensor node = random_tensor({l_, dn}, 18), edge = random_tensor({l_, l_, de}, 19);
  Tensor cx, cs;
  se3::regen_network(w_, "refine.regen_net", node, edge, seq1hot_, idx_, cx, cs);
  Tensor gx;
  gpu::DeviceTensor gs;
  gpu::regen_network(c, *dw_, "refine.regen_net", up(node), up(edge), up(seq1hot_), idx_, gx, gs);
  expect_host("regen xyz", gx, cx);
  expect_match("regen state", gs, cs);
  // Refine_Network on the two mirror copies (copy 1: z negated), the pair shared on the GPU, duplicated on the CPU.
  Tensor xyz = twice(chain_xyz(l_, 20));
  for (int64_t i = 0; i < l_ * 3; ++i) xyz[(l_ * 3 + i) * 3 + 2] = -xyz[(l_ * 3 + i) * 3 + 2];
  const Tensor node2 = twice(node), edge2 = twice(edge), seq2 = twice(seq1hot_), state2 = twice(cs);
  std::vector<int32_t> idx2(idx_);
  idx2.insert(idx2.end(), idx_.begin(), idx_.end());
  const std::string p = "refine.refine_net.0";
  const gpu::Se3TransformerGpu net = stack(p, cfg);
  Tensor edge1 = edge;
  edge1.reshape({1, l_, l_, de});
  for (int top_k : {8, 64}) {
    const se3::RefineOutput o = se3::refine_network(w_, p, cfg, node2, edge2, xyz, state2, seq2, idx2, top_k);
    gpu::RefineGpuOutput g =
        gpu::refine_network(c, *dw_, p, net, cfg, up(node2), up(edge1), xyz, up(state2), up(seq2), idx2, top_k);
    const std::string k = " (B 2, top-k " + std::to_string(top_k) + ")";
    expect_host(("refine_network xyz" + k).c_str(), g.xyz, o.xyz);
    expect_match(("refine_network state" + k).c_str(), g.state, o.state);
  }
}

TEST_P(CudaE2eModules, WholeNetwork) {
  TrunkInputs in = make_inputs_without_templates(random_msa(n_, l_, 21));
  e2e::RefineOptions opt;
  opt.fixed_iter = 2;
  const e2e::NetworkOutputs o = e2e::Network(w_).forward(in, opt);
  ctx_.reset();  // NetworkGpu owns its context
  gpu::NetworkGpu net(w_, 0);
  net.context().set_sync_after_launch(std::getenv("TRIFOLD_CUDA_SYNC") != nullptr);
  const e2e::NetworkOutputs g = net.forward(in, opt);
  expect_host("network logits dist", g.trunk.heads.dist, o.trunk.heads.dist, kTolWhole);
  expect_host("network logits omega", g.trunk.heads.omega, o.trunk.heads.omega, kTolWhole);
  expect_host("network logits theta", g.trunk.heads.theta, o.trunk.heads.theta, kTolWhole);
  expect_host("network logits phi", g.trunk.heads.phi, o.trunk.heads.phi, kTolWhole);
  expect_host("network prob_s", g.trunk.heads.prob_s, o.trunk.heads.prob_s, kTolWhole);
  expect_host("network trunk node", g.trunk.node, o.trunk.node, kTolWhole);
  expect_host("network trunk xyz", g.trunk.xyz, o.trunk.xyz, kTolWhole);
  expect_host("network trunk lddt", g.trunk.lddt, o.trunk.lddt, kTolWhole);
  expect_host("network regen xyz", g.refine.regen_xyz, o.refine.regen_xyz, kTolWhole);
  expect_host("network refined xyz", g.refine.xyz, o.refine.xyz, kTolWhole);
  EXPECT_EQ(g.refine.n_iter, o.refine.n_iter);
  EXPECT_EQ(g.refine.best_iter, o.refine.best_iter);
}

// The crop mode on the GPU (predict --device cuda when the memory plan does not fit the full length): the CPU's
// crop loop over NetworkGpu::trunk, then the GPU refinement on the averaged crops — as pipeline/method_network
// runs it — against the same on the CPU. Windows of 10 residues (shift 5) give 10 crops of L = 23.
TEST_P(CudaE2eModules, CropModeOverTheGpuTrunk) {
  std::mt19937 rng(23);
  std::uniform_int_distribution<int> tok(0, 21);  // 21: some gaps, so the per-crop row filter has work
  MsaTokens msa;
  msa.n_rows = n_;
  msa.length = l_;
  msa.tokens.resize(static_cast<size_t>(n_ * l_));
  for (auto& t : msa.tokens) t = std::min(tok(rng), 20);
  for (int64_t j = 0; j < l_; ++j) msa.tokens[static_cast<size_t>(j)] = static_cast<int32_t>(j % 20);  // query: no gaps
  const TrunkInputs in = make_inputs_without_templates(msa);
  const e2e::CropOptions crops{10, 5};
  e2e::RefineOptions opt;
  opt.fixed_iter = 2;
  const e2e::Network cpu_net(w_);
  const e2e::CropAverage c = e2e::run_crops(cpu_net, msa, crops);
  const e2e::RefineResult cr = cpu_net.refine(c.node, c.prob_s, in.seq, in.idx, opt);
  ctx_.reset();  // NetworkGpu owns its context
  gpu::NetworkGpu net(w_, 0);
  net.context().set_sync_after_launch(std::getenv("TRIFOLD_CUDA_SYNC") != nullptr);
  const e2e::CropAverage g =
      e2e::run_crops([&](const TrunkInputs& crop) { return net.trunk(crop); }, cpu_net.dims().d_msa, msa, crops);
  const e2e::RefineResult gr = net.refine(g.node, g.prob_s, in.seq, in.idx, opt);
  EXPECT_EQ(g.n_crops, c.n_crops);
  EXPECT_EQ(c.n_crops, 10);
  expect_host("crops prob_s", g.prob_s, c.prob_s, kTolWhole);
  expect_host("crops node", g.node, c.node, kTolWhole);
  expect_host("crops refined xyz", gr.xyz, cr.xyz, kTolWhole);
  EXPECT_EQ(gr.n_iter, cr.n_iter);
}

INSTANTIATE_TEST_SUITE_P(Configs, CudaE2eModules, ::testing::Values("tiny", "small"));

// ---------------------------------------------------------------- golden cases (test_e2e_network.cpp mirrored)

class CudaE2eGolden : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(CudaE2eGolden, FromRawInputs) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  const auto [cfg, cas] = GetParam();
  eg::check_golden_case<gpu::NetworkGpu>(cfg, cas, " (GPU)", [](gpu::NetworkGpu& net) {
    net.context().set_sync_after_launch(std::getenv("TRIFOLD_CUDA_SYNC") != nullptr);
  });
}

// The small config only: its files are what gpu-check.sh --prepare bundles (the tiny checkpoint would push the
// bundle past the device tool's 64 MiB); the CPU suite covers both configs.
INSTANTIATE_TEST_SUITE_P(Cases, CudaE2eGolden,
                         ::testing::Combine(::testing::Values("small"),
                                            ::testing::Values("L20_N16_notempl", "L48_N64_templ")));

// ---------------------------------------------------------------- reduced precision (bf16/TF32 tensor cores)

// The GPU's real bf16/TF32 products, against the GPU's fp32, within the envelope the CPU emulation measured
// (tests/e2e/precision_envelope.hpp); the distance to the CPU's emulation of the same rounding is printed.
TEST(CudaPrecision, TensorCoreModesWithinTheEnvelope) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  const std::string cas = "L48_N64_templ";
  TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/small/RoseTTAFold_e2e.pt");
  TRIFOLD_REQUIRE_SHARED("golden/rf1/inputs/" + cas + "/query.a3m");
  const Weights& w = eg::weights("small");
  gpu::NetworkGpu net(w, 0);
  const TrunkInputs in = test::precision::golden_inputs(cas);
  e2e::RefineOptions opt;
  opt.fixed_iter = 2;
  const e2e::NetworkOutputs ref = net.forward(in, opt);
  const e2e::Network cpu_net(w);
  for (auto p : {MatmulPrecision::Bf16, MatmulPrecision::Tf32}) {
    net.context().set_matmul_precision(p);
    const e2e::NetworkOutputs got = net.forward(in, opt);
    test::precision::expect_within_envelope(cas + " GPU", p, got, ref);
    cpu::MatmulPrecisionScope emulate(p);
    const e2e::NetworkOutputs emu = cpu_net.forward(in, opt);
    std::printf("  GPU %s vs CPU-emulated %s: prob_s rel L2 %.3e, trunk xyz RMSD %.3e A\n", matmul_precision_name(p),
                matmul_precision_name(p), e2e::rel_l2(got.trunk.heads.prob_s, emu.trunk.heads.prob_s),
                e2e::coordinate_rmsd(got.trunk.xyz, emu.trunk.xyz));
  }
  net.context().set_matmul_precision(MatmulPrecision::Fp32);
}

}  // namespace
}  // namespace trifold::model

#endif  // TRIFOLD_WITH_CUDA
