// Horn's closed-form quaternion solution of the least-squares superposition problem.
#include "structure/superpose.hpp"

#include <algorithm>
#include <cmath>

#include "io/error.hpp"

namespace trifold::structure {

namespace {

// Eigen-decomposition of a symmetric 4x4 matrix by cyclic Jacobi rotations; returns the eigenvector of the
// largest eigenvalue in v and that eigenvalue. 4x4 Jacobi converges in a handful of sweeps and is robust for
// degenerate inputs (collinear points), which a characteristic-polynomial Newton iteration is not.
double top_eigenvector(double a[4][4], double v[4]) {
  double e[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  double scale = 0;
  for (int p = 0; p < 4; ++p)
    for (int q = 0; q < 4; ++q) scale += a[p][q] * a[p][q];
  for (int sweep = 0; sweep < 50; ++sweep) {
    double off = 0;
    for (int p = 0; p < 4; ++p)
      for (int q = p + 1; q < 4; ++q) off += a[p][q] * a[p][q];
    // Off-diagonal mass below 1e-30 of the matrix norm: eigenvector accurate to ~1e-15 relative.
    if (off <= 1e-30 * scale || off < 1e-300) break;
    for (int p = 0; p < 4; ++p) {
      for (int q = p + 1; q < 4; ++q) {
        if (std::abs(a[p][q]) < 1e-300) continue;
        double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 4; ++k) {
          double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < 4; ++k) {
          double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < 4; ++k) {
          double ekp = e[k][p], ekq = e[k][q];
          e[k][p] = c * ekp - s * ekq;
          e[k][q] = s * ekp + c * ekq;
        }
      }
    }
  }
  int best = 0;
  for (int i = 1; i < 4; ++i)
    if (a[i][i] > a[best][best]) best = i;
  for (int k = 0; k < 4; ++k) v[k] = e[k][best];
  return a[best][best];
}

}  // namespace

Superposition superpose(std::span<const Vec3> mobile, std::span<const Vec3> target, bool with_rmsd) {
  TRIFOLD_CHECK(mobile.size() == target.size(), "superpose: point sets differ in length");
  Superposition out;
  const size_t n = mobile.size();
  if (n == 0) return out;
  Vec3 cm, ct;
  for (size_t i = 0; i < n; ++i) {
    cm = cm + mobile[i];
    ct = ct + target[i];
  }
  cm = cm * (1.0 / n);
  ct = ct * (1.0 / n);
  // Covariance S_ab = sum (x_a)(y_b) of centred coordinates, and the total squared norm.
  double s[3][3] = {};
  for (size_t i = 0; i < n; ++i) {
    Vec3 x = mobile[i] - cm, y = target[i] - ct;
    const double xa[3] = {x.x, x.y, x.z}, ya[3] = {y.x, y.y, y.z};
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) s[a][b] += xa[a] * ya[b];
  }
  const double sxx = s[0][0], sxy = s[0][1], sxz = s[0][2], syx = s[1][0], syy = s[1][1], syz = s[1][2],
               szx = s[2][0], szy = s[2][1], szz = s[2][2];
  double k[4][4] = {
      {sxx + syy + szz, syz - szy, szx - sxz, sxy - syx},
      {syz - szy, sxx - syy - szz, sxy + syx, szx + sxz},
      {szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy},
      {sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz},
  };
  double q[4];
  top_eigenvector(k, q);
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  double (*r)[3] = out.transform.r;
  r[0][0] = w * w + x * x - y * y - z * z;
  r[0][1] = 2 * (x * y - w * z);
  r[0][2] = 2 * (x * z + w * y);
  r[1][0] = 2 * (x * y + w * z);
  r[1][1] = w * w - x * x + y * y - z * z;
  r[1][2] = 2 * (y * z - w * x);
  r[2][0] = 2 * (x * z - w * y);
  r[2][1] = 2 * (y * z + w * x);
  r[2][2] = w * w - x * x - y * y + z * z;
  out.transform.t = {0, 0, 0};
  Vec3 rc = out.transform.apply(cm);
  out.transform.t = ct - rc;
  // The MSD also equals (sum |x|^2 + |y|^2 - 2 lambda_max) / n, but that cancels badly for near-perfect fits.
  if (with_rmsd) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const Vec3 d = out.transform.apply(mobile[i]) - target[i];
      sum += d.dot(d);
    }
    out.rmsd = std::sqrt(sum / n);
  }
  return out;
}

double rmsd_no_fit(std::span<const Vec3> a, std::span<const Vec3> b) {
  TRIFOLD_CHECK(a.size() == b.size(), "rmsd_no_fit: point sets differ in length");
  if (a.empty()) return 0.0;
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]).dot(a[i] - b[i]);
  return std::sqrt(s / a.size());
}

}  // namespace trifold::structure
