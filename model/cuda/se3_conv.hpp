// Fused SE(3) convolution on the GPU (GConvSE3Partial): per-edge messages built from the radial MLP output
// and the kernel basis on the fly, never materialising the (E × m_out(2d_out+1) × m_in(2d_in+1) × n_J) tensor.
// No CUDA types; C++17-clean (included by .cu files). The adapter from the CPU layer is model/cuda/se3_gpu.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/cuda/ops.hpp"

namespace trifold::model::cuda {

// Per-edge geometry (model/se3/basis.hpp EdgeGeometry) on the device.
struct DeviceEdgeGeometry {
  int max_degree = 0;
  int n_sh = 0;      // (2 max_degree + 1)^2 harmonic values per edge
  int feat_dim = 0;  // radial input width (edge_dim + 1)
  DeviceTensor Y;    // [E, n_sh]: Y_J for J = 0..2 max_degree (J^2 offset)
  DeviceTensor feat;  // [E, feat_dim]
};

// One (d_in, d_out) kernel of the layer: its radial MLP (se3::RadialFunc: Linear → nn.LayerNorm → ReLU →
// Linear → nn.LayerNorm → ReLU → Linear to m_out·m_in·n_J) and its basis matrices Q_J.
struct Se3PairWeights {
  int d_in = 0, d_out = 0, m_in = 0, m_out = 0;
  Tensor w0, b0, g1, be1, w3, b3, g4, be4, w6, b6;
  // Q_J for J = |d_in − d_out| .. d_in + d_out, concatenated: each [(2d_out+1)(2d_in+1), 2J+1] row-major (double,
  // as model/se3/q_matrices.hpp computes them).
  std::vector<double> q;
};

class GConvSE3PartialGpu {
 public:
  // `pairs` in the CPU layer's order (f_in degrees ascending, then f_out ascending): messages of one d_out sum
  // the d_in contributions in that order, as the CPU does.
  GConvSE3PartialGpu(const Context& ctx, const FiberMap& f_in, const FiberMap& f_out,
                     const std::vector<Se3PairWeights>& pairs);
  ~GConvSE3PartialGpu();
  GConvSE3PartialGpu(GConvSE3PartialGpu&&) noexcept;
  GConvSE3PartialGpu& operator=(GConvSE3PartialGpu&&) noexcept;

  // h: node features degree -> [N, m, 2d+1]; returns per-edge messages degree -> [E, m_out, 2d_out+1].
  // Edges are processed in chunks of `chunk` (0: automatic, radial output ≤ 32 M floats per chunk), so the
  // temporary memory is O(chunk · m_out m_in n_J) whatever E is.
  DeviceFeatures forward(const Context& ctx, const DeviceFeatures& h, const DeviceGraph& g,
                         const DeviceEdgeGeometry& geo, int64_t chunk = 0) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace trifold::model::cuda
