// SE(3) equivariance of the TriFold SE3Transformer: rigid motions of the inputs rotate l=1 outputs, keep l=0.
#include <gtest/gtest.h>

#include <omp.h>

#include <random>

#include "model/cpu/ops.hpp"
#include "model/se3/transformer.hpp"
#include "tests/se3/se3_golden.hpp"

using namespace trifold;
using namespace trifold::model;
using namespace trifold::model::se3;
namespace g = trifold::test::se3g;

namespace {

struct Result {
  double l0_err, l1_err, l1_change;
};

// Random protein-like inputs (L residues on a noisy helix-ish walk), the SE3 of `block` from the tiny
// checkpoint, output before and after x -> R x + t.
Result run(const std::string& block, const std::string& prefix, int L, int top_k) {
  const Weights& w = g::weights("tiny");
  const Se3Config cfg = g::se3_config("tiny", block);
  SE3Transformer net(w, prefix, cfg);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> ca(static_cast<size_t>(L) * 3);
  float p[3] = {0.f, 0.f, 0.f};
  for (int i = 0; i < L; ++i) {
    for (int a = 0; a < 3; ++a) {
      p[a] += 2.2f * nd(rng);
      ca[i * 3 + a] = p[a];
    }
  }
  std::vector<int64_t> idx(L);
  for (int i = 0; i < L; ++i) idx[i] = i;
  const int ed = cfg.num_edge_features;
  std::vector<float> pair(static_cast<size_t>(L) * L * ed);
  for (auto& x : pair) x = nd(rng);
  Tensor l0({L, cfg.l0_in_features}), l1({L, cfg.l1_in_features, 3});
  for (auto& x : l0.vec()) x = nd(rng);
  for (auto& x : l1.vec()) x = 1.4f * nd(rng);

  // A proper rotation (from a unit quaternion) and a translation of ~50 Å.
  const double qw = 0.6, qx = -0.3, qy = 0.5, qz = 0.548;
  const double qn = std::sqrt(qw * qw + qx * qx + qy * qy + qz * qz);
  const double a = qw / qn, b = qx / qn, c = qy / qn, d = qz / qn;
  const double R[9] = {a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
                       2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b),
                       2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d};
  const double t[3] = {31.0, -27.5, 44.25};
  auto rot = [&](const float* v, float* out, bool translate) {
    for (int r = 0; r < 3; ++r)
      out[r] = static_cast<float>(R[r * 3] * v[0] + R[r * 3 + 1] * v[1] + R[r * 3 + 2] * v[2] + (translate ? t[r] : 0.0));
  };
  std::vector<float> ca2(ca.size());
  for (int i = 0; i < L; ++i) rot(&ca[i * 3], &ca2[i * 3], true);
  Tensor l1r(l1.shape());
  for (int64_t v = 0; v < l1.numel() / 3; ++v) rot(&l1[v * 3], &l1r[v * 3], false);

  Graph g1 = make_topk_graph(ca.data(), idx.data(), 1, L, top_k, pair.data(), ed);
  Graph g2 = make_topk_graph(ca2.data(), idx.data(), 1, L, top_k, pair.data(), ed);
  EXPECT_EQ(g1.src, g2.src);  // distances are invariant: same neighbour selection
  EXPECT_EQ(g1.dst, g2.dst);
  Features o1 = net.forward(g1, l0, l1);
  Features o2 = net.forward(g2, l0, l1r);
  Result res{};
  res.l0_err = g::compare(o2.at(0).data(), o1.at(0).data(), o1.at(0).numel()).rel_l2;
  Tensor o1r(o1.at(1).shape());
  for (int64_t v = 0; v < o1r.numel() / 3; ++v) rot(&o1.at(1)[v * 3], &o1r[v * 3], false);
  res.l1_err = g::compare(o2.at(1).data(), o1r.data(), o1r.numel()).rel_l2;
  res.l1_change = g::compare(o1r.data(), o1.at(1).data(), o1r.numel()).rel_l2;
  std::printf("%s L=%d top_k=%d: l0 rel_l2 %.2e, l1 rel_l2 (vs rotated) %.2e; rotation moved l1 by %.2f\n",
              block.c_str(), L, top_k, res.l0_err, res.l1_err, res.l1_change);
  return res;
}

// Tolerance: the rotated/translated coordinates are rounded to fp32 (|x| up to ~80 Å -> ~5e-6 Å absolute,
// ~1e-6 relative on 5-10 Å edge vectors), and every op then runs in fp32 (~1e-7 per op over five layers).
// Observed errors are ~5e-7; 2e-5 gives margin while a real equivariance bug (a wrong sign or Q_J, a
// permuted axis) gives errors of order 1.
constexpr double kEquiTol = 2e-5;

}  // namespace

