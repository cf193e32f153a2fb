// Pseudo-likelihood Potts fit: objective with analytic gradient, L-BFGS, Frobenius-norm contact scores.
#include "model/coevolution/potts.hpp"

#include <algorithm>
#include <cmath>

#include "io/error.hpp"

namespace trifold::model::coevolution {

namespace {
constexpr int q = kStates;
constexpr int kQp = 24;  // padded state stride of the per-column coupling table (SIMD-friendly)
}  // namespace

double potts_objective(const EncodedMsa& msa, const PottsOptions& opt, const std::vector<float>& x,
                       std::vector<float>& grad) {
  const int L = msa.length, N = msa.rows;
  const size_t nh = static_cast<size_t>(L) * q;
  const size_t npairs = static_cast<size_t>(L) * (L - 1) / 2;
  TRIFOLD_CHECK(x.size() == nh + npairs * q * q, "potts parameter vector size");
  grad.assign(x.size(), 0.0f);
  // Full table W[i][j][b][a] = J(i,j)[a][b] (a padded to kQp): the conditional at column i reads a contiguous
  // row for each other column's state b.
  const size_t blk = static_cast<size_t>(q) * kQp;
  // Reused across calls of one thread (the tables are ~L²·2 KB; reallocating them costs page faults).
  thread_local std::vector<float> w_tls, gw_tls;
  std::vector<float>& W = w_tls;  // a plain reference: OpenMP threads below must share the caller's tables
  std::vector<float>& GW = gw_tls;
  W.resize(static_cast<size_t>(L) * L * blk);
  GW.resize(W.size());
#pragma omp parallel for schedule(static)
  for (int i = 0; i < L; ++i) {
    std::fill(W.begin() + static_cast<size_t>(i) * L * blk, W.begin() + static_cast<size_t>(i + 1) * L * blk, 0.0f);
    std::fill(GW.begin() + static_cast<size_t>(i) * L * blk, GW.begin() + static_cast<size_t>(i + 1) * L * blk, 0.0f);
  }
  auto Wp = [&](int i, int j) { return &W[(static_cast<size_t>(i) * L + j) * blk]; };
  auto GWp = [&](int i, int j) { return &GW[(static_cast<size_t>(i) * L + j) * blk]; };
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < L; ++i)
    for (int j = i + 1; j < L; ++j) {
      const float* J = &x[nh + PottsModel::pair_index(i, j, L) * q * q];
      float* wij = Wp(i, j);
      float* wji = Wp(j, i);
      for (int a = 0; a < q; ++a)
        for (int b = 0; b < q; ++b) {
          wij[b * kQp + a] = J[a * q + b];
          wji[a * kQp + b] = J[a * q + b];
        }
    }
  std::vector<double> col_loss(L, 0.0);
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < L; ++i) {
    alignas(64) float z[kQp], r[kQp];
    double loss = 0;
    float* gh = &grad[static_cast<size_t>(i) * q];
    for (int n = 0; n < N; ++n) {
      const std::uint8_t* s = msa.row(n);
      for (int a = 0; a < kQp; ++a) z[a] = a < q ? x[static_cast<size_t>(i) * q + a] : 0.0f;
      for (int j = 0; j < L; ++j) {
        if (j == i) continue;
        const float* w = Wp(i, j) + s[j] * kQp;
#pragma omp simd
        for (int a = 0; a < kQp; ++a) z[a] += w[a];
      }
      float zmax = z[0];
      for (int a = 1; a < q; ++a) zmax = std::max(zmax, z[a]);
      double sum = 0;
      for (int a = 0; a < q; ++a) sum += std::exp(static_cast<double>(z[a] - zmax));
      const double lse = zmax + std::log(sum);
      const double wn = msa.weight[n];
      loss += wn * (lse - z[s[i]]);
      for (int a = 0; a < kQp; ++a) r[a] = a < q ? static_cast<float>(wn * std::exp(z[a] - lse)) : 0.0f;
      r[s[i]] -= static_cast<float>(wn);
      for (int a = 0; a < q; ++a) gh[a] += r[a];
      for (int j = 0; j < L; ++j) {
        if (j == i) continue;
        float* g = GWp(i, j) + s[j] * kQp;
#pragma omp simd
        for (int a = 0; a < kQp; ++a) g[a] += r[a];
      }
    }
    col_loss[i] = loss;
  }
  double f = 0;
  for (int i = 0; i < L; ++i) f += col_loss[i];
  // Penalty and coupling gradient: J(i,j)[a][b] enters column i's conditional as W[i][j][b][a] and column j's
  // as W[j][i][a][b].
  const double lam_h = opt.lambda_h;
  const double lam_j = opt.lambda_j * (L - 1) * (q - 1);
  double pen = 0;
  for (size_t k = 0; k < nh; ++k) {
    pen += lam_h * x[k] * x[k];
    grad[k] += static_cast<float>(2 * lam_h * x[k]);
  }
  std::vector<double> pair_pen(L, 0.0);
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < L; ++i) {
    double pp = 0;
    for (int j = i + 1; j < L; ++j) {
      const size_t off = nh + PottsModel::pair_index(i, j, L) * q * q;
      const float* gij = GWp(i, j);
      const float* gji = GWp(j, i);
      for (int a = 0; a < q; ++a)
        for (int b = 0; b < q; ++b) {
          const float v = x[off + a * q + b];
          pp += lam_j * v * v;
          grad[off + a * q + b] = gij[b * kQp + a] + gji[a * kQp + b] + static_cast<float>(2 * lam_j * v);
        }
    }
    pair_pen[i] = pp;
  }
  for (int i = 0; i < L; ++i) pen += pair_pen[i];
  return f + pen;
}

