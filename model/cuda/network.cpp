// The e2e forward pass on the GPU, composed from model/cuda ops, rf1 blocks, the SE(3) stack and net_ops; each
// function follows its CPU counterpart line by line (model/rf1/embeddings.cpp, init_str.cpp, distance.cpp,
// model/e2e/str_blocks.cpp, network.cpp, model/se3/str2str.cpp, refine_net.cpp, refine_module.cpp).
#include "model/cuda/network.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "io/error.hpp"
#include "io/log.hpp"
#include "model/cuda/net_ops.hpp"
#include "model/cuda/rf1.hpp"
#include "model/cuda/se3_gpu.hpp"
#include "model/profile.hpp"
#include "model/rf1/modules.hpp"
#include "model/se3/basis.hpp"
#include "model/se3/graph.hpp"
#include "model/se3/str2str.hpp"
#include "model/se3/transformer.hpp"

namespace trifold::model::cuda {
namespace {

// bench e2e --profile: a stage's wait for the device (model/profile.hpp).
std::function<void()> device_wait(const Context& ctx) {
  return [&ctx] { ctx.synchronize(); };
}

// rf1::add_pos_2d's [L, d/2] table, computed on the host exactly as the CPU does, uploaded.
DeviceTensor pos_table(const Context& ctx, const DeviceWeights& w, const std::string& name,
                       const std::vector<int32_t>& idx, int64_t d) {
  const Tensor div = w.get(name).download();
  const int64_t l = static_cast<int64_t>(idx.size()), half = d / 2, nf = div.numel();
  TRIFOLD_CHECK(2 * nf == half, "add_pos_2d: div_term size " + std::to_string(nf) + " for d " + std::to_string(d));
  std::vector<float> emb(static_cast<size_t>(l * half));
  for (int64_t i = 0; i < l; ++i)
    for (int64_t k = 0; k < nf; ++k) {
      const float arg = static_cast<float>(idx[static_cast<size_t>(i)]) * div[k];
      emb[static_cast<size_t>(i * half + k)] = static_cast<float>(std::sin(static_cast<double>(arg)));
      emb[static_cast<size_t>(i * half + nf + k)] = static_cast<float>(std::cos(static_cast<double>(arg)));
    }
  return DeviceTensor::upload(ctx, Tensor({l, half}, std::move(emb)));
}

// A host [L, L] map as a device [L, L, 1] channel.
DeviceTensor map_channel(const Context& ctx, const std::vector<float>& m, int64_t l) {
  return DeviceTensor::upload(ctx, Tensor({l, l, 1}, m));
}

// The SE(3) stage shared by Str2Str and Refine_Network: top-k graph from CA on the host (edge features gathered
// on the device), harmonics on the host, the stack on the device. node [B·L, l0_in], edge [B, L, L, de],
// xyz [B·L, 3, 3] host. Returns degree 0 [B·L, l0_out, 1] and degree 1 [B·L, l1_out, 3].
DeviceFeatures se3_stage(const Context& ctx, const Se3TransformerGpu& net, const Se3Config& cfg, int64_t B,
                         int64_t L, DeviceTensor node, const DeviceTensor& edge, const Tensor& xyz,
                         const std::vector<int32_t>& idx, int top_k) {
  const int64_t N = B * L;
  TRIFOLD_CHECK(xyz.numel() == N * 9 && static_cast<int64_t>(idx.size()) == N && node.numel() == N * cfg.l0_in_features,
                "se3 stage: inconsistent shapes");
  TRIFOLD_CHECK(B * L * L < (int64_t(1) << 31), "se3 stage: B·L² beyond int32 edge rows");
  std::optional<StageTimer> host_part(std::in_place, "SE(3): top-k graph, harmonics (host), upload", device_wait(ctx));
  std::vector<float> ca(static_cast<size_t>(N * 3));
  for (int64_t r = 0; r < N; ++r)
    for (int a = 0; a < 3; ++a) ca[static_cast<size_t>(r * 3 + a)] = xyz[(r * 3 + 1) * 3 + a];
  std::vector<int64_t> id(idx.begin(), idx.end());
  const se3::Graph g =
      se3::make_topk_graph(ca.data(), id.data(), static_cast<int>(B), static_cast<int>(L), top_k, nullptr, 0);
  const se3::EdgeGeometry geo = se3::edge_geometry(g, cfg.num_degrees - 1);
  const int64_t E = g.num_edges();
  std::vector<int32_t> rows(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; ++e) {
    const int64_t s = g.src[static_cast<size_t>(e)], d = g.dst[static_cast<size_t>(e)], b = s / L;
    rows[static_cast<size_t>(e)] = static_cast<int32_t>(s * L + (d - b * L));  // edge_feat[b, i, j]
  }
  DeviceEdgeGeometry dgeo;
  dgeo.max_degree = geo.max_degree;
  dgeo.n_sh = geo.n_sh;
  dgeo.feat_dim = static_cast<int>(edge.dim(-1)) + 1;
  dgeo.Y = DeviceTensor::upload(ctx, Tensor({E, geo.n_sh}, geo.Y));
  {
    DeviceInts drows(ctx, rows);
    DeviceTensor r = DeviceTensor::upload(ctx, Tensor({E}, geo.feat));  // feat_dim 1: r only
    dgeo.feat = edge_radial_input(ctx, edge, drows, r);
  }
  Tensor l1({N, 3, 3});
  for (int64_t r = 0; r < N; ++r)
    for (int k = 0; k < 3; ++k)
      for (int a = 0; a < 3; ++a) l1[(r * 3 + k) * 3 + a] = xyz[(r * 3 + k) * 3 + a] - xyz[(r * 3 + 1) * 3 + a];
  TRIFOLD_CHECK(cfg.l1_in_features == 3, "se3 stage: the degree-1 input is the 3 backbone displacements");
  DeviceFeatures in;
  in.emplace(0, std::move(node).reshaped({N, cfg.l0_in_features, 1}));
  in.emplace(1, DeviceTensor::upload(ctx, l1));
  const DeviceGraph dg = upload_graph(ctx, g);
  host_part.reset();
  StageTimer device_part("SE(3): transformer (device)", device_wait(ctx));
  return net.forward_features(ctx, dg, dgeo, in);
}

// e2e::masked_direct_attention in two halves: the masked attention map [4, L (i), L (j)] from the state and CA
// coordinates, then its application to a block of (normalised) MSA rows [n, L, d] (rows are independent).
DeviceTensor masked_attention_probs(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                    const DeviceTensor& state, const DeviceTensor& ca) {
  constexpr int kHeads = 4;
  DeviceTensor q = linear(ctx, w, p + ".to_query", state);
  DeviceTensor k = linear(ctx, w, p + ".to_key", state);
  const int64_t dk = q.dim(1) / kHeads;
  TRIFOLD_CHECK(dk * kHeads == q.dim(1), "str2msa: head split does not divide the widths");
  scale_(ctx, q, static_cast<float>(1.0 / std::sqrt(static_cast<double>(dk))));
  return softmax(ctx, str2msa_logits(ctx, q, k, ca), -1);
}

DeviceTensor masked_attention_apply(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                    const DeviceTensor& att, const DeviceTensor& msa) {
  const int64_t n = msa.dim(0), l = msa.dim(1), dm = msa.dim(2);
  constexpr int kHeads = 4;
  TRIFOLD_CHECK(dm % kHeads == 0 && att.dim(0) == kHeads && att.dim(1) == l,
                "str2msa: head split does not divide the widths");
  const int64_t dv = dm / kHeads;
  DeviceTensor v = linear(ctx, w, p + ".to_value", msa);
  DeviceTensor out(ctx, {n, l, dm}, true);
  // out[r, i, h·dv + c] = Σ_j att[h, i, j] v[r, j, h·dv + c]: outer r, inner h.
  gemm_batched2(ctx, false, false, l, dv, l, 1.0f, att.device_data(), l, 0, l * l, v.device_data(), dm, l * dm, dv,
                0.0f, out.device_data(), dm, l * dm, dv, n, kHeads);
  v = DeviceTensor();
  return linear(ctx, w, p + ".to_out", out);
}

DeviceTensor node_features(const Context& ctx, const DeviceWeights& w, const std::string& p_seq,
                           const DeviceTensor& m, const DeviceTensor& seq1hot) {
  DeviceTensor sw = sequence_weight(ctx, w, p_seq, m, 1);  // [L, 1, N]
  DeviceTensor node = weighted_row_sum(ctx, sw, m);        // [L, d]
  return concat(ctx, {&node, &seq1hot}, -1);
}

}  // namespace

DeviceTensor msa_emb(const Context& ctx, const DeviceWeights& w, const std::vector<int32_t>& msa, int64_t n,
                     int64_t l, const std::vector<int32_t>& idx) {
  return msa_embed(ctx, w.get("msa_emb.emb.weight"), w.get("msa_emb.pos.pe"), w.get("msa_emb.pos_q.pe.weight"), msa,
                   n, l, idx);
}

DeviceTensor templ_emb(const Context& ctx, const DeviceWeights& w, const Tensor& t1d, const Tensor& t2d,
                       const std::vector<int32_t>& idx, const Chunking& ck) {
  TRIFOLD_CHECK(t1d.ndim() == 3 && t2d.ndim() == 4, "templ_emb: t1d [T, L, 3] and t2d [T, L, L, 10] expected");
  const int64_t nt = t1d.dim(0), l = t1d.dim(1);
  TRIFOLD_CHECK(t2d.dim(0) == nt && t2d.dim(1) == l && t2d.dim(2) == l, "templ_emb: t1d/t2d shapes disagree");
  const std::vector<float> sep = rf1::log_seqsep(idx);
  std::vector<DeviceTensor> feats, logits;
  for (int64_t t = 0; t < nt; ++t) {
    const Tensor feat = rf1::template_pair_features(t1d, t2d, t, sep);
    DeviceTensor x = linear(ctx, w, "templ_emb.proj", DeviceTensor::upload(ctx, feat));
    // Reference quirk (as on the CPU): only template 0 gets the 2-D positional encoding.
    if (t == 0) add_pos_2d(ctx, x, pos_table(ctx, w, "templ_emb.pos.div_term", idx, x.dim(2)));
    x = axial_encoder_layer(ctx, w, "templ_emb.encoder_L.layers.0", x, ck);
    DeviceTensor lg = linear(ctx, w, "templ_emb.to_attn", layer_norm(ctx, w, "templ_emb.norm", x));
    const int64_t d = x.dim(2);
    feats.push_back(std::move(x).reshaped({1, l * l, d}));
    logits.push_back(std::move(lg).reshaped({1, l * l}));
  }
  const int64_t d = feats[0].dim(2);
  DeviceTensor pooled;
  if (nt == 1) {
    pooled = template_pool(ctx, logits[0], feats[0]);
  } else {
    std::vector<const DeviceTensor*> fp, lp;
    for (int64_t t = 0; t < nt; ++t) {
      fp.push_back(&feats[static_cast<size_t>(t)]);
      lp.push_back(&logits[static_cast<size_t>(t)]);
    }
    DeviceTensor f = concat(ctx, fp, 0), lg = concat(ctx, lp, 0);
    feats.clear();
    pooled = template_pool(ctx, lg, f);
  }
  return std::move(pooled).reshaped({l, l, d});
}

DeviceTensor pair_emb(const Context& ctx, const DeviceWeights& w, const std::vector<int32_t>& seq,
                      const std::vector<int32_t>& idx, const DeviceTensor& templ) {
  const int64_t l = static_cast<int64_t>(seq.size());
  DeviceTensor e = embedding(ctx, w.get("pair_emb.emb.weight"), seq, {l});  // [L, d/2]
  DeviceTensor tn = layer_norm(ctx, w, "pair_emb.norm_templ", templ);
  DeviceTensor sep = map_channel(ctx, rf1::log_seqsep(idx), l);
  DeviceTensor feat;
  {
    DeviceTensor er = broadcast_pair(ctx, e, true), ec = broadcast_pair(ctx, e, false);
    feat = concat(ctx, {&er, &ec, &sep, &tn}, -1);
  }
  DeviceTensor pair = linear(ctx, w, "pair_emb.projection", feat);
  feat = DeviceTensor();
  add_pos_2d(ctx, pair, pos_table(ctx, w, "pair_emb.pos.div_term", idx, pair.dim(2)));
  return pair;
}

DeviceTensor transformer_conv(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x,
                              const DeviceTensor& edge) {
  DeviceTensor q = linear(ctx, w, p + ".lin_query", x);
  DeviceTensor k = linear(ctx, w, p + ".lin_key", x);
  DeviceTensor v = linear(ctx, w, p + ".lin_value", x);
  DeviceTensor e = linear(ctx, w, p + ".lin_edge", edge);
  DeviceTensor out = linear(ctx, w, p + ".lin_skip", x);
  const int64_t hc = q.dim(1), c = w.get(p + ".lin_query.weight").dim(1), heads = hc / c;
  TRIFOLD_CHECK(heads * c == hc, "transformer_conv: heads·channels mismatch");
  transformer_conv_attend(ctx, q, k, v, e, heads, static_cast<float>(1.0 / std::sqrt(static_cast<double>(c))), out);
  return out;
}

namespace {
// The UniMP stack of InitStr and Regen_Network: x = elu(Linear(LN(TConv(x, edge))) + x) per block.
DeviceTensor unimp_blocks(const Context& ctx, const DeviceWeights& w, const std::string& p, DeviceTensor x,
                          const DeviceTensor& edge) {
  for (int b = 0; w.has(p + ".transformer." + std::to_string(b) + ".Linear.weight"); ++b) {
    const std::string bp = p + ".transformer." + std::to_string(b);
    DeviceTensor h = transformer_conv(ctx, w, bp + ".TConv", x, edge);
    DeviceTensor y = linear(ctx, w, bp + ".Linear", layer_norm(ctx, w, bp + ".LNorm", h));
    add_(ctx, y, x);
    elu_(ctx, y);
    x = std::move(y);
  }
  return x;
}
}  // namespace

Tensor init_str(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& seq1hot,
                const std::vector<int32_t>& idx, const DeviceTensor& msa, const DeviceTensor& pair) {
  const int64_t l = msa.dim(1);
  DeviceTensor x;
  {
    DeviceTensor m = layer_norm(ctx, w, p + ".norm_node", msa);
    x = linear(ctx, w, p + ".embed_x.0", node_features(ctx, w, p + ".encoder_seq", m, seq1hot));
  }
  elu_(ctx, x);
  DeviceTensor edge;
  {
    DeviceTensor pr = layer_norm(ctx, w, p + ".norm_edge", pair);
    DeviceTensor sep = map_channel(ctx, rf1::signed_log_seqsep(idx), l);
    edge = linear(ctx, w, p + ".embed_e.0", concat(ctx, {&pr, &sep}, -1));
  }
  elu_(ctx, edge);
  x = unimp_blocks(ctx, w, p, std::move(x), edge);
  edge = DeviceTensor();
  Tensor xyz = linear(ctx, w, p + ".get_xyz", x).download();
  xyz.reshape({l, 3, 3});
  return xyz;
}

DeviceDistance distance_network(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                const DeviceTensor& pair, const Chunking& ck) {
  DeviceTensor x = linear(ctx, w, p + ".proj", layer_norm(ctx, w, p + ".norm", pair));
  DeviceDistance o;
  {
    DeviceTensor xs = symmetrize_pair(ctx, x);
    o.dist = residual_network(ctx, w, p + ".resnet_dist", xs, ck);
    o.omega = residual_network(ctx, w, p + ".resnet_omega", xs, ck);
  }
  o.theta = residual_network(ctx, w, p + ".resnet_theta", x, ck);
  o.phi = residual_network(ctx, w, p + ".resnet_phi", x, ck);
  DeviceTensor sd = softmax(ctx, o.dist, -1), so = softmax(ctx, o.omega, -1), st = softmax(ctx, o.theta, -1),
               sp = softmax(ctx, o.phi, -1);
  o.prob_s = concat(ctx, {&sd, &so, &st, &sp}, -1);
  return o;
}

Str2StrGpuOutput str2str(const Context& ctx, const DeviceWeights& w, const std::string& p,
                         const Se3TransformerGpu& net, const Se3Config& cfg, const DeviceTensor& msa,
                         const DeviceTensor& pair, const Tensor& xyz, const DeviceTensor& seq1hot,
                         const std::vector<int32_t>& idx, int top_k) {
  TRIFOLD_CHECK(msa.ndim() == 3 && pair.ndim() == 3, "str2str: msa [N, L, d], pair [L, L, d]");
  const int64_t L = msa.dim(1);
  TRIFOLD_CHECK(pair.dim(0) == L && xyz.numel() == L * 9 && seq1hot.dim(0) == L &&
                    static_cast<int64_t>(idx.size()) == L,
                "str2str: inconsistent lengths");
  DeviceTensor node;
  {
    DeviceTensor m = layer_norm(ctx, w, p + ".norm_msa", msa);
    node = layer_norm(ctx, w, p + ".norm_node",
                      linear(ctx, w, p + ".embed_x", node_features(ctx, w, p + ".encoder_seq", m, seq1hot)));
  }
  DeviceTensor edge = layer_norm(
      ctx, w, p + ".norm_edge", linear(ctx, w, p + ".embed_e", layer_norm(ctx, w, p + ".norm_pair", pair)));
  DeviceFeatures out = se3_stage(ctx, net, cfg, 1, L, std::move(node), edge, xyz, idx, top_k);
  TRIFOLD_CHECK(cfg.l1_out_features == 3, "str2str: the coordinate update needs 3 degree-1 outputs");
  StageTimer t("SE(3): backbone update (download, host)", device_wait(ctx));
  Str2StrGpuOutput r;
  r.xyz = se3::update_backbone(xyz, out.at(1).download());
  r.state = std::move(out.at(0)).reshaped({L, cfg.l0_out_features});
  return r;
}

DeviceTensor str2msa(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& msa,
                     const Tensor& xyz, const DeviceTensor& state, const Chunking& ck) {
  const int64_t l = msa.dim(1);
  TRIFOLD_CHECK(xyz.numel() == l * 9 && state.dim(0) == l, "str2msa: inconsistent lengths");
  Tensor ca({l, 3});
  for (int64_t i = 0; i < l; ++i)
    for (int c = 0; c < 3; ++c) ca[i * 3 + c] = xyz[(i * 3 + 1) * 3 + c];
  DeviceTensor dca = DeviceTensor::upload(ctx, ca);
  DeviceTensor x = msa.clone();
  {
    // The attention map is shared by all MSA rows; v, the attended values and to_out exist per block of rows.
    const DeviceTensor att = masked_attention_probs(ctx, w, p + ".attn", layer_norm(ctx, w, p + ".norm_state", state), dca);
    update_row_blocks(ctx, x, ck.msa_blocks, [&](const DeviceTensor& r) {
      return masked_attention_apply(ctx, w, p + ".attn", att, layer_norm(ctx, w, p + ".norm1", r));
    });
  }
  update_row_blocks(ctx, x, ck.msa_blocks, [&](const DeviceTensor& r) {
    return feed_forward(ctx, w, p + ".ff", layer_norm(ctx, w, p + ".norm2", r));
  });
  return x;
}

void regen_network(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& node,
                   const DeviceTensor& edge, const DeviceTensor& seq1hot, const std::vector<int32_t>& idx, Tensor& xyz,
                   DeviceTensor& state) {
  const int64_t L = node.dim(0);
  TRIFOLD_CHECK(edge.ndim() == 3 && edge.dim(0) == L && edge.dim(1) == L && seq1hot.dim(0) == L &&
                    static_cast<int64_t>(idx.size()) == L,
                "regen_network: inconsistent shapes");
  DeviceTensor x;
  {
    DeviceTensor n = layer_norm(ctx, w, p + ".norm_node", node);
    x = layer_norm(ctx, w, p + ".embed_x.1", linear(ctx, w, p + ".embed_x.0", concat(ctx, {&n, &seq1hot}, -1)));
  }
  DeviceTensor eh;
  {
    const std::vector<float> sep = rf1::signed_log_seqsep(idx);
    Tensor maps({L, L, 2});
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < L; ++j) {
        const int64_t r = i * L + j;
        maps[r * 2] = sep[static_cast<size_t>(r)];
        const int64_t s = int64_t(idx[static_cast<size_t>(j)]) - idx[static_cast<size_t>(i)];
        maps[r * 2 + 1] = (s == 1 || s == -1) ? static_cast<float>(s) : 0.0f;
      }
    DeviceTensor e = layer_norm(ctx, w, p + ".norm_edge", edge);
    DeviceTensor dm = DeviceTensor::upload(ctx, maps);
    eh = layer_norm(ctx, w, p + ".embed_e.1", linear(ctx, w, p + ".embed_e.0", concat(ctx, {&e, &dm}, -1)));
  }
  x = unimp_blocks(ctx, w, p, std::move(x), eh);
  eh = DeviceTensor();
  xyz = linear(ctx, w, p + ".get_xyz", x).download().reshaped({L, 3, 3});
  state = linear(ctx, w, p + ".get_state", layer_norm(ctx, w, p + ".norm_state", x));
}

