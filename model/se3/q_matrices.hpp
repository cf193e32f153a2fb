// The change-of-basis matrices Q_J of the SE(3) kernel basis, computed from the equivariance condition.
#pragma once

#include <vector>

namespace trifold::model::se3 {

// Q_J for degrees (d_in, d_out) and J in |d_in - d_out| .. d_in + d_out: shape ((2d_out+1)(2d_in+1), 2J+1),
// row-major, rows ordered (p_out, a_in). It is the unit-norm solution of
//   (D_dout(R) (x) D_din(R)) Q_J = Q_J D_J(R)   for all rotations R,
// where D_l(R) is the real Wigner matrix of the harmonics in harmonics.hpp (Y_l(R x) = D_l(R) Y_l(x)).
// The solution space is one-dimensional, so Q_J is unique up to sign; the sign is fixed by the convention
// documented in q_matrices.cpp (it reproduces the reference's cached matrices).
struct QMatrix {
  int J = 0, d_in = 0, d_out = 0;
  int rows = 0, cols = 0;
  std::vector<double> q;  // [rows, cols]
  double second_singular = 0.0;  // smallest kept elimination pivot of the condition's Gram matrix (rank margin:
                                 // > 0 means the solution is unique up to sign)
  double residual = 0.0;         // max |(D(x)D) Q - Q D_J| over the test rotations
};

// Cached: computed once per process on first use (thread-safe). Degrees up to 2, J up to 4.
const QMatrix& q_matrix(int J, int d_in, int d_out);

// The solve itself (no cache).
QMatrix compute_q_matrix(int J, int d_in, int d_out);

// Real Wigner matrix D_l(R), [2l+1, 2l+1] row-major, for a rotation matrix R (row-major 3x3 acting on
// (d0, d1, d2) column vectors), fitted from the harmonics so that Y_l(R x) = D_l(R) Y_l(x) exactly (to
// double rounding). D_1(R) = R in this convention.
std::vector<double> wigner_d_real(int l, const double R[9]);

}  // namespace trifold::model::se3
