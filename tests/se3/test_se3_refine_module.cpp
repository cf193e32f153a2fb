// Refine_module parity: Regen_Network, teacher-forced refinement iterations, and the full early-stop loop.
#include <gtest/gtest.h>
#include <omp.h>

#include "model/se3/refine_module.hpp"
#include "tests/se3/se3_golden.hpp"

using namespace trifold;
using namespace trifold::model;
using namespace trifold::model::se3;
namespace g = trifold::test::se3g;

namespace {

// The refinement loop is dozens of small (L = 20) SE(3) passes; on a shared, oversubscribed test machine
// thread barriers dominate them, so these tests run single-threaded (results do not depend on the thread
// count: Se3Determinism in test_se3_equivariance.cpp).
struct SingleThread {
  SingleThread() {
    omp_set_num_threads(1);
  }
};
const SingleThread kSingleThread;

// 1e-4 relative for Regen and teacher-forced single iterations (README §6 suggestion for SE(3) outputs).
constexpr double kTol = 1e-4;

struct Case {
  h5::File f;
  const Weights* w;
  Se3Config cfg;
  Tensor node, prob_s, seq1hot;
  std::vector<int32_t> idx;
  int64_t L;
};

Case load(const std::string& cfg_name, const std::string& file) {
  h5::File f(test::shared_path(g::golden("outputs/" + file)));
  Case c{std::move(f), &g::weights(cfg_name), g::se3_config(cfg_name, "REF_param"), {}, {}, {}, {}, 0};
  c.node = g::read_tensor(c.f, c.f.exists("modules/refine/in0") ? "modules/refine/in0" : "final/trunk_node");
  c.L = c.node.dim(1);
  c.node.reshape({c.L, c.node.dim(2)});
  c.prob_s = g::read_tensor(c.f, "final/prob_s").reshaped({c.L, c.L, 130});
  Tensor s1 = g::read_tensor(c.f, "modules/refine.refine_net.0/in4");  // [2, L, 21], copies identical
  c.seq1hot = Tensor({c.L, 21}, std::vector<float>(s1.data(), s1.data() + c.L * 21));
  auto idx64 = c.f.read<int64_t>("modules/refine.refine_net.0/in5").data;
  c.idx.assign(idx64.begin(), idx64.begin() + c.L);
  return c;
}

Tensor slice0(const Tensor& t, int64_t k) {  // t[k] of a stacked [n, ...] tensor
  Shape s(t.shape().begin() + 1, t.shape().end());
  const int64_t n = shape_numel(s);
  return Tensor(s, std::vector<float>(t.data() + k * n, t.data() + (k + 1) * n));
}

Tensor twice(const Tensor& t) {
  Shape s = t.shape();
  s.insert(s.begin(), 2);
  std::vector<float> v(t.vec());
  v.insert(v.end(), t.vec().begin(), t.vec().end());
  return Tensor(s, std::move(v));
}

void check_steps(const std::string& cfg_name, const std::string& file) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/" + file));
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/" + cfg_name + "/RoseTTAFold_e2e.pt"));
  Case c = load(cfg_name, file);
  const Weights& w = *c.w;
  g::Report rep{cfg_name + " refine module steps"};
  Tensor e = [&] {
    Tensor pe = g::read_tensor(c.f, "modules/refine.proj_edge/out0");
    return pe.reshaped({c.L, c.L, pe.dim(3)});
  }();
  Tensor xyz, state;
  regen_network(w, "refine.regen_net", c.node, e, c.seq1hot, c.idx, xyz, state);
  auto rx = g::read_tensor(c.f, "modules/refine.regen_net/out0");
  auto rs = g::read_tensor(c.f, "modules/refine.regen_net/out1");
  auto ex = g::compare(xyz.data(), rx.data(), rx.numel());
  auto es = g::compare(state.data(), rs.data(), rs.numel());
  rep.add("regen_net xyz", ex);
  rep.add("regen_net state", es);
  EXPECT_LE(ex.rel_l2, kTol);
  EXPECT_LE(es.rel_l2, kTol);
  // Teacher forcing: iteration k starts from the reference's iteration k-1 outputs.
  auto X = g::read_tensor(c.f, "refine_iters/xyz");
  auto S = g::read_tensor(c.f, "refine_iters/state");
  auto Lr = g::read_tensor(c.f, "refine_iters/lddt_raw");
  const int64_t n = X.dim(0);
  int n_ref = 0;
  while (w.has("refine.refine_net." + std::to_string(n_ref) + ".embed_x.weight")) ++n_ref;
  std::vector<int32_t> idx2(c.idx);
  idx2.insert(idx2.end(), c.idx.begin(), c.idx.end());
  const Tensor node2 = twice(c.node), edge2 = twice(e), seq2 = twice(c.seq1hot);
  for (int64_t k : {int64_t(1), n / 2, n - 1}) {
    Tensor x = slice0(X, k - 1), s = slice0(S, k - 1), l;
    refine_iteration(w, c.cfg, n_ref, node2, edge2, seq2, idx2, 64, x, s, l);
    const std::string tag = "iteration " + std::to_string(k);
    auto e1 = g::compare(x.data(), slice0(X, k).data(), x.numel());
    auto e2 = g::compare(s.data(), slice0(S, k).data(), s.numel());
    auto e3 = g::compare(l.data(), slice0(Lr, k).data(), l.numel());
    rep.add(tag + " xyz", e1);
    rep.add(tag + " state", e2);
    rep.add(tag + " lddt_raw", e3);
    EXPECT_LE(e1.rel_l2, kTol) << tag;
    EXPECT_LE(e2.rel_l2, kTol) << tag;
    EXPECT_LE(e3.rel_l2, kTol) << tag;
  }
}