PottsModel fit_potts(const EncodedMsa& msa, const PottsOptions& opt) {
  const int L = msa.length;
  if (L < 2) throw InputError("coevolution: need at least 2 alignment columns");
  const size_t nh = static_cast<size_t>(L) * q;
  const size_t npairs = static_cast<size_t>(L) * (L - 1) / 2;
  std::vector<float> x(nh + npairs * q * q, 0.0f);
  // Fields: centred log of pseudocounted weighted frequencies.
  for (int i = 0; i < L; ++i) {
    double f[q] = {0};
    for (int n = 0; n < msa.rows; ++n) f[msa.row(n)[i]] += msa.weight[n];
    double mean = 0;
    for (int a = 0; a < q; ++a) {
      f[a] = std::log(f[a] / msa.neff + 0.01);
      mean += f[a] / q;
    }
    for (int a = 0; a < q; ++a) x[static_cast<size_t>(i) * q + a] = static_cast<float>(f[a] - mean);
  }
  auto fg = [&](const std::vector<float>& v, std::vector<float>& g) { return potts_objective(msa, opt, v, g); };
  PottsModel m;
  m.length = L;
  m.report = lbfgs_minimize(x, fg, opt.lbfgs);
  m.h.assign(x.begin(), x.begin() + nh);
  m.J.assign(x.begin() + nh, x.end());
  return m;
}

std::vector<double> frobenius_scores(const PottsModel& m) {
  const int L = m.length;
  std::vector<double> s(static_cast<size_t>(L) * L, 0.0);
  for (int i = 0; i < L; ++i)
    for (int j = i + 1; j < L; ++j) {
      const float* J = &m.J[PottsModel::pair_index(i, j, L) * q * q];
      // Zero-sum gauge on the 20×20 amino-acid block (plmDCA/CCMpred): remove row and column means, so that
      // the norm measures only the part of J that is not a field in disguise.
      double rm[20] = {0}, cm[20] = {0}, all = 0;
      for (int a = 0; a < 20; ++a)
        for (int b = 0; b < 20; ++b) {
          rm[a] += J[a * q + b] / 20.0;
          cm[b] += J[a * q + b] / 20.0;
          all += J[a * q + b] / 400.0;
        }
      double acc = 0;
      for (int a = 0; a < 20; ++a)
        for (int b = 0; b < 20; ++b) {
          double v = J[a * q + b] - rm[a] - cm[b] + all;
          acc += v * v;
        }
      s[static_cast<size_t>(i) * L + j] = s[static_cast<size_t>(j) * L + i] = std::sqrt(acc);
    }
  return s;
}

}  // namespace trifold::model::coevolution
