// Binned inter-residue restraints: bin helpers and restraints derived from a known structure.
#include "structure/restraints.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "io/error.hpp"

namespace trifold::structure {

Restraints empty_restraints(int length) {
  TRIFOLD_CHECK(length > 0, "restraints need at least one residue");
  Restraints r;
  r.length = length;
  const size_t n = static_cast<size_t>(length) * length;
  r.dist.assign(n * kDistBins, 0.0f);
  r.omega.assign(n * kOmegaBins, 0.0f);
  r.theta.assign(n * kThetaBins, 0.0f);
  r.phi.assign(n * kPhiBins, 0.0f);
  for (size_t k = 0; k < n; ++k) {
    r.dist[k * kDistBins + kDistBins - 1] = 1.0f;
    r.omega[k * kOmegaBins + kOmegaBins - 1] = 1.0f;
    r.theta[k * kThetaBins + kThetaBins - 1] = 1.0f;
    r.phi[k * kPhiBins + kPhiBins - 1] = 1.0f;
  }
  return r;
}

int dist_bin(double d) { return std::clamp(static_cast<int>(std::floor((d - kDistMin) / kDistStep)), 0, kDistBins - 2); }
int dihedral_bin(double a) {
  return std::clamp(static_cast<int>(std::floor((a + std::numbers::pi) / kAngleStep)), 0, kOmegaBins - 2);
}
int planar_bin(double a) { return std::clamp(static_cast<int>(std::floor(a / kAngleStep)), 0, kPhiBins - 2); }

PairGeometry pair_geometry(const Backbone& bb, int i, int j) {
  Vec3 cbi = virtual_cb(bb.n[i], bb.ca[i], bb.c[i]);
  Vec3 cbj = virtual_cb(bb.n[j], bb.ca[j], bb.c[j]);
  PairGeometry g;
  g.d = distance(cbi, cbj);
  g.omega = dihedral(bb.ca[i], cbi, cbj, bb.ca[j]);
  g.theta = dihedral(bb.n[i], bb.ca[i], cbi, cbj);
  g.phi = planar_angle(bb.ca[i], cbi, cbj);
  return g;
}

namespace {
// Writes a Gaussian over the first nbins-1 bins centred at fractional bin position x (periodic if asked).
void gaussian_bins(float* out, int nbins, double x, double sigma, bool periodic) {
  const int n = nbins - 1;
  std::fill(out, out + nbins, 0.0f);
  if (sigma <= 0) {
    out[std::clamp(static_cast<int>(std::floor(x)), 0, n - 1)] = 1.0f;
    return;
  }
  double sum = 0;
  std::vector<double> w(n);
  for (int k = 0; k < n; ++k) {
    double dx = (k + 0.5) - x;
    if (periodic) dx -= n * std::round(dx / n);
    w[k] = std::exp(-0.5 * dx * dx / (sigma * sigma));
    sum += w[k];
  }
  for (int k = 0; k < n; ++k) out[k] = static_cast<float>(w[k] / sum);
}
}  // namespace

Restraints restraints_from_backbone(const Backbone& bb, const std::vector<bool>& present, double sigma_bins) {
  const int L = static_cast<int>(bb.size());
  Restraints r = empty_restraints(L);
  auto ok = [&](int i) { return present.empty() || present[static_cast<size_t>(i)]; };
  for (int i = 0; i < L; ++i) {
    if (!ok(i)) continue;
    for (int j = 0; j < L; ++j) {
      if (i == j || !ok(j)) continue;
      PairGeometry g = pair_geometry(bb, i, j);
      if (g.d >= kDistMax) continue;
      const size_t k = static_cast<size_t>(i) * L + j;
      gaussian_bins(&r.dist[k * kDistBins], kDistBins, (g.d - kDistMin) / kDistStep, sigma_bins, false);
      gaussian_bins(&r.omega[k * kOmegaBins], kOmegaBins, (g.omega + std::numbers::pi) / kAngleStep, sigma_bins, true);
      gaussian_bins(&r.theta[k * kThetaBins], kThetaBins, (g.theta + std::numbers::pi) / kAngleStep, sigma_bins, true);
      gaussian_bins(&r.phi[k * kPhiBins], kPhiBins, g.phi / kAngleStep, sigma_bins, false);
    }
  }
  return r;
}

}  // namespace trifold::structure