void check_loop(const std::string& cfg_name, const std::string& file, bool fixed = false) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/" + file));
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/" + cfg_name + "/RoseTTAFold_e2e.pt"));
  Case c = load(cfg_name, file);
  const int ref_n = c.f.read<int32_t>("final/n_refine_iter").data[0];
  const int ref_best = c.f.read<int32_t>("final/best_refine_iter").data[0];
  RefineOptions opt;
  if (fixed) opt.fixed_iter = ref_n;  // forced count: the early stop cannot flip on rounding
  RefineResult r = refine_module(*c.w, c.cfg, c.node, c.prob_s, c.seq1hot, c.idx, opt);
  auto rx = g::read_tensor(c.f, "modules/refine/out0");
  auto rl = g::read_tensor(c.f, "modules/refine/out1");
  auto ex = g::compare(r.xyz.data(), rx.data(), rx.numel());
  auto el = g::compare(r.lddt.data(), rl.data(), rl.numel());
  std::printf("%s %s loop: iterations %d (reference %d), best %d (reference %d), refined xyz max |d| %.2e A, "
              "lddt max |d| %.2e\n",
              cfg_name.c_str(), fixed ? "forced" : "free", r.n_iter, ref_n, r.best_iter, ref_best, ex.max_abs,
              el.max_abs);
  EXPECT_EQ(r.n_iter, ref_n);
  EXPECT_EQ(r.best_iter, ref_best);
  // The README's noise floor for the returned structure is <= 7e-4 Å (threads 1 vs 2); 1e-3 Å as it suggests.
  EXPECT_LE(ex.max_abs, 1e-3);
  EXPECT_LE(el.max_abs, 1e-3);
}

}  // namespace

TEST(Se3RefineModule, TinyL20RegenAndTeacherForcedIterations) { check_steps("tiny", "tiny_L20_N16_notempl.h5"); }
TEST(Se3RefineModule, SmallL20RegenAndTeacherForcedIterations) { check_steps("small", "small_L20_N16_notempl.h5"); }
TEST(Se3RefineModule, TinyL20FreeEarlyStop) { check_loop("tiny", "tiny_L20_N16_notempl.h5", false); }
TEST(Se3RefineModule, SmallL20FreeEarlyStop) { check_loop("small", "small_L20_N16_notempl.h5", false); }
TEST(Se3RefineModule, SmallL20ForcedThreeIterations) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/small_L20_N16_notempl.h5"));
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/small/RoseTTAFold_e2e.pt"));
  // fixed_iter runs exactly that many iterations (no early stop); the per-iteration clamped mean lDDT of
  // both copies must follow the reference trajectory (1e-4 relative, as for single steps).
  Case c = load("small", "small_L20_N16_notempl.h5");
  RefineOptions opt;
  opt.fixed_iter = 3;
  RefineResult r = refine_module(*c.w, c.cfg, c.node, c.prob_s, c.seq1hot, c.idx, opt);
  EXPECT_EQ(r.n_iter, 3);
  auto ref = g::read_tensor(c.f, "refine_iters/lddt_mean_clamped");  // [n_iter, 2]
  ASSERT_EQ(r.lddt_means.size(), 6u);
  auto e = g::compare(r.lddt_means.data(), ref.data(), 6);
  std::printf("forced 3 iterations: lddt_mean_clamped rel_l2 %.2e\n", e.rel_l2);
  EXPECT_LE(e.rel_l2, kTol);
}
