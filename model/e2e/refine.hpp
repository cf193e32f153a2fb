// Refine_module of the RoseTTAFold v1 e2e network: Regen_Network, mirror doubling, the refinement loop of
// n_module_ref Refine_Networks per iteration, the lDDT head and the reference's exact early-stop rule.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/tensor.hpp"
#include "model/weights.hpp"

namespace trifold::model::e2e {

struct RefineOptions {
  int max_iter = 200;      // the reference's loop bound
  int forced_iter = 0;     // > 0: run exactly this many iterations (no early stop; for parity tests)
  float eps = 1e-4f;       // improvement threshold of the early stop
  int top_k = 64;          // Refine_Network graph
};

// One refinement iteration's outputs (both mirror copies): xyz [2, L, 3, 3], state [2, L, d_state],
// lddt_raw [2, L] (pred_lddt before the clamp).
struct RefineIteration {
  Tensor xyz, state, lddt_raw;
};

struct RefineResult {
  Tensor xyz;        // [L, 3, 3] Å: the best copy of the best iteration (Regen xyz when never improved)
  Tensor lddt;       // [L] in [0, 1]
  int n_iter = 0;    // iterations executed (pred_lddt calls), like final/n_refine_iter
  int best_iter = -1;  // iteration returned; −1 = never improved (Regen coordinates)
  Tensor regen_xyz;    // [L, 3, 3]
  Tensor regen_state;  // [L, d_state]
  std::vector<float> mean_lddt;  // per iteration: max over copies of the clamped mean lDDT
};

// Regen_Network (p = "refine.regen_net"): node [L, d_msa], edge [L, L, 128] (proj_edge output),
// seq1hot [L, 21], idx [L] -> xyz [L, 3, 3] (absolute N, CA, C in Å) and state [L, d_state].
void regen_network(const Weights& w, const std::string& p, const Tensor& node, const Tensor& edge,
                   const Tensor& seq1hot, const std::vector<int32_t>& idx, Tensor& xyz, Tensor& state);

// The prepared refinement inputs, duplicated over the mirror batch: node2 [2, L, d_msa], edge2 [2, L, L, 128],
// seq1hot2 [2, L, 21], idx2 [2·L].
struct RefineInputs {
  Tensor node2, edge2, seq1hot2;
  std::vector<int32_t> idx2;
  int64_t length = 0;
};
RefineInputs duplicate_for_mirror(const Tensor& node, const Tensor& edge, const Tensor& seq1hot,
                                  const std::vector<int32_t>& idx);

// One iteration: the n_module_ref Refine_Networks "refine.refine_net.<k>" in sequence, then the lDDT head.
// xyz [2, L, 3, 3], state [2, L, d_state].
RefineIteration refine_iteration(const Weights& w, const Se3Config& cfg, const RefineInputs& in, const Tensor& xyz,
                                 const Tensor& state, int top_k = 64);

// Refine_module.forward: node [L, d_msa] (msa[:,0] of the FinalBlock, or averaged crop nodes), prob_s
// [L, L, 130] (softmaxed dist/omega/theta/phi, bins last), seq1hot [L, 21], idx [L]. `on_iter`, when set, sees
// every iteration (iteration number, outputs).
RefineResult refine_module(const Weights& w, const Se3Config& cfg, const Tensor& node, const Tensor& prob_s,
                           const Tensor& seq1hot, const std::vector<int32_t>& idx, const RefineOptions& opt = {},
                           const std::function<void(int, const RefineIteration&)>& on_iter = {});

// Number of Refine_Networks per iteration present in the weights (refine.refine_net.<k>).
int count_refine_nets(const Weights& w);

}  // namespace trifold::model::e2e
