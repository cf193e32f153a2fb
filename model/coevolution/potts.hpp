// Potts model (fields h, couplings J) fitted to an MSA by L2-regularised pseudo-likelihood (GREMLIN/plmDCA).
#pragma once

#include <vector>

#include "model/coevolution/lbfgs.hpp"
#include "model/coevolution/msa_encoding.hpp"

namespace trifold::model::coevolution {

struct PottsOptions {
  // GREMLIN (TensorFlow version) defaults: penalty λ_h·Σh² + λ_J·Σ_{i<j}ΣJ², λ_J = lambda_j·(L−1)·(q−1).
  double lambda_h = 0.01;
  double lambda_j = 0.01;
  LbfgsOptions lbfgs;  // default 100 iterations, memory 5
};

// Fitted model over L columns, q = kStates. h: [L, q]; J: [npairs, q, q] for pairs i<j in row-major pair
// order (pair_index), J(i,j)[a][b] couples state a at i with state b at j.
struct PottsModel {
  int length = 0;
  std::vector<float> h, J;
  LbfgsReport report;
  static size_t pair_index(int i, int j, int L) {  // i < j
    return static_cast<size_t>(i) * (2 * L - i - 1) / 2 + (j - i - 1);
  }
};

// Minimises −Σ_n w_n Σ_i log P(x_ni | x_n,−i) + penalty. Fields start at centred log frequencies, couplings at
// 0. OpenMP over columns; the result does not depend on the thread count (fixed per-column reduction order).
PottsModel fit_potts(const EncodedMsa& msa, const PottsOptions& opt = {});

// Negative pseudo-log-likelihood + penalty and its gradient at parameters x = [h, J] (layout as PottsModel).
// Exposed for the gradient unit test.
double potts_objective(const EncodedMsa& msa, const PottsOptions& opt, const std::vector<float>& x,
                       std::vector<float>& grad);

// Frobenius norm of J(i,j) over the 20 amino-acid states (gap excluded, as GREMLIN) after zero-sum gauge, symmetric [L, L], diagonal 0.
std::vector<double> frobenius_scores(const PottsModel& m);

}  // namespace trifold::model::coevolution
