// Q_J change-of-basis matrices computed by TriFold vs the reference's cached matrices; harmonics sanity.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <vector>
#include <cstdio>

#include "tests/common/test_data.hpp"
#include "io/hdf5.hpp"
#include "model/se3/harmonics.hpp"
#include "model/se3/q_matrices.hpp"

using namespace trifold;
using namespace trifold::model::se3;

TEST(Se3Harmonics, DegreeOneIsTheCartesianDirection) {
  // Y_1(d) = -sqrt(3/4pi) d/|d| in (d0, d1, d2) order: degree-1 features are Cartesian vectors.
  const double d[3] = {0.3, -1.2, 2.5};
  double y[4];
  sh_from_vector(1, d, y);
  const double r = std::sqrt(0.09 + 1.44 + 6.25), c = -std::sqrt(3.0 / (4.0 * M_PI));
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(y[1 + a], c * d[a] / r, 1e-14);  // double rounding only
}

TEST(Se3Harmonics, WignerOneIsTheRotation) {
  const double R[9] = {0.36, 0.48, -0.8, -0.8, 0.6, 0.0, 0.48, 0.64, 0.6};  // a proper rotation
  auto D = wigner_d_real(1, R);
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(D[i], R[i], 1e-12);  // least-squares fit in double
}

TEST(Se3QMatrices, AllNineteenMatchReference) {
  TRIFOLD_REQUIRE_SHARED("golden/rf1/outputs/se3_Q_J.h5");
  h5::File f(test::shared_path("golden/rf1/outputs/se3_Q_J.h5"));
  int count = 0;
  double worst = 0.0;
  for (int din = 0; din <= 2; ++din)
    for (int dout = 0; dout <= 2; ++dout)
      for (int J = std::abs(din - dout); J <= din + dout; ++J) {
        const std::string name = "Q_J" + std::to_string(J) + "_din" + std::to_string(din) + "_dout" +
                                 std::to_string(dout);
        ASSERT_TRUE(f.exists(name)) << name;
        auto ref = f.read<double>(name);
        const QMatrix& q = q_matrix(J, din, dout);
        ASSERT_EQ(ref.shape.size(), 2u);
        ASSERT_EQ(ref.shape[0], q.rows) << name;
        ASSERT_EQ(ref.shape[1], q.cols) << name;
        double dplus = 0.0, dminus = 0.0;
        for (size_t i = 0; i < q.q.size(); ++i) {
          dplus = std::max(dplus, std::fabs(q.q[i] - ref.data[i]));
          dminus = std::max(dminus, std::fabs(q.q[i] + ref.data[i]));
        }
        std::printf("%-20s max|dQ| %.3e (with flipped sign %.3e)  rank margin %.3e  residual %.3e\n", name.c_str(),
                    dplus, dminus, q.second_singular, q.residual);
        // The reference was solved by an SVD in double: agreement to ~1e-12; 1e-9 leaves margin for the
        // different solver (Jacobi eigen-decomposition) while still catching any wrong entry or sign.
        EXPECT_LT(dplus, 1e-9) << name;
        EXPECT_LT(q.residual, 1e-10) << name;  // the condition holds to double rounding
        worst = std::max(worst, dplus);
        ++count;
      }
  EXPECT_EQ(count, 19);
  std::printf("Q_J: %d matrices, worst max|dQ| %.3e\n", count, worst);
}

TEST(Se3Harmonics, PerDirectionPathIsBitIdenticalToRealSh) {
  // sh_from_vector shares cos(theta), the Legendre seeds and cos/sin(m phi) across (J, m); real_sh evaluates each
  // (J, m) on its own. Same arithmetic, so every value must be equal, not merely close.
  std::vector<std::array<double, 3>> dirs = {{0, 0, 0},  {1, 0, 0},    {-1, 0, 0}, {0, 1, 0},    {0, -1, 0},
                                             {0, 0, 1},  {0, 0, -1},   {1e-9, 1, 0}, {0, -1, 1e-12}, {-0.0, 2, -0.0},
                                             {3, -4, 5}, {-2.5, 0.1, -7}};
  std::mt19937 rng(11);
  std::normal_distribution<double> nd(0.0, 5.0);
  for (int t = 0; t < 2000; ++t) dirs.push_back({nd(rng), nd(rng), nd(rng)});
  int64_t compared = 0;
  for (const auto& d : dirs) {
    double fast[(2 * kMaxJ + 1) * (2 * kMaxJ + 1)], slow[2 * kMaxJ + 1];
    sh_from_vector(kMaxJ, d.data(), fast);
    double theta, phi;
    sh_angles(d.data(), theta, phi);
    for (int J = 0; J <= kMaxJ; ++J) {
      real_sh(J, theta, phi, slow);
      for (int m = 0; m <= 2 * J; ++m, ++compared)
        ASSERT_EQ(fast[J * J + m], slow[m]) << "J " << J << " m " << m - J << " d " << d[0] << "," << d[1] << "," << d[2];
    }
  }
  EXPECT_EQ(compared, static_cast<int64_t>(dirs.size()) * 25);
}
