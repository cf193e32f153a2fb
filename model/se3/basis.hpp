// Per-edge geometry for the SE(3) layers: radial input [w, r], harmonics Y_J, and the kernel basis K_J on demand.
#pragma once

#include <cstdint>
#include <vector>

#include "model/se3/graph.hpp"

namespace trifold::model::se3 {

// Computed once per SE(3) forward (like the reference's get_basis_and_r), O(E * ((2 max_degree + 1)^2 +
// edge_dim + 1)) floats; the (basis x radial) product is never stored.
struct EdgeGeometry {
  int max_degree = 0;
  int n_sh = 0;               // (2 max_degree + 1)^2 harmonic values per edge
  int feat_dim = 0;           // edge_dim + 1
  std::vector<float> Y;       // [E, n_sh]: Y_J for J = 0..2 max_degree, concatenated (J^2 offset)
  std::vector<float> feat;    // [E, feat_dim] = cat(w, r), r = |d| in fp32 like the reference
};

EdgeGeometry edge_geometry(const Graph& g, int max_degree);

// Number of J (= 2 min(d_in, d_out) + 1).
inline int num_freq(int d_in, int d_out) { return 2 * (d_in < d_out ? d_in : d_out) + 1; }

// The kernel basis of one edge for (d_in, d_out): out [2d_out+1, 2d_in+1, nJ], K_J = Y_J Q_J^T, in the
// reference's (E, 1, 2d_out+1, 1, 2d_in+1, nJ) order. Y = that edge's harmonics row of EdgeGeometry::Y.
void edge_basis(int d_in, int d_out, const float* Y, float* out);

}  // namespace trifold::model::se3
