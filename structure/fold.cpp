// Restraint-based folding: MDS start, Adam over per-residue rigid frames, parallel restarts, best-loss pick.
#include "structure/fold.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "io/error.hpp"

namespace trifold::structure {

namespace {

void check_restraints(const Restraints& r) {
  const size_t n = static_cast<size_t>(r.length) * r.length;
  if (r.length <= 0 || r.dist.size() != n * kDistBins || r.omega.size() != n * kOmegaBins ||
      r.theta.size() != n * kThetaBins || r.phi.size() != n * kPhiBins)
    throw InputError("restraints: array sizes do not match length " + std::to_string(r.length));
}

struct RestartOut {
  std::vector<double> pos, quat;
  EnergyTerms terms;
};

RestartOut run_restart(const FoldRestraintSet& set, const FoldOptions& opt, const std::vector<Vec3>& start,
                       int r, bool mirror) {
  const int L = set.length;
  std::mt19937_64 rng(opt.seed + static_cast<std::uint64_t>(r));
  std::uniform_real_distribution<double> unif(-opt.init_noise, opt.init_noise);
  std::normal_distribution<double> gauss(0.0, 1.0);
  RestartOut out;
  out.pos.resize(3 * static_cast<size_t>(L));
  out.quat.resize(4 * static_cast<size_t>(L));
  for (int i = 0; i < L; ++i) {
    const double sx = mirror ? -1.0 : 1.0;
    out.pos[3 * i] = sx * start[i].x + unif(rng);
    out.pos[3 * i + 1] = start[i].y + unif(rng);
    out.pos[3 * i + 2] = start[i].z + unif(rng);
  }
  for (double& q : out.quat) q = gauss(rng);

  const size_t np = out.pos.size(), nq = out.quat.size();
  std::vector<double> gp(np), gq(nq), mp(np, 0), vp(np, 0), mq(nq, 0), vq(nq, 0);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = opt.learning_rate;
  double b1t = 1, b2t = 1;
  for (int step = 0; step < opt.steps; ++step) {
    const double ramp = (1.0 + step) / opt.steps;
    fold_energy(set, opt.energy, ramp, out.pos.data(), out.quat.data(), gp.data(), gq.data());
    b1t *= b1;
    b2t *= b2;
    auto update = [&](std::vector<double>& x, const std::vector<double>& g, std::vector<double>& m,
                      std::vector<double>& v) {
      for (size_t k = 0; k < x.size(); ++k) {
        m[k] = b1 * m[k] + (1 - b1) * g[k];
        v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
        x[k] -= lr * (m[k] / (1 - b1t)) / (std::sqrt(v[k] / (1 - b2t)) + eps);
      }
    };
    update(out.pos, gp, mp, vp);
    update(out.quat, gq, mq, vq);
  }
  out.terms = fold_energy(set, opt.energy, 1.0, out.pos.data(), out.quat.data(), nullptr, nullptr);
  return out;
}

}  // namespace

std::vector<double> expected_distances(const Restraints& r) {
  const int L = r.length;
  std::vector<double> d(static_cast<size_t>(L) * L, -1.0);
  for (int i = 0; i < L; ++i)
    for (int j = 0; j < L; ++j) {
      if (i == j) {
        d[static_cast<size_t>(i) * L + j] = 0.0;
        continue;
      }
      // Symmetrised: average the (i,j) and (j,i) distograms.
      const float* a = r.d(i, j);
      const float* b = r.d(j, i);
      double pn = 0.5 * (a[kDistBins - 1] + b[kDistBins - 1]);
      if (pn > 0.5) continue;
      double num = 0, den = 0;
      for (int k = 0; k < kDistBins - 1; ++k) {
        double p = 0.5 * (a[k] + b[k]);
        num += p * (kDistMin + kDistStep * (k + 0.5));
        den += p;
      }
      if (den > 0) d[static_cast<size_t>(i) * L + j] = num / den;
    }
  return d;
}

std::vector<Vec3> mds_start(int L, const std::vector<double>& dist) {
  TRIFOLD_CHECK(dist.size() == static_cast<size_t>(L) * L, "distance matrix size");
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> D(dist.size(), inf);
  for (size_t k = 0; k < D.size(); ++k)
    if (dist[k] >= 0) D[k] = dist[k];
  for (int i = 0; i < L; ++i) {
    D[static_cast<size_t>(i) * L + i] = 0;
    if (i + 1 < L) {
      D[static_cast<size_t>(i) * L + i + 1] = std::min(D[static_cast<size_t>(i) * L + i + 1], 3.8);
      D[static_cast<size_t>(i + 1) * L + i] = std::min(D[static_cast<size_t>(i + 1) * L + i], 3.8);
    }
  }
  // Floyd–Warshall: unknown pairs get the shortest-path (triangle-inequality) upper bound.
  for (int k = 0; k < L; ++k)
    for (int i = 0; i < L; ++i) {
      const double dik = D[static_cast<size_t>(i) * L + k];
      if (dik == inf) continue;
      double* Di = &D[static_cast<size_t>(i) * L];
      const double* Dk = &D[static_cast<size_t>(k) * L];
      for (int j = 0; j < L; ++j) Di[j] = std::min(Di[j], dik + Dk[j]);
    }
  // Classical MDS: B = -1/2 J D² J, top three eigenvectors by shifted subspace iteration.
  std::vector<double> B(D.size());
  std::vector<double> rowm(L, 0.0);
  double allm = 0;
  for (int i = 0; i < L; ++i)
    for (int j = 0; j < L; ++j) {
      double v = D[static_cast<size_t>(i) * L + j];
      v = v * v;
      B[static_cast<size_t>(i) * L + j] = v;
      rowm[i] += v / L;
      allm += v / (static_cast<double>(L) * L);
    }
  double shift = 0;
  for (int i = 0; i < L; ++i) {
    double rs = 0;
    for (int j = 0; j < L; ++j) {
      double& b = B[static_cast<size_t>(i) * L + j];
      b = -0.5 * (b - rowm[i] - rowm[j] + allm);
      rs += std::abs(b);
    }
    shift = std::max(shift, rs);
  }
  // Gershgorin shift makes B + shift·I positive semi-definite, so the top eigenvectors dominate.
  std::mt19937_64 rng(20240101);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> V(3 * static_cast<size_t>(L)), W(V.size());
  for (double& v : V) v = g(rng);
  auto orthonormalize = [&](std::vector<double>& M) {
    for (int a = 0; a < 3; ++a) {
      double* va = &M[static_cast<size_t>(a) * L];
      for (int b = 0; b < a; ++b) {
        const double* vb = &M[static_cast<size_t>(b) * L];
        double p = 0;
        for (int i = 0; i < L; ++i) p += va[i] * vb[i];
        for (int i = 0; i < L; ++i) va[i] -= p * vb[i];
      }
      double nn = 0;
      for (int i = 0; i < L; ++i) nn += va[i] * va[i];
      nn = std::sqrt(std::max(nn, 1e-300));
      for (int i = 0; i < L; ++i) va[i] /= nn;
    }
  };
  orthonormalize(V);
  const int iters = 300;
  for (int it = 0; it < iters; ++it) {
    for (int a = 0; a < 3; ++a) {
      const double* va = &V[static_cast<size_t>(a) * L];
      double* wa = &W[static_cast<size_t>(a) * L];
      for (int i = 0; i < L; ++i) {
        const double* Bi = &B[static_cast<size_t>(i) * L];
        double acc = shift * va[i];
        for (int j = 0; j < L; ++j) acc += Bi[j] * va[j];
        wa[i] = acc;
      }
    }
    orthonormalize(W);
    V.swap(W);
  }
  std::vector<Vec3> x(L);
  for (int a = 0; a < 3; ++a) {
    const double* va = &V[static_cast<size_t>(a) * L];
    double lambda = 0;  // Rayleigh quotient of B (unshifted)
    for (int i = 0; i < L; ++i) {
      const double* Bi = &B[static_cast<size_t>(i) * L];
      double acc = 0;
      for (int j = 0; j < L; ++j) acc += Bi[j] * va[j];
      lambda += va[i] * acc;
    }
    const double s = std::sqrt(std::max(lambda, 0.0));
    for (int i = 0; i < L; ++i) (a == 0 ? x[i].x : a == 1 ? x[i].y : x[i].z) = s * va[i];
  }
  return x;
}

FoldResult fold(const FoldRestraintSet& set, const FoldOptions& opt, const std::vector<double>& expected) {
  const int L = set.length;
  if (opt.restarts < 1 || opt.steps < 1) throw InputError("fold: restarts and steps must be >= 1");
  std::vector<Vec3> start;
  bool mirror_odd = false;
  if (!opt.init_ca.empty()) {
    if (static_cast<int>(opt.init_ca.size()) != L)
      throw InputError("fold: init_ca has " + std::to_string(opt.init_ca.size()) + " positions, restraints " +
                       std::to_string(L));
    start = opt.init_ca;
  } else {
    start = mds_start(L, expected);
    mirror_odd = true;
    if (opt.start_max_rg > 0) {
      Vec3 c{0, 0, 0};
      for (const Vec3& p : start) c = c + p * (1.0 / L);
      double rg = 0;
      for (const Vec3& p : start) rg += (p - c).dot(p - c) / L;
      rg = std::sqrt(rg);
      if (rg > opt.start_max_rg)
        for (Vec3& p : start) p = c + (p - c) * (opt.start_max_rg / rg);
    }
  }
  std::vector<RestartOut> outs(opt.restarts);
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int r = 0; r < opt.restarts; ++r) outs[r] = run_restart(set, opt, start, r, mirror_odd && (r % 2 == 1));
  FoldResult res;
  res.restrained_pairs = set.pairs();
  for (int r = 0; r < opt.restarts; ++r) {
    res.restarts.push_back({outs[r].terms, backbone_from_pose(L, outs[r].pos.data(), outs[r].quat.data())});
    if (res.best_restart < 0 || outs[r].terms.total < outs[res.best_restart].terms.total) res.best_restart = r;
  }
  const RestartOut& best = outs[res.best_restart];
  res.terms = best.terms;
  res.backbone = backbone_from_pose(L, best.pos.data(), best.quat.data());
  return res;
}

