// TRFold-equivalent restraint energy: building the spline restraints and evaluating energy + analytic gradient.
#include "structure/fold_energy.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "io/error.hpp"

namespace trifold::structure {

namespace {

// 9-point quadratic Savitzky–Golay smoothing weights (Savitzky & Golay 1964, table I), sum 231.
constexpr double kSg9[9] = {-21, 14, 39, 54, 59, 54, 39, 14, -21};
constexpr int kSgHalf = 4;
constexpr int kPad = kSgHalf + 3;  // padding on each side before smoothing (7), as the reference

// Smooths `in` with the SG filter ('valid' convolution: out has in.size() - 8 values).
std::vector<double> savgol9(const std::vector<double>& in) {
  std::vector<double> out(in.size() - 2 * kSgHalf);
  for (size_t s = 0; s < out.size(); ++s) {
    double acc = 0;
    for (int k = 0; k < 9; ++k) acc += kSg9[k] * in[s + k];
    out[s] = acc / 231.0;
  }
  return out;
}

// Akima (1970) cubic pieces on a uniform grid with spacing h. Node slopes t_s are defined for s in
// [2, n-3]; pieces are emitted for intervals s = 2 .. n-4 (n - 5 pieces), 4 coefficients each, in float.
// Where both slope differences vanish Akima's rule is 0/0; we take the mean of the neighbouring secants
// (Akima's own convention; the reference uses 0 there).
void akima(const std::vector<double>& y, double h, float* out) {
  const int n = static_cast<int>(y.size());
  std::vector<double> m(n - 1);
  for (int k = 0; k + 1 < n; ++k) m[k] = (y[k + 1] - y[k]) / h;
  std::vector<double> t(n, 0.0);
  for (int s = 2; s <= n - 3; ++s) {
    double w1 = std::abs(m[s + 1] - m[s]), w2 = std::abs(m[s - 1] - m[s - 2]);
    t[s] = (w1 + w2 > 1e-12) ? (w1 * m[s - 1] + w2 * m[s]) / (w1 + w2) : 0.5 * (m[s - 1] + m[s]);
  }
  for (int s = 2; s <= n - 4; ++s) {
    double dy = y[s + 1] - y[s];
    float* c = out + 4 * (s - 2);
    c[0] = static_cast<float>(y[s]);
    c[1] = static_cast<float>(t[s]);
    c[2] = static_cast<float>((3 * dy / h - 2 * t[s] - t[s + 1]) / h);
    c[3] = static_cast<float>((t[s] + t[s + 1] - 2 * dy / h) / (h * h));
  }
}

// Probabilities with the reference's floor and renormalisation over all bins (including no-contact).
std::vector<double> floored(const float* p, int nbins, double floor) {
  std::vector<double> q(nbins);
  double sum = 0;
  for (int b = 0; b < nbins; ++b) sum += (q[b] = p[b] + floor);
  for (double& v : q) v /= sum;
  return q;
}

void build_dist(const float* p, const FoldEnergyParams& prm, float* out) {
  std::vector<double> q = floored(p, kDistBins, prm.prob_floor);
  std::vector<double> e(32);
  for (int b = 0; b < 32; ++b) {
    double bkg = std::pow((4.25 + 0.5 * b) / prm.dfire_cut, prm.dfire_alpha);
    e[b] = -std::log(q[4 + b] / bkg);
  }
  // Left: linear clash ramp of kPad+8 nodes above the first value; right: kPad copies of the last value.
  std::vector<double> padded;
  const int left = kPad + 8;
  for (int k = left; k >= 1; --k) padded.push_back(e[0] + k * prm.clash);
  padded.insert(padded.end(), e.begin(), e.end());
  for (int k = 0; k < kPad; ++k) padded.push_back(e.back());
  std::vector<double> s = savgol9(padded);
  const double tail = s.back();  // long-distance energy shifted to zero
  for (double& v : s) v -= tail;
  TRIFOLD_CHECK(static_cast<int>(s.size()) - 5 == kDistIntervals, "distance spline size");
  akima(s, kDistStep, out);
}

void build_dihedral(const float* p, const FoldEnergyParams& prm, float* out) {
  std::vector<double> q = floored(p, kOmegaBins, prm.prob_floor);
  std::vector<double> e(36);
  for (int b = 0; b < 36; ++b) e[b] = -std::log(q[b] * 36.0);  // uniform background 1/36
  std::vector<double> padded(e.end() - kPad, e.end());           // periodic padding
  padded.insert(padded.end(), e.begin(), e.end());
  padded.insert(padded.end(), e.begin(), e.begin() + kPad);
  std::vector<double> s = savgol9(padded);
  TRIFOLD_CHECK(static_cast<int>(s.size()) - 5 == kOmegaIntervals, "dihedral spline size");
  akima(s, kAngleStep, out);
}

void build_planar(const float* p, const FoldEnergyParams& prm, float* out) {
  std::vector<double> q = floored(p, kPhiBins, prm.prob_floor);
  std::vector<double> e(18);
  for (int b = 0; b < 18; ++b) {
    double a = b * kAngleStep;
    double bkg = 0.5 * (std::cos(a) - std::cos(a + kAngleStep));  // solid-angle fraction of the bin
    e[b] = -std::log(q[b] / bkg);
  }
  std::vector<double> padded(e.rend() - kPad, e.rend());  // mirrored at 0 and π
  padded.insert(padded.end(), e.begin(), e.end());
  padded.insert(padded.end(), e.rbegin(), e.rbegin() + kPad);
  std::vector<double> s = savgol9(padded);
  TRIFOLD_CHECK(static_cast<int>(s.size()) - 5 == kPhiIntervals, "planar spline size");
  akima(s, kAngleStep, out);
}

// ---- small vector helpers (double) ----
struct V {
  double x, y, z;
};
inline V operator+(V a, V b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline V operator-(V a, V b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline V operator*(V a, double s) { return {a.x * s, a.y * s, a.z * s}; }
inline double dot(V a, V b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline V cross(V a, V b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
inline void add(V* g, V v) { g->x += v.x; g->y += v.y; g->z += v.z; }

// Dihedral p0-p1-p2-p3 (IUPAC sign) and its gradient with respect to the four points.
double dihedral_grad(V p0, V p1, V p2, V p3, V* g0, V* g1, V* g2, V* g3) {
  V f = p0 - p1, g = p1 - p2, h = p3 - p2;
  V a = cross(f, g), b = cross(h, g);
  double a2 = std::max(dot(a, a), 1e-12), b2 = std::max(dot(b, b), 1e-12);
  double gn = std::sqrt(std::max(dot(g, g), 1e-12));
  double phi = std::atan2(dot(cross(b, a), g) / gn, dot(a, b));
  double fg = dot(f, g), hg = dot(h, g);
  *g0 = a * (-gn / a2);
  *g3 = b * (gn / b2);
  V ta = a * (fg / (a2 * gn)), tb = b * (hg / (b2 * gn));
  *g1 = a * (gn / a2) + ta - tb;
  *g2 = b * (-gn / b2) - ta + tb;
  return phi;
}

// Planar angle a-b-c in [0, π] and its gradient.
double angle_grad(V a, V b, V c, V* ga, V* gb, V* gc) {
  V u = a - b, v = c - b;
  double nu = std::sqrt(dot(u, u)), nv = std::sqrt(dot(v, v));
  V uh = u * (1.0 / nu), vh = v * (1.0 / nv);
  double cs = std::clamp(dot(uh, vh), -1.0, 1.0);
  double sn = std::max(std::sqrt(1.0 - cs * cs), 1e-6);
  *ga = (vh - uh * cs) * (-1.0 / (sn * nu));
  *gc = (uh - vh * cs) * (-1.0 / (sn * nv));
  *gb = (*ga + *gc) * -1.0;
  return std::acos(cs);
}

// Rotation matrix of a unit quaternion (w,x,y,z), row-major, and its partials ∂R/∂q_a.
void quat_to_rot(const double* q, double* R) {
  double w = q[0], x = q[1], y = q[2], z = q[3];
  R[0] = 1 - 2 * y * y - 2 * z * z; R[1] = 2 * x * y - 2 * z * w; R[2] = 2 * x * z + 2 * y * w;
  R[3] = 2 * x * y + 2 * z * w; R[4] = 1 - 2 * x * x - 2 * z * z; R[5] = 2 * y * z - 2 * x * w;
  R[6] = 2 * x * z - 2 * y * w; R[7] = 2 * y * z + 2 * x * w; R[8] = 1 - 2 * x * x - 2 * y * y;
}
void quat_rot_partials(const double* q, double dR[4][9]) {
  double w = q[0], x = q[1], y = q[2], z = q[3];
  double dw[9] = {0, -2 * z, 2 * y, 2 * z, 0, -2 * x, -2 * y, 2 * x, 0};
  double dx[9] = {0, 2 * y, 2 * z, 2 * y, -4 * x, -2 * w, 2 * z, 2 * w, -4 * x};
  double dy[9] = {-4 * y, 2 * x, 2 * w, 2 * x, 0, 2 * z, -2 * w, 2 * z, -4 * y};
  double dz[9] = {-4 * z, -2 * w, 2 * x, 2 * w, -4 * z, 2 * y, 2 * x, 2 * y, 0};
  for (int k = 0; k < 9; ++k) {
    dR[0][k] = dw[k]; dR[1][k] = dx[k]; dR[2][k] = dy[k]; dR[3][k] = dz[k];
  }
}

// Motif atoms N, CA, C, Cβ relative to CA (Å).
void motif4(V m[4]) {
  const Vec3* mm = ideal_ncac_motif();
  Vec3 cb = virtual_cb(mm[0], mm[1], mm[2]);
  m[0] = {mm[0].x, mm[0].y, mm[0].z};
  m[1] = {mm[1].x, mm[1].y, mm[1].z};
  m[2] = {mm[2].x, mm[2].y, mm[2].z};
  m[3] = {cb.x, cb.y, cb.z};
}

inline V rot(const double* R, V m) {
  return {R[0] * m.x + R[1] * m.y + R[2] * m.z, R[3] * m.x + R[4] * m.y + R[5] * m.z,
          R[6] * m.x + R[7] * m.y + R[8] * m.z};
}

}  // namespace

FoldRestraintSet build_fold_restraints(const Restraints& r, const FoldEnergyParams& prm) {
  const int L = r.length;
  FoldRestraintSet set;
  set.length = L;
  for (int i = 0; i < L; ++i)
    for (int j = i + 1; j < L; ++j) {
      double p20 = (6.0 - r.d(i, j)[kDistBins - 1] - r.o(i, j)[kOmegaBins - 1] - r.t(i, j)[kThetaBins - 1] -
                    r.p(i, j)[kPhiBins - 1] - r.t(j, i)[kThetaBins - 1] - r.p(j, i)[kPhiBins - 1]) /
                   6.0;
      if (p20 > prm.contact_cutoff) {
        set.pair_i.push_back(i);
        set.pair_j.push_back(j);
      }
    }
  const size_t n = set.pairs();
  set.dist.resize(n * kDistIntervals * 4);
  set.omega.resize(n * kOmegaIntervals * 4);
  set.theta.resize(2 * n * kOmegaIntervals * 4);
  set.phi.resize(2 * n * kPhiIntervals * 4);
#pragma omp parallel for schedule(static)
  for (long k = 0; k < static_cast<long>(n); ++k) {
    int i = set.pair_i[k], j = set.pair_j[k];
    build_dist(r.d(i, j), prm, &set.dist[k * kDistIntervals * 4]);
    build_dihedral(r.o(i, j), prm, &set.omega[k * kOmegaIntervals * 4]);
    build_dihedral(r.t(i, j), prm, &set.theta[k * kOmegaIntervals * 4]);
    build_dihedral(r.t(j, i), prm, &set.theta[(n + k) * kOmegaIntervals * 4]);
    build_planar(r.p(i, j), prm, &set.phi[k * kPhiIntervals * 4]);
    build_planar(r.p(j, i), prm, &set.phi[(n + k) * kPhiIntervals * 4]);
  }
  set.orientation_flat.assign(n, 0);
  set.flat_values.assign(5 * n, 0.0f);
  // Flat = all node values within 1e-5 of each other (Akima pieces stay within the range of neighbouring
  // nodes up to a small overshoot, so the curve is constant to ~1e-5).
  auto flat = [](const float* c, int intervals) {
    for (int t = 1; t < intervals; ++t)
      if (std::abs(c[4 * t] - c[0]) >= 1e-5f) return false;
    return true;
  };
  for (size_t k = 0; k < n; ++k) {
    const float* curves[5] = {&set.omega[k * kOmegaIntervals * 4], &set.theta[k * kOmegaIntervals * 4],
                              &set.theta[(n + k) * kOmegaIntervals * 4], &set.phi[k * kPhiIntervals * 4],
                              &set.phi[(n + k) * kPhiIntervals * 4]};
    const int sizes[5] = {kOmegaIntervals, kOmegaIntervals, kOmegaIntervals, kPhiIntervals, kPhiIntervals};
    bool all = true;
    for (int t = 0; t < 5 && all; ++t) all = flat(curves[t], sizes[t]);
    set.orientation_flat[k] = all ? 1 : 0;
    for (int t = 0; t < 5; ++t) set.flat_values[5 * k + t] = curves[t][0];
  }
  return set;
}

double eval_curve(const float* coef, int intervals, double h, double x, double* dfdx) {
  int k = static_cast<int>(std::floor(x / h));
  k = std::clamp(k, 0, intervals - 1);
  double dx = x - k * h;
  const float* c = coef + 4 * k;
  *dfdx = c[1] + dx * (2.0 * c[2] + 3.0 * c[3] * dx);
  return c[0] + dx * (c[1] + dx * (c[2] + dx * c[3]));
}

Backbone backbone_from_pose(int L, const double* pos, const double* quat) {
  V m[4];
  motif4(m);
  Backbone bb;
  bb.n.resize(L);
  bb.ca.resize(L);
  bb.c.resize(L);
  for (int i = 0; i < L; ++i) {
    const double* q = quat + 4 * i;
    double nq = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    double qh[4] = {q[0] / nq, q[1] / nq, q[2] / nq, q[3] / nq}, R[9];
    quat_to_rot(qh, R);
    V p{pos[3 * i], pos[3 * i + 1], pos[3 * i + 2]};
    V a0 = rot(R, m[0]) + p, a1 = rot(R, m[1]) + p, a2 = rot(R, m[2]) + p;
    bb.n[i] = {a0.x, a0.y, a0.z};
    bb.ca[i] = {a1.x, a1.y, a1.z};
    bb.c[i] = {a2.x, a2.y, a2.z};
  }
  return bb;
}

EnergyTerms fold_energy(const FoldRestraintSet& set, const FoldEnergyParams& prm, double geom_scale,
                        const double* pos, const double* quat, double* grad_pos, double* grad_quat) {
  const int L = set.length;
  const bool want_grad = grad_pos && grad_quat;
  V m[4];
  motif4(m);
  // Atoms per residue: 0 N, 1 CA, 2 C, 3 Cβ.
  std::vector<V> X(4 * static_cast<size_t>(L)), G(want_grad ? 4 * static_cast<size_t>(L) : 0, V{0, 0, 0});
  std::vector<double> Rall(9 * static_cast<size_t>(L)), qhat(4 * static_cast<size_t>(L)), qnorm(L);
  for (int i = 0; i < L; ++i) {
    const double* q = quat + 4 * i;
    double nq = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    nq = std::max(nq, 1e-12);
    qnorm[i] = nq;
    for (int a = 0; a < 4; ++a) qhat[4 * i + a] = q[a] / nq;
    quat_to_rot(&qhat[4 * i], &Rall[9 * i]);
    V p{pos[3 * i], pos[3 * i + 1], pos[3 * i + 2]};
    for (int k = 0; k < 4; ++k) X[4 * i + k] = rot(&Rall[9 * i], m[k]) + p;
  }
  auto at = [&](int i, int k) { return X[4 * static_cast<size_t>(i) + k]; };
  auto gr = [&](int i, int k) { return &G[4 * static_cast<size_t>(i) + k]; };

  EnergyTerms e;
  const size_t n = set.pairs();
  // Distance term: count first (the mean's denominator), then energies and gradients.
  for (size_t k = 0; k < n; ++k) {
    V d = at(set.pair_i[k], 3) - at(set.pair_j[k], 3);
    if (dot(d, d) < kDistMax * kDistMax) ++e.n_dist;
  }
  const double wd = e.n_dist > 0 ? 1.0 / e.n_dist : 0.0;
  const double wo = n > 0 ? prm.angle_weight / n : 0.0;
  const double wt = n > 0 ? prm.angle_weight / (2.0 * n) : 0.0;
  double sd = 0, so = 0, st = 0, sp = 0;
  for (size_t k = 0; k < n; ++k) {
    const int i = set.pair_i[k], j = set.pair_j[k];
    V cbi = at(i, 3), cbj = at(j, 3), cai = at(i, 1), caj = at(j, 1), ni = at(i, 0), nj = at(j, 0);
    V dv = cbi - cbj;
    double dd = std::sqrt(dot(dv, dv));
    double df;
    if (dd < kDistMax) {
      sd += eval_curve(&set.dist[k * kDistIntervals * 4], kDistIntervals, kDistStep, dd + 0.25, &df);
      if (want_grad && dd > 1e-9) {
        V g = dv * (wd * df / dd);
        add(gr(i, 3), g);
        add(gr(j, 3), g * -1.0);
      }
    }
    if (!set.orientation_flat.empty() && set.orientation_flat[k]) {
      const float* fv = &set.flat_values[5 * k];
      so += fv[0];
      st += fv[1] + fv[2];
      sp += fv[3] + fv[4];
      continue;
    }
    V g0, g1, g2, g3;
    // omega: CAi-CBi-CBj-CAj, shifted to [0, 2π]
    double om = dihedral_grad(cai, cbi, cbj, caj, &g0, &g1, &g2, &g3) + std::numbers::pi;
    so += eval_curve(&set.omega[k * kOmegaIntervals * 4], kOmegaIntervals, kAngleStep, om + 0.5 * kAngleStep, &df);
    if (want_grad) {
      double s = wo * df;
      add(gr(i, 1), g0 * s); add(gr(i, 3), g1 * s); add(gr(j, 3), g2 * s); add(gr(j, 1), g3 * s);
    }
    for (int dir = 0; dir < 2; ++dir) {
      const int a = dir == 0 ? i : j, b = dir == 0 ? j : i;
      const size_t slot = dir == 0 ? k : n + k;
      V na = dir == 0 ? ni : nj, caa = dir == 0 ? cai : caj, cba = dir == 0 ? cbi : cbj, cbb = dir == 0 ? cbj : cbi;
      // theta: Na-CAa-CBa-CBb
      double th = dihedral_grad(na, caa, cba, cbb, &g0, &g1, &g2, &g3) + std::numbers::pi;
      st += eval_curve(&set.theta[slot * kOmegaIntervals * 4], kOmegaIntervals, kAngleStep, th + 0.5 * kAngleStep,
                       &df);
      if (want_grad) {
        double s = wt * df;
        add(gr(a, 0), g0 * s); add(gr(a, 1), g1 * s); add(gr(a, 3), g2 * s); add(gr(b, 3), g3 * s);
      }
      // phi: CAa-CBa-CBb
      double ph = angle_grad(caa, cba, cbb, &g0, &g1, &g2);
      sp += eval_curve(&set.phi[slot * kPhiIntervals * 4], kPhiIntervals, kAngleStep, ph + 0.5 * kAngleStep, &df);
      if (want_grad) {
        double s = wt * df;
        add(gr(a, 1), g0 * s); add(gr(a, 3), g1 * s); add(gr(b, 3), g2 * s);
      }
    }
  }
  e.dist = sd * wd;
  e.omega = n > 0 ? so / n : 0.0;
  e.theta = n > 0 ? st / (2.0 * n) : 0.0;
  e.phi = n > 0 ? sp / (2.0 * n) : 0.0;

  // Peptide-bond geometry between residue i and i+1.
  double sg = 0;
  const double wg = L > 1 ? geom_scale * prm.geom_weight / (L - 1) : 0.0;
  for (int i = 0; i + 1 < L; ++i) {
    V c = at(i, 2), ca = at(i, 1), n1 = at(i + 1, 0), ca1 = at(i + 1, 1);
    V v = c - n1;
    double b = std::sqrt(dot(v, v));
    double db = b - 1.32868;
    V g0, g1, g2;
    double a1 = angle_grad(ca, c, n1, &g0, &g1, &g2) - 2.02807;
    if (want_grad) {
      double s = 2.0 * a1 * wg;
      add(gr(i, 1), g0 * s); add(gr(i, 2), g1 * s); add(gr(i + 1, 0), g2 * s);
    }
    V h0, h1, h2;
    double a2 = angle_grad(ca1, n1, c, &h0, &h1, &h2) - 2.12407;
    if (want_grad) {
      double s = 2.0 * a2 * wg;
      add(gr(i + 1, 1), h0 * s); add(gr(i + 1, 0), h1 * s); add(gr(i, 2), h2 * s);
      V gb = v * (2.0 * db * wg / std::max(b, 1e-9));
      add(gr(i, 2), gb);
      add(gr(i + 1, 0), gb * -1.0);
    }
    sg += db * db + a1 * a1 + a2 * a2;
  }
  e.geom = L > 1 ? sg / (L - 1) : 0.0;
  e.total = e.dist + prm.angle_weight * (e.omega + e.theta + e.phi) + geom_scale * prm.geom_weight * e.geom;

  if (want_grad) {
    // Chain rule to pose parameters: atom = R(q̂)·m + pos.
    double dR[4][9];
    for (int i = 0; i < L; ++i) {
      V gp{0, 0, 0};
      double M[9] = {0};  // Σ_k g_k m_kᵀ
      for (int k = 0; k < 4; ++k) {
        V g = *gr(i, k);
        gp = gp + g;
        double gg[3] = {g.x, g.y, g.z}, mm[3] = {m[k].x, m[k].y, m[k].z};
        for (int r = 0; r < 3; ++r)
          for (int s = 0; s < 3; ++s) M[3 * r + s] += gg[r] * mm[s];
      }
      grad_pos[3 * i] = gp.x;
      grad_pos[3 * i + 1] = gp.y;
      grad_pos[3 * i + 2] = gp.z;
      const double* qh = &qhat[4 * i];
      quat_rot_partials(qh, dR);
      double gh[4];
      for (int a = 0; a < 4; ++a) {
        double acc = 0;
        for (int r = 0; r < 9; ++r) acc += M[r] * dR[a][r];
        gh[a] = acc;
      }
      // q̂ = q/|q|: ∂E/∂q = (gh − q̂ (q̂·gh)) / |q|
      double proj = gh[0] * qh[0] + gh[1] * qh[1] + gh[2] * qh[2] + gh[3] * qh[3];
      for (int a = 0; a < 4; ++a) grad_quat[4 * i + a] = (gh[a] - qh[a] * proj) / qnorm[i];
    }
  }
  return e;
}

}  // namespace trifold::structure
