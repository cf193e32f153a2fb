// Host adapters between the CPU SE(3) layers (model/se3) and the CUDA backend: upload a graph, geometry,
// features and a GConvSE3Partial's weights; run the fused convolution on the same data as the CPU layer.
// Plain C++20 (compiled by the host compiler), never included by .cu files.
#pragma once

#include "model/cuda/ops.hpp"
#include "model/cuda/se3_conv.hpp"
#include "model/cuda/se3_layers.hpp"
#include "model/se3/basis.hpp"
#include "model/se3/graph.hpp"
#include "model/se3/layers.hpp"
#include "model/se3/transformer.hpp"

namespace trifold::model::cuda {

DeviceGraph upload_graph(const Context& ctx, const se3::Graph& g);
DeviceEdgeGeometry upload_geometry(const Context& ctx, const se3::EdgeGeometry& geo);
DeviceFeatures upload_features(const Context& ctx, const se3::Features& f);
se3::Features download_features(const DeviceFeatures& f);

// The weights (radial MLPs and Q_J) of a CPU GConvSE3Partial, uploaded.
GConvSE3PartialGpu make_gconv_gpu(const Context& ctx, const se3::GConvSE3Partial& layer);

// The other layers and the whole stack, uploaded from their CPU counterparts.
G1x1SE3Gpu make_g1x1_gpu(const Context& ctx, const se3::G1x1SE3& layer);
GNormBiasGpu make_norm_bias_gpu(const Context& ctx, const se3::GNormBias& layer);
GAttentiveSelfIntGpu make_att_selfint_gpu(const Context& ctx, const se3::GAttentiveSelfInt& layer);
GSE3ResGpu make_gse3res_gpu(const Context& ctx, const se3::GSE3Res& layer);
Se3TransformerGpu make_se3_transformer_gpu(const Context& ctx, const se3::SE3Transformer& net);

// Same inputs and outputs as layer.forward(h, g, geo), computed on the GPU (uploads, runs, downloads).
se3::Features gconv_se3_partial(const Context& ctx, const se3::GConvSE3Partial& layer, const se3::Features& h,
                                const se3::Graph& g, const se3::EdgeGeometry& geo);

}  // namespace trifold::model::cuda
