// Refine_module: Regen_Network, mirror doubling, the iterative SE(3) refinement with lDDT early stop.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "model/tensor.hpp"
#include "model/weights.hpp"

namespace trifold::model::se3 {

struct RefineOptions {
  int max_iter = 200;     // the reference's loop bound
  int fixed_iter = -1;    // > 0: run exactly this many iterations, no early stop (parity tests)
  int top_k = 64;
  float eps = 1e-4f;      // early-stop improvement threshold
};

struct RefineResult {
  Tensor xyz;           // [L, 3, 3] best copy's N, CA, C (Å)
  Tensor lddt;          // [L] its predicted lDDT, clamped to [0, 1]
  int n_iter = 0;       // iterations executed (pred_lddt calls)
  int best_iter = -1;   // iteration whose xyz is returned; -1 = never improved -> Regen coordinates
  int copy = 0;         // the mirror copy returned: 0 = as predicted, 1 = the z-negated copy
  Tensor regen_xyz;     // [L, 3, 3] Regen_Network output
  Tensor regen_state;   // [L, d_state]
  std::vector<float> lddt_means;  // [n_iter, 2] clamped mean lDDT per copy, per iteration
};

// The refinement loop's bookkeeping as the reference does it, shared by the CPU loop and the GPU's
// (model/cuda/network.cpp): each iteration's mean clamped lDDT of the two mirror copies; the early stop (the best
// of the two means has not beaten the previous iteration's by eps for > 10 iterations, or the best so far for
// > 20; with a fixed count only at the last iteration, so that fixing the reference's n_refine_iter reproduces
// its best-copy choice); the best coordinates; at the end the copy with the higher mean lDDT (copy 0 on ties).
class RefineTracker {
 public:
  // xyz0: the loop's starting coordinates [2, L, 3, 3] (kept when no iteration improves).
  RefineTracker(const Tensor& xyz0, const RefineOptions& opt);
  int max_iterations() const { return n_max_; }
  // Iteration `it`: raw lDDT predictions [2 * L] and the coordinates after it [2, L, 3, 3]. Counts the iteration
  // and its means in `res`; false: the loop stops here (this iteration is not stored as the best).
  bool record(int it, std::vector<float> lddt_raw, const Tensor& xyz, RefineResult& res);
  // res.xyz and res.lddt from the best stored iteration's better copy.
  void finish(RefineResult& res) const;

 private:
  int64_t L_;
  int n_max_;
  RefineOptions opt_;
  Tensor best_xyz_;
  std::vector<float> best_lddt_;
  float best_mean_ = 0.0f, prev_ = 0.0f;  // fp32 like the reference's tensors
  int no_impr_ = 0, no_impr_best_ = 0;
  bool stopped_ = false;
  // Progress on long loops (up to 200 iterations of 4 SE(3) passes: minutes on a CPU): an info line every 15 s.
  std::chrono::steady_clock::time_point start_, last_report_;
};

// Regen_Network: node [L, d_node], edge [L, L, 128] (proj_edge output), seq1hot [L, 21], idx [L]
// -> xyz [L, 3, 3] (absolute, Å) and state [L, d_state].
void regen_network(const Weights& w, const std::string& p, const Tensor& node, const Tensor& edge,
                   const Tensor& seq1hot, const std::vector<int32_t>& idx, Tensor& xyz, Tensor& state);

// One refinement iteration: the n_module_ref Refine_Networks in sequence on the batch (B = 2 mirror copies),
// then lddt_raw = pred_lddt(norm_state(state)) [B, L] (not clamped). Inputs are updated in place.
// node [B, L, d_node], edge [1 or B, L, L, 128] (one shared by the copies, or one each), seq1hot [B, L, 21],
// idx [B * L].
void refine_iteration(const Weights& w, const Se3Config& cfg, int n_module_ref, const Tensor& node,
                      const Tensor& edge, const Tensor& seq1hot, const std::vector<int32_t>& idx, int top_k,
                      Tensor& xyz, Tensor& state, Tensor& lddt_raw);

// The whole refine module ("refine." prefix). node [L, d_node] (FinalBlock query-row MSA embedding),
// prob_s [L, L, 130] (softmaxed distance/orientation heads), seq1hot [L, 21], idx [L].
// Early stop: m = max over copies of mean clamped lDDT; no_impr counts m <= m_prev + eps, no_impr_best counts
// m <= best + eps; stop (before updating the best) when no_impr > 10 or no_impr_best > 20; the best (both
// copies) is stored when m > best (best starts at 0). The copy with the higher mean lDDT is returned.
RefineResult refine_module(const Weights& w, const Se3Config& cfg, const Tensor& node, const Tensor& prob_s,
                           const Tensor& seq1hot, const std::vector<int32_t>& idx, const RefineOptions& opt = {});

}  // namespace trifold::model::se3
