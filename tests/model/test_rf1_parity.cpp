// Parity of the RoseTTAFold v1 trunk modules (embeddings, IterBlock steps, InitStr, distance heads) with the
// official implementation's per-module dumps (shared/golden/rf1), module inputs taken from the dump.
#include <gtest/gtest.h>

#include <omp.h>

#include <map>
#include <memory>

#include "../common/golden.hpp"
#include "../common/test_data.hpp"
#include "model/cpu/ops.hpp"
#include "model/features.hpp"
#include "model/rf1/trunk.hpp"
#include "model/templates.hpp"
#include "model/weights_io.hpp"

namespace trifold::model::rf1 {
namespace {

// Tolerance: relative L2 error <= 1e-4 per module. The reference's own run-to-run difference (1 vs 2
// threads, outputs/noise_floor.tsv) is <= 1.1e-5 relative for every module up to the SE(3) layers, so 1e-4
// leaves ~10x room for a different (but valid) fp32 summation order, while any semantic slip (head layout,
// transposed pair, missing PE, wrong softmax axis) gives errors of 1e-2 or more.
constexpr double kTol = 1e-4;

struct Fixture {
  Weights w;
  std::unique_ptr<test::Golden> g;
  Dims d;
};

Fixture& load(const std::string& cfg, const std::string& cas) {
  static std::map<std::string, std::unique_ptr<Fixture>> cache;
  const std::string key = cfg + "_" + cas;
  auto& f = cache[key];
  if (!f) {
    f = std::make_unique<Fixture>();
    f->w = load_checkpoint(test::shared_path("golden/rf1/weights/" + cfg + "/RoseTTAFold_e2e.pt"));
    f->g = std::make_unique<test::Golden>(test::shared_path("golden/rf1/outputs/" + key + ".h5").string());
    f->d = Dims::infer(f->w);
  }
  return *f;
}

// Reference tensor with the leading batch axis of size 1 dropped.
Tensor ref(const test::Golden& g, const std::string& name) {
  Tensor t = g.tensor(name);
  Shape s = t.shape();
  if (!s.empty() && s[0] == 1 && s.size() > 1) s.erase(s.begin());
  t.reshape(s);
  return t;
}
std::vector<int32_t> ref_ints(const test::Golden& g, const std::string& name) { return g.ints(name); }

// [C, H, W] (reference NCHW, batch dropped) -> [H, W, C].
Tensor nchw_to_cl(const Tensor& t) { return cpu::permute(t, {1, 2, 0}); }

void check(const std::string& module, const Tensor& got, const Tensor& want) {
  test::CompareResult r = test::compare(module, got, want);
  EXPECT_EQ(r.n_nan, 0) << module;
  EXPECT_LE(r.rel_l2, kTol) << module << " max_abs " << r.max_abs;
}

class Rf1Parity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    TRIFOLD_REQUIRE_SHARED("golden/rf1/outputs/" + GetParam() + "_L20_N16_notempl.h5");
    TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/" + GetParam() + "/RoseTTAFold_e2e.pt");
    fx = &load(GetParam(), "L20_N16_notempl");
  }
  static void TearDownTestSuite() {
    test::print_report("L20_N16_notempl, module inputs from the dump");
    test::clear_report();
  }
  Fixture* fx = nullptr;
  std::string m(const std::string& s) const { return "modules/" + s; }
  std::string tag(const std::string& s) const { return GetParam() + ": " + s; }
};

TEST_P(Rf1Parity, Embeddings) {
  const auto& g = *fx->g;
  const Shape ms = g.shape(m("msa_emb/in0"));
  const auto tokens = ref_ints(g, m("msa_emb/in0"));
  const auto idx = ref_ints(g, m("msa_emb/in1"));
  check(tag("msa_emb"), msa_emb(fx->w, tokens, ms[1], ms[2], idx), ref(g, m("msa_emb/out0")));

  Tensor t1d = ref(g, m("templ_emb/in0")), t2d = ref(g, m("templ_emb/in1"));
  Tensor enc0;
  Tensor templ = templ_emb(fx->w, t1d, t2d, ref_ints(g, m("templ_emb/in2")), [&](const std::string& n, const Tensor& t) {
    if (n == "templ_emb.encoder_L.layers.0/out0") enc0 = t;
  });
  check(tag("templ_emb.encoder_L.layers.0"), enc0, ref(g, m("templ_emb.encoder_L.layers.0/out0")));
  check(tag("templ_emb"), templ, ref(g, m("templ_emb/out0")));

  check(tag("pair_emb"), pair_emb(fx->w, ref_ints(g, m("pair_emb/in0")), ref_ints(g, m("pair_emb/in1")),
                                  ref(g, m("pair_emb/in2"))),
        ref(g, m("pair_emb/out0")));
}

