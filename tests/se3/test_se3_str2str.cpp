// Str2Str parity (embeddings + graph + SE(3) + backbone update) against the reference block dumps.
#include <gtest/gtest.h>

#include "model/features.hpp"
#include "model/se3/str2str.hpp"
#include "tests/se3/se3_golden.hpp"

using namespace trifold;
using namespace trifold::model;
using namespace trifold::model::se3;
namespace g = trifold::test::se3g;

namespace {

// Relative L2 1e-4: the reference's own thread-count noise behind an SE(3) layer is ~1e-5 (README §6).
constexpr double kTol = 1e-4;

void check(const std::string& cfg_name, const std::string& file, const std::string& mod, int top_k) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/" + file));
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/" + cfg_name + "/RoseTTAFold_e2e.pt"));
  h5::File f(test::shared_path(g::golden("outputs/" + file)));
  const Weights& w = g::weights(cfg_name);
  const Se3Config cfg = g::se3_config(cfg_name, "SE3_param");
  auto msa = g::read_tensor(f, "modules/" + mod + "/in0");
  auto pair = g::read_tensor(f, "modules/" + mod + "/in1");
  // The FinalBlock's xyz input is the previous IterBlock_w_Str output (n_module_str = 1 in these configs);
  // it is not dumped under its own name when it is bit-identical to an earlier dataset.
  const std::string xyz_name = f.exists("modules/" + mod + "/in2")
                                   ? "modules/" + mod + "/in2"
                                   : "modules/feat_extractor.iter_block_2.0.str2str/out0";
  auto xyz = g::read_tensor(f, xyz_name);
  auto seq = f.read<int32_t>("inputs/seq").data;
  auto idx = f.read<int32_t>("inputs/idx").data;
  const int64_t N = msa.dim(1), L = msa.dim(2);
  msa.reshape({N, L, msa.dim(3)});
  pair.reshape({L, L, pair.dim(3)});
  xyz.reshape({L, 3, 3});
  Tensor seq1hot = one_hot_21(seq);
  auto out = str2str(w, mod, cfg, msa, pair, xyz, seq1hot, idx, top_k);
  g::Report rep{cfg_name + " " + mod};
  auto rx = g::read_tensor(f, "modules/" + mod + "/out0");
  auto rs = g::read_tensor(f, "modules/" + mod + "/out1");
  auto ex = g::compare(out.xyz.data(), rx.data(), rx.numel());
  auto es = g::compare(out.state.data(), rs.data(), rs.numel());
  rep.add(mod + "/out0 (xyz)", ex);
  rep.add(mod + "/out1 (state)", es);
  EXPECT_EQ(rx.numel(), out.xyz.numel());
  EXPECT_EQ(rs.numel(), out.state.numel());
  EXPECT_LE(ex.rel_l2, kTol);
  EXPECT_LE(es.rel_l2, kTol);
  EXPECT_FALSE(ex.nan || es.nan);
  EXPECT_LE(ex.max_abs, 1e-3);  // Å; coordinates are O(10 Å)
  std::printf("%s xyz max |d| %.2e A\n", mod.c_str(), ex.max_abs);
}

}  // namespace

TEST(Se3Str2Str, IterBlockTinyL20) {
  check("tiny", "tiny_L20_N16_notempl.h5", "feat_extractor.iter_block_2.0.str2str", 128);
}
TEST(Se3Str2Str, FinalTinyL20) { check("tiny", "tiny_L20_N16_notempl.h5", "feat_extractor.final.str2str", 32); }
TEST(Se3Str2Str, IterBlockSmallL20) {
  check("small", "small_L20_N16_notempl.h5", "feat_extractor.iter_block_2.0.str2str", 128);
}
TEST(Se3Str2Str, FinalSmallL20) { check("small", "small_L20_N16_notempl.h5", "feat_extractor.final.str2str", 32); }
