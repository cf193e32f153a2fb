// Superposition: recovers known rigid motions, never reflects, handles degenerate point sets.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "structure/superpose.hpp"

using namespace trifold;
using namespace trifold::structure;

namespace {

Transform random_motion(std::mt19937& rng) {
  std::normal_distribution<double> g(0, 1);
  double q[4] = {g(rng), g(rng), g(rng), g(rng)};
  double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (double& v : q) v /= n;
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  Transform t;
  double r[3][3] = {{w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)},
                    {2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)},
                    {2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) t.r[i][j] = r[i][j];
  t.t = {10 * g(rng), 10 * g(rng), 10 * g(rng)};
  return t;
}

double det(const Transform& t) {
  const auto& r = t.r;
  return r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
         r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
}

}  // namespace

TEST(Superpose, RecoversRigidMotion) {
  std::mt19937 rng(7);
  std::normal_distribution<double> g(0, 8);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<Vec3> x(50), y(50);
    for (auto& p : x) p = {g(rng), g(rng), g(rng)};
    Transform m = random_motion(rng);
    for (size_t i = 0; i < x.size(); ++i) y[i] = m.apply(x[i]);
    Superposition s = superpose(x, y);
    // Exact data: only rounding error remains (coordinates ~10 Å, double precision).
    EXPECT_LT(s.rmsd, 1e-9);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) EXPECT_NEAR(s.transform.r[i][j], m.r[i][j], 1e-9);
    EXPECT_NEAR(det(s.transform), 1.0, 1e-12);
  }
}

TEST(Superpose, RmsdMatchesDirectComputationWithNoise) {
  std::mt19937 rng(11);
  std::normal_distribution<double> g(0, 8), noise(0, 1.0);
  std::vector<Vec3> x(100), y(100);
  for (auto& p : x) p = {g(rng), g(rng), g(rng)};
  Transform m = random_motion(rng);
  for (size_t i = 0; i < x.size(); ++i) y[i] = m.apply(x[i]) + Vec3{noise(rng), noise(rng), noise(rng)};
  Superposition s = superpose(x, y);
  std::vector<Vec3> moved(x.size());
  for (size_t i = 0; i < x.size(); ++i) moved[i] = s.transform.apply(x[i]);
  // The reported RMSD comes from the eigenvalue; recomputing it from coordinates must agree to rounding.
  EXPECT_NEAR(s.rmsd, rmsd_no_fit(moved, y), 1e-9);
  // ~1 Å noise per coordinate gives ~sqrt(3) Å RMSD; the optimum can only be lower than the true motion's.
  std::vector<Vec3> truth(x.size());
  for (size_t i = 0; i < x.size(); ++i) truth[i] = m.apply(x[i]);
  EXPECT_LE(s.rmsd, rmsd_no_fit(truth, y) + 1e-12);
  EXPECT_GT(s.rmsd, 1.0);
}

TEST(Superpose, MirrorImageIsNotReflected) {
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0, 5);
  std::vector<Vec3> x(30), y(30);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = {g(rng), g(rng), g(rng)};
    y[i] = {-x[i].x, x[i].y, x[i].z};
  }
  Superposition s = superpose(x, y);
  EXPECT_NEAR(det(s.transform), 1.0, 1e-12);
  EXPECT_GT(s.rmsd, 0.5);  // a proper rotation cannot undo a mirror image of a 3-D cloud
}

TEST(Superpose, DegenerateSets) {
  EXPECT_EQ(superpose({}, {}).rmsd, 0.0);
  std::vector<Vec3> a = {{1, 2, 3}}, b = {{4, 6, 8}};
  Superposition one = superpose(a, b);
  EXPECT_NEAR(distance(one.transform.apply(a[0]), b[0]), 0.0, 1e-12);
  std::vector<Vec3> line1 = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}}, line2 = {{0, 0, 0}, {0, 1, 0}, {0, 2, 0}};
  Superposition l = superpose(line1, line2);
  EXPECT_LT(l.rmsd, 1e-9);
  EXPECT_NEAR(det(l.transform), 1.0, 1e-12);
}
