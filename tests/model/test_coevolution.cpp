// Coevolution predictor units: Potts gradient, reweighting, planted couplings, restraint mapping.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/coevolution/coevolution.hpp"
#include "model/coevolution/contact_scores.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;
using namespace trifold::model::coevolution;

namespace {

A3m make_a3m(const std::vector<std::string>& rows) {
  A3m a;
  for (size_t k = 0; k < rows.size(); ++k) {
    SequenceRecord r;
    r.name = "s" + std::to_string(k);
    r.sequence = rows[k];
    a.rows.push_back(r);
  }
  return a;
}

// Random sequences of length L where columns (c1, c2) always carry one of a few correlated residue pairs.
A3m planted_msa(int L, int N, int c1, int c2, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::string aa = "ARNDCQEGHILKMFPSTWYV";
  const char pa[4] = {'A', 'K', 'W', 'D'}, pb[4] = {'E', 'D', 'G', 'R'};
  std::vector<std::string> rows;
  for (int n = 0; n < N; ++n) {
    std::string s;
    for (int i = 0; i < L; ++i) s.push_back(aa[rng() % 20]);
    int k = static_cast<int>(rng() % 4);
    s[c1] = pa[k];
    s[c2] = pb[k];
    rows.push_back(s);
  }
  return make_a3m(rows);
}

}  // namespace

TEST(Coevolution, WeightsCountNeighboursAtIdentityThreshold) {
  // Rows 0 and 1 differ at 1 of 10 positions (90% identity), row 2 differs from both at 5+ positions.
  A3m a = make_a3m({"ACDEFGHIKL", "ACDEFGHIKV", "WWWWWGHIKL", "ACDEFGHIKL"});
  EncodedMsa m = encode_msa(a, 0.8);
  ASSERT_EQ(m.rows, 3);  // the duplicate of row 0 is merged
  EXPECT_EQ(m.input_rows, 4);
  // Row 0 (multiplicity 2) has neighbours {0, 0', 1}: weight 2/3. Row 1: {0, 0', 1}: 1/3. Row 2 alone: 1.
  EXPECT_NEAR(m.weight[0], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.weight[1], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.weight[2], 1.0, 1e-12);
  EXPECT_NEAR(m.neff, 2.0, 1e-12);
}

TEST(Coevolution, PottsGradientMatchesFiniteDifferences) {
  A3m a = planted_msa(5, 14, 1, 3, 5);
  EncodedMsa m = encode_msa(a, 0.8);
  PottsOptions opt;
  const int L = m.length;
  const size_t n = static_cast<size_t>(L) * kStates + static_cast<size_t>(L) * (L - 1) / 2 * kStates * kStates;
  std::vector<float> x(n), g;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> gauss(0.0f, 0.3f);
  for (float& v : x) v = gauss(rng);
  potts_objective(m, opt, x, g);
  ASSERT_EQ(g.size(), n);
  // Float parameters: step 1e-2 keeps the float rounding of f (~1e-6 relative on f ~ 50) far below the
  // difference; the objective is smooth, so the O(h²) truncation error is ~1e-4·|f'''|. Tolerance 2e-2
  // absolute on components of size up to ~10.
  const float h = 1e-2f;
  std::mt19937_64 pick(9);
  double worst = 0, biggest = 0;
  for (int t = 0; t < 200; ++t) {
    size_t k = pick() % n;
    std::vector<float> xp = x, xm = x, tmp;
    xp[k] += h;
    xm[k] -= h;
    double fd = (potts_objective(m, opt, xp, tmp) - potts_objective(m, opt, xm, tmp)) / (xp[k] - xm[k]);
    worst = std::max(worst, std::abs(fd - g[k]));
    biggest = std::max(biggest, std::abs(fd));
  }
  EXPECT_GT(biggest, 0.1);
  EXPECT_LT(worst, 2e-2);
}

TEST(Coevolution, PlantedCouplingIsTopPair) {
  const int L = 20, c1 = 4, c2 = 15;
  A3m a = planted_msa(L, 300, c1, c2, 11);
  CoevolutionOptions opt;
  opt.potts.lbfgs.max_iterations = 40;
  CoevolutionResult r = predict_contacts(a, opt);
  auto top = [&](const std::vector<double>& s) {
    int bi = 0, bj = 1;
    for (int i = 0; i < L; ++i)
      for (int j = i + 1; j < L; ++j)
        if (s[i * L + j] > s[bi * L + bj]) bi = i, bj = j;
    return std::make_pair(bi, bj);
  };
  EXPECT_EQ(top(r.scores), std::make_pair(c1, c2));
  EXPECT_EQ(top(r.mi_apc), std::make_pair(c1, c2));
  EXPECT_GT(r.report.iterations, 0);
}

TEST(Coevolution, RestraintsFromContactsSelectExactlyTheTopPairs) {
  const int L = 30;
  std::vector<double> s(L * L, 0.0);
  s[2 * L + 20] = s[20 * L + 2] = 5.0;   // best
  s[7 * L + 25] = s[25 * L + 7] = 4.0;   // second
  s[3 * L + 4] = s[4 * L + 3] = 9.0;     // too close in sequence (|i-j| < 3): ignored
  ContactRestraintOptions opt;
  opt.pairs_per_residue = 2.0 / L;       // two pairs
  opt.background_pairs = false;
  structure::Restraints r = restraints_from_contacts(s, L, opt);
  structure::FoldRestraintSet set = structure::build_fold_restraints(r, {});
  ASSERT_EQ(set.pairs(), 2u);
  EXPECT_EQ(set.pair_i[0], 2);
  EXPECT_EQ(set.pair_j[0], 20);
  EXPECT_EQ(set.pair_i[1], 7);
  EXPECT_EQ(set.pair_j[1], 25);
  // The distogram of the best pair puts p_top of its mass below 8 Å.
  double below8 = 0;
  for (int b = 0; b < 12; ++b) below8 += r.d(2, 20)[b];
  EXPECT_NEAR(below8, opt.p_top, 1e-5);  // float storage

  // With background pairs every pair is restrained; the background's distance energy is flat from 4.25 Å
  // (the bin centre of the first background-corrected bin) to 20 Å and rises below (clash ramp).
  opt.background_pairs = true;
  structure::Restraints rb = restraints_from_contacts(s, L, opt);
  structure::FoldRestraintSet sb = structure::build_fold_restraints(rb, {});
  EXPECT_EQ(sb.pairs(), static_cast<size_t>(L * (L - 1) / 2));
  // Coevolution restraints carry no orientation information: every pair's orientation curves are flat, so
  // the folding energy skips those terms.
  size_t flat = 0;
  for (unsigned char f : sb.orientation_flat) flat += f;
  EXPECT_EQ(flat, sb.pairs());
  size_t k = 0;
  while (!(sb.pair_i[k] == 0 && sb.pair_j[k] == 10)) ++k;
  const float* c = &sb.dist[k * structure::kDistIntervals * 4];
  double dd;
  const double e8 = structure::eval_curve(c, structure::kDistIntervals, 0.5, 8.0 + 0.25, &dd);
  const double e15 = structure::eval_curve(c, structure::kDistIntervals, 0.5, 15.0 + 0.25, &dd);
  const double e3 = structure::eval_curve(c, structure::kDistIntervals, 0.5, 3.0 + 0.25, &dd);
  EXPECT_NEAR(e8, e15, 1e-4);  // flat (float coefficients)
  EXPECT_GT(e3, e8 + 1.0);     // repulsive below 4 Å
}
