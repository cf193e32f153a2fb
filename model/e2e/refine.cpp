// Refine_module: Regen_Network, mirror doubling, the iterated Refine_Networks, lDDT head and early stop.
#include "model/e2e/refine.hpp"

#include <algorithm>
#include <cstring>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/rf1/modules.hpp"
#include "model/se3/refine_net.hpp"

namespace trifold::model::e2e {

void regen_network(const Weights& w, const std::string& p, const Tensor& node, const Tensor& edge,
                   const Tensor& seq1hot, const std::vector<int32_t>& idx, Tensor& xyz, Tensor& state) {
  const int64_t l = node.dim(0), dn = node.dim(1), de = edge.dim(2);
  TRIFOLD_CHECK(edge.dim(0) == l && edge.dim(1) == l && seq1hot.dim(0) == l &&
                    static_cast<int64_t>(idx.size()) == l,
                "regen_network: inconsistent lengths");
  Tensor n1 = rf1::layer_norm(w, p + ".norm_node", node);
  Tensor x_in({l, dn + 21});
  for (int64_t i = 0; i < l; ++i) {
    std::memcpy(x_in.data() + i * (dn + 21), n1.data() + i * dn, sizeof(float) * static_cast<size_t>(dn));
    std::memcpy(x_in.data() + i * (dn + 21) + dn, seq1hot.data() + i * 21, sizeof(float) * 21);
  }
  Tensor x = rf1::layer_norm(w, p + ".embed_x.1", rf1::linear(w, p + ".embed_x.0", x_in));
  Tensor e1 = rf1::layer_norm(w, p + ".norm_edge", edge);
  const std::vector<float> sep = rf1::signed_log_seqsep(idx);
  Tensor e_in({l, l, de + 2});
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j) {
      const int64_t ij = i * l + j;
      float* o = e_in.data() + ij * (de + 2);
      std::memcpy(o, e1.data() + ij * de, sizeof(float) * static_cast<size_t>(de));
      o[de] = sep[static_cast<size_t>(ij)];
      const int64_t s = int64_t(idx[static_cast<size_t>(j)]) - idx[static_cast<size_t>(i)];  // get_bonded_neigh
      o[de + 1] = (s == 1 || s == -1) ? static_cast<float>(s) : 0.0f;
    }
  e1 = Tensor();
  Tensor e = rf1::layer_norm(w, p + ".embed_e.1", rf1::linear(w, p + ".embed_e.0", e_in));
  e_in = Tensor();
  // UniMP blocks (as in InitStr): h = TransformerConv(x, e); x = ELU(x + Linear(LN(h))).
  for (int b = 0; w.has(p + ".transformer." + std::to_string(b) + ".Linear.weight"); ++b) {
    const std::string bp = p + ".transformer." + std::to_string(b);
    Tensor h = rf1::transformer_conv(w, bp + ".TConv", x, e);
    Tensor y = rf1::linear(w, bp + ".Linear", rf1::layer_norm(w, bp + ".LNorm", h));
    cpu::add_(y, x);
    cpu::elu_(y);
    x = std::move(y);
  }
  xyz = rf1::linear(w, p + ".get_xyz", x).reshaped({l, 3, 3});
  state = rf1::linear(w, p + ".get_state", rf1::layer_norm(w, p + ".norm_state", x));
}

namespace {
Tensor twice(const Tensor& t) {
  Shape s = t.shape();
  s.insert(s.begin(), 2);
  std::vector<float> v;
  v.reserve(t.vec().size() * 2);
  v.insert(v.end(), t.vec().begin(), t.vec().end());
  v.insert(v.end(), t.vec().begin(), t.vec().end());
  return Tensor(s, std::move(v));
}
}  // namespace

RefineInputs duplicate_for_mirror(const Tensor& node, const Tensor& edge, const Tensor& seq1hot,
                                  const std::vector<int32_t>& idx) {
  RefineInputs r;
  r.length = node.dim(0);
  r.node2 = twice(node);
  r.edge2 = twice(edge);
  r.seq1hot2 = twice(seq1hot);
  r.idx2 = idx;
  r.idx2.insert(r.idx2.end(), idx.begin(), idx.end());
  return r;
}

int count_refine_nets(const Weights& w) {
  int n = 0;
  while (w.has("refine.refine_net." + std::to_string(n) + ".embed_x.weight")) ++n;
  return n;
}

