// The RoseTTAFold v1 two-track block on the GPU: ResNet, MSA2MSA, MSA2Pair, Pair2Pair, Pair2MSA, IterBlock.
// Same prefixes, shapes and semantics as model/rf1/modules.hpp (the CPU oracle); built from model/cuda/ops.hpp.
// Every module takes the block decomposition of model/chunking.hpp (the same blocks as the CPU modules'), which
// bounds its temporaries; results do not depend on it beyond fp32 summation order. No CUDA types; C++17-clean.
#pragma once

#include <functional>
#include <string>

#include "model/chunking.hpp"
#include "model/cuda/ops.hpp"

namespace trifold::model::cuda {

// ---- row blocks (rf1_blocks.cu), as model/rf1/chunks.cpp on the host
// fn(r0, nr) for consecutive blocks covering [0, rows) in `blocks` blocks, stacked along axis 0 into one tensor
// (one block: fn(0, rows) itself, no copy).
DeviceTensor map_row_blocks(const Context& ctx, int64_t rows, int64_t blocks,
                            const std::function<DeviceTensor(int64_t r0, int64_t nr)>& fn);
// x[r0 : r0 + nr] += fn(copy of x[r0 : r0 + nr]) per block (one block: x += fn(x), no copy).
void update_row_blocks(const Context& ctx, DeviceTensor& x, int64_t blocks,
                       const std::function<DeviceTensor(const DeviceTensor&)>& fn);
// 3×3 "same" conv2d of x [H, W, C] in row blocks with a one-row halo from x (one block: conv2d itself).
DeviceTensor conv3x3_rows(const Context& ctx, const DeviceTensor& x, const DeviceTensor& weight,
                          const DeviceTensor* bias, int64_t blocks);

// ---- attention pieces (attention.cu)
// Soft-tied attention with q, k, v, sequence weights and head-major copies for `head_group` heads at a time
// (0 = all; Chunking::tied_heads); same result as soft_tied_attention.
DeviceTensor soft_tied_attention_grouped(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                         const DeviceTensor& x, int heads, DeviceTensor* att, int64_t head_group);
// Pair2MSA direct attention in two halves (model/rf1 direct_attention_probs/apply): logits [L, L, H] -> head-major
// probabilities [H, L, L]; probabilities and msa [n, L, d] (any block of MSA rows) -> [n, L, d].
DeviceTensor direct_attention_probs(const Context& ctx, const DeviceTensor& logits);
DeviceTensor direct_attention_apply(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                    const DeviceTensor& probs, const DeviceTensor& msa);

// ---- modules. Channel-last maps x [L, L, C].
DeviceTensor res_block_2d(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x,
                          const Chunking& ck = {});
DeviceTensor residual_network(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x,
                              const Chunking& ck = {});
// AxialEncoderLayer: Performer along axis 1 (attn_L), then axis 0 (attn_N), then FeedForward; x [A, B, d].
DeviceTensor axial_encoder_layer(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                 const DeviceTensor& x, const Chunking& ck = {});
// msa [N, L, d_msa] -> msa; att (if not null) [L, L, heads].
DeviceTensor msa2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                     int heads, DeviceTensor* att, const Chunking& ck = {});
// msa [N, L, d_msa], pair [L, L, d_pair], att [L, L, heads] -> new pair.
// The coevolution tensor [L, L, P²] is built, normalised and projected ck.coevol_rows query rows at a time
// (0: automatic, ≤ 1 GiB per block); the concatenation and the update ResNet's first 1×1 conv per pair row block.
DeviceTensor msa2pair(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                      const DeviceTensor& pair, const DeviceTensor& att, const Chunking& ck = {});
DeviceTensor pair2pair(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& pair,
                       const Chunking& ck = {});
DeviceTensor pair2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& pair,
                      const DeviceTensor& msa, const Chunking& ck = {});
// IterBlock (msa, pair updated in place); heads = n_head_msa.
void iter_block(const Context& ctx, const DeviceWeights& w, const std::string& p, int heads, DeviceTensor& msa,
                DeviceTensor& pair, const Chunking& ck = {});

}  // namespace trifold::model::cuda
