// RoseTTAFold v1 e2e trunk modules on the CPU (embeddings, 2-track blocks, InitStr, distance heads).
//
// Every function takes the weights and the module's state_dict prefix (e.g.
// "feat_extractor.iter_block_1.0.msa2pair"), so outputs line up with the reference dumps by name.
// Shapes drop the reference's batch axis (B = 1 always):
//   msa  [N, L, d_msa]      pair [L, L, d_pair] ([i, j], channel last)
//   idx  [L] residue numbers (0-based), seq [L] tokens 0..20, seq1hot [L, 21]
//   xyz  [L, 3, 3] (residue, atom N/CA/C, xyz) in Å.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/chunking.hpp"
#include "model/tensor.hpp"
#include "model/weights.hpp"

namespace trifold::model::rf1 {

// Dimensions read from the tensor shapes (never from defaults, so any config loads).
struct Dims {
  int d_msa = 0, d_pair = 0, d_templ = 0, d_hidden = 0;
  int n_head_msa = 0, n_head_pair = 0, n_head_templ = 0;
  int n_module = 0;  // number of iter_block_1 blocks present
  static Dims infer(const Weights& w);
};

// Optional observer of named intermediates ("<state_dict prefix>/out0", ...). Empty = no-op.
using Tap = std::function<void(const std::string& name, const Tensor& value)>;

// ---- small layers (common.cpp)
Tensor linear(const Weights& w, const std::string& p, const Tensor& x);     // p.weight, p.bias (if any)
Tensor layer_norm(const Weights& w, const std::string& p, const Tensor& x);  // p.a_2, p.b_2, eps 1e-5
Tensor feed_forward(const Weights& w, const std::string& p, const Tensor& x);  // linear2(relu(linear1(x)))
// sign(idx_j − idx_i)·clamp(log(|idx_j − idx_i| + 1), 0, 5.5) -> [L, L] (InitStr seqsep).
std::vector<float> signed_log_seqsep(const std::vector<int32_t>& idx);
// log(|idx_i − idx_j| + 1) -> [L, L] (pair and template embeddings).
std::vector<float> log_seqsep(const std::vector<int32_t>& idx);

// ---- attention (attention.cpp)
// Performer SelfAttention (ReLU kernel, stored projection_matrix [m, d_k]): x [B, n, d] -> [B, n, d];
// attention along n independently for each of the B sequences; heads = d / d_k, contiguous channels.
Tensor performer(const Weights& w, const std::string& p, const Tensor& x);
// SequenceWeight: x [N, L, d] -> w [L, heads, N], softmax over N of (to_query(x_0)·to_key(x_n))/sqrt(d/heads).
Tensor sequence_weight(const Weights& w, const std::string& p, const Tensor& x, int heads);
// SoftTiedMultiheadAttention: x [N, L, d] -> out [N, L, d] and att = ½(A+Aᵀ) as [L, L, heads].
// head_group (model::Chunking::tied_heads): heads per group, 0 = all at once; groups give the same result.
Tensor soft_tied_attention(const Weights& w, const std::string& p, const Tensor& x, int heads, Tensor* att,
                           int64_t head_group = 0);
// DirectMultiheadAttention (Pair2MSA): pair [L, L, d_pair] (normalised), msa [N, L, d] (normalised)
// -> [N, L, d]; softmax over the first residue axis; channel c belongs to head c mod heads.
Tensor direct_attention(const Weights& w, const std::string& p, const Tensor& pair, const Tensor& msa);
// Its two halves: logits [L, L, H] (proj_pair of the normalised pair) -> head-major probabilities [H, L, L]
// (softmax over the first residue axis); then probabilities and msa [n, L, d] (any number n of MSA rows: the
// rows are independent) -> [n, L, d].
Tensor direct_attention_probs(const Tensor& logits);
Tensor direct_attention_apply(const Weights& w, const std::string& p, const Tensor& probs, const Tensor& msa);

// ---- ResNet on channel-last maps (resnet.cpp)
// ck.pair_blocks: each 3×3 convolution in row blocks (conv3x3_rows); InstanceNorm always over the whole map.
Tensor res_block_2d(const Weights& w, const std::string& p, const Tensor& x, const Chunking& ck = {});  // x [L, L, C]
Tensor residual_network(const Weights& w, const std::string& p, const Tensor& x, const Chunking& ck = {});
// The same network after its first layer: y = the output of the leading 1×1 conv (p.layer.0) when the network
// has one (then IN, ELU, ResBlock2D, final conv follow), else the ResBlock2D's input.
Tensor residual_network_after_first_conv(const Weights& w, const std::string& p, Tensor y, const Chunking& ck = {});
// True when the network starts with a 1×1 conv (in channels != block channels).
bool residual_network_has_first_conv(const Weights& w, const std::string& p);

// ---- row blocks (chunks.cpp): the decomposition of model/chunking.hpp on host tensors
// Rows [r0, r0 + n) of axis 0 (a copy).
Tensor slice_rows(const Tensor& x, int64_t r0, int64_t n);
// fn(r0, nr) for consecutive blocks covering [0, rows) in `blocks` blocks, stacked along axis 0 (one block:
// fn(0, rows) itself).
Tensor map_row_blocks(int64_t rows, int64_t blocks, const std::function<Tensor(int64_t r0, int64_t nr)>& fn);
// x[r0 : r0 + nr] += fn(x[r0 : r0 + nr]) per block (one block: x += fn(x)). fn's result has the slice's shape.
void update_row_blocks(Tensor& x, int64_t blocks, const std::function<Tensor(const Tensor&)>& fn);
// 3×3 "same" conv of x [H, W, C] (cpu::conv2d semantics) in row blocks: each block convolves its rows plus a
// one-row halo from x and keeps its own rows.
Tensor conv3x3_rows(const Tensor& x, const Tensor& weight, const Tensor* bias, int64_t blocks);

// ---- encoder layers and the 2-track block (blocks.cpp)
// AxialEncoderLayer with Performer rows (attn_L, along axis 1) then columns (attn_N, along axis 0): x [A, B, d].
// ck.pair_blocks: each step in row blocks (the column step on the transposed map).
Tensor axial_encoder_layer(const Weights& w, const std::string& p, const Tensor& x, const Chunking& ck = {});
// MSA2MSA: msa [N, L, d] -> msa, att [L, L, heads].
// ck: the block decomposition of model/chunking.hpp (default: none); the results do not depend on it beyond
// fp32 summation order.
Tensor msa2msa(const Weights& w, const std::string& p, const Tensor& msa, int heads, Tensor* att, const Tap& tap = {},
               const Chunking& ck = {});
Tensor msa2pair(const Weights& w, const std::string& p, const Tensor& msa, const Tensor& pair, const Tensor& att,
                const Tap& tap = {}, const Chunking& ck = {});
Tensor pair2pair(const Weights& w, const std::string& p, const Tensor& pair, const Chunking& ck = {});
Tensor pair2msa(const Weights& w, const std::string& p, const Tensor& pair, const Tensor& msa, const Chunking& ck = {});
// IterBlock: (msa, pair) updated in place.
void iter_block(const Weights& w, const std::string& p, const Dims& d, Tensor& msa, Tensor& pair, const Tap& tap = {},
                const Chunking& ck = {});

// ---- embeddings (embeddings.cpp)
// msa tokens [N·L] row-major -> [N, L, d_msa].
Tensor msa_emb(const Weights& w, const std::vector<int32_t>& msa, int64_t n, int64_t l, const std::vector<int32_t>& idx);
// t1d [T, L, 3], t2d [T, L, L, 10] -> [L, L, d_templ]. Only template 0 receives the 2-D positional encoding.
// Template t's pair features [L, L, c2 + 2 c1 + 1] before templ_emb.proj: cat(t2d[t, i, j], t1d[t, i],
// t1d[t, j], log_seqsep(i, j)) (shared by the CPU and GPU template embeddings).
Tensor template_pair_features(const Tensor& t1d, const Tensor& t2d, int64_t t, const std::vector<float>& sep);
Tensor templ_emb(const Weights& w, const Tensor& t1d, const Tensor& t2d, const std::vector<int32_t>& idx,
                 const Tap& tap = {});
Tensor pair_emb(const Weights& w, const std::vector<int32_t>& seq, const std::vector<int32_t>& idx, const Tensor& templ);
// [sin(idx·f), cos(idx·f)] halves for rows (first d/2 channels) and columns (last d/2) added to x [L, L, d].
void add_pos_2d(Tensor& x, const Tensor& div_term, const std::vector<int32_t>& idx);

// ---- InitStr_Network (init_str.cpp): -> xyz [L, 3, 3] (absolute N, CA, C in Å).
Tensor init_str(const Weights& w, const std::string& p, const Tensor& seq1hot, const std::vector<int32_t>& idx,
                const Tensor& msa, const Tensor& pair, const Tap& tap = {});
// TransformerConv (PyG, 4 heads, concat, root weight, softmax eps 1e-16) on the fully connected graph
// without self-loops (edges i -> j, i ≠ j in row-major order). x [L, C], edge [L, L, C_e] -> [L, heads·C].
Tensor transformer_conv(const Weights& w, const std::string& p, const Tensor& x, const Tensor& edge);

// ---- DistanceNetwork (distance.cpp)
struct DistanceOutputs {
  Tensor dist, omega, theta, phi;  // logits [L, L, bins] (37, 37, 37, 19), channel last
  Tensor prob_s;                   // [L, L, 130]: softmax over bins of each head, concatenated
};
DistanceOutputs distance_network(const Weights& w, const std::string& p, const Tensor& pair, const Tap& tap = {},
                                 const Chunking& ck = {});

}  // namespace trifold::model::rf1