RefineGpuOutput refine_network(const Context& ctx, const DeviceWeights& w, const std::string& p,
                               const Se3TransformerGpu& net, const Se3Config& cfg, const DeviceTensor& node,
                               const DeviceTensor& pair, const Tensor& xyz, const DeviceTensor& state,
                               const DeviceTensor& seq1hot, const std::vector<int32_t>& idx, int top_k) {
  TRIFOLD_CHECK(node.ndim() == 3 && pair.ndim() == 4, "refine_network: node [B, L, d], pair [1 or B, L, L, d]");
  const int64_t B = node.dim(0), L = node.dim(1);
  TRIFOLD_CHECK((pair.dim(0) == 1 || pair.dim(0) == B) && pair.dim(1) == L && xyz.numel() == B * L * 9 &&
                    state.dim(0) == B && state.dim(1) == L && seq1hot.dim(0) == B &&
                    static_cast<int64_t>(idx.size()) == B * L,
                "refine_network: inconsistent shapes");
  std::optional<StageTimer> embed(std::in_place, "refine: node and edge embeddings", device_wait(ctx));
  DeviceTensor x;
  {
    DeviceTensor n1 = layer_norm(ctx, w, p + ".norm_msa", node);
    DeviceTensor st = layer_norm(ctx, w, p + ".norm_state", state);
    x = layer_norm(ctx, w, p + ".norm_node", linear(ctx, w, p + ".embed_x", concat(ctx, {&n1, &seq1hot, &st}, -1)));
  }
  DeviceTensor edge;
  {
    DeviceTensor e1 = layer_norm(ctx, w, p + ".norm_edge1",
                                 linear(ctx, w, p + ".embed_e1", layer_norm(ctx, w, p + ".norm_pair", pair)));
    Tensor ca({B * L, 3});
    for (int64_t r = 0; r < B * L; ++r)
      for (int a = 0; a < 3; ++a) ca[r * 3 + a] = xyz[(r * 3 + 1) * 3 + a];
    DeviceTensor dca = DeviceTensor::upload(ctx, ca);
    DeviceInts didx(ctx, idx);
    edge = layer_norm(ctx, w, p + ".norm_edge2",
                      linear(ctx, w, p + ".embed_e2", refine_edge_input(ctx, e1, dca, didx, B)));
  }
  embed.reset();
  const Tensor xyz_flat = xyz.reshaped({B * L, 3, 3});
  DeviceFeatures out = se3_stage(ctx, net, cfg, B, L, std::move(x), edge, xyz_flat, idx, top_k);
  TRIFOLD_CHECK(cfg.l1_out_features == 3, "refine_network: the coordinate update needs 3 degree-1 outputs");
  StageTimer t("SE(3): backbone update (download, host)", device_wait(ctx));
  RefineGpuOutput r;
  r.xyz = se3::update_backbone(xyz_flat, out.at(1).download()).reshaped({B, L, 3, 3});
  r.state = std::move(out.at(0)).reshaped({B, L, cfg.l0_out_features});
  return r;
}