RefineIteration refine_iteration(const Weights& w, const Se3Config& cfg, const RefineInputs& in, const Tensor& xyz,
                                 const Tensor& state, int top_k) {
  const int n_ref = count_refine_nets(w);
  TRIFOLD_CHECK(n_ref > 0, "refine: the weights have no refine.refine_net.0");
  RefineIteration it;
  it.xyz = xyz;
  it.state = state;
  for (int k = 0; k < n_ref; ++k) {
    se3::RefineOutput o = se3::refine_network(w, "refine.refine_net." + std::to_string(k), cfg, in.node2, in.edge2,
                                              it.xyz, it.state, in.seq1hot2, in.idx2, top_k);
    it.xyz = std::move(o.xyz);
    it.state = std::move(o.state);
  }
  const int64_t l = in.length;
  it.lddt_raw = rf1::linear(w, "refine.pred_lddt", rf1::layer_norm(w, "refine.norm_state", it.state));
  it.lddt_raw.reshape({2, l});
  return it;
}

RefineResult refine_module(const Weights& w, const Se3Config& cfg, const Tensor& node, const Tensor& prob_s,
                           const Tensor& seq1hot, const std::vector<int32_t>& idx, const RefineOptions& opt,
                           const std::function<void(int, const RefineIteration&)>& on_iter) {
  const int64_t l = node.dim(0);
  TRIFOLD_CHECK(prob_s.ndim() == 3 && prob_s.dim(0) == l && prob_s.dim(1) == l, "refine: prob_s must be [L, L, 130]");
  Tensor edge = rf1::linear(w, "refine.proj_edge", prob_s);  // [L, L, 128]
  RefineResult res;
  regen_network(w, "refine.regen_net", node, edge, seq1hot, idx, res.regen_xyz, res.regen_state);
  RefineInputs in = duplicate_for_mirror(node, edge, seq1hot, idx);
  edge = Tensor();
  // Mirror doubling: copy 1 = copy 0 with z negated.
  Tensor xyz = twice(res.regen_xyz);
  for (int64_t a = 0; a < l * 3; ++a) xyz[(l * 3 + a) * 3 + 2] = -xyz[(l * 3 + a) * 3 + 2];
  Tensor state = twice(res.regen_state);

  Tensor best_xyz = xyz, best_lddt;  // best_lddt empty = the reference's zeros (B, L, 1)
  float best_mean = 0.0f, prev = 0.0f;
  int no_impr = 0, no_impr_best = 0;
  const int n_iter = opt.forced_iter > 0 ? opt.forced_iter : opt.max_iter;
  for (int it = 0; it < n_iter; ++it) {
    RefineIteration r = refine_iteration(w, cfg, in, xyz, state, opt.top_k);
    if (on_iter) on_iter(it, r);
    res.n_iter = it + 1;
    xyz = r.xyz;
    state = r.state;
    // m = max over the two copies of mean_i clamp(lddt, 0, 1).
    Tensor lddt = r.lddt_raw;
    for (float& v : lddt.vec()) v = std::clamp(v, 0.0f, 1.0f);
    float mean[2];
    for (int b = 0; b < 2; ++b) {
      float s = 0.0f;
      for (int64_t i = 0; i < l; ++i) s += lddt[b * l + i];
      mean[b] = s / static_cast<float>(l);
    }
    const float m = std::max(mean[0], mean[1]);
    res.mean_lddt.push_back(m);
    no_impr = (m <= prev + opt.eps) ? no_impr + 1 : 0;
    no_impr_best = (m <= best_mean + opt.eps) ? no_impr_best + 1 : 0;
    const bool stop = no_impr > 10 || no_impr_best > 20;
    // The reference breaks before storing. With a forced count, only the last forced iteration may end the loop
    // this way (so a forced count equal to the reference's reproduces its choice of best).
    if (stop && (opt.forced_iter <= 0 || it == n_iter - 1)) break;
    if (m > best_mean) {
      best_mean = m;
      best_lddt = lddt;
      best_xyz = xyz;
      res.best_iter = it;
    }
    prev = m;
  }
  // The copy with the higher mean lDDT (first on ties, like argmax).
  int b = 0;
  if (!best_lddt.empty()) {
    float mb[2] = {0.0f, 0.0f};
    for (int c = 0; c < 2; ++c) {
      float s = 0.0f;
      for (int64_t i = 0; i < l; ++i) s += best_lddt[c * l + i];
      mb[c] = s / static_cast<float>(l);
    }
    b = mb[1] > mb[0] ? 1 : 0;
  }
  res.xyz = Tensor({l, 3, 3}, std::vector<float>(best_xyz.data() + b * l * 9, best_xyz.data() + (b + 1) * l * 9));
  res.lddt = best_lddt.empty() ? Tensor({l}, 0.0f)
                               : Tensor({l}, std::vector<float>(best_lddt.data() + b * l, best_lddt.data() + (b + 1) * l));
  return res;
}

}  // namespace trifold::model::e2e
