// Limited-memory BFGS minimiser (two-loop recursion, backtracking Armijo line search), float parameters.
#pragma once

#include <functional>
#include <vector>

namespace trifold::model::coevolution {

struct LbfgsOptions {
  int memory = 5;             // stored (s, y) pairs
  int max_iterations = 100;
  double gradient_tolerance = 1e-4;  // stop when |g| / max(1, |x|) falls below
  double armijo = 1e-4;
};

struct LbfgsReport {
  int iterations = 0, evaluations = 0;
  double f = 0, gnorm = 0;
  bool converged = false;
};

// Minimises f(x). `fg` returns f and writes the gradient into g (same size as x). x is updated in place.
// Vectors are float to halve memory (the Potts model has ~L²·441/2 parameters); dot products use double.
LbfgsReport lbfgs_minimize(std::vector<float>& x,
                           const std::function<double(const std::vector<float>&, std::vector<float>&)>& fg,
                           const LbfgsOptions& opt = {});

}  // namespace trifold::model::coevolution
