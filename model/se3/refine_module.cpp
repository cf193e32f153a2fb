// Refine_module on CPU: Regen_Network (UniMP), mirror pair, refinement loop with the reference's early stop.
#include "model/se3/refine_module.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <optional>
#include <sstream>

#include "io/error.hpp"
#include "io/log.hpp"
#include "model/cpu/ops.hpp"
#include "model/profile.hpp"
#include "model/rf1/modules.hpp"
#include "model/se3/refine_net.hpp"

namespace trifold::model::se3 {

void regen_network(const Weights& w, const std::string& p, const Tensor& node, const Tensor& edge,
                   const Tensor& seq1hot, const std::vector<int32_t>& idx, Tensor& xyz, Tensor& state) {
  const int64_t L = node.dim(0), dn = node.dim(1), de = edge.dim(2);
  TRIFOLD_CHECK(edge.dim(0) == L && edge.dim(1) == L && seq1hot.dim(0) == L && int64_t(idx.size()) == L,
                "regen_network: inconsistent shapes");
  Tensor n = rf1::layer_norm(w, p + ".norm_node", node);
  Tensor x_in({L, dn + 21});
  for (int64_t i = 0; i < L; ++i) {
    std::memcpy(x_in.data() + i * (dn + 21), n.data() + i * dn, sizeof(float) * dn);
    std::memcpy(x_in.data() + i * (dn + 21) + dn, seq1hot.data() + i * 21, sizeof(float) * 21);
  }
  Tensor x = rf1::layer_norm(w, p + ".embed_x.1", rf1::linear(w, p + ".embed_x.0", x_in));
  Tensor e = rf1::layer_norm(w, p + ".norm_edge", edge);
  const std::vector<float> sep = rf1::signed_log_seqsep(idx);
  Tensor e_in({L, L, de + 2});
  for (int64_t i = 0; i < L; ++i)
    for (int64_t j = 0; j < L; ++j) {
      const int64_t r = i * L + j;
      std::memcpy(e_in.data() + r * (de + 2), e.data() + r * de, sizeof(float) * de);
      e_in[r * (de + 2) + de] = sep[static_cast<size_t>(r)];
      const int64_t s = int64_t(idx[j]) - idx[i];  // bonded neighbour sign
      e_in[r * (de + 2) + de + 1] = (s == 1 || s == -1) ? static_cast<float>(s) : 0.0f;
    }
  Tensor eh = rf1::layer_norm(w, p + ".embed_e.1", rf1::linear(w, p + ".embed_e.0", e_in));
  for (int b = 0; w.has(p + ".transformer." + std::to_string(b) + ".Linear.weight"); ++b) {
    const std::string bp = p + ".transformer." + std::to_string(b);
    Tensor h = rf1::transformer_conv(w, bp + ".TConv", x, eh);
    Tensor y = rf1::linear(w, bp + ".Linear", rf1::layer_norm(w, bp + ".LNorm", h));
    cpu::add_(y, x);
    cpu::elu_(y);
    x = std::move(y);
  }
  xyz = rf1::linear(w, p + ".get_xyz", x).reshaped({L, 3, 3});
  state = rf1::linear(w, p + ".get_state", rf1::layer_norm(w, p + ".norm_state", x));
}

void refine_iteration(const Weights& w, const Se3Config& cfg, int n_module_ref, const Tensor& node,
                      const Tensor& edge, const Tensor& seq1hot, const std::vector<int32_t>& idx, int top_k,
                      Tensor& xyz, Tensor& state, Tensor& lddt_raw) {
  for (int m = 0; m < n_module_ref; ++m) {
    RefineOutput o = refine_network(w, "refine.refine_net." + std::to_string(m), cfg, node, edge, xyz, state,
                                    seq1hot, idx, top_k);
    xyz = std::move(o.xyz);
    state = std::move(o.state);
  }
  StageTimer t("refine: lDDT head, early stop");
  Tensor l = rf1::linear(w, "refine.pred_lddt", rf1::layer_norm(w, "refine.norm_state", state));  // [B, L, 1]
  lddt_raw = l.reshaped({state.dim(0), state.dim(1)});
}

RefineTracker::RefineTracker(const Tensor& xyz0, const RefineOptions& opt)
    : L_(xyz0.dim(1)),
      n_max_(opt.fixed_iter > 0 ? opt.fixed_iter : opt.max_iter),
      opt_(opt),
      best_xyz_(xyz0),
      best_lddt_(static_cast<size_t>(2 * xyz0.dim(1)), 0.0f),
      start_(std::chrono::steady_clock::now()),
      last_report_(start_) {
  TRIFOLD_CHECK(xyz0.ndim() == 4 && xyz0.dim(0) == 2, "RefineTracker: coordinates must be [2, L, 3, 3]");
}

bool RefineTracker::record(int it, std::vector<float> lc, const Tensor& xyz, RefineResult& res) {
  TRIFOLD_CHECK(static_cast<int64_t>(lc.size()) == 2 * L_, "RefineTracker: lDDT must have 2 * L values");
  ++res.n_iter;
  for (auto& v : lc) v = std::clamp(v, 0.0f, 1.0f);
  float mean[2];
  for (int b = 0; b < 2; ++b) {
    float s = 0.0f;  // fp32 mean like torch
    for (int64_t i = 0; i < L_; ++i) s += lc[static_cast<size_t>(b * L_ + i)];
    mean[b] = s / static_cast<float>(L_);
    res.lddt_means.push_back(mean[b]);
  }
  const float m = std::max(mean[0], mean[1]);
  no_impr_ = (m <= prev_ + opt_.eps) ? no_impr_ + 1 : 0;
  no_impr_best_ = (m <= best_mean_ + opt_.eps) ? no_impr_best_ + 1 : 0;
  // With a fixed count the rule may end the loop only at the last iteration (a break: not stored).
  if ((opt_.fixed_iter <= 0 || it == n_max_ - 1) && (no_impr_ > 10 || no_impr_best_ > 20)) {
    stopped_ = true;
    return false;
  }
  if (m > best_mean_) {
    best_mean_ = m;
    best_lddt_ = std::move(lc);
    best_xyz_ = xyz;
    res.best_iter = it;
  }
  prev_ = m;
  const auto now = std::chrono::steady_clock::now();
  if (log::level() <= log::Level::Info && now - last_report_ >= std::chrono::seconds(15)) {
    last_report_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    std::ostringstream os;
    os << std::fixed << std::setprecision(2) << "refinement: iteration " << it + 1 << " of at most " << n_max_ << " ("
       << s / (it + 1) << " s each), mean lDDT " << std::setprecision(3) << m << ", best " << best_mean_
       << " at iteration " << res.best_iter;
    log::info(os.str());
  }
  return true;
}

void RefineTracker::finish(RefineResult& res) const {
  std::ostringstream os;
  os << std::fixed << std::setprecision(1) << "refinement: " << res.n_iter << " iteration"
     << (res.n_iter == 1 ? "" : "s") << " in "
     << std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() << " s ("
     << (opt_.fixed_iter > 0 ? "forced count" : stopped_ ? "early stop: no improvement" : "iteration limit")
     << "), best iteration " << res.best_iter;
  log::info(os.str());
  // The copy with the higher mean lDDT among the stored best (copy 0 on ties, like argmax).
  double s0 = 0, s1 = 0;
  for (int64_t i = 0; i < L_; ++i) {
    s0 += best_lddt_[static_cast<size_t>(i)];
    s1 += best_lddt_[static_cast<size_t>(L_ + i)];
  }
  const int64_t pick = s1 > s0 ? 1 : 0;
  res.copy = static_cast<int>(pick);
  res.xyz = Tensor({L_, 3, 3}, std::vector<float>(best_xyz_.data() + pick * L_ * 9, best_xyz_.data() + (pick + 1) * L_ * 9));
  res.lddt = Tensor({L_}, std::vector<float>(best_lddt_.begin() + pick * L_, best_lddt_.begin() + (pick + 1) * L_));
}

RefineResult refine_module(const Weights& w, const Se3Config& cfg, const Tensor& node, const Tensor& prob_s,
                           const Tensor& seq1hot, const std::vector<int32_t>& idx, const RefineOptions& opt) {
  const int64_t L = node.dim(0);
  int n_module_ref = 0;
  while (w.has("refine.refine_net." + std::to_string(n_module_ref) + ".embed_x.weight")) ++n_module_ref;
  TRIFOLD_CHECK(n_module_ref > 0, "refine_module: no refine_net weights");
  std::optional<StageTimer> regen(std::in_place, "refine: Regen_Network");
  Tensor edge = rf1::linear(w, "refine.proj_edge", prob_s);  // [L, L, 128]
  RefineResult res;
  regen_network(w, "refine.regen_net", node, edge, seq1hot, idx, res.regen_xyz, res.regen_state);
  regen.reset();
  // Mirror doubling: copy 1 has z negated; node, state, idx, seq1hot are duplicated (the reference duplicates the
  // edge too; both copies of it are identical, so one [1, L, L, 128] serves both, as on the GPU).
  auto twice = [](const Tensor& t) {
    Shape s = t.shape();
    s.insert(s.begin(), 2);
    std::vector<float> v(t.vec());
    v.insert(v.end(), t.vec().begin(), t.vec().end());
    return Tensor(s, std::move(v));
  };
  const Tensor edge1 = edge.reshaped({1, edge.dim(0), edge.dim(1), edge.dim(2)});
  Tensor node2 = twice(node), seq2 = twice(seq1hot), state = twice(res.regen_state);
  Tensor xyz = twice(res.regen_xyz);
  for (int64_t i = 0; i < L * 3; ++i) xyz[(L * 3 + i) * 3 + 2] = -xyz[(L * 3 + i) * 3 + 2];
  std::vector<int32_t> idx2(idx);
  idx2.insert(idx2.end(), idx.begin(), idx.end());

  RefineTracker track(xyz, opt);
  for (int it = 0; it < track.max_iterations(); ++it) {
    Tensor lraw;
    refine_iteration(w, cfg, n_module_ref, node2, edge1, seq2, idx2, opt.top_k, xyz, state, lraw);
    if (!track.record(it, std::move(lraw.vec()), xyz, res)) break;
  }
  track.finish(res);
  return res;
}

}  // namespace trifold::model::se3
