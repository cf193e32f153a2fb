// The SE(3)-Transformer layers on the GPU (model/se3/layers.hpp, transformer.hpp mirrored): G1x1SE3, GNormBias,
// GAttentiveSelfInt, GSE3Res (fused convolution + GMAB attention + 'cat' skip) and the whole stack.
// No CUDA types; C++17-clean. Built from the CPU layers by model/cuda/se3_gpu.hpp.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "model/cuda/ops.hpp"
#include "model/cuda/se3_conv.hpp"

namespace trifold::model::cuda {

// out_d = T_d [m_out, m_in] x_d for every degree d of x that has a transform.
struct G1x1SE3Gpu {
  std::map<int, DeviceTensor> transform;
  DeviceFeatures forward(const Context& ctx, const DeviceFeatures& x) const;
};

// out = ReLU(|v| + b_d) v / |v| per channel (|v| over 2d+1 components, clamped ≥ 1e-12); bias d -> [1, m].
struct GNormBiasGpu {
  std::map<int, DeviceTensor> bias;
  DeviceFeatures forward(const Context& ctx, const DeviceFeatures& x) const;
};

// Gram (sign-preserving clamp) -> nn.LayerNorm(m_in²) -> LeakyReLU(0.01) -> Linear -> softmax over m_in -> A v.
struct GAttentiveSelfIntGpu {
  struct Net {
    int m_in = 0, m_out = 0;
    DeviceTensor ln_w, ln_b, lin_w, lin_b;
  };
  std::map<int, Net> nets;
  DeviceFeatures forward(const Context& ctx, const DeviceFeatures& x) const;
};

struct GSE3ResGpu {
  FiberMap f_in, f_out, f_mid_out, f_mid_in;
  int n_heads = 1;
  bool attentive = false;
  std::unique_ptr<GConvSE3PartialGpu> v, k;
  G1x1SE3Gpu q, project_1x1;
  GAttentiveSelfIntGpu project_att;
  DeviceFeatures forward(const Context& ctx, const DeviceFeatures& h, const DeviceGraph& g,
                         const DeviceEdgeGeometry& geo) const;
};

// num_layers × [GSE3Res(1x1) -> GNormBias] + GSE3Res(attentive), as se3::SE3Transformer::forward_features.
struct Se3TransformerGpu {
  std::vector<GSE3ResGpu> res;
  std::vector<GNormBiasGpu> norm;
  DeviceFeatures forward_features(const Context& ctx, const DeviceGraph& g, const DeviceEdgeGeometry& geo,
                                  const DeviceFeatures& in) const;
};

}  // namespace trifold::model::cuda