TEST_P(Rf1Parity, PerformerAndInitialPair2Pair) {
  const auto& g = *fx->g;
  const std::string a = "feat_extractor.initial.encoder.layers.0.attn_L";
  check(tag(a), performer(fx->w, a, ref(g, m(a + "/in0"))), ref(g, m(a + "/out0")));
  const std::string c = "feat_extractor.iter_block_1.0.msa2msa.encoder_2.layers.0.attn";  // over N
  check(tag(c), performer(fx->w, c, ref(g, m(c + "/in0"))), ref(g, m(c + "/out0")));
  check(tag("feat_extractor.initial"), pair2pair(fx->w, "feat_extractor.initial", ref(g, m("feat_extractor.initial/in0"))),
        ref(g, m("feat_extractor.initial/out0")));
}

TEST_P(Rf1Parity, IterBlockSteps) {
  const auto& g = *fx->g;
  const std::string p = "feat_extractor.iter_block_1.0";
  // Sequence weights and soft-tied attention.
  const std::string att = p + ".msa2msa.encoder_1.layers.0.attn";
  Tensor sw = sequence_weight(fx->w, att + ".seq_weight", ref(g, m(att + ".seq_weight/in0")), fx->d.n_head_msa);
  check(tag(att + ".seq_weight"), sw, ref(g, m(att + ".seq_weight/out0")));
  Tensor a_map;
  Tensor a_out = soft_tied_attention(fx->w, att, ref(g, m(att + "/in0")), fx->d.n_head_msa, &a_map);
  check(tag(att + " out0"), a_out, ref(g, m(att + "/out0")));
  check(tag(att + " out1"), a_map, ref(g, m(att + "/out1")));
  // MSA2MSA.
  Tensor att2;
  Tensor mm = msa2msa(fx->w, p + ".msa2msa", ref(g, m(p + ".msa2msa/in0")), fx->d.n_head_msa, &att2);
  check(tag(p + ".msa2msa out0"), mm, ref(g, m(p + ".msa2msa/out0")));
  check(tag(p + ".msa2msa out1"), att2, ref(g, m(p + ".msa2msa/out1")));
  // MSA2Pair, its coevolution part and its ResNet.
  Tensor coevol;
  Tensor mp = msa2pair(fx->w, p + ".msa2pair", ref(g, m(p + ".msa2pair/in0")), ref(g, m(p + ".msa2pair/in1")),
                       ref(g, m(p + ".msa2pair/in2")), [&](const std::string& n, const Tensor& t) {
                         if (n == p + ".msa2pair.coevol/out0") coevol = t;
                       });
  check(tag(p + ".msa2pair.coevol"), coevol, ref(g, m(p + ".msa2pair.coevol/out0")));
  check(tag(p + ".msa2pair"), mp, ref(g, m(p + ".msa2pair/out0")));
  const std::string up = p + ".msa2pair.update";
  check(tag(up), residual_network(fx->w, up, nchw_to_cl(ref(g, m(up + "/in0")))), nchw_to_cl(ref(g, m(up + "/out0"))));
  // Pair2Pair, Pair2MSA.
  check(tag(p + ".pair2pair"), pair2pair(fx->w, p + ".pair2pair", ref(g, m(p + ".pair2pair/in0"))),
        ref(g, m(p + ".pair2pair/out0")));
  check(tag(p + ".pair2msa"),
        pair2msa(fx->w, p + ".pair2msa", ref(g, m(p + ".pair2msa/in0")), ref(g, m(p + ".pair2msa/in1"))),
        ref(g, m(p + ".pair2msa/out0")));
}

TEST_P(Rf1Parity, WholeIterBlocks) {
  const auto& g = *fx->g;
  for (int i = 0; i < fx->d.n_module; ++i) {
    const std::string p = "feat_extractor.iter_block_1." + std::to_string(i);
    if (!g.has(m(p + "/in0"))) continue;
    Tensor msa = ref(g, m(p + "/in0")), pair = ref(g, m(p + "/in1"));
    iter_block(fx->w, p, fx->d, msa, pair);
    check(tag(p + " out0"), msa, ref(g, m(p + "/out0")));
    check(tag(p + " out1"), pair, ref(g, m(p + "/out1")));
  }
}

