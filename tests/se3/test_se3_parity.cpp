// SE(3)-Transformer parity against the reference module dumps (harmonics, basis, radial MLPs, every Gblock).
#include <gtest/gtest.h>

#include "model/se3/basis.hpp"
#include "model/se3/transformer.hpp"
#include "tests/se3/se3_golden.hpp"

using namespace trifold;
using namespace trifold::model;
using namespace trifold::model::se3;
namespace g = trifold::test::se3g;

namespace {

// Tolerance for everything in this file: relative L2 1e-4 per tensor. The reference's own threads=1 vs
// threads=2 runs differ by up to ~1e-5 relative behind an SE(3) layer (README §6); summation order in the
// fused kernel differs from torch's, so 1e-4 is the noise floor with a 10x margin.
constexpr double kTol = 1e-4;

// The graph of an SE(3) call as dumped: src, dst, d for all E edges, w from the module input when present.
Graph dumped_graph(const h5::File& f, const std::string& se3, int64_t n_nodes) {
  auto src = f.read<int32_t>("se3_basis/" + se3 + "/src");
  auto dst = f.read<int32_t>("se3_basis/" + se3 + "/dst");
  auto d = f.read<float>("se3_basis/" + se3 + "/d");
  const int64_t E = static_cast<int64_t>(src.data.size());
  model::Tensor w;
  if (f.exists("modules/" + se3 + "/in0.edata_w"))
    w = g::read_tensor(f, "modules/" + se3 + "/in0.edata_w");
  else
    w = g::read_tensor(f, "se3_basis/" + se3 + "/w");
  EXPECT_EQ(w.dim(0), E) << "edge features must cover every edge";
  const int edge_dim = static_cast<int>(w.dim(1));
  return graph_from_edges(n_nodes, src.data, dst.data, d.data, w.vec(), edge_dim);
}

void compare_features(g::Report& rep, const h5::File& f, const std::string& ds_prefix, const Features& got,
                      const std::string& label) {
  for (const auto& [deg, t] : got) {
    const std::string name = ds_prefix + "." + std::to_string(deg);
    if (!f.exists(name)) continue;
    auto ref = g::read_tensor(f, name);
    ASSERT_EQ(ref.numel(), t.numel()) << name << " " << shape_str(ref.shape()) << " vs " << shape_str(t.shape());
    auto e = g::compare(t.data(), ref.data(), t.numel());
    rep.add(label + "." + std::to_string(deg), e);
    EXPECT_FALSE(e.nan) << name;
    EXPECT_LE(e.rel_l2, kTol) << name;
  }
}

// Runs the whole SE3Transformer from the dumped inputs of Gblock.0 and compares every traced tensor with the
// dump of the same name.
void check_se3(const std::string& cfg_name, const std::string& block, const std::string& file,
               const std::string& se3) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/" + file));
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/" + cfg_name + "/RoseTTAFold_e2e.pt"));
  h5::File f(test::shared_path(g::golden("outputs/" + file)));
  const Weights& w = g::weights(cfg_name);
  const Se3Config cfg = g::se3_config(cfg_name, block);
  auto l0 = g::read_tensor(f, "modules/" + se3 + ".Gblock.0.GMAB.v/in0.0");
  auto l1 = g::read_tensor(f, "modules/" + se3 + ".Gblock.0.GMAB.v/in0.1");
  const int64_t N = l0.dim(0);
  Graph gr = dumped_graph(f, se3, N);
  SE3Transformer net(w, se3 + ".", cfg);
  Se3Trace trace;
  Features out = net.forward(gr, l0, l1, &trace);
  g::Report rep{cfg_name + " " + se3};
  for (const auto& [name, feats] : trace.features) {
    const std::string mod = "modules/" + se3 + "." + name;
    compare_features(rep, f, mod + "/out0", feats, name);
  }
  for (const auto& [name, t] : trace.tensors) {
    // "Gblock.0.GMAB.attn.edge_logits" -> modules/<se3>.Gblock.0.GMAB.attn/edge_logits
    const auto dot = name.rfind('.');
    const std::string ds = "modules/" + se3 + "." + name.substr(0, dot) + "/" + name.substr(dot + 1);
    if (!f.exists(ds)) continue;
    auto ref = g::read_tensor(f, ds);
    ASSERT_EQ(ref.numel(), t.numel()) << ds;
    auto e = g::compare(t.data(), ref.data(), t.numel());
    rep.add(name, e);
    EXPECT_FALSE(e.nan) << ds;
    EXPECT_LE(e.rel_l2, kTol) << ds;
  }
  // The final output must have been compared (it is the last Gblock's out0 / project out0).
  const int last = 2 * cfg.num_layers;
  EXPECT_TRUE(f.exists("modules/" + se3 + ".Gblock." + std::to_string(last) + ".project/out0.0") ||
              f.exists("modules/" + se3 + ".Gblock." + std::to_string(last) + "/out0.0"));
  EXPECT_EQ(out.at(0).dim(1), cfg.l0_out_features);
  EXPECT_EQ(out.at(1).dim(1), cfg.l1_out_features);
}

}  // namespace

