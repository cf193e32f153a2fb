// Refine_Network: one SE(3) refinement step of the e2e structure module (4 per refinement iteration).
#pragma once

#include <string>
#include <vector>

#include "model/se3/layers.hpp"
#include "model/tensor.hpp"
#include "model/weights.hpp"

namespace trifold::model::se3 {

struct RefineOutput {
  Tensor xyz;    // [B, L, 3, 3] (Å)
  Tensor state;  // [B, L, l0_out]; replaces the input state (not added)
};

// Refine_Network of the reference (fp32), batched over B structures (B = 2 in e2e: copy and z-mirror):
//   node = LN(embed_x([LN(node), seq1hot, LN(state)]));  e1 = LN(embed_e1(LN(pair)));
//   edge = LN(embed_e2([e1, RBF_36(|CA_i - CA_j|), bonded(i, j)])), RBF centres linspace(0, 20, 36),
//   sigma 20/36; bonded = idx_j - idx_i when |idx_j - idx_i| = 1, else 0;
//   top-k graph (top_k, kmin 9) per structure; SE3Transformer (refine config); backbone update as Str2Str.
// p: prefix without the trailing dot ("refine.refine_net.0").
// node [B, L, d_node], pair [1 or B, L, L, d_pair] (one pair shared by the B structures, or one each), xyz
// [B, L, 3, 3], state [B, L, d_state], seq1hot [B, L, 21], idx [B * L]. The edge features are computed at the
// top-k graph's edges only (the same values: every step of the embedding is per (i, j)).
RefineOutput refine_network(const Weights& w, const std::string& p, const Se3Config& cfg, const Tensor& node,
                            const Tensor& pair, const Tensor& xyz, const Tensor& state, const Tensor& seq1hot,
                            const std::vector<int32_t>& idx, int top_k = 64, Se3Trace* trace = nullptr);

}  // namespace trifold::model::se3
