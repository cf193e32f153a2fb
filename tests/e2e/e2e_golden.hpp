// Shared helpers of the e2e network tests: golden weights/config loading, batch-axis handling, RMSD.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "../common/golden.hpp"
#include "../common/test_data.hpp"
#include "model/cpu/ops.hpp"
#include "model/e2e/network.hpp"
#include "model/features.hpp"
#include "model/model_config_json.hpp"
#include "model/templates.hpp"
#include "model/weights_io.hpp"

namespace trifold::test::e2eg {

// Checkpoint + its config.json (the SE(3) head counts are not visible in the tensor shapes), loaded once.
inline const model::Weights& weights(const std::string& cfg) {
  static std::map<std::string, std::unique_ptr<model::Weights>> cache;
  auto& p = cache[cfg];
  if (!p) {
    p = std::make_unique<model::Weights>(
        model::load_checkpoint(test::shared_path("golden/rf1/weights/" + cfg + "/RoseTTAFold_e2e.pt")));
    p->config = model::read_model_config_json(test::shared_path("golden/rf1/weights/" + cfg + "/config.json"),
                                              p->config);
  }
  return *p;
}

// Reference tensor with a leading batch axis of size 1 dropped.
inline model::Tensor ref(const Golden& g, const std::string& name) {
  model::Tensor t = g.tensor(name);
  model::Shape s = t.shape();
  if (s.size() > 1 && s[0] == 1) s.erase(s.begin());
  t.reshape(s);
  return t;
}

// Plain coordinate RMSD (no superposition) over all atoms of two [.., 3] tensors, Å.
inline double rmsd(const model::Tensor& a, const model::Tensor& b) {
  EXPECT_EQ(a.numel(), b.numel());
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = double(a[i]) - b[i];
    s += d * d;
  }
  return std::sqrt(s / static_cast<double>(a.numel() / 3));
}

// Elements [from, from + n) of a tensor, reshaped.
inline model::Tensor slice(const model::Tensor& t, int64_t from, int64_t n, model::Shape shape) {
  return model::Tensor(std::move(shape), std::vector<float>(t.data() + from, t.data() + from + n));
}

// Compares `got` [L, ...] with a reference "<name>" (batch axis 1) or its row-subsampled "<name>@sub":
// relative L2 <= tol, no NaN. Prints one line.
inline void check_rows(const Golden& g, const std::string& label, const std::string& name, const model::Tensor& got,
                       double tol) {
  model::Tensor g1 = got;
  model::Shape gs = got.shape();
  gs.insert(gs.begin(), 1);
  g1.reshape(gs);
  CompareResult r;
  if (g.has(name)) {
    r = compare(label, g1, g.tensor(name));
  } else {
    ASSERT_TRUE(g.has(name + "@sub")) << name;
    auto ss = g.subsample(name + "@sub");
    ASSERT_TRUE(ss.has_value());
    r = compare(label + " @sub", take(g1, ss->axis, ss->index), g.tensor(name + "@sub"));
  }
  std::printf("  %-40s rel L2 %.2e\n", label.c_str(), r.rel_l2);
  EXPECT_EQ(r.n_nan, 0) << label;
  EXPECT_LE(r.rel_l2, tol) << label << " max_abs " << r.max_abs;
}

// One golden end-to-end case from the raw inputs (query.a3m [+ templates] + checkpoint of config `cfg`), run by a
// Net built from the weights (e2e::Network, or the GPU's NetworkGpu: anything with the same constructor and
// forward/refine); setup(net) runs before the forward pass. Bounds: relative L2 <= 1e-4 per output (README §6 of golden/rf1: everything behind an SE(3)
// layer agrees to ~1e-5 between the reference's own thread counts); coordinates: trunk 0.01 A RMSD, refined
// 0.05 A; refined lDDT 0.01 (issue 4). The refinement runs the reference's iteration count; the free early stop
// is reported next to it.
template <class Net, class Setup>
void check_golden_case(const std::string& cfg, const std::string& cas, const std::string& label, Setup setup) {
  constexpr double kTol = 1e-4;
  const std::string file = "golden/rf1/outputs/" + cfg + "_" + cas + ".h5";
  TRIFOLD_REQUIRE_SHARED(file);
  TRIFOLD_REQUIRE_SHARED("golden/rf1/inputs/" + cas + "/query.a3m");
  Golden g(shared_path(file).string());
  const std::string dir = shared_path("golden/rf1/inputs/" + cas + "/").string();
  model::MsaTokens msa = model::first_rows(model::read_a3m_tokens(dir + "query.a3m"));
  model::TrunkInputs in = model::make_inputs_without_templates(msa);
  if (cas.find("_templ") != std::string::npos)
    model::attach_templates(in, model::read_templates(msa.length, dir + "tmpl_db", dir + "templ.hhr", dir + "templ.atab"));
  Net net(weights(cfg));
  setup(net);
  const int ref_n = g.ints("final/n_refine_iter").at(0);
  model::e2e::RefineOptions opt;
  opt.fixed_iter = ref_n;
  const model::e2e::NetworkOutputs o = net.forward(in, opt);
  const std::string tag = cfg + " " + cas + label + ": ";
  // Logits: ours [L, L, bins], the reference's [1, bins, L, L]; @sub rows are taken along axis 2 of the
  // reference = axis 1 of the permuted tensor (check_rows adds the batch axis).
  const std::pair<const char*, const model::Tensor*> heads[] = {{"logits_dist", &o.trunk.heads.dist},
                                                                {"logits_omega", &o.trunk.heads.omega},
                                                                {"logits_theta", &o.trunk.heads.theta},
                                                                {"logits_phi", &o.trunk.heads.phi}};
  for (const auto& [name, t] : heads)
    check_rows(g, tag + name, std::string("final/") + name, model::cpu::permute(*t, {2, 0, 1}), kTol);
  check_rows(g, tag + "prob_s", "final/prob_s", o.trunk.heads.prob_s, kTol);
  check_rows(g, tag + "trunk_node", "final/trunk_node", o.trunk.node, kTol);
  check_rows(g, tag + "trunk_lddt", "final/trunk_lddt", o.trunk.lddt, kTol);
  check_rows(g, tag + "trunk_xyz", "final/trunk_xyz", o.trunk.xyz, kTol);
  const double trunk_rmsd = rmsd(o.trunk.xyz, ref(g, "final/trunk_xyz"));
  const double ref_rmsd = rmsd(o.refine.xyz, ref(g, "final/refined_xyz"));
  const auto el = compare(o.refine.lddt, ref(g, "final/refined_lddt"));
  std::printf("%strunk_xyz RMSD %.2e A; forced %d iterations: best %d (ref %d), refined_xyz RMSD %.2e A, "
              "refined_lddt max_abs %.2e\n",
              tag.c_str(), trunk_rmsd, ref_n, o.refine.best_iter, g.ints("final/best_refine_iter").at(0), ref_rmsd,
              el.max_abs);
  EXPECT_LE(trunk_rmsd, 0.01);
  EXPECT_LE(ref_rmsd, 0.05);
  EXPECT_LE(el.max_abs, 0.01);
  const model::e2e::RefineResult f = net.refine(o.trunk.node, o.trunk.heads.prob_s, in.seq, in.idx, {});
  std::printf("%sfree early stop: %d iterations (reference %d), best %d, refined_xyz RMSD %.2e A\n", tag.c_str(),
              f.n_iter, ref_n, f.best_iter, rmsd(f.xyz, ref(g, "final/refined_xyz")));
  EXPECT_GT(f.n_iter, 0);
}

}  // namespace trifold::test::e2eg