// Steps a–d of the SE(3) blocks (IterBlock_w_Str, FinalBlock) are the same 2-track code under another
// prefix: from the block's dumped (msa, pair) inputs they must reproduce what the block feeds to Str2Str.
TEST_P(Rf1Parity, TwoTrackStepsOfStrBlocks) {
  const auto& g = *fx->g;
  for (const std::string p : {"feat_extractor.iter_block_2.0", "feat_extractor.final"}) {
    if (!g.has(m(p + ".str2str/in0"))) continue;
    Tensor msa = ref(g, m(p + "/in0")), pair = ref(g, m(p + "/in1"));
    iter_block(fx->w, p, fx->d, msa, pair);
    check(tag(p + " steps a-d msa"), msa, ref(g, m(p + ".str2str/in0")));
    check(tag(p + " steps a-d pair"), pair, ref(g, m(p + ".str2str/in1")));
  }
}

TEST_P(Rf1Parity, InitStr) {
  const auto& g = *fx->g;
  const std::string p = "feat_extractor.init_str";
  Tensor tconv0;
  Tensor xyz = init_str(fx->w, p, ref(g, m(p + "/in0")), ref_ints(g, m(p + "/in1")), ref(g, m(p + "/in2")),
                        ref(g, m(p + "/in3")), [&](const std::string& n, const Tensor& t) {
                          if (n == p + ".transformer.0.TConv/out0") tconv0 = t;
                        });
  check(tag(p + ".transformer.0.TConv"), tconv0, ref(g, m(p + ".transformer.0.TConv/out0")));
  check(tag(p), xyz, ref(g, m(p + "/out0")));
}

TEST_P(Rf1Parity, DistanceHeads) {
  const auto& g = *fx->g;
  DistanceOutputs o = distance_network(fx->w, "c6d_predictor", ref(g, m("c6d_predictor/in0")));
  check(tag("c6d_predictor dist"), o.dist, nchw_to_cl(ref(g, m("c6d_predictor/out0"))));
  check(tag("c6d_predictor omega"), o.omega, nchw_to_cl(ref(g, m("c6d_predictor/out1"))));
  check(tag("c6d_predictor theta"), o.theta, nchw_to_cl(ref(g, m("c6d_predictor/out2"))));
  check(tag("c6d_predictor phi"), o.phi, nchw_to_cl(ref(g, m("c6d_predictor/out3"))));
  check(tag("c6d_predictor prob_s"), o.prob_s, ref(g, "final/prob_s"));
}

// From raw inputs: query.a3m + checkpoint -> tokens, embeddings, initial, all IterBlocks, InitStr xyz.
TEST_P(Rf1Parity, TrunkToInitStrFromA3m) {
  const auto& g = *fx->g;
  TRIFOLD_REQUIRE_SHARED("golden/rf1/inputs/L20_N16_notempl/query.a3m");
  MsaTokens msa = read_a3m_tokens(test::shared_path("golden/rf1/inputs/L20_N16_notempl/query.a3m").string());
  ASSERT_EQ(msa.tokens, ref_ints(g, "inputs/msa_parsed"));
  TrunkInputs in = make_inputs_without_templates(msa);
  EXPECT_EQ(in.msa.tokens, ref_ints(g, "inputs/msa"));
  EXPECT_EQ(in.idx, ref_ints(g, "inputs/idx"));
  Trunk trunk(fx->w);
  std::map<std::string, Tensor> seen;
  trunk.tap = [&](const std::string& n, const Tensor& t) { seen[n] = t; };
  Trunk::State s = trunk.run_to_init_str(in);
  for (const char* n : {"msa_emb/out0", "templ_emb/out0", "pair_emb/out0", "feat_extractor.initial/out0"})
    check(tag(std::string("e2e ") + n), seen.at(n), ref(g, m(n)));
  for (int i = 0; i < trunk.dims().n_module; ++i) {
    const std::string p = "feat_extractor.iter_block_1." + std::to_string(i);
    if (!g.has(m(p + "/out0"))) continue;
    check(tag("e2e " + p + " out0"), seen.at(p + "/out0"), ref(g, m(p + "/out0")));
    check(tag("e2e " + p + " out1"), seen.at(p + "/out1"), ref(g, m(p + "/out1")));
  }
  check(tag("e2e feat_extractor.init_str xyz"), s.xyz, ref(g, m("feat_extractor.init_str/out0")));
}

