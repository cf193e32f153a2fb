// The official module tree of RoseTTAFoldModule_e2e written out as a builder of (name, shape) entries; checked
// against docs/rosettafold_v1_e2e_state_dict_keys.tsv and the golden tiny/small checkpoints by the tests.
#include "model/weight_table.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "io/error.hpp"

namespace trifold::model {

namespace {

// SE(3) fiber: (degree, channels), ascending degree, channels > 0.
using Fiber = std::vector<std::pair<int, int64_t>>;

int64_t fiber_get(const Fiber& f, int d) {
  for (auto [deg, m] : f)
    if (deg == d) return m;
  return 0;
}

class Builder {
 public:
  explicit Builder(const ModelConfig& c) : c_(c) {}
  std::vector<TensorSpec> out;

  void add(const std::string& name, Shape shape, Init init, int64_t fan_in = 1, bool buffer = false) {
    out.push_back({name, std::move(shape), buffer, init, fan_in, 1.0f});
  }
  void linear(const std::string& p, int64_t in, int64_t o, bool bias = true) {
    add(p + ".weight", {o, in}, Init::Uniform, in);
    if (bias) add(p + ".bias", {o}, Init::Uniform, in);
  }
  void conv(const std::string& p, int64_t in, int64_t o, int64_t k, bool bias) {
    add(p + ".weight", {o, in, k, k}, Init::Uniform, in * k * k);
    if (bias) add(p + ".bias", {o}, Init::Uniform, in * k * k);
  }
  void ln(const std::string& p, int64_t d) {  // custom LayerNorm: a_2 / b_2
    add(p + ".a_2", {d}, Init::NormGain);
    add(p + ".b_2", {d}, Init::NormShift);
  }
  void norm_wb(const std::string& p, int64_t d) {  // nn.LayerNorm, nn.InstanceNorm2d(affine): weight / bias
    add(p + ".weight", {d}, Init::NormGain);
    add(p + ".bias", {d}, Init::NormShift);
  }
  void ff(const std::string& p, int64_t d, int64_t dff) {
    linear(p + ".linear1", d, dff);
    linear(p + ".linear2", dff, d);
  }
  // Performer SelfAttention (generalized attention): dim_head = d / heads, projection (nb, dim_head).
  void performer(const std::string& p, int64_t d, int64_t heads, int64_t nb) {
    int64_t dk = d / heads, inner = dk * heads;
    add(p + ".fast_attention.projection_matrix", {nb, dk}, Init::Performer, 1, true);
    linear(p + ".to_query", d, inner);
    linear(p + ".to_key", d, inner);
    linear(p + ".to_value", d, inner);
    linear(p + ".to_out", inner, d);
  }
  void seq_weight(const std::string& p, int64_t d, int64_t heads) {
    int64_t inner = (d / heads) * heads;
    linear(p + ".to_query", d, inner);
    linear(p + ".to_key", d, inner);
  }
  void axial_layer(const std::string& p, int64_t d, int64_t heads, int64_t nb) {
    performer(p + ".attn_L", d, heads, nb);
    performer(p + ".attn_N", d, heads, nb);
    ff(p + ".ff", d, d * c_.r_ff);
    ln(p + ".norm1", d);
    ln(p + ".norm2", d);
    ln(p + ".norm3", d);
  }
  void pair2pair(const std::string& p) {
    for (int i = 0; i < c_.n_layer; ++i)
      axial_layer(p + ".encoder.layers." + std::to_string(i), c_.d_pair, c_.n_head_pair, c_.performer_L_nb_features);
  }
  void msa2msa(const std::string& p) {
    const int64_t d = c_.d_msa;
    for (int i = 0; i < c_.n_layer; ++i) {  // row attention: soft-tied
      std::string q = p + ".encoder_1.layers." + std::to_string(i);
      seq_weight(q + ".attn.seq_weight", d, c_.n_head_msa);
      int64_t inner = (d / c_.n_head_msa) * c_.n_head_msa;
      linear(q + ".attn.to_query", d, inner);
      linear(q + ".attn.to_key", d, inner);
      linear(q + ".attn.to_value", d, inner);
      linear(q + ".attn.to_out", inner, d);
      ff(q + ".ff", d, d * c_.r_ff);
      ln(q + ".norm1", d);
      ln(q + ".norm2", d);
    }
    for (int i = 0; i < c_.n_layer; ++i) {  // column attention: Performer over N
      std::string q = p + ".encoder_2.layers." + std::to_string(i);
      performer(q + ".attn", d, c_.n_head_msa, c_.performer_N_nb_features);
      ff(q + ".ff", d, d * c_.r_ff);
      ln(q + ".norm1", d);
      ln(q + ".norm2", d);
    }
  }
  // resnet.py ResidualNetwork: [conv1x1 (no bias), IN, ELU] if in != block; n ResBlock2D; conv1x1 (bias) if
  // out != block. ResBlock2D = conv3x3, IN, ELU, Dropout, conv3x3, IN (parameters at 0, 1, 4, 5).
  void residual(const std::string& p, int n_block, int64_t din, int64_t dblock, int64_t dout) {
    int idx = 0;
    if (din != dblock) {
      conv(p + ".layer.0", din, dblock, 1, false);
      norm_wb(p + ".layer.1", dblock);
      idx = 3;
    }
    for (int b = 0; b < n_block; ++b, ++idx) {
      std::string q = p + ".layer." + std::to_string(idx) + ".layer";
      conv(q + ".0", dblock, dblock, 3, false);
      norm_wb(q + ".1", dblock);
      conv(q + ".4", dblock, dblock, 3, false);
      norm_wb(q + ".5", dblock);
    }
    if (dout != dblock) conv(p + ".layer." + std::to_string(idx), dblock, dout, 1, true);
  }
  void msa2pair(const std::string& p) {
    const int64_t proj = 32;  // hard-coded n_feat_proj
    ln(p + ".norm_1", c_.d_msa);
    linear(p + ".proj_1", c_.d_msa, proj);
    seq_weight(p + ".encoder", proj, 1);
    ln(p + ".coevol.norm_2d", proj * proj);
    linear(p + ".coevol.proj_2", proj * proj, c_.d_pair);
    ln(p + ".norm_down", proj);
    ln(p + ".norm_orig", c_.d_pair);
    ln(p + ".norm_new", c_.d_pair);
    residual(p + ".update", c_.n_resblock, 2 * c_.d_pair + 4 * proj + c_.n_head_msa, c_.d_pair, c_.d_pair);
  }
  void pair2msa(const std::string& p) {
    for (int i = 0; i < c_.n_layer; ++i) {
      std::string q = p + ".encoder.layers." + std::to_string(i);
      linear(q + ".attn.proj_pair", c_.d_pair, 4);  // hard-coded 4 heads
      linear(q + ".attn.proj_msa", c_.d_msa, c_.d_msa);
      linear(q + ".attn.proj_out", c_.d_msa, c_.d_msa);
      ff(q + ".ff", c_.d_msa, c_.d_msa * c_.r_ff);
      ln(q + ".norm", c_.d_pair);
      ln(q + ".norm1", c_.d_msa);
      ln(q + ".norm2", c_.d_msa);
    }
  }
  void two_track(const std::string& p) {
    msa2msa(p + ".msa2msa");
    msa2pair(p + ".msa2pair");
    pair2pair(p + ".pair2pair");
    pair2msa(p + ".pair2msa");
  }