FoldResult fold(const Restraints& restraints, const FoldOptions& opt) {
  check_restraints(restraints);
  FoldRestraintSet set = build_fold_restraints(restraints, opt.energy);
  return fold(set, opt, expected_distances(restraints));
}

double ca_handedness(const std::vector<Vec3>& ca) {
  const int L = static_cast<int>(ca.size());
  if (L < 4) return 0.0;
  int right = 0, left = 0;
  const double lo = 20.0 * std::numbers::pi / 180, hi = 100.0 * std::numbers::pi / 180;
  for (int i = 0; i + 3 < L; ++i) {
    double d = dihedral(ca[i], ca[i + 1], ca[i + 2], ca[i + 3]);
    right += d >= lo && d <= hi;
    left += d <= -lo && d >= -hi;
  }
  return static_cast<double>(right - left) / (L - 3);
}

double compact_start_rg(int length) { return 2.2 * std::pow(static_cast<double>(length), 0.38); }

std::vector<double> restraint_confidence(const Restraints& r, const Backbone& bb, double contact_cutoff) {
  check_restraints(r);
  const int L = r.length;
  TRIFOLD_CHECK(static_cast<int>(bb.size()) == L, "backbone length differs from restraints");
  std::vector<Vec3> cb(L);
  for (int i = 0; i < L; ++i) cb[i] = virtual_cb(bb.n[i], bb.ca[i], bb.c[i]);
  std::vector<double> num(L, 0.0), den(L, 0.0);
  for (int i = 0; i < L; ++i)
    for (int j = i + 1; j < L; ++j) {
      double p20 = (6.0 - r.d(i, j)[kDistBins - 1] - r.o(i, j)[kOmegaBins - 1] - r.t(i, j)[kThetaBins - 1] -
                    r.p(i, j)[kPhiBins - 1] - r.t(j, i)[kThetaBins - 1] - r.p(j, i)[kPhiBins - 1]) /
                   6.0;
      if (p20 <= contact_cutoff) continue;
      const float* p = r.d(i, j);
      double d = distance(cb[i], cb[j]), mass = 0;
      if (d >= kDistMax) {
        mass = p[kDistBins - 1];
      } else {
        for (int k = 0; k < kDistBins - 1; ++k)
          if (std::abs(kDistMin + kDistStep * (k + 0.5) - d) <= 1.0) mass += p[k];
      }
      num[i] += p20 * mass;
      num[j] += p20 * mass;
      den[i] += p20;
      den[j] += p20;
    }
  std::vector<double> c(L, 0.0);
  for (int i = 0; i < L; ++i) c[i] = den[i] > 0 ? std::min(1.0, num[i] / den[i]) : 0.0;
  return c;
}

}  // namespace trifold::structure