TrunkGpuState run_to_init_str(const Context& ctx, const DeviceWeights& w, const rf1::Dims& dims,
                              const TrunkInputs& in, const Chunking& ck) {
  const int64_t n = in.msa.n_rows, l = in.msa.length;
  TRIFOLD_CHECK(static_cast<int64_t>(in.idx.size()) == l && static_cast<int64_t>(in.seq.size()) == l,
                "trunk: seq/idx length differs from the MSA");
  TrunkGpuState s;
  {
    StageTimer t("trunk: embeddings, initial Pair2Pair", device_wait(ctx));
    s.seq1hot = DeviceTensor::upload(ctx, one_hot_21(in.seq));
    s.msa = msa_emb(ctx, w, in.msa.tokens, n, l, in.idx);
    {
      DeviceTensor templ = templ_emb(ctx, w, in.t1d, in.t2d, in.idx, ck);
      s.pair = pair_emb(ctx, w, in.seq, in.idx, templ);
    }
    s.pair = pair2pair(ctx, w, "feat_extractor.initial", s.pair, ck);
  }
  for (int i = 0; i < dims.n_module; ++i)
    iter_block(ctx, w, "feat_extractor.iter_block_1." + std::to_string(i), dims.n_head_msa, s.msa, s.pair, ck);
  StageTimer t("trunk: InitStr (graph transformer)", device_wait(ctx));
  s.xyz = init_str(ctx, w, "feat_extractor.init_str", s.seq1hot, in.idx, s.msa, s.pair);
  return s;
}