TEST(Se3Parity, HarmonicsAndBasisL20) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/tiny_L20_N16_notempl.h5"));
  h5::File f(test::shared_path(g::golden("outputs/tiny_L20_N16_notempl.h5")));
  g::Report rep{"harmonics/basis"};
  for (std::string se3 : {"feat_extractor.iter_block_2.0.str2str.se3", "refine.refine_net.0.se3"}) {
    const std::string base = "se3_basis/" + se3 + "/";
    Graph gr = dumped_graph(f, se3, se3[0] == 'r' ? 40 : 20);
    const int max_degree = f.exists(base + "Y4") ? 2 : 1;
    EdgeGeometry geo = edge_geometry(gr, max_degree);
    const int64_t E0 = f.read<float>(base + "r_ij").shape[0];
    for (int J = 0; J <= 2 * max_degree; ++J) {
      if (!f.exists(base + "Y" + std::to_string(J))) continue;
      auto ref = g::read_tensor(f, base + "Y" + std::to_string(J));
      std::vector<float> got(static_cast<size_t>(E0 * (2 * J + 1)));
      for (int64_t e = 0; e < E0; ++e)
        for (int m = 0; m < 2 * J + 1; ++m) got[e * (2 * J + 1) + m] = geo.Y[e * geo.n_sh + J * J + m];
      auto err = g::compare(got.data(), ref.data(), ref.numel());
      rep.add(se3 + " Y" + std::to_string(J), err);
      EXPECT_LE(err.max_abs, 1e-5);  // fp32 harmonics of O(1): rounding of the angles only
    }
    for (int di = 0; di <= max_degree; ++di)
      for (int dout = 0; dout <= max_degree; ++dout) {
        const std::string name = base + "basis_" + std::to_string(di) + "_" + std::to_string(dout);
        if (!f.exists(name)) continue;
        auto ref = g::read_tensor(f, name);
        const int n = (2 * di + 1) * (2 * dout + 1) * num_freq(di, dout);
        std::vector<float> got(static_cast<size_t>(E0 * n));
        for (int64_t e = 0; e < E0; ++e) edge_basis(di, dout, &geo.Y[e * geo.n_sh], &got[e * n]);
        auto err = g::compare(got.data(), ref.data(), ref.numel());
        rep.add(se3 + " basis_" + std::to_string(di) + "_" + std::to_string(dout), err);
        EXPECT_LE(err.max_abs, 1e-5);
      }
    // Radial input r = |d|.
    auto r = g::read_tensor(f, base + "r");
    std::vector<float> rr(static_cast<size_t>(gr.num_edges()));
    for (int64_t e = 0; e < gr.num_edges(); ++e) rr[e] = geo.feat[e * geo.feat_dim + gr.edge_dim];
    auto err = g::compare(rr.data(), r.data(), r.numel());
    rep.add(se3 + " r", err);
    EXPECT_LE(err.max_abs, 1e-5);
  }
}