  // ---- SE(3)-Transformer (SE3_network.py, equivariant_attention/modules.py) ----
  void radial(const std::string& p, int64_t edge, int64_t n_out, float scale) {
    linear(p + ".net.0", edge + 1, 32);
    norm_wb(p + ".net.1.bn", 32);
    linear(p + ".net.3", 32, 32);
    norm_wb(p + ".net.4.bn", 32);
    size_t first = out.size();
    linear(p + ".net.6", 32, n_out);
    for (size_t k = first; k < out.size(); ++k) out[k].scale = scale;
  }
  // GConvSE3Partial: one radial net per (d_in, d_out), keys "(d_in,d_out)", outer loop over the input fiber.
  void conv_partial(const std::string& p, const Fiber& fin, const Fiber& fout, int64_t edge) {
    int64_t f_in = 0;
    for (auto [d, m] : fin) f_in += m * (2 * d + 1);
    float scale = 1.0f / std::sqrt(static_cast<float>(f_in));
    for (auto [di, mi] : fin)
      for (auto [dout, mo] : fout) {
        int64_t nf = 2 * std::min(di, dout) + 1;
        radial(p + ".kernel_unary.(" + std::to_string(di) + "," + std::to_string(dout) + ").rp", edge, nf * mi * mo,
               scale);
      }
  }
  void g1x1(const std::string& p, const Fiber& fin, const Fiber& fout) {
    for (auto [d, mo] : fout) {
      int64_t mi = fiber_get(fin, d);
      add(p + ".transform." + std::to_string(d), {mo, mi}, Init::Gaussian, mi);
    }
  }
  void attentive_self_int(const std::string& p, const Fiber& fin, const Fiber& fout) {
    for (auto [d, mo] : fout) {
      int64_t mi = fiber_get(fin, d);
      std::string q = p + ".transform." + std::to_string(d);
      norm_wb(q + ".0", mi * mi);
      linear(q + ".2", mi * mi, mo * mi);
    }
  }
  void gse3res(const std::string& p, const Fiber& fin, const Fiber& fout, int64_t div, int64_t edge, bool att) {
    Fiber mid_out, mid_in, cat;
    for (auto [d, m] : fout) mid_out.emplace_back(d, m / div);
    for (auto [d, m] : mid_out)
      if (fiber_get(fin, d) > 0) mid_in.emplace_back(d, m);
    for (auto [d, m] : mid_out) cat.emplace_back(d, m + fiber_get(fin, d));
    conv_partial(p + ".GMAB.v", fin, mid_out, edge);
    conv_partial(p + ".GMAB.k", fin, mid_in, edge);
    g1x1(p + ".GMAB.q", fin, mid_in);
    if (att)
      attentive_self_int(p + ".project", cat, fout);
    else
      g1x1(p + ".project", cat, fout);
  }
  void se3(const std::string& p, const Se3Config& s) {
    Fiber fin, mid, fo;
    if (s.l0_in_features > 0) fin.emplace_back(0, s.l0_in_features);
    if (s.l1_in_features > 0) fin.emplace_back(1, s.l1_in_features);
    for (int d = 0; d < s.num_degrees; ++d) mid.emplace_back(d, s.num_channels);
    if (s.l0_out_features > 0) fo.emplace_back(0, s.l0_out_features);
    if (s.l1_out_features > 0) fo.emplace_back(1, s.l1_out_features);
    int g = 0;
    Fiber f = fin;
    for (int i = 0; i < s.num_layers; ++i) {
      gse3res(p + ".Gblock." + std::to_string(g++), f, mid, s.div, s.num_edge_features, false);
      for (auto [d, m] : mid) add(p + ".Gblock." + std::to_string(g) + ".bias." + std::to_string(d), {1, m},
                                  Init::SmallGaussian);
      ++g;
      f = mid;
    }
    gse3res(p + ".Gblock." + std::to_string(g), f, fo, 1, s.num_edge_features, true);
  }
  void str2str(const std::string& p, const Se3Config& s) {
    ln(p + ".norm_msa", c_.d_msa);
    ln(p + ".norm_pair", c_.d_pair);
    seq_weight(p + ".encoder_seq", c_.d_msa, 1);
    linear(p + ".embed_x", c_.d_msa + 21, s.l0_in_features);
    linear(p + ".embed_e", c_.d_pair, s.num_edge_features);
    ln(p + ".norm_node", s.l0_in_features);
    ln(p + ".norm_edge", s.num_edge_features);
    se3(p + ".se3", s);
  }
  void str2msa(const std::string& p) {
    const int64_t ds = c_.se3.l0_out_features;
    ln(p + ".norm_state", ds);
    ln(p + ".norm1", c_.d_msa);
    linear(p + ".attn.to_query", ds, 4 * 32);  // hard-coded 4 heads (8/12/16/20 A), d_k 32
    linear(p + ".attn.to_key", ds, 4 * 32);
    linear(p + ".attn.to_value", c_.d_msa, c_.d_msa);
    linear(p + ".attn.to_out", c_.d_msa, c_.d_msa);
    ln(p + ".norm2", c_.d_msa);
    ff(p + ".ff", c_.d_msa, c_.d_msa * c_.r_ff);
  }
  void unimp(const std::string& p, int64_t node, int64_t edge, int64_t heads) {
    linear(p + ".TConv.lin_key", node, heads * node);
    linear(p + ".TConv.lin_query", node, heads * node);
    linear(p + ".TConv.lin_value", node, heads * node);
    linear(p + ".TConv.lin_edge", edge, heads * node, false);
    linear(p + ".TConv.lin_skip", node, heads * node);
    ln(p + ".LNorm", heads * node);
    linear(p + ".Linear", heads * node, node);
  }

