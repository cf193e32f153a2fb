// Refine_module parity: Regen_Network and every teacher-forced refinement iteration against refine_iters/,
// and the whole loop (forced iteration count and the free early stop) against final/refined_*.
#include <gtest/gtest.h>

#include <cstdio>

#include "model/e2e/refine.hpp"
#include "model/features.hpp"
#include "model/rf1/modules.hpp"
#include "tests/e2e/e2e_golden.hpp"

using namespace trifold;
using namespace trifold::model;
namespace eg = trifold::test::e2eg;

namespace {

// 1e-4 relative: README §6 suggests it for SE(3) outputs and teacher-forced single refinement iterations.
constexpr double kTol = 1e-4;

class E2eRefine : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    TRIFOLD_REQUIRE_SHARED("golden/rf1/outputs/" + GetParam() + "_L20_N16_notempl.h5");
    TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/" + GetParam() + "/RoseTTAFold_e2e.pt");
    g = std::make_unique<test::Golden>(
        test::shared_path("golden/rf1/outputs/" + GetParam() + "_L20_N16_notempl.h5").string());
    node = eg::ref(*g, "modules/refine/in0");
    prob_s = eg::ref(*g, "final/prob_s");
    seq1hot = eg::ref(*g, "modules/refine/in2");
    idx = g->ints("modules/refine/in3");
  }
  static void TearDownTestSuite() {
    test::print_report("refinement (L20, inputs from the dump)");
    test::clear_report();
  }
  std::unique_ptr<test::Golden> g;
  Tensor node, prob_s, seq1hot;
  std::vector<int32_t> idx;
};

TEST_P(E2eRefine, RegenAndTeacherForcedIterations) {
  const Weights& w = eg::weights(GetParam());
  const int64_t l = node.dim(0);
  Tensor edge = rf1::linear(w, "refine.proj_edge", prob_s);
  test::compare(GetParam() + " refine.proj_edge", edge, eg::ref(*g, "modules/refine.proj_edge/out0"));
  Tensor xyz, state;
  e2e::regen_network(w, "refine.regen_net", node, edge, seq1hot, idx, xyz, state);
  auto rx = test::compare(GetParam() + " regen xyz", xyz, eg::ref(*g, "refine_iters/regen_xyz"));
  auto rs = test::compare(GetParam() + " regen state", state, eg::ref(*g, "refine_iters/regen_state"));
  EXPECT_LE(rx.rel_l2, kTol);
  EXPECT_LE(rs.rel_l2, kTol);
  e2e::RefineInputs in = e2e::duplicate_for_mirror(node, edge, seq1hot, idx);
  // Iteration 0 starts from the reference's Regen output and its z mirror; iteration k from (xyz, state)[k-1].
  Tensor rxyz = g->tensor("refine_iters/xyz"), rstate = g->tensor("refine_iters/state"),
         rlddt = g->tensor("refine_iters/lddt_raw");
  const int64_t n_iter = rxyz.dim(0), ds = rstate.dim(3);
  Tensor x0 = eg::ref(*g, "refine_iters/regen_xyz"), s0 = eg::ref(*g, "refine_iters/regen_state");
  Tensor in_xyz({2, l, 3, 3}), in_state({2, l, ds});
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t a = 0; a < l * 9; ++a) in_xyz[b * l * 9 + a] = (b == 1 && a % 3 == 2) ? -x0[a] : x0[a];
    for (int64_t a = 0; a < l * ds; ++a) in_state[b * l * ds + a] = s0[a];
  }
  double worst = 0.0, worst_xyz_abs = 0.0;
  for (int64_t k = 0; k < n_iter; ++k) {
    e2e::RefineIteration it = e2e::refine_iteration(w, w.config.ref, in, in_xyz, in_state);
    Tensor wx = eg::slice(rxyz, k * 2 * l * 9, 2 * l * 9, {2, l, 3, 3});
    Tensor wst = eg::slice(rstate, k * 2 * l * ds, 2 * l * ds, {2, l, ds});
    Tensor wl = eg::slice(rlddt, k * 2 * l, 2 * l, {2, l});
    auto ex = test::compare(it.xyz, wx), es = test::compare(it.state, wst), el = test::compare(it.lddt_raw, wl);
    EXPECT_LE(ex.rel_l2, kTol) << "iteration " << k;
    EXPECT_LE(es.rel_l2, kTol) << "iteration " << k;
    EXPECT_LE(el.rel_l2, kTol) << "iteration " << k;
    EXPECT_EQ(ex.n_nan + es.n_nan + el.n_nan, 0);
    worst = std::max({worst, ex.rel_l2, es.rel_l2, el.rel_l2});
    worst_xyz_abs = std::max(worst_xyz_abs, ex.max_abs);
    in_xyz = wx;
    in_state = wst;
  }
  std::printf("%s: %lld teacher-forced iterations, worst rel_l2 %.2e (xyz/state/lddt_raw), worst xyz max_abs %.2e A\n",
              GetParam().c_str(), static_cast<long long>(n_iter), worst, worst_xyz_abs);
}

// The whole loop from the dumped refine inputs. Forced to the reference's iteration count, the returned
// structure must match within 0.05 Å RMSD and lDDT within 0.01 (issue 4); the reference's own 1-vs-2-thread
// difference of the returned structure is <= 7e-4 Å (README §6). The free early stop is reported beside the
// reference's count and must agree here, where the trajectories track each other closely (L20).
TEST_P(E2eRefine, ForcedAndFreeLoop) {
  const Weights& w = eg::weights(GetParam());
  const int ref_n = g->ints("final/n_refine_iter").at(0), ref_best = g->ints("final/best_refine_iter").at(0);
  const Tensor want_xyz = eg::ref(*g, "final/refined_xyz"), want_lddt = eg::ref(*g, "final/refined_lddt");
  e2e::RefineOptions forced;
  forced.forced_iter = ref_n;
  e2e::RefineResult r = e2e::refine_module(w, w.config.ref, node, prob_s, seq1hot, idx, forced);
  const double rm = eg::rmsd(r.xyz, want_xyz);
  const auto el = test::compare(r.lddt, want_lddt);
  std::printf("%s L20 forced %d iterations: best %d (ref %d), refined_xyz RMSD %.2e A, lddt max_abs %.2e\n",
              GetParam().c_str(), ref_n, r.best_iter, ref_best, rm, el.max_abs);
  EXPECT_EQ(r.n_iter, ref_n);
  EXPECT_EQ(r.best_iter, ref_best);
  EXPECT_LE(rm, 0.05);
  EXPECT_LE(el.max_abs, 0.01);
  e2e::RefineResult f = e2e::refine_module(w, w.config.ref, node, prob_s, seq1hot, idx, {});
  std::printf("%s L20 free early stop: %d iterations (reference %d), best %d (reference %d), RMSD %.2e A\n",
              GetParam().c_str(), f.n_iter, ref_n, f.best_iter, ref_best, eg::rmsd(f.xyz, want_xyz));
  EXPECT_EQ(f.n_iter, ref_n);
}

INSTANTIATE_TEST_SUITE_P(Configs, E2eRefine, ::testing::Values("tiny", "small"));

}  // namespace
