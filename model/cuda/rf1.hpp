// The RoseTTAFold v1 two-track block on the GPU: ResNet, MSA2MSA, MSA2Pair, Pair2Pair, Pair2MSA, IterBlock.
// Same prefixes, shapes and semantics as model/rf1/modules.hpp (the CPU oracle); built from model/cuda/ops.hpp.
// No CUDA types; C++17-clean.
#pragma once

#include <string>

#include "model/cuda/ops.hpp"

namespace trifold::model::cuda {

// Channel-last maps x [L, L, C].
DeviceTensor res_block_2d(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x);
DeviceTensor residual_network(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x);
// AxialEncoderLayer: Performer along axis 1 (attn_L), then axis 0 (attn_N), then FeedForward; x [A, B, d].
DeviceTensor axial_encoder_layer(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                 const DeviceTensor& x);
// msa [N, L, d_msa] -> msa; att (if not null) [L, L, heads].
DeviceTensor msa2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                     int heads, DeviceTensor* att);
// msa [N, L, d_msa], pair [L, L, d_pair], att [L, L, heads] -> new pair.
// The coevolution tensor [L, L, P²] is built, normalised and projected `row_chunk` query rows at a time
// (0: automatic, ≤ 1 GiB per block; the result does not depend on it).
DeviceTensor msa2pair(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                      const DeviceTensor& pair, const DeviceTensor& att, int64_t row_chunk = 0);
DeviceTensor pair2pair(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& pair);
DeviceTensor pair2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& pair,
                      const DeviceTensor& msa);
// IterBlock (msa, pair updated in place); heads = n_head_msa.
void iter_block(const Context& ctx, const DeviceWeights& w, const std::string& p, int heads, DeviceTensor& msa,
                DeviceTensor& pair);

}  // namespace trifold::model::cuda
