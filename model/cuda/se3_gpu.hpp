// Host adapters between the CPU SE(3) layers (model/se3) and the CUDA backend: upload a graph, geometry,
// features and a GConvSE3Partial's weights; run the fused convolution on the same data as the CPU layer.
// Plain C++20 (compiled by the host compiler), never included by .cu files.
#pragma once

#include "model/cuda/ops.hpp"
#include "model/cuda/se3_conv.hpp"
#include "model/se3/basis.hpp"
#include "model/se3/graph.hpp"
#include "model/se3/layers.hpp"

namespace trifold::model::cuda {

DeviceGraph upload_graph(const Context& ctx, const se3::Graph& g);
DeviceEdgeGeometry upload_geometry(const Context& ctx, const se3::EdgeGeometry& geo);
DeviceFeatures upload_features(const Context& ctx, const se3::Features& f);
se3::Features download_features(const DeviceFeatures& f);

// The weights (radial MLPs and Q_J) of a CPU GConvSE3Partial, uploaded.
GConvSE3PartialGpu make_gconv_gpu(const Context& ctx, const se3::GConvSE3Partial& layer);

// Same inputs and outputs as layer.forward(h, g, geo), computed on the GPU (uploads, runs, downloads).
se3::Features gconv_se3_partial(const Context& ctx, const se3::GConvSE3Partial& layer, const se3::Features& h,
                                const se3::Graph& g, const se3::EdgeGeometry& geo);

}  // namespace trifold::model::cuda
