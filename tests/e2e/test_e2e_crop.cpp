// Crop mode (L = 310 > 300) against tiny_L310_N64_crop.h5: every crop's residues, gap filter, tokens and trunk
// outputs; the count-averaged node/probabilities; refinement on the full length (forced iteration count).
#include <gtest/gtest.h>

#include <cstdio>

#include "model/e2e/crop.hpp"
#include "tests/e2e/e2e_golden.hpp"

using namespace trifold;
using namespace trifold::model;
namespace eg = trifold::test::e2eg;

namespace {

// 1e-4 relative per tensor (README §6 for outputs behind SE(3) layers); coordinates as in issue 4.
constexpr double kTol = 1e-4;

void check(const std::string& label, const Tensor& got, const Tensor& want) {
  test::CompareResult r = test::compare(label, got, want);
  EXPECT_EQ(r.n_nan, 0) << label;
  EXPECT_LE(r.rel_l2, kTol) << label << " max_abs " << r.max_abs;
}

TEST(E2eCrop, TinyL310) {
  TRIFOLD_REQUIRE_SHARED("golden/rf1/outputs/tiny_L310_N64_crop.h5");
  TRIFOLD_REQUIRE_SHARED("golden/rf1/inputs/L310_N64_crop/query.a3m");
  test::Golden g(test::shared_path("golden/rf1/outputs/tiny_L310_N64_crop.h5").string());
  const Weights& w = eg::weights("tiny");
  MsaTokens msa = read_a3m_tokens(test::shared_path("golden/rf1/inputs/L310_N64_crop/query.a3m").string());
  ASSERT_EQ(msa.tokens, g.ints("inputs/msa_parsed"));
  e2e::Network net(w);
  int seen = 0;
  auto on_crop = [&](int c, const std::vector<int32_t>& res, const std::vector<bool>& kept, const e2e::TrunkOutputs& t) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "crops/%02d/", c);
    const std::string p = buf;
    ++seen;
    EXPECT_EQ(res, g.ints(p + "idx")) << p;
    std::vector<int32_t> k = g.ints(p + "row_kept");
    ASSERT_EQ(k.size(), kept.size());
    for (size_t i = 0; i < k.size(); ++i) EXPECT_EQ(k[i] != 0, kept[i]) << p << " row " << i;
    check("crop " + std::to_string(c) + " node", t.node, eg::ref(g, p + "node"));
    check("crop " + std::to_string(c) + " trunk_lddt", t.lddt, eg::ref(g, p + "trunk_lddt"));
    const double rm = eg::rmsd(t.xyz, eg::ref(g, p + "trunk_xyz"));
    EXPECT_LE(rm, 0.01) << p;
    if (g.has(p + "logits_dist_row0")) {
      const int64_t lc = static_cast<int64_t>(res.size());
      Tensor row({37, lc});  // logits[:, :, 0, :] -> [bins, Lc]
      for (int64_t j = 0; j < lc; ++j)
        for (int64_t b = 0; b < 37; ++b) row[b * lc + j] = t.heads.dist[j * 37 + b];
      check("crop " + std::to_string(c) + " logits_dist row 0", row, eg::ref(g, p + "logits_dist_row0"));
    }
  };
  e2e::CropAverage avg = e2e::run_crops(net, msa, {}, on_crop);
  EXPECT_EQ(seen, 10);
  check("node_avg", avg.node, eg::ref(g, "final/node_avg"));
  const std::vector<int32_t> rows = g.ints("final/prob_s_rows_index");
  const int64_t L = msa.length;
  Tensor got_rows({static_cast<int64_t>(rows.size()), L, 130});
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy(avg.prob_s.data() + rows[r] * L * 130, avg.prob_s.data() + (rows[r] + 1) * L * 130,
              got_rows.data() + static_cast<int64_t>(r) * L * 130);
  check("prob_s rows", got_rows, eg::ref(g, "final/prob_s_rows"));
  const int ref_n = g.ints("final/n_refine_iter").at(0), ref_best = g.ints("final/best_refine_iter").at(0);
  e2e::RefineOptions forced;
  forced.fixed_iter = ref_n;
  std::vector<int32_t> idx(static_cast<size_t>(L));
  for (int64_t i = 0; i < L; ++i) idx[static_cast<size_t>(i)] = static_cast<int32_t>(i);
  std::vector<int32_t> seq(msa.tokens.begin(), msa.tokens.begin() + L);
  e2e::RefineResult r = net.refine(avg.node, avg.prob_s, seq, idx, forced);
  check("regen xyz", r.regen_xyz, eg::ref(g, "refine_iters/regen_xyz"));
  const double rm = eg::rmsd(r.xyz, eg::ref(g, "final/refined_xyz"));
  const auto el = test::compare(r.lddt, eg::ref(g, "final/refined_lddt"));
  std::printf("crop L310: forced %d iterations, best %d (ref %d), refined_xyz RMSD %.2e A, lddt max_abs %.2e\n", ref_n,
              r.best_iter, ref_best, rm, el.max_abs);
  EXPECT_EQ(r.best_iter, ref_best);
  EXPECT_LE(rm, 0.05);
  EXPECT_LE(el.max_abs, 0.01);
  // The free early stop is not rerun here (it doubles the test's ~10 min on the shared 2-core box); the
  // network method and test_e2e_network cover it. Measured once: 22 iterations (reference 22), best 0.
}

}  // namespace
