// Real spherical harmonics (reference axis convention), evaluated in double precision.
#include "model/se3/harmonics.hpp"

#include <array>
#include <cmath>

#include "io/error.hpp"

namespace trifold::model::se3 {
namespace {

// (x)_n rising factorial x (x+1) ... (x+n-1).
double pochhammer(int x, int n) {
  double r = 1.0;
  for (int k = 0; k < n; ++k) r *= static_cast<double>(x + k);
  return r;
}

// Double factorial (2m-1)!! for P_m^m.
double semifactorial(int x) {
  double r = 1.0;
  for (int k = x; k > 1; k -= 2) r *= k;
  return r;
}

// Associated Legendre P_l^m(x) with the Condon-Shortley phase (-1)^m, for one m >= 0 and l = m..max_l:
// col[l - m] = P_l^m(x).
void legendre_column(int m, int max_l, double x, double* col) {
  // P_m^m = (-1)^m (2m-1)!! (1-x^2)^(m/2)
  const double pmm = ((m % 2) ? -1.0 : 1.0) * semifactorial(2 * m - 1) * std::pow(1.0 - x * x, 0.5 * m);
  col[0] = pmm;
  // Upward recursion in l: (l-m) P_l^m = (2l-1) x P_{l-1}^m - (l+m-1) P_{l-2}^m, started with P_{m-1}^m = 0.
  double p_lm2 = 0.0, p_lm1 = pmm;
  for (int ll = m + 1; ll <= max_l; ++ll) {
    double p = ((2.0 * ll - 1.0) / (ll - m)) * x * p_lm1;
    if (ll - m > 1) p -= ((ll + m - 1.0) / (ll - m)) * p_lm2;
    p_lm2 = p_lm1;
    p_lm1 = p;
    col[ll - m] = p;
  }
}

double legendre(int l, int m, double x) {
  double col[9];
  legendre_column(m, l, x, col);
  return col[l - m];
}

}  // namespace

void real_sh(int J, double theta, double phi, double* out) {
  TRIFOLD_CHECK(J >= 0 && J <= 8, "spherical harmonic degree out of range");
  const double x = std::cos(theta);
  for (int m = -J; m <= J; ++m) {
    const int am = m < 0 ? -m : m;
    double n = std::sqrt((2.0 * J + 1.0) / (4.0 * M_PI));
    const double leg = legendre(J, am, x);
    double y;
    if (m == 0) {
      y = n * leg;
    } else {
      const double ang = m > 0 ? std::cos(m * phi) : std::sin(am * phi);
      n *= std::sqrt(2.0 / pochhammer(J - am + 1, 2 * am));
      y = ang * leg * n;
    }
    out[m + J] = y;
  }
}

void sh_angles(const double d[3], double& theta, double& phi) {
  const double rxy2 = d[2] * d[2] + d[0] * d[0];
  const double beta = std::atan2(std::sqrt(rxy2), d[1]);
  const double alpha = std::atan2(d[0], d[2]);
  theta = M_PI - beta;
  phi = alpha;
}

void sh_from_vector(int maxJ, const double d[3], double* out) {
  TRIFOLD_CHECK(maxJ >= 0 && maxJ <= 8, "spherical harmonic degree out of range");
  // The same arithmetic as real_sh for every (J, m), each shared factor evaluated once per direction instead
  // of once per (J, m): cos(theta), the P_m^m seeds, cos(m phi) / sin(m phi) and the normalisations. Every
  // value is bit-identical to real_sh's (tested); this is the SE(3) stage's per-edge host work.
  double theta, phi;
  sh_angles(d, theta, phi);
  const double x = std::cos(theta);
  double leg[9][9];  // leg[m][J - m] = P_J^m(x), m <= J
  for (int m = 0; m <= maxJ; ++m) legendre_column(m, maxJ, x, leg[m]);
  double cos_m[9], sin_m[9];
  for (int m = 1; m <= maxJ; ++m) {
    cos_m[m] = std::cos(m * phi);
    sin_m[m] = std::sin(m * phi);
  }
  // norm[J][am]: real_sh's normalisation, the same expression evaluated once per process.
  static const auto norm = [] {
    std::array<std::array<double, 9>, 9> t{};
    for (int J = 0; J <= 8; ++J) {
      t[J][0] = std::sqrt((2.0 * J + 1.0) / (4.0 * M_PI));
      for (int am = 1; am <= J; ++am) t[J][am] = t[J][0] * std::sqrt(2.0 / pochhammer(J - am + 1, 2 * am));
    }
    return t;
  }();
  for (int J = 0; J <= maxJ; ++J) {
    double* o = out + J * J;
    o[J] = norm[J][0] * leg[0][J];
    for (int am = 1; am <= J; ++am) {
      const double n = norm[J][am];
      o[J + am] = cos_m[am] * leg[am][J - am] * n;
      o[J - am] = sin_m[am] * leg[am][J - am] * n;
    }
  }
}

}  // namespace trifold::model::se3