TEST(Se3Parity, RadialFunctionsTinyL20) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/tiny_L20_N16_notempl.h5"));
  TRIFOLD_REQUIRE_SHARED(g::golden("weights/tiny/RoseTTAFold_e2e.pt"));
  h5::File f(test::shared_path(g::golden("outputs/tiny_L20_N16_notempl.h5")));
  const Weights& w = g::weights("tiny");
  g::Report rep{"radial (tiny L20)"};
  struct Case {
    std::string se3, conv;
    int di, dout;
  };
  const Case cases[] = {{"feat_extractor.iter_block_2.0.str2str.se3", "Gblock.0.GMAB.v", 1, 1},
                        {"feat_extractor.iter_block_2.0.str2str.se3", "Gblock.0.GMAB.k", 1, 0},
                        {"refine.refine_net.0.se3", "Gblock.0.GMAB.v", 1, 2}};
  for (const auto& c : cases) {
    const std::string ku = "modules/" + c.se3 + "." + c.conv + ".kernel_unary.(" + std::to_string(c.di) + "," +
                           std::to_string(c.dout) + ")";
    auto R_ref = g::read_tensor(f, ku + ".rp/out0");  // (E, m_out, 1, m_in, 1, nf)
    const int m_out = static_cast<int>(R_ref.dim(1)), m_in = static_cast<int>(R_ref.dim(3));
    const int64_t E = R_ref.dim(0);
    Graph gr = dumped_graph(f, c.se3, c.se3[0] == 'r' ? 40 : 20);
    EdgeGeometry geo = edge_geometry(gr, c.se3[0] == 'r' ? 2 : 1);
    if (f.exists(ku + ".rp/in0")) {  // feat = cat(w, r)
      auto in = g::read_tensor(f, ku + ".rp/in0");
      auto e = g::compare(geo.feat.data(), in.data(), in.numel());
      rep.add(ku + ".rp/in0", e);
      EXPECT_LE(e.rel_l2, kTol);
    }
    RadialFunc rf(w, c.se3 + "." + c.conv + ".kernel_unary.(" + std::to_string(c.di) + "," +
                         std::to_string(c.dout) + ").rp.",
                  c.di, c.dout, m_in, m_out);
    std::vector<float> R(static_cast<size_t>(E * rf.out_dim()));
    rf.forward(geo.feat.data(), E, R.data());
    auto e = g::compare(R.data(), R_ref.data(), R_ref.numel());
    rep.add(ku + ".rp/out0", e);
    EXPECT_LE(e.rel_l2, kTol);
    EXPECT_FALSE(e.nan);
    if (f.exists(ku + "/out0")) {  // PairwiseConv kernel sum_J R K_J, (E, m_out(2do+1), m_in(2di+1))
      auto W_ref = g::read_tensor(f, ku + "/out0");
      const int n = (2 * c.di + 1) * (2 * c.dout + 1) * num_freq(c.di, c.dout);
      const int wn = m_out * (2 * c.dout + 1) * m_in * (2 * c.di + 1);
      std::vector<float> K(n), W(static_cast<size_t>(E * wn));
      for (int64_t ed = 0; ed < E; ++ed) {
        edge_basis(c.di, c.dout, &geo.Y[ed * geo.n_sh], K.data());
        edge_kernel(&R[ed * rf.out_dim()], K.data(), c.di, c.dout, m_in, m_out, &W[ed * wn]);
      }
      auto ek = g::compare(W.data(), W_ref.data(), W_ref.numel());
      rep.add(ku + "/out0", ek);
      EXPECT_LE(ek.rel_l2, kTol);
    }
  }
}

TEST(Se3Parity, TrunkSe3TinyL20) {
  check_se3("tiny", "SE3_param", "tiny_L20_N16_notempl.h5", "feat_extractor.iter_block_2.0.str2str.se3");
}
TEST(Se3Parity, RefineSe3TinyL20) {
  check_se3("tiny", "REF_param", "tiny_L20_N16_notempl.h5", "refine.refine_net.0.se3");
}
TEST(Se3Parity, TrunkSe3SmallL20) {
  check_se3("small", "SE3_param", "small_L20_N16_notempl.h5", "feat_extractor.iter_block_2.0.str2str.se3");
}
TEST(Se3Parity, RefineSe3SmallL20) {
  check_se3("small", "REF_param", "small_L20_N16_notempl.h5", "refine.refine_net.0.se3");
}
