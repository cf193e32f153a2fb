// APC correction and the mutual-information contact baseline.
#include "model/coevolution/contact_scores.hpp"

#include <cmath>

namespace trifold::model::coevolution {

std::vector<double> apc(const std::vector<double>& s, int L, const std::vector<bool>& use) {
  auto ok = [&](int i) { return use.empty() || use[i]; };
  std::vector<double> row(L, 0.0);
  double all = 0;
  int nu = 0;
  for (int i = 0; i < L; ++i) {
    if (!ok(i)) continue;
    ++nu;
    for (int j = 0; j < L; ++j)
      if (j != i && ok(j)) row[i] += s[static_cast<size_t>(i) * L + j];
  }
  if (nu < 2) return std::vector<double>(s.size(), 0.0);
  for (int i = 0; i < L; ++i) {
    all += row[i];
    row[i] /= (nu - 1);
  }
  all /= static_cast<double>(nu) * (nu - 1);
  std::vector<double> out(s.size(), 0.0);
  for (int i = 0; i < L; ++i)
    for (int j = 0; j < L; ++j)
      if (i != j && ok(i) && ok(j))
        out[static_cast<size_t>(i) * L + j] = s[static_cast<size_t>(i) * L + j] - row[i] * row[j] / all;
  return out;
}

std::vector<double> mutual_information_apc(const EncodedMsa& msa, double pseudocount) {
  const int L = msa.length, N = msa.rows, q = kStates;
  std::vector<double> f1(static_cast<size_t>(L) * q, 0.0);
  for (int n = 0; n < N; ++n)
    for (int i = 0; i < L; ++i) f1[static_cast<size_t>(i) * q + msa.row(n)[i]] += msa.weight[n];
  const double lam = pseudocount, neff = msa.neff;
  for (double& v : f1) v = ((1 - lam) * v / neff) + lam / q;
  std::vector<double> mi(static_cast<size_t>(L) * L, 0.0);
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < L; ++i) {
    std::vector<double> f2(static_cast<size_t>(q) * q);
    for (int j = i + 1; j < L; ++j) {
      std::fill(f2.begin(), f2.end(), 0.0);
      for (int n = 0; n < N; ++n) f2[msa.row(n)[i] * q + msa.row(n)[j]] += msa.weight[n];
      double s = 0;
      for (int a = 0; a < q; ++a)
        for (int b = 0; b < q; ++b) {
          double p = (1 - lam) * f2[a * q + b] / neff + lam / (q * q);
          s += p * std::log(p / (f1[static_cast<size_t>(i) * q + a] * f1[static_cast<size_t>(j) * q + b]));
        }
      mi[static_cast<size_t>(i) * L + j] = mi[static_cast<size_t>(j) * L + i] = s;
    }
  }
  return apc(mi, L);
}

}  // namespace trifold::model::coevolution