TEST(Se3Equivariance, TrunkConfigRealTopK) {
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/tiny/RoseTTAFold_e2e.pt"));
  auto r = run("SE3_param", "feat_extractor.iter_block_2.0.str2str.se3.", 48, 16);
  EXPECT_LE(r.l0_err, kEquiTol);
  EXPECT_LE(r.l1_err, kEquiTol);
  EXPECT_GT(r.l1_change, 0.1);  // the rotation is not trivial for the outputs
}

TEST(Se3Equivariance, RefineConfigDegreesUpTo2) {
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/tiny/RoseTTAFold_e2e.pt"));
  auto r = run("REF_param", "refine.refine_net.0.se3.", 80, 24);
  EXPECT_LE(r.l0_err, kEquiTol);
  EXPECT_LE(r.l1_err, kEquiTol);
  EXPECT_GT(r.l1_change, 0.1);
}

TEST(Se3Equivariance, SelfLoopQuirkBreaksEquivariance) {
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/tiny/RoseTTAFold_e2e.pt"));
  // L <= top_k: the reference's graph has self-loops with d = 0, whose basis is evaluated at the fixed
  // direction theta = pi (the d1 axis). That fixed direction does not rotate, so the reference (and TriFold,
  // which reproduces it) is only approximately equivariant for small proteins. Documented, and checked
  // here so that a port that silently "fixes" the quirk is noticed.
  auto r = run("SE3_param", "feat_extractor.iter_block_2.0.str2str.se3.", 20, 128);
  EXPECT_GT(r.l0_err + r.l1_err, 1e-3);
}

namespace {

// A random top-k graph of L residues (CA ~ N(0, 8²) Å, N(0, 1) edge features) and N(0, 1) node features for the
// tiny checkpoint's refinement SE3Transformer.
struct RefineStackCase {
  Graph gr;
  Tensor l0, l1;
};
RefineStackCase refine_stack_case(const Se3Config& cfg, int L, int top_k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> ca(L * 3), pair(static_cast<size_t>(L) * L * cfg.num_edge_features);
  for (auto& x : ca) x = 8.f * nd(rng);
  for (auto& x : pair) x = nd(rng);
  std::vector<int64_t> idx(L);
  for (int i = 0; i < L; ++i) idx[i] = i;
  RefineStackCase c{make_topk_graph(ca.data(), idx.data(), 1, L, top_k, pair.data(), cfg.num_edge_features),
                    Tensor({L, cfg.l0_in_features}), Tensor({L, cfg.l1_in_features, 3})};
  for (auto& x : c.l0.vec()) x = nd(rng);
  for (auto& x : c.l1.vec()) x = nd(rng);
  return c;
}

}  // namespace

TEST(Se3Determinism, OutputDoesNotDependOnThreadCount) {
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/tiny/RoseTTAFold_e2e.pt"));
  // Every parallel loop writes disjoint outputs (per edge, per destination node, per row), so 1 and 2
  // OpenMP threads must give bit-identical results (docs/STYLE.md 7).
  const Se3Config cfg = g::se3_config("tiny", "REF_param");
  SE3Transformer net(g::weights("tiny"), "refine.refine_net.0.se3.", cfg);
  const RefineStackCase c = refine_stack_case(cfg, 40, 16, 3);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  Features a = net.forward(c.gr, c.l0, c.l1);
  omp_set_num_threads(2);
  Features b = net.forward(c.gr, c.l0, c.l1);
  omp_set_num_threads(saved);
  for (const auto& [d, t] : a) EXPECT_EQ(t.vec(), b.at(d).vec()) << "degree " << d;
}

TEST(Se3Determinism, ReducedTrunkPrecisionLeavesSe3InFp32) {
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/tiny/RoseTTAFold_e2e.pt"));
  // bf16/TF32 apply to the trunk's matrix products only; the SE(3) stack holds an fp32 scope (as the
  // reference's mixed precision keeps SE(3) in fp32). Its radial MLPs and 1x1 mixers go through cpu::gemm, so
  // without that scope the emulated bf16 rounding would change the output: it must be bit-identical.
  const Se3Config cfg = g::se3_config("tiny", "REF_param");
  SE3Transformer net(g::weights("tiny"), "refine.refine_net.0.se3.", cfg);
  const RefineStackCase c = refine_stack_case(cfg, 30, 12, 5);
  Features a = net.forward(c.gr, c.l0, c.l1);
  Features b;
  {
    cpu::MatmulPrecisionScope bf16(MatmulPrecision::Bf16);
    b = net.forward(c.gr, c.l0, c.l1);
    EXPECT_EQ(cpu::matmul_precision(), MatmulPrecision::Bf16);  // the SE(3) scope restored the caller's
  }
  for (const auto& [d, t] : a) EXPECT_EQ(t.vec(), b.at(d).vec()) << "degree " << d;
}
