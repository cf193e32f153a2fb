// The small network-level kernels of the e2e forward pass on the GPU (embeddings, template pooling, pair
// symmetrisation, TransformerConv attention, Str2MSA masked logits, refinement edge features, SE(3) radial
// inputs). Each mirrors a loop of model/rf1, model/e2e or model/se3 (named at each function). No CUDA types;
// C++17-clean (included by .cu files). Composed into the network by model/cuda/network.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "model/cuda/ops.hpp"

namespace trifold::model::cuda {

// rf1::msa_emb: out[s, i] = (emb[tok[s, i]] + pe[idx[i]]) + q[s == 0 ? 0 : 1]; emb [V, d], pe [1, max_len, d],
// q [2, d]. Token and residue ranges are checked on the host.
DeviceTensor msa_embed(const Context& ctx, const DeviceTensor& emb, const DeviceTensor& pe, const DeviceTensor& q,
                       const std::vector<int32_t>& tokens, int64_t n, int64_t l, const std::vector<int32_t>& idx);
// rf1::add_pos_2d with the [L, d/2] table emb computed on the host: x[i, j, c] += emb[i, c] (c < d/2), else
// emb[j, c − d/2].
void add_pos_2d(const Context& ctx, DeviceTensor& x, const DeviceTensor& emb);
// x [L, d] -> [L, L, d]: out[i, j] = x[i] (rows) or x[j] (!rows).
DeviceTensor broadcast_pair(const Context& ctx, const DeviceTensor& x, bool rows);
// rf1::templ_emb pooling: logits [T, P], feats [T, P, d] -> [P, d] = Σ_t softmax_t(logits[:, p]) feats[t, p]
// (serial sums over t in fp32, as the CPU).
DeviceTensor template_pool(const Context& ctx, const DeviceTensor& logits, const DeviceTensor& feats);
// rf1::distance_network: x [L, L, c] -> 0.5·(x[i, j] + x[j, i]).
DeviceTensor symmetrize_pair(const Context& ctx, const DeviceTensor& x);
// rf1::transformer_conv core: q, k, v, skip [L, H·C], e [L, L, H·C] (edge i -> j at [i, j]); adds to skip (in
// place) Σ_{i≠j} α_ij (v_i + e_ij), α = softmax_i(q_j·(k_i + e_ij)·scale) with PyG's +1e-16 denominator.
void transformer_conv_attend(const Context& ctx, const DeviceTensor& q, const DeviceTensor& k, const DeviceTensor& v,
                             const DeviceTensor& e, int64_t heads, float scale, DeviceTensor& out);
// e2e::masked_direct_attention logits: q (already scaled), k [L, 4·d_k], ca [L, 3] -> [4, L, L]; float32 min
// where 1 − sigmoid(|CA_i − CA_j| − cut_h) < 0.5 (cut = 8, 12, 16, 20 Å).
DeviceTensor str2msa_logits(const Context& ctx, const DeviceTensor& q, const DeviceTensor& k, const DeviceTensor& ca);
// se3::refine_network edge input: e1 [Bp, L, L, de] (Bp = 1: shared by every copy, or B), ca [B·L, 3],
// idx [B·L] -> [B, L, L, de + 37] = [e1, exp(−((d − μ_k)/σ)²) for μ = linspace(0, 20, 36), σ = 20/36,
// bonded sign (idx_j − idx_i when ±1, else 0)].
DeviceTensor refine_edge_input(const Context& ctx, const DeviceTensor& e1, const DeviceTensor& ca,
                               const DeviceInts& idx, int64_t batch);
// SE(3) radial input (se3::edge_geometry's feat with the edge features gathered on the device):
// edge [..., de] (R rows of de), rows [E] (row of edge e in edge), r [E] -> [E, de + 1] = [edge[rows[e]], r[e]].
DeviceTensor edge_radial_input(const Context& ctx, const DeviceTensor& edge, const DeviceInts& rows,
                               const DeviceTensor& r);
// Rows [begin, begin + count) of axis 0 (a copy).
DeviceTensor slice_rows(const Context& ctx, const DeviceTensor& x, int64_t begin, int64_t count);
// out[i, c] = Σ_n w[i, n] x[n, i, c]: w [L, N], x [N, L, d] -> [L, d] (cuBLAS strided batch).
DeviceTensor weighted_row_sum(const Context& ctx, const DeviceTensor& w, const DeviceTensor& x);

}  // namespace trifold::model::cuda