  void build() {
    const ModelConfig& c = c_;
    // MSA_emb
    add("msa_emb.emb.weight", {21, c.d_msa}, Init::Embedding);
    add("msa_emb.pos.pe", {1, 5000, c.d_msa}, Init::MsaPE, 1, true);
    add("msa_emb.pos_q.pe.weight", {2, c.d_msa}, Init::Embedding);
    // Templ_emb
    linear("templ_emb.proj", 3 * 2 + 10 + 1, c.d_templ);
    add("templ_emb.pos.div_term", {(c.d_templ / 2 + 1) / 2}, Init::DivTerm, c.d_templ / 2, true);
    axial_layer("templ_emb.encoder_L.layers.0", c.d_templ, c.n_head_templ, c.performer_L_nb_features);
    ln("templ_emb.norm", c.d_templ);
    linear("templ_emb.to_attn", c.d_templ, 1);
    // Pair_emb_w_templ
    add("pair_emb.emb.weight", {21, c.d_pair / 2}, Init::Embedding);
    ln("pair_emb.norm_templ", c.d_templ);
    linear("pair_emb.projection", 2 * (c.d_pair / 2) + c.d_templ + 1, c.d_pair);
    add("pair_emb.pos.div_term", {(c.d_pair / 2 + 1) / 2}, Init::DivTerm, c.d_pair / 2, true);
    // IterativeFeatureExtractor
    pair2pair("feat_extractor.initial");
    for (int i = 0; i < c.n_module; ++i) two_track("feat_extractor.iter_block_1." + std::to_string(i));
    {
      const std::string p = "feat_extractor.init_str";
      ln(p + ".norm_node", c.d_msa);
      ln(p + ".norm_edge", c.d_pair);
      seq_weight(p + ".encoder_seq", c.d_msa, 1);
      linear(p + ".embed_x.0", c.d_msa + 21, c.d_hidden);
      linear(p + ".embed_e.0", c.d_pair + 1, c.d_hidden);
      for (int b = 0; b < 3; ++b) unimp(p + ".transformer." + std::to_string(b), c.d_hidden, c.d_hidden, 4);
      linear(p + ".get_xyz", c.d_hidden, 9);
    }
    for (int i = 0; i < c.n_module_str; ++i) {
      const std::string p = "feat_extractor.iter_block_2." + std::to_string(i);
      two_track(p);
      str2str(p + ".str2str", c.se3);
      str2msa(p + ".str2msa");
    }
    two_track("feat_extractor.final");
    str2str("feat_extractor.final.str2str", c.se3);
    ln("feat_extractor.final.norm_state", c.se3.l0_out_features);
    linear("feat_extractor.final.pred_lddt", c.se3.l0_out_features, 1);
    // DistanceNetwork
    ln("c6d_predictor.norm", c.d_pair);
    linear("c6d_predictor.proj", c.d_pair, c.d_pair);
    residual("c6d_predictor.resnet_dist", 1, c.d_pair, c.d_pair, 37);
    residual("c6d_predictor.resnet_omega", 1, c.d_pair, c.d_pair, 37);
    residual("c6d_predictor.resnet_theta", 1, c.d_pair, c.d_pair, 37);
    residual("c6d_predictor.resnet_phi", 1, c.d_pair, c.d_pair, 19);
    // Refine_module (d_pair 130 = 37+37+37+19 probabilities; hidden pair = 2 * d_hidden)
    const int64_t dph = 2 * c.d_hidden, ds = c.ref.l0_out_features;
    linear("refine.proj_edge", 130, dph);
    {
      const std::string p = "refine.regen_net";
      ln(p + ".norm_node", c.d_msa);
      ln(p + ".norm_edge", dph);
      linear(p + ".embed_x.0", c.d_msa + 21, c.d_hidden);
      ln(p + ".embed_x.1", c.d_hidden);
      linear(p + ".embed_e.0", dph + 2, c.d_hidden);
      ln(p + ".embed_e.1", c.d_hidden);
      for (int b = 0; b < 3; ++b) unimp(p + ".transformer." + std::to_string(b), c.d_hidden, c.d_hidden, 4);
      linear(p + ".get_xyz", c.d_hidden, 9);
      ln(p + ".norm_state", c.d_hidden);
      linear(p + ".get_state", c.d_hidden, ds);
    }
    for (int i = 0; i < c.n_module_ref; ++i) {
      const std::string p = "refine.refine_net." + std::to_string(i);
      const Se3Config& s = c.ref;
      ln(p + ".norm_msa", c.d_msa);
      ln(p + ".norm_pair", dph);
      ln(p + ".norm_state", ds);
      linear(p + ".embed_x", c.d_msa + 21 + ds, s.l0_in_features);
      linear(p + ".embed_e1", dph, s.num_edge_features);
      linear(p + ".embed_e2", s.num_edge_features + 36 + 1, s.num_edge_features);
      ln(p + ".norm_node", s.l0_in_features);
      ln(p + ".norm_edge1", s.num_edge_features);
      ln(p + ".norm_edge2", s.num_edge_features);
      se3(p + ".se3", s);
    }
    ln("refine.norm_state", ds);
    linear("refine.pred_lddt", ds, 1);
  }