// ---------------------------------------------------------------- NetworkGpu

struct NetworkGpu::Impl {
  const Weights& w;
  Context ctx;
  DeviceWeights dw;
  rf1::Dims dims;
  Chunking chunking;
  int n_str = 0, n_ref = 0;
  std::map<std::string, Se3TransformerGpu> se3;
  static Context make_context(int device, MatmulPrecision precision, size_t limit) {
    Context c(device, precision);
    c.set_memory_limit(limit);
    return c;
  }
  Impl(const Weights& weights, int device, MatmulPrecision precision, size_t limit)
      : w(weights), ctx(make_context(device, precision, limit)), dw(ctx, weights.tensors), dims(rf1::Dims::infer(weights)),
        n_str(e2e::count_str_blocks(weights)) {
    TRIFOLD_CHECK(w.has("feat_extractor.final.pred_lddt.weight"), "network: the weights have no FinalBlock");
    for (int i = 0; i < n_str; ++i) add("feat_extractor.iter_block_2." + std::to_string(i) + ".str2str", w.config.se3);
    add("feat_extractor.final.str2str", w.config.se3);
    while (w.has("refine.refine_net." + std::to_string(n_ref) + ".embed_x.weight")) {
      add("refine.refine_net." + std::to_string(n_ref), w.config.ref);
      ++n_ref;
    }
  }
  void add(const std::string& p, const Se3Config& cfg) {
    const se3::SE3Transformer cpu(w, p + ".se3.", cfg);
    se3.emplace(p, make_se3_transformer_gpu(ctx, cpu));
  }
};