// Thread count (docs/STYLE.md 7): our own reductions use fixed chunking and cpu::gemm cuts products into
// blocks fixed by their shape, each a single-threaded sgemm, so the trunk is bit-identical on 1 and 2 threads.
// (OpenBLAS's own threading is not: see CpuOps.BlockedGemmMatchesNaiveAndIgnoresThreadCount.)
TEST_P(Rf1Parity, OutputDoesNotDependOnThreadCount) {
  MsaTokens msa = read_a3m_tokens(test::shared_path("golden/rf1/inputs/L20_N16_notempl/query.a3m").string());
  TrunkInputs in = make_inputs_without_templates(msa);
  Trunk trunk(fx->w);
  const int saved_omp = omp_get_max_threads();
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    Trunk::State s = trunk.run_to_init_str(in);
    DistanceOutputs o = trunk.distance(s.pair);
    return std::make_tuple(s.xyz, s.pair, o.prob_s);
  };
  auto one = run(1);
  auto two = run(2);
  auto three = run(3);
  omp_set_num_threads(saved_omp);
  EXPECT_EQ(std::get<0>(one).vec(), std::get<0>(two).vec());
  EXPECT_EQ(std::get<1>(one).vec(), std::get<1>(two).vec());
  EXPECT_EQ(std::get<2>(one).vec(), std::get<2>(two).vec());
  EXPECT_EQ(std::get<1>(one).vec(), std::get<1>(three).vec());
}

INSTANTIATE_TEST_SUITE_P(Configs, Rf1Parity, ::testing::Values("tiny", "small"));

// Compares `got` (batch axis dropped) with a reference stored either in full or as "<name>@sub".
void check_maybe_sub(const test::Golden& g, const std::string& label, const std::string& name, const Tensor& got) {
  if (g.has(name)) {
    check(label, got, ref(g, name));
    return;
  }
  const std::string sub = name + "@sub";
  ASSERT_TRUE(g.has(sub)) << "no dataset " << name << " (or @sub)";
  auto ss = g.subsample(sub);
  ASSERT_TRUE(ss.has_value());
  Tensor want = g.tensor(sub);                    // with the reference's batch axis
  Shape full = want.shape();
  Tensor g1 = got;
  Shape gs = got.shape();
  gs.insert(gs.begin(), 1);                       // our tensors drop the batch axis of size 1
  g1.reshape(gs);
  check(label + " @sub", test::take(g1, ss->axis, ss->index), want);
}

// The L48 template cases: module inputs are row-subsampled in the dump, so the trunk runs from the full
// raw inputs (tokens, t1d, t2d, idx) and every dumped step of every IterBlock is compared on the kept rows.
class Rf1TemplParity : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() {
    test::print_report("L48_N64_templ, end to end from the raw inputs");
    test::clear_report();
  }
};

TEST_P(Rf1TemplParity, TrunkToInitStr) {
  TRIFOLD_REQUIRE_SHARED("golden/rf1/outputs/" + GetParam() + "_L48_N64_templ.h5");
  TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/" + GetParam() + "/RoseTTAFold_e2e.pt");
  Fixture& fx = load(GetParam(), "L48_N64_templ");
  const auto& g = *fx.g;
  const std::string tag = GetParam() + " L48: ";
  MsaTokens msa = read_a3m_tokens(test::shared_path("golden/rf1/inputs/L48_N64_templ/query.a3m").string());
  ASSERT_EQ(msa.tokens, ref_ints(g, "inputs/msa_parsed"));
  TrunkInputs in = make_inputs_without_templates(msa);
  const std::string dir = test::shared_path("golden/rf1/inputs/L48_N64_templ/").string();
  attach_templates(in, read_templates(msa.length, dir + "tmpl_db", dir + "templ.hhr", dir + "templ.atab"));
  ASSERT_EQ(in.t2d.dim(0), 3);
  Trunk trunk(fx.w);
  std::map<std::string, Tensor> seen;
  trunk.tap = [&](const std::string& n, const Tensor& t) { seen[n] = t; };
  Trunk::State s = trunk.run_to_init_str(in);
  for (const char* n : {"msa_emb/out0", "templ_emb/out0", "pair_emb/out0", "feat_extractor.initial/out0"})
    check_maybe_sub(g, tag + n, "modules/" + std::string(n), seen.at(n));
  for (int i = 0; i < trunk.dims().n_module; ++i) {
    const std::string p = "feat_extractor.iter_block_1." + std::to_string(i);
    for (const char* step : {".msa2msa/out0", ".msa2msa/out1", ".msa2pair/out0", ".pair2pair/out0", ".pair2msa/out0",
                             "/out0", "/out1"})
      check_maybe_sub(g, tag + p + step, "modules/" + p + step, seen.at(p + step));
  }
  check_maybe_sub(g, tag + "feat_extractor.init_str xyz", "modules/feat_extractor.init_str/out0", s.xyz);
}

INSTANTIATE_TEST_SUITE_P(Configs, Rf1TemplParity, ::testing::Values("tiny", "small"));

}  // namespace
}  // namespace trifold::model::rf1
