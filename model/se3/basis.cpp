// Edge geometry (radial input, harmonics) and the per-edge kernel basis from the Q_J matrices.
#include "model/se3/basis.hpp"

#include <cmath>

#include "io/error.hpp"
#include "model/se3/harmonics.hpp"
#include "model/se3/q_matrices.hpp"

namespace trifold::model::se3 {

EdgeGeometry edge_geometry(const Graph& g, int max_degree) {
  EdgeGeometry geo;
  geo.max_degree = max_degree;
  const int maxJ = 2 * max_degree;
  geo.n_sh = (maxJ + 1) * (maxJ + 1);
  geo.feat_dim = g.edge_dim + 1;
  const int64_t E = g.num_edges();
  geo.Y.resize(static_cast<size_t>(E * geo.n_sh));
  geo.feat.resize(static_cast<size_t>(E * geo.feat_dim));
  // Q_J are cached: compute them before the parallel loop so threads only read.
  for (int di = 0; di <= max_degree; ++di)
    for (int dout = 0; dout <= max_degree; ++dout)
      for (int J = std::abs(di - dout); J <= di + dout; ++J) q_matrix(J, di, dout);
#pragma omp parallel for schedule(static)
  for (int64_t e = 0; e < E; ++e) {
    const float* d = &g.d[static_cast<size_t>(e) * 3];
    const double dd[3] = {d[0], d[1], d[2]};
    double y[(2 * kMaxJ + 1) * (2 * kMaxJ + 1)];
    sh_from_vector(maxJ, dd, y);
    for (int i = 0; i < geo.n_sh; ++i) geo.Y[static_cast<size_t>(e) * geo.n_sh + i] = static_cast<float>(y[i]);
    float* f = &geo.feat[static_cast<size_t>(e) * geo.feat_dim];
    for (int c = 0; c < g.edge_dim; ++c) f[c] = g.w[static_cast<size_t>(e) * g.edge_dim + c];
    // fp32 like torch.sqrt(torch.sum(d**2, -1))
    const float r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    f[g.edge_dim] = std::sqrt(r2);
  }
  return geo;
}

void edge_basis(int d_in, int d_out, const float* Y, float* out) {
  const int mo = 2 * d_out + 1, mi = 2 * d_in + 1, nJ = num_freq(d_in, d_out);
  const int J0 = std::abs(d_in - d_out);
  for (int f = 0; f < nJ; ++f) {
    const int J = J0 + f, mj = 2 * J + 1;
    const QMatrix& Q = q_matrix(J, d_in, d_out);
    const float* y = Y + J * J;
    for (int r = 0; r < mo * mi; ++r) {
      double s = 0.0;
      for (int m = 0; m < mj; ++m) s += Q.q[static_cast<size_t>(r) * mj + m] * static_cast<double>(y[m]);
      out[r * nJ + f] = static_cast<float>(s);
    }
  }
}

}  // namespace trifold::model::se3