NetworkGpu::NetworkGpu(const Weights& w, int device, MatmulPrecision precision, size_t memory_limit)
    : impl_(std::make_unique<Impl>(w, device, precision, memory_limit)) {}
NetworkGpu::~NetworkGpu() = default;

Context& NetworkGpu::context() { return impl_->ctx; }
void NetworkGpu::set_chunking(const Chunking& ck) { impl_->chunking = ck; }
const Chunking& NetworkGpu::chunking() const { return impl_->chunking; }
const DeviceWeights& NetworkGpu::weights() const { return impl_->dw; }
const Se3TransformerGpu& NetworkGpu::se3(const std::string& prefix) const {
  auto it = impl_->se3.find(prefix);
  TRIFOLD_CHECK(it != impl_->se3.end(), "NetworkGpu: no SE(3) stack " + prefix);
  return it->second;
}

e2e::TrunkOutputs NetworkGpu::trunk(const TrunkInputs& in) const {
  const Context& c = impl_->ctx;
  const DeviceWeights& dw = impl_->dw;
  const Weights& w = impl_->w;
  const int64_t l = in.msa.length;
  const Chunking& ck = impl_->chunking;
  TrunkGpuState ts = run_to_init_str(c, dw, impl_->dims, in, ck);
  DeviceTensor msa = std::move(ts.msa), pair = std::move(ts.pair);
  const DeviceTensor seq1hot = std::move(ts.seq1hot);
  Tensor xyz = std::move(ts.xyz);
  const int heads = impl_->dims.n_head_msa;
  for (int i = 0; i < impl_->n_str; ++i) {
    const std::string p = "feat_extractor.iter_block_2." + std::to_string(i);
    iter_block(c, dw, p, heads, msa, pair, ck);
    Str2StrGpuOutput o = str2str(c, dw, p + ".str2str", se3(p + ".str2str"), w.config.se3, msa, pair, xyz, seq1hot,
                                 in.idx, e2e::str_block_top_k(i));
    xyz = std::move(o.xyz);
    StageTimer t("trunk: Str2MSA", device_wait(c));
    msa = str2msa(c, dw, p + ".str2msa", msa, xyz, o.state, ck);
  }
  e2e::TrunkOutputs out;
  {
    const std::string p = "feat_extractor.final";
    iter_block(c, dw, p, heads, msa, pair, ck);
    Str2StrGpuOutput o =
        str2str(c, dw, p + ".str2str", se3(p + ".str2str"), w.config.se3, msa, pair, xyz, seq1hot, in.idx, 32);
    out.lddt = linear(c, dw, p + ".pred_lddt", layer_norm(c, dw, p + ".norm_state", o.state)).download();
    out.lddt.reshape({l});
    out.xyz = std::move(o.xyz);
  }
  out.node = slice_rows(c, msa, 0, 1).download();
  out.node.reshape({l, msa.dim(2)});
  msa = DeviceTensor();
  StageTimer t("trunk: distance heads, download", device_wait(c));
  DeviceDistance h = distance_network(c, dw, "c6d_predictor", pair, ck);
  pair = DeviceTensor();
  out.heads.dist = h.dist.download();
  out.heads.omega = h.omega.download();
  out.heads.theta = h.theta.download();
  out.heads.phi = h.phi.download();
  out.heads.prob_s = h.prob_s.download();
  return out;
}

