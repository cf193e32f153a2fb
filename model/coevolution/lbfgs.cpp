// Limited-memory BFGS minimiser (Nocedal & Wright, algorithm 7.4/7.5) with a backtracking Armijo search.
#include "model/coevolution/lbfgs.hpp"

#include <cmath>

namespace trifold::model::coevolution {

namespace {
double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += static_cast<double>(a[k]) * b[k];
  return s;
}
}  // namespace

LbfgsReport lbfgs_minimize(std::vector<float>& x,
                           const std::function<double(const std::vector<float>&, std::vector<float>&)>& fg,
                           const LbfgsOptions& opt) {
  const size_t n = x.size();
  std::vector<float> g(n), d(n), xn(n), gn(n);
  std::vector<std::vector<float>> S, Y;
  std::vector<double> rho;
  LbfgsReport rep;
  double f = fg(x, g);
  rep.evaluations = 1;
  for (int it = 0; it < opt.max_iterations; ++it) {
    double gnorm = std::sqrt(dot(g, g));
    rep.gnorm = gnorm;
    if (gnorm / std::max(1.0, std::sqrt(dot(x, x))) < opt.gradient_tolerance) {
      rep.converged = true;
      break;
    }
    // Two-loop recursion: d = -H g.
    std::vector<double> alpha(S.size());
    for (size_t k = 0; k < n; ++k) d[k] = -g[k];
    for (int k = static_cast<int>(S.size()) - 1; k >= 0; --k) {
      alpha[k] = rho[k] * dot(S[k], d);
      for (size_t t = 0; t < n; ++t) d[t] -= static_cast<float>(alpha[k]) * Y[k][t];
    }
    double gamma = S.empty() ? 1.0 / gnorm : dot(S.back(), Y.back()) / dot(Y.back(), Y.back());
    for (size_t t = 0; t < n; ++t) d[t] *= static_cast<float>(gamma);
    for (size_t k = 0; k < S.size(); ++k) {
      double beta = rho[k] * dot(Y[k], d);
      for (size_t t = 0; t < n; ++t) d[t] += static_cast<float>(alpha[k] - beta) * S[k][t];
    }
    double dg = dot(d, g);
    if (dg >= 0) {  // not a descent direction (numerical trouble): restart from steepest descent
      S.clear(); Y.clear(); rho.clear();
      for (size_t t = 0; t < n; ++t) d[t] = static_cast<float>(-g[t] / gnorm);
      dg = -gnorm;
    }
    double step = 1.0, fn = 0;
    bool accepted = false;
    for (int ls = 0; ls < 30; ++ls) {
      for (size_t t = 0; t < n; ++t) xn[t] = x[t] + static_cast<float>(step) * d[t];
      fn = fg(xn, gn);
      ++rep.evaluations;
      if (fn <= f + opt.armijo * step * dg) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    std::vector<float> s(n), y(n);
    for (size_t t = 0; t < n; ++t) {
      s[t] = xn[t] - x[t];
      y[t] = gn[t] - g[t];
    }
    double sy = dot(s, y);
    if (sy > 1e-12) {  // curvature condition; skip the update otherwise
      if (static_cast<int>(S.size()) == opt.memory) {
        S.erase(S.begin()); Y.erase(Y.begin()); rho.erase(rho.begin());
      }
      S.push_back(std::move(s));
      Y.push_back(std::move(y));
      rho.push_back(1.0 / sy);
    }
    x.swap(xn);
    g.swap(gn);
    f = fn;
    rep.iterations = it + 1;
  }
  rep.f = f;
  return rep;
}

}  // namespace trifold::model::coevolution
