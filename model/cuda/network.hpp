// The whole RoseTTAFold v1 e2e forward pass on the GPU: embeddings, initial Pair2Pair, IterBlocks, InitStr,
// IterBlock_w_Str (Str2Str + Str2MSA), FinalBlock, DistanceNetwork heads and the refinement loop with the two
// mirror copies batched into one SE(3) graph. Every module mirrors its CPU counterpart (model/rf1, model/e2e,
// model/se3) step by step; small host-side work stays on the host exactly as the CPU computes it (positional
// tables, sequence-separation maps, top-k graphs, spherical harmonics, backbone updates on [L, 3, 3]) and is
// uploaded. Plain C++20 (host compiler), no CUDA types; never included by .cu files.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/chunking.hpp"
#include "model/cuda/ops.hpp"
#include "model/cuda/se3_layers.hpp"
#include "model/e2e/network.hpp"
#include "model/features.hpp"
#include "model/weights.hpp"

namespace trifold::model::cuda {

// ---- modules (device tensors in/out, weights by state_dict name as on the CPU) ----
DeviceTensor msa_emb(const Context& ctx, const DeviceWeights& w, const std::vector<int32_t>& msa, int64_t n,
                     int64_t l, const std::vector<int32_t>& idx);
// t1d [T, L, 3], t2d [T, L, L, 10] (host) -> [L, L, d_templ].
// ck: model/chunking.hpp's blocks (here: pair_blocks for the template axial encoder).
DeviceTensor templ_emb(const Context& ctx, const DeviceWeights& w, const Tensor& t1d, const Tensor& t2d,
                       const std::vector<int32_t>& idx, const Chunking& ck = {});
DeviceTensor pair_emb(const Context& ctx, const DeviceWeights& w, const std::vector<int32_t>& seq,
                      const std::vector<int32_t>& idx, const DeviceTensor& templ);
// rf1::transformer_conv: x [L, C], edge [L, L, C_e] -> [L, heads·C].
DeviceTensor transformer_conv(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x,
                              const DeviceTensor& edge);
// rf1::init_str -> xyz [L, 3, 3] (host). seq1hot [L, 21] on the device.
Tensor init_str(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& seq1hot,
                const std::vector<int32_t>& idx, const DeviceTensor& msa, const DeviceTensor& pair);

struct DeviceDistance {
  DeviceTensor dist, omega, theta, phi, prob_s;
};
// ck.pair_blocks: the ResNets' 3×3 convolutions in row blocks.
DeviceDistance distance_network(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                const DeviceTensor& pair, const Chunking& ck = {});

// se3::str2str with the SE(3) stack `net` (made from the CPU SE3Transformer of p + ".se3."): xyz [L, 3, 3] host.
struct Str2StrGpuOutput {
  Tensor xyz;          // [L, 3, 3] host
  DeviceTensor state;  // [L, l0_out]
};
Str2StrGpuOutput str2str(const Context& ctx, const DeviceWeights& w, const std::string& p,
                         const Se3TransformerGpu& net, const Se3Config& cfg, const DeviceTensor& msa, const DeviceTensor& pair,
                         const Tensor& xyz, const DeviceTensor& seq1hot, const std::vector<int32_t>& idx, int top_k);
// e2e::str2msa: msa [N, L, d], xyz [L, 3, 3] host, state [L, d_state] -> new msa. ck.msa_blocks: the attended
// values, to_out and the feed-forward per block of MSA rows (the attention map is computed once).
DeviceTensor str2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                     const Tensor& xyz, const DeviceTensor& state, const Chunking& ck = {});
// se3::regen_network: node [L, d_node], edge [L, L, 128] -> xyz [L, 3, 3] host, state [L, d_state].
void regen_network(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& node,
                   const DeviceTensor& edge, const DeviceTensor& seq1hot, const std::vector<int32_t>& idx, Tensor& xyz,
                   DeviceTensor& state);
// se3::refine_network batched over B copies: node [B, L, d], pair [1 or B, L, L, d] (1: shared by the copies, as
// the mirror pair is), xyz [B, L, 3, 3] host, state [B, L, d_state], seq1hot [B, L, 21], idx [B·L].
struct RefineGpuOutput {
  Tensor xyz;          // [B, L, 3, 3] host
  DeviceTensor state;  // [B, L, l0_out]
};
RefineGpuOutput refine_network(const Context& ctx, const DeviceWeights& w, const std::string& p,
                               const Se3TransformerGpu& net, const Se3Config& cfg, const DeviceTensor& node,
                               const DeviceTensor& pair, const Tensor& xyz, const DeviceTensor& state,
                               const DeviceTensor& seq1hot, const std::vector<int32_t>& idx, int top_k);

// rf1::Trunk::run_to_init_str: embeddings, initial Pair2Pair, every iter_block_1 block, InitStr.
struct TrunkGpuState {
  DeviceTensor msa, pair, seq1hot;  // [N, L, d_msa], [L, L, d_pair], [L, 21]
  Tensor xyz;                       // [L, 3, 3] host
};
TrunkGpuState run_to_init_str(const Context& ctx, const DeviceWeights& w, const rf1::Dims& dims,
                              const TrunkInputs& in, const Chunking& ck = {});

// ---- the network ----
class NetworkGpu {
 public:
  // Creates the context on `device` (InputError without CUDA/device: never a CPU fallback) and uploads every
  // weight and SE(3) stack. Keeps a reference to `w` (must outlive the object). precision: of the trunk's
  // matrix products (Context's; the SE(3) stacks always run fp32). memory_limit (bytes, 0 = none):
  // Context::set_memory_limit, set before the weights are uploaded.
  explicit NetworkGpu(const Weights& w, int device = 0, MatmulPrecision precision = MatmulPrecision::Fp32,
                      size_t memory_limit = 0);
  ~NetworkGpu();
  NetworkGpu(const NetworkGpu&) = delete;
  NetworkGpu& operator=(const NetworkGpu&) = delete;

  // Same results as e2e::Network (model/e2e/network.hpp) up to fp32 summation order.
  e2e::TrunkOutputs trunk(const TrunkInputs& in) const;
  e2e::NetworkOutputs forward(const TrunkInputs& in, const e2e::RefineOptions& opt = {}) const;
  e2e::RefineResult refine(const Tensor& node, const Tensor& prob_s, const std::vector<int32_t>& seq,
                           const std::vector<int32_t>& idx, const e2e::RefineOptions& opt = {}) const;

  Context& context();
  const DeviceWeights& weights() const;
  // The block decomposition used by trunk() (model/chunking.hpp; default: none). Chosen by the memory planner
  // (model/memory_plan.hpp) from a device-memory budget; results do not depend on it beyond fp32 rounding.
  void set_chunking(const Chunking& ck);
  const Chunking& chunking() const;
  // The uploaded SE(3) stacks: "feat_extractor.iter_block_2.<i>.str2str", "feat_extractor.final.str2str",
  // "refine.refine_net.<m>".
  const Se3TransformerGpu& se3(const std::string& prefix) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trifold::model::cuda