 private:
  const ModelConfig& c_;
};

void validate(const ModelConfig& c) {
  auto positive = [](const std::string& name, int64_t v) {
    if (v <= 0) throw InputError("model config: " + name + " = " + std::to_string(v) + " must be positive");
  };
  auto at_least0 = [](const std::string& name, int64_t v) {
    if (v < 0) throw InputError("model config: " + name + " = " + std::to_string(v) + " must not be negative");
  };
  if (c.architecture != "rosettafold_v1_e2e")
    throw InputError("model config: architecture '" + c.architecture + "' (expected 'rosettafold_v1_e2e')");
  if (!c.use_templ)
    throw InputError("model config: use_templ = 0 is not supported (the e2e model always embeds templates)");
  for (auto& [name, v] : hyper_parameters(c)) {
    if (name == "n_module" || name == "n_module_str" || name == "n_module_ref")
      at_least0(name, v);
    else if (name != "use_templ")
      positive(name, v);
  }
  auto heads_fit = [](const char* heads, int64_t h, const char* dim, int64_t d) {
    if (h > d)
      throw InputError(std::string("model config: ") + heads + " = " + std::to_string(h) + " exceeds " + dim + " = " +
                       std::to_string(d));
  };
  heads_fit("n_head_msa", c.n_head_msa, "d_msa", c.d_msa);
  heads_fit("n_head_pair", c.n_head_pair, "d_pair", c.d_pair);
  heads_fit("n_head_templ", c.n_head_templ, "d_templ", c.d_templ);
  heads_fit("SE3_param.div", c.se3.div, "SE3_param.num_channels", c.se3.num_channels);
  heads_fit("REF_param.div", c.ref.div, "REF_param.num_channels", c.ref.num_channels);
}

}  // namespace

std::vector<TensorSpec> expected_tensors(const ModelConfig& c) {
  validate(c);
  Builder b(c);
  b.build();
  return std::move(b.out);
}

int64_t parameter_count(const ModelConfig& c) {
  int64_t n = 0;
  for (const auto& t : expected_tensors(c))
    if (!t.buffer) n += shape_numel(t.shape);
  return n;
}

int64_t buffer_value_count(const ModelConfig& c) {
  int64_t n = 0;
  for (const auto& t : expected_tensors(c))
    if (t.buffer) n += shape_numel(t.shape);
  return n;
}

std::vector<std::string> preset_names() { return {"full", "tiny", "small"}; }

ModelConfig preset_config(const std::string& name) {
  ModelConfig c;  // defaults = official full model (predict_e2e.py MODEL_PARAM)
  if (name == "full") return c;
  if (name == "tiny") {
    c.n_module = 2, c.n_module_str = 1, c.n_module_ref = 1, c.n_layer = 1;
    c.d_msa = 64, c.d_pair = 64, c.d_templ = 32, c.d_hidden = 32;
    c.n_head_msa = 4, c.n_head_pair = 4, c.n_head_templ = 4, c.r_ff = 4, c.n_resblock = 1;
    c.performer_N_nb_features = 64, c.performer_L_nb_features = 64;
    c.se3 = Se3Config{2, 8, 2, 32, 8, 3, 3, 32, 2, 4};
    c.ref = Se3Config{3, 16, 3, 32, 8, 3, 3, 32, 4, 4};
    return c;
  }
  if (name == "small") {
    c.n_module = 2, c.n_module_str = 1, c.n_module_ref = 2, c.n_layer = 1;
    c.d_msa = 56, c.d_pair = 40, c.d_templ = 24, c.d_hidden = 24;
    c.n_head_msa = 7, c.n_head_pair = 5, c.n_head_templ = 2, c.r_ff = 2, c.n_resblock = 1;
    c.performer_N_nb_features = 48, c.performer_L_nb_features = 32;
    c.se3 = Se3Config{2, 12, 2, 16, 6, 3, 3, 16, 2, 2};
    c.ref = Se3Config{2, 8, 3, 16, 6, 3, 3, 16, 2, 2};
    return c;
  }
  std::string names;
  for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
  throw InputError("unknown model config '" + name + "' (known: " + names + ")");
}

namespace {

// One table for both directions (attribute names ↔ fields), so that a new field cannot be forgotten in one.
template <class F>
void for_each_field(ModelConfig& c, F&& f) {
  f("n_module", c.n_module);
  f("n_module_str", c.n_module_str);
  f("n_module_ref", c.n_module_ref);
  f("n_layer", c.n_layer);
  f("d_msa", c.d_msa);
  f("d_pair", c.d_pair);
  f("d_templ", c.d_templ);
  f("n_head_msa", c.n_head_msa);
  f("n_head_pair", c.n_head_pair);
  f("n_head_templ", c.n_head_templ);
  f("d_hidden", c.d_hidden);
  f("r_ff", c.r_ff);
  f("n_resblock", c.n_resblock);
  f("performer_N_opts.nb_features", c.performer_N_nb_features);
  f("performer_L_opts.nb_features", c.performer_L_nb_features);
  for (auto [prefix, s] : {std::pair<const char*, Se3Config*>{"SE3_param.", &c.se3}, {"REF_param.", &c.ref}}) {
    std::string p = prefix;
    f(p + "num_layers", s->num_layers);
    f(p + "num_channels", s->num_channels);
    f(p + "num_degrees", s->num_degrees);
    f(p + "l0_in_features", s->l0_in_features);
    f(p + "l0_out_features", s->l0_out_features);
    f(p + "l1_in_features", s->l1_in_features);
    f(p + "l1_out_features", s->l1_out_features);
    f(p + "num_edge_features", s->num_edge_features);
    f(p + "div", s->div);
    f(p + "n_heads", s->n_heads);
  }
}

}  // namespace

std::vector<std::pair<std::string, int64_t>> hyper_parameters(const ModelConfig& c) {
  std::vector<std::pair<std::string, int64_t>> out;
  ModelConfig copy = c;
  for_each_field(copy, [&](const std::string& name, int& v) { out.emplace_back(name, v); });
  out.emplace_back("use_templ", c.use_templ ? 1 : 0);
  return out;
}

bool set_hyper_parameter(ModelConfig& c, const std::string& name, int64_t value) {
  if (name == "use_templ") {
    c.use_templ = value != 0;
    return true;
  }
  bool found = false;
  for_each_field(c, [&](const std::string& n, int& v) {
    if (n == name) {
      v = static_cast<int>(value);
      found = true;
    }
  });
  return found;
}

}  // namespace trifold::model