e2e::RefineResult NetworkGpu::refine(const Tensor& node, const Tensor& prob_s, const std::vector<int32_t>& seq,
                                     const std::vector<int32_t>& idx, const e2e::RefineOptions& opt) const {
  const Context& c = impl_->ctx;
  const DeviceWeights& dw = impl_->dw;
  const Weights& w = impl_->w;
  const int64_t L = node.dim(0), dn = node.dim(1);
  TRIFOLD_CHECK(impl_->n_ref > 0, "refine_module: no refine_net weights");
  TRIFOLD_CHECK(static_cast<int64_t>(seq.size()) == L && static_cast<int64_t>(idx.size()) == L &&
                    prob_s.ndim() == 3 && prob_s.dim(0) == L,
                "refine: inconsistent shapes");
  std::optional<StageTimer> regen(std::in_place, "refine: Regen_Network", device_wait(c));
  DeviceTensor edge = linear(c, dw, "refine.proj_edge", DeviceTensor::upload(c, prob_s));  // [L, L, 128]
  DeviceTensor seq1hot = DeviceTensor::upload(c, one_hot_21(seq));
  DeviceTensor dnode = DeviceTensor::upload(c, node);
  e2e::RefineResult res;
  DeviceTensor regen_state;
  regen_network(c, dw, "refine.regen_net", dnode, edge, seq1hot, idx, res.regen_xyz, regen_state);
  res.regen_state = regen_state.download();
  regen.reset();
  // Mirror doubling: copy 1 has z negated; node, state, idx, seq1hot duplicated; the pair is shared (the CPU
  // duplicates it; both copies are identical, so one [1, L, L, 128] serves both).
  const int64_t ds = regen_state.dim(1);
  dnode.reshape({1, L, dn});
  seq1hot.reshape({1, L, 21});
  regen_state.reshape({1, L, ds});
  const DeviceTensor node2 = concat(c, {&dnode, &dnode}, 0);
  const DeviceTensor seq2 = concat(c, {&seq1hot, &seq1hot}, 0);
  DeviceTensor state = concat(c, {&regen_state, &regen_state}, 0);
  dnode = DeviceTensor();
  regen_state = DeviceTensor();
  edge.reshape({1, L, L, edge.dim(2)});
  Tensor xyz({2, L, 3, 3});
  std::copy(res.regen_xyz.vec().begin(), res.regen_xyz.vec().end(), xyz.vec().begin());
  std::copy(res.regen_xyz.vec().begin(), res.regen_xyz.vec().end(), xyz.vec().begin() + L * 9);
  for (int64_t i = 0; i < L * 3; ++i) xyz[(L * 3 + i) * 3 + 2] = -xyz[(L * 3 + i) * 3 + 2];
  std::vector<int32_t> idx2(idx);
  idx2.insert(idx2.end(), idx.begin(), idx.end());

  ::trifold::model::se3::RefineTracker track(xyz, opt);  // the CPU loop's bookkeeping (early stop, best copy)
  for (int it = 0; it < track.max_iterations(); ++it) {
    for (int m = 0; m < impl_->n_ref; ++m) {
      const std::string p = "refine.refine_net." + std::to_string(m);
      RefineGpuOutput o = refine_network(c, dw, p, se3(p), w.config.ref, node2, edge, xyz, state, seq2, idx2,
                                         opt.top_k);
      xyz = std::move(o.xyz);
      state = std::move(o.state);
    }
    StageTimer t("refine: lDDT head, early stop", device_wait(c));
    std::vector<float> lc =
        linear(c, dw, "refine.pred_lddt", layer_norm(c, dw, "refine.norm_state", state)).download().vec();
    if (!track.record(it, std::move(lc), xyz, res)) break;
  }
  track.finish(res);
  return res;
}

e2e::NetworkOutputs NetworkGpu::forward(const TrunkInputs& in, const e2e::RefineOptions& opt) const {
  e2e::NetworkOutputs o;
  const auto t0 = std::chrono::steady_clock::now();
  o.trunk = trunk(in);
  log::info(log::cat("network: trunk (L = ", in.msa.length, ", N = ", in.msa.n_rows, ") done in ",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), " s on the GPU"));
  o.refine = refine(o.trunk.node, o.trunk.heads.prob_s, in.seq, in.idx, opt);
  return o;
}

}  // namespace trifold::model::cuda
