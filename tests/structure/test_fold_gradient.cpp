// Checks the folding energy's analytic gradient against central finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "structure/fold.hpp"

using namespace trifold;
using namespace trifold::structure;

namespace {

// A small helical-ish backbone to derive restraints from (no shared data needed).
Backbone toy_backbone(int L) {
  Backbone bb;
  for (int i = 0; i < L; ++i) {
    double t = 1.75 * i;  // ~100° per residue, 1.5 Å rise: an α-helix-like CA trace
    Vec3 ca{2.3 * std::cos(t), 2.3 * std::sin(t), 1.5 * i};
    Vec3 n{ca.x - 0.5, ca.y + 1.2, ca.z - 0.6};
    Vec3 c{ca.x + 1.2, ca.y - 0.3, ca.z + 0.9};
    bb.ca.push_back(ca);
    bb.n.push_back(n);
    bb.c.push_back(c);
  }
  return bb;
}

}  // namespace

TEST(FoldGradient, MatchesFiniteDifferences) {
  const int L = 12;
  Restraints r = restraints_from_backbone(toy_backbone(L), {}, 1.5);
  FoldEnergyParams prm;
  FoldRestraintSet set = build_fold_restraints(r, prm);
  ASSERT_GT(set.pairs(), 20u);

  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> pos(3 * L), quat(4 * L);
  // A perturbed version of the toy CA trace, random orientations: all terms active, no degenerate angles.
  Backbone bb = toy_backbone(L);
  for (int i = 0; i < L; ++i) {
    pos[3 * i] = bb.ca[i].x + 0.7 * g(rng);
    pos[3 * i + 1] = bb.ca[i].y + 0.7 * g(rng);
    pos[3 * i + 2] = bb.ca[i].z + 0.7 * g(rng);
  }
  for (double& q : quat) q = g(rng);

  const double geom_scale = 0.6;
  std::vector<double> gp(pos.size()), gq(quat.size());
  EnergyTerms e0 = fold_energy(set, prm, geom_scale, pos.data(), quat.data(), gp.data(), gq.data());
  EXPECT_GT(e0.n_dist, 0);
  EXPECT_NE(e0.geom, 0.0);

  // Central differences with h = 1e-5: truncation error O(h²·f''') ~ 1e-9 and rounding ~ 1e-16/1e-5 = 1e-11,
  // far below the tolerance. The distance count (n_dist) cannot change for such a step here because no pair
  // sits within 1e-5 Å of 20 Å (checked below via e.n_dist).
  const double h = 1e-5;
  auto energy = [&](std::vector<double>& p, std::vector<double>& q) {
    EnergyTerms e = fold_energy(set, prm, geom_scale, p.data(), q.data(), nullptr, nullptr);
    EXPECT_EQ(e.n_dist, e0.n_dist);
    return e.total;
  };
  double max_abs = 0, max_ref = 0;
  for (size_t k = 0; k < pos.size(); ++k) {
    double x = pos[k];
    pos[k] = x + h;
    double ep = energy(pos, quat);
    pos[k] = x - h;
    double em = energy(pos, quat);
    pos[k] = x;
    double fd = (ep - em) / (2 * h);
    max_abs = std::max(max_abs, std::abs(fd - gp[k]));
    max_ref = std::max(max_ref, std::abs(fd));
  }
  for (size_t k = 0; k < quat.size(); ++k) {
    double x = quat[k];
    quat[k] = x + h;
    double ep = energy(pos, quat);
    quat[k] = x - h;
    double em = energy(pos, quat);
    quat[k] = x;
    double fd = (ep - em) / (2 * h);
    max_abs = std::max(max_abs, std::abs(fd - gq[k]));
    max_ref = std::max(max_ref, std::abs(fd));
  }
  ASSERT_GT(max_ref, 1e-3);  // the gradient is not trivially zero
  // Relative to the largest component: 1e-5 leaves room for the spline's piecewise C1 joins (a step can cross
  // an interval boundary where the second derivative jumps, giving O(h) error there).
  EXPECT_LT(max_abs / max_ref, 1e-5) << "max abs diff " << max_abs << ", max |grad| " << max_ref;
}

TEST(FoldGradient, SplineCurvesAreContinuous) {
  // Each restraint curve must be continuous across interval joins (Hermite pieces share node values).
  Restraints r = restraints_from_backbone(toy_backbone(10), {}, 1.0);
  FoldRestraintSet set = build_fold_restraints(r, {});
  ASSERT_GT(set.pairs(), 0u);
  for (int k = 1; k < kDistIntervals; ++k) {
    double d1, d2;
    double left = eval_curve(set.dist.data(), kDistIntervals, kDistStep, k * kDistStep - 1e-9, &d1);
    double right = eval_curve(set.dist.data(), kDistIntervals, kDistStep, k * kDistStep + 1e-9, &d2);
    EXPECT_NEAR(left, right, 1e-4) << "interval " << k;  // float coefficients: ~1e-6 relative rounding
    EXPECT_NEAR(d1, d2, 1e-3) << "interval " << k;
  }
}

TEST(FoldDeterminism, SameSeedSameOutputForAnyThreadCount) {
  Restraints r = restraints_from_backbone(toy_backbone(24), {}, 1.0);
  FoldOptions opt;
  opt.restarts = 5;
  opt.steps = 40;
  opt.seed = 42;
  opt.threads = 1;
  FoldResult a = fold(r, opt);
  opt.threads = 3;
  FoldResult b = fold(r, opt);
  ASSERT_EQ(a.best_restart, b.best_restart);
  for (size_t i = 0; i < a.backbone.size(); ++i) {
    // Exact equality: each restart runs single-threaded with its own RNG, so thread count cannot matter.
    EXPECT_EQ(a.backbone.ca[i].x, b.backbone.ca[i].x);
    EXPECT_EQ(a.backbone.n[i].y, b.backbone.n[i].y);
    EXPECT_EQ(a.backbone.c[i].z, b.backbone.c[i].z);
  }
  opt.seed = 43;
  FoldResult c = fold(r, opt);
  EXPECT_NE(a.backbone.ca[0].x, c.backbone.ca[0].x);  // the seed does reach the RNG
}
