// Str2Str (IterBlock_w_Str step e, FinalBlock): node/edge embeddings, top-k graph, SE(3) and the backbone update.
#pragma once

#include <string>
#include <vector>

#include "model/se3/layers.hpp"
#include "model/tensor.hpp"
#include "model/weights.hpp"

namespace trifold::model::se3 {

struct Str2StrOutput {
  Tensor xyz;    // [L, 3, 3] updated N, CA, C (Å)
  Tensor state;  // [L, l0_out] degree-0 SE(3) output
};

// Str2Str of the reference (fp32):
//   node = LN(embed_x([sum_n w_n LN(msa)_n, seq1hot])), w = SequenceWeight(d_msa, 1 head) over rows;
//   edge = LN(embed_e(LN(pair)));  graph = make_topk_graph(CA, edge, idx, top_k, kmin 9);
//   l1 = [N - CA, 0, C - CA];  SE3Transformer -> state (degree 0), offsets o (degree 1, 3 vectors);
//   CA' = CA + o_1, N' = CA' + o_0, C' = CA' + o_2.
// p: state_dict prefix without the trailing dot ("feat_extractor.iter_block_2.0.str2str").
// msa [N, L, d_msa], pair [L, L, d_pair], xyz [L, 3, 3], seq1hot [L, 21], idx [L].
// top_k: 128, 128, 64, 64 for the four IterBlock_w_Str, 32 in the FinalBlock.
Str2StrOutput str2str(const Weights& w, const std::string& p, const Se3Config& cfg, const Tensor& msa,
                      const Tensor& pair, const Tensor& xyz, const Tensor& seq1hot, const std::vector<int32_t>& idx,
                      int top_k, Se3Trace* trace = nullptr);

// Backbone update shared with the refinement: xyz [B*L, 3, 3], offsets [B*L, 3, 3] (degree-1 output).
Tensor update_backbone(const Tensor& xyz, const Tensor& offsets);

}  // namespace trifold::model::se3
