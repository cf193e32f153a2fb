// Refine_Network parity (teacher-forced single step, both mirror copies) against the reference dumps.
#include <gtest/gtest.h>

#include "model/se3/refine_net.hpp"
#include "tests/se3/se3_golden.hpp"

using namespace trifold;
using namespace trifold::model;
using namespace trifold::model::se3;
namespace g = trifold::test::se3g;

namespace {

// 1e-4 relative: README §6 suggests it for SE(3) outputs and teacher-forced single refinement steps.
constexpr double kTol = 1e-4;

// Duplicates a [1, ...] tensor into [2, ...] (the e2e mirror batch: node and edge are cat([x, x])).
Tensor twice(const Tensor& t) {
  Shape s = t.shape();
  s[0] = 2;
  std::vector<float> v(t.vec());
  v.insert(v.end(), t.vec().begin(), t.vec().end());
  return Tensor(s, std::move(v));
}

void check(const std::string& cfg_name, const std::string& file, int k) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/" + file));
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/" + cfg_name + "/RoseTTAFold_e2e.pt"));
  h5::File f(test::shared_path(g::golden("outputs/" + file)));
  const std::string mod = "refine.refine_net." + std::to_string(k);
  if (!f.exists("modules/" + mod + "/out0")) GTEST_SKIP() << mod << " not dumped in " << file;
  const Weights& w = g::weights(cfg_name);
  const Se3Config cfg = g::se3_config(cfg_name, "REF_param");
  const std::string m0 = "modules/refine.refine_net.0/";
  // refine_net.k omits node and edge (README §4.4): they are cat([x, x]) of refine's node input (the trunk
  // node, final/trunk_node) and refine.proj_edge/out0.
  Tensor node = twice(g::read_tensor(f, f.exists("modules/refine/in0") ? "modules/refine/in0" : "final/trunk_node"));
  Tensor pair = twice(g::read_tensor(f, "modules/refine.proj_edge/out0"));
  // refine_net.k (k > 0) takes the previous refine_net's outputs; inputs not dumped under its own name are
  // bit-identical to refine_net.(k-1)'s outputs.
  const std::string mk = "modules/" + mod + "/";
  const std::string prev = "modules/refine.refine_net." + std::to_string(k - 1) + "/";
  Tensor xyz = g::read_tensor(f, f.exists(mk + "in2") ? mk + "in2" : prev + "out0");
  Tensor state = g::read_tensor(f, f.exists(mk + "in3") ? mk + "in3" : prev + "out1");
  Tensor seq1hot = g::read_tensor(f, m0 + "in4");
  auto idx64 = f.read<int64_t>(m0 + "in5").data;
  std::vector<int32_t> idx(idx64.begin(), idx64.end());
  auto out = refine_network(w, mod, cfg, node, pair, xyz, state, seq1hot, idx, 64);
  g::Report rep{cfg_name + " " + mod};
  auto rx = g::read_tensor(f, mk + "out0");
  auto rs = g::read_tensor(f, mk + "out1");
  ASSERT_EQ(rx.numel(), out.xyz.numel());
  ASSERT_EQ(rs.numel(), out.state.numel());
  auto ex = g::compare(out.xyz.data(), rx.data(), rx.numel());
  auto es = g::compare(out.state.data(), rs.data(), rs.numel());
  rep.add(mod + "/out0 (xyz)", ex);
  rep.add(mod + "/out1 (state)", es);
  EXPECT_LE(ex.rel_l2, kTol);
  EXPECT_LE(es.rel_l2, kTol);
  EXPECT_LE(ex.max_abs, 1e-3);  // Å
  EXPECT_FALSE(ex.nan || es.nan);
}

}  // namespace

TEST(Se3RefineNet, TinyL20Step0) { check("tiny", "tiny_L20_N16_notempl.h5", 0); }
TEST(Se3RefineNet, SmallL20Step0) { check("small", "small_L20_N16_notempl.h5", 0); }
TEST(Se3RefineNet, SmallL20Step1StateHandOver) { check("small", "small_L20_N16_notempl.h5", 1); }
