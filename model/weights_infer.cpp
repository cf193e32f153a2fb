// Shape → hyper-parameter rules; each is the inverse of one line of model/weight_table.cpp.
#include "model/weights_infer.hpp"

#include <cctype>
#include <set>

namespace trifold::model {

namespace {

class Reader {
 public:
  explicit Reader(const Weights& w) : w_(w) {}

  // Size of axis `axis` of tensor `name`, or -1 when the tensor is absent or has fewer axes.
  int64_t dim(const std::string& name, int axis) const {
    auto it = w_.tensors.find(name);
    if (it == w_.tensors.end() || it->second.ndim() <= axis) return -1;
    return it->second.shape()[static_cast<size_t>(axis)];
  }
  // Number of distinct integers <i> in keys "<prefix><i>.<anything>".
  int count(const std::string& prefix) const {
    std::set<int> seen;
    for (auto it = w_.tensors.lower_bound(prefix); it != w_.tensors.end() && it->first.starts_with(prefix); ++it) {
      size_t p = prefix.size(), q = p;
      while (q < it->first.size() && std::isdigit(static_cast<unsigned char>(it->first[q]))) ++q;
      if (q > p && q < it->first.size() && it->first[q] == '.') seen.insert(std::stoi(it->first.substr(p, q - p)));
    }
    return static_cast<int>(seen.size());
  }
  bool has(const std::string& name) const { return w_.tensors.count(name) != 0; }

 private:
  const Weights& w_;
};

void set_if(int& field, int64_t value) {
  if (value > 0) field = static_cast<int>(value);
}

// SE(3) fibers of one SE3Transformer at `p` ("....se3"); l0_in / edge / l0_out come from the caller.
void infer_se3(const Reader& r, const std::string& p, Se3Config& s) {
  const int n_blocks = r.count(p + ".Gblock.");
  if (n_blocks >= 1 && n_blocks % 2 == 1) s.num_layers = (n_blocks - 1) / 2;
  const std::string norm = p + ".Gblock.1.bias.";
  if (r.has(norm + "0")) {
    set_if(s.num_channels, r.dim(norm + "0", 1));
    int deg = 0;
    while (r.has(norm + std::to_string(deg))) ++deg;
    s.num_degrees = deg;
  }
  // Keys/queries of block 0 have num_channels / div channels; degree 1 reads l1_in input channels.
  int64_t mid = r.dim(p + ".Gblock.0.GMAB.q.transform.0", 0);
  if (mid > 0 && s.num_channels % mid == 0) s.div = static_cast<int>(s.num_channels / mid);
  int64_t l1_in = r.dim(p + ".Gblock.0.GMAB.q.transform.1", 1);
  if (l1_in > 0) s.l1_in_features = static_cast<int>(l1_in);
  const std::string last = p + ".Gblock." + std::to_string(n_blocks - 1) + ".GMAB.q.transform.1";
  if (n_blocks >= 1) set_if(s.l1_out_features, r.dim(last, 0));
}

}  // namespace

ModelConfig infer_config(const Weights& w, const ModelConfig& base) {
  ModelConfig c = base;
  Reader r(w);
  set_if(c.d_msa, r.dim("msa_emb.emb.weight", 1));
  set_if(c.d_templ, r.dim("templ_emb.proj.weight", 0));
  set_if(c.d_pair, r.dim("pair_emb.projection.weight", 0));
  set_if(c.d_hidden, r.dim("feat_extractor.init_str.embed_x.0.weight", 0));
  c.n_module = r.count("feat_extractor.iter_block_1.");
  c.n_module_str = r.count("feat_extractor.iter_block_2.");
  c.n_module_ref = r.count("refine.refine_net.");
  set_if(c.n_layer, r.count("feat_extractor.initial.encoder.layers."));

  const std::string ax = "feat_extractor.initial.encoder.layers.0.";
  int64_t dff = r.dim(ax + "ff.linear1.weight", 0);
  if (dff > 0 && c.d_pair > 0 && dff % c.d_pair == 0) c.r_ff = static_cast<int>(dff / c.d_pair);
  set_if(c.performer_L_nb_features, r.dim(ax + "attn_L.fast_attention.projection_matrix", 0));
  int64_t dk_pair = r.dim(ax + "attn_L.fast_attention.projection_matrix", 1);
  if (dk_pair > 0 && c.d_pair % dk_pair == 0) c.n_head_pair = static_cast<int>(c.d_pair / dk_pair);
  int64_t dk_templ = r.dim("templ_emb.encoder_L.layers.0.attn_L.fast_attention.projection_matrix", 1);
  if (dk_templ > 0 && c.d_templ % dk_templ == 0) c.n_head_templ = static_cast<int>(c.d_templ / dk_templ);

  // The final block always exists (n_module may be 0): MSA heads, resblocks, Performer over N.
  const std::string fin = "feat_extractor.final.";
  int64_t upd_in = r.dim(fin + "msa2pair.update.layer.0.weight", 1);  // 2*d_pair + 4*32 + n_head_msa
  if (upd_in > 0) set_if(c.n_head_msa, upd_in - 2 * c.d_pair - 128);
  int n_res = r.count(fin + "msa2pair.update.layer.");
  if (n_res >= 3) c.n_resblock = n_res - 2;  // conv1x1 (0) and InstanceNorm (1) are also numbered children
  set_if(c.performer_N_nb_features, r.dim(fin + "msa2msa.encoder_2.layers.0.attn.fast_attention.projection_matrix", 0));

  // Trunk SE(3): the FinalBlock's Str2Str.
  set_if(c.se3.l0_in_features, r.dim(fin + "str2str.embed_x.weight", 0));
  set_if(c.se3.num_edge_features, r.dim(fin + "str2str.embed_e.weight", 0));
  set_if(c.se3.l0_out_features, r.dim(fin + "norm_state.a_2", 0));
  infer_se3(r, fin + "str2str.se3", c.se3);

  // Refinement SE(3): the state width is visible even without refine_net blocks.
  set_if(c.ref.l0_out_features, r.dim("refine.norm_state.a_2", 0));
  if (c.n_module_ref > 0) {
    set_if(c.ref.l0_in_features, r.dim("refine.refine_net.0.embed_x.weight", 0));
    set_if(c.ref.num_edge_features, r.dim("refine.refine_net.0.embed_e1.weight", 0));
    infer_se3(r, "refine.refine_net.0.se3", c.ref);
  }
  return c;
}

}  // namespace trifold::model
