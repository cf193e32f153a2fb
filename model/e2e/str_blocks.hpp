// The structure-aware blocks of the RoseTTAFold v1 e2e trunk: Str2MSA, IterBlock_w_Str and FinalBlock
// (steps a–d from rf1::iter_block, step e = se3::str2str, then Str2MSA or the trunk lDDT head).
#pragma once

#include <string>
#include <vector>

#include "model/rf1/modules.hpp"
#include "model/tensor.hpp"
#include "model/weights.hpp"

namespace trifold::model::e2e {

// Str2MSA distance cut-offs (Å) of the four masked heads (hard-coded in the reference).
inline constexpr float kStr2MsaCutoffs[4] = {8.0f, 12.0f, 16.0f, 20.0f};

// MaskedDirectMultiheadAttention: state [L, d_state] (already LayerNorm'd), msa [N, L, d_msa] (LN'd),
// ca [L, 3] (Å) -> [N, L, d_msa]. q, k = Linear(d_state -> 4·d_k) (d_k from the weights), v = Linear(d_msa ->
// d_msa), heads contiguous (d_msa / 4 channels each); logits q·k/√d_k set to float32 min where the CA–CA
// distance exceeds the head's cut-off (the reference's 1 − sigmoid(d − cut) < 0.5); softmax over j; the same
// map applied to every MSA row; then to_out.
Tensor masked_direct_attention(const Weights& w, const std::string& p, const Tensor& state, const Tensor& msa,
                               const float* ca);

// Str2MSA: msa += attn(LN(state), LN1(msa)); msa += FF(LN2(msa)). msa [N, L, d_msa], xyz [L, 3, 3] (the
// Str2Str output), state [L, d_state]. p: "feat_extractor.iter_block_2.<i>.str2msa".
Tensor str2msa(const Weights& w, const std::string& p, const Tensor& msa, const Tensor& xyz, const Tensor& state);

// The SE(3) part of the trunk's state between blocks.
struct StrBlockState {
  Tensor msa;    // [N, L, d_msa]
  Tensor pair;   // [L, L, d_pair]
  Tensor xyz;    // [L, 3, 3] Å
  Tensor state;  // [L, l0_out] last Str2Str state
};

// IterBlock_w_Str (p = "feat_extractor.iter_block_2.<i>"): steps a–d, Str2Str (top_k), Str2MSA. Updates s.
// seq1hot [L, 21], idx [L].
void iter_block_w_str(const Weights& w, const std::string& p, const rf1::Dims& d, const Se3Config& cfg,
                      StrBlockState& s, const Tensor& seq1hot, const std::vector<int32_t>& idx, int top_k,
                      const rf1::Tap& tap = {});

// FinalBlock (p = "feat_extractor.final"): steps a–d, Str2Str with top_k 32, lddt = pred_lddt(norm_state(state))
// (raw Linear output, not clamped) -> [L]. Updates s and returns lddt.
Tensor final_block(const Weights& w, const std::string& p, const rf1::Dims& d, const Se3Config& cfg,
                   StrBlockState& s, const Tensor& seq1hot, const std::vector<int32_t>& idx, const rf1::Tap& tap = {});

// Number of IterBlock_w_Str blocks present in the weights (feat_extractor.iter_block_2.<i>).
int count_str_blocks(const Weights& w);
// The reference's top-k for IterBlock_w_Str i: 128, 128, 64, 64 (blocks beyond 4 reuse 64).
int str_block_top_k(int i);

}  // namespace trifold::model::e2e
