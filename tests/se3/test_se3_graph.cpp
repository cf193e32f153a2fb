// Top-k graph construction vs the reference graphs recorded in the golden files (src, dst, d).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model/se3/graph.hpp"
#include "tests/se3/se3_golden.hpp"

using namespace trifold;
using namespace trifold::model::se3;
namespace g = trifold::test::se3g;

namespace {

// Builds the graph from xyz [B, L, 3, 3] (CA = atom 1) and compares with se3_basis/<module>/{src,dst,d}.
void check_graph(const std::string& file, const std::string& xyz_name, int B, int top_k, const std::string& module) {
  h5::File f(test::shared_path(g::golden("outputs/" + file)));
  auto xyz = g::read_tensor(f, xyz_name);
  const int L = static_cast<int>(xyz.dim(1));
  ASSERT_EQ(xyz.dim(0), B);
  std::vector<float> ca(static_cast<size_t>(B) * L * 3);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < L; ++i)
      for (int a = 0; a < 3; ++a) ca[(b * L + i) * 3 + a] = xyz[((b * L + i) * 3 + 1) * 3 + a];
  auto idx32 = f.read<int32_t>("inputs/idx");
  std::vector<int64_t> idx;
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < L; ++i) idx.push_back(idx32.data[i]);
  Graph gr = make_topk_graph(ca.data(), idx.data(), B, L, top_k, nullptr, 0);
  auto src = f.read<int32_t>("se3_basis/" + module + "/src");
  auto dst = f.read<int32_t>("se3_basis/" + module + "/dst");
  ASSERT_EQ(gr.num_edges(), static_cast<int64_t>(src.data.size())) << file << " " << module;
  int64_t mismatches = 0;
  for (size_t e = 0; e < src.data.size(); ++e)
    if (gr.src[e] != src.data[e] || gr.dst[e] != dst.data[e]) ++mismatches;
  EXPECT_EQ(mismatches, 0) << "edge lists differ";  // exact: same selection, same torch.where order
  if (f.exists("se3_basis/" + module + "/d")) {
    auto d = f.read<float>("se3_basis/" + module + "/d");
    double worst = 0.0;
    for (size_t i = 0; i < d.data.size(); ++i) worst = std::max(worst, double(std::fabs(gr.d[i] - d.data[i])));
    EXPECT_EQ(worst, 0.0) << "d = CA_dst - CA_src is one fp32 subtraction: bit-exact";
  }
  // CSR by destination covers every edge once, in ascending edge order per node.
  ASSERT_EQ(gr.in_ptr.back(), gr.num_edges());
  for (int64_t v = 0; v < gr.n_nodes; ++v)
    for (int64_t t = gr.in_ptr[v]; t < gr.in_ptr[v + 1]; ++t) {
      EXPECT_EQ(gr.dst[gr.in_edges[t]], v);
      if (t > gr.in_ptr[v]) {
        EXPECT_LT(gr.in_edges[t - 1], gr.in_edges[t]);
      }
    }
  std::printf("%s %s: %lld edges, identical\n", file.c_str(), module.c_str(), (long long)gr.num_edges());
}

}  // namespace

TEST(Se3Graph, TrunkL20SelfLoops) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/tiny_L20_N16_notempl.h5"));
  // L = 20 <= top_k = 128: full graph including self-loops with d = 0.
  check_graph("tiny_L20_N16_notempl.h5", "modules/feat_extractor.iter_block_2.0.str2str/in2", 1, 128,
              "feat_extractor.iter_block_2.0.str2str.se3");
}

TEST(Se3Graph, RefineL20Mirrors) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/tiny_L20_N16_notempl.h5"));
  check_graph("tiny_L20_N16_notempl.h5", "modules/refine.refine_net.0/in2", 2, 64, "refine.refine_net.0.se3");
}

TEST(Se3Graph, FinalL48TopK32PlusSequenceNeighbours) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/tiny_L48_N64_templ.h5"));
  // top_k 32 < L = 48: a real top-k graph (asymmetric) plus |i - j| < 9 edges; the FinalBlock's xyz input is
  // the output of the only IterBlock_w_Str (n_module_str = 1).
  check_graph("tiny_L48_N64_templ.h5", "modules/feat_extractor.iter_block_2.0.str2str/out0", 1, 32,
              "feat_extractor.final.str2str.se3");
}

TEST(Se3Graph, RefineL310TopK64) {
  TRIFOLD_REQUIRE_SHARED(g::golden("outputs/tiny_L310_N64_crop.h5"));
  // Refinement iteration 0 of the crop case: Regen xyz and its z-mirror, top_k 64 + kmin 9, 46,648 edges.
  h5::File f(test::shared_path(g::golden("outputs/tiny_L310_N64_crop.h5")));
  ASSERT_TRUE(f.exists("refine_iters/regen_xyz"));
  auto x = g::read_tensor(f, "refine_iters/regen_xyz");
  const int L = static_cast<int>(x.dim(1));
  std::vector<float> ca(2 * L * 3);
  for (int i = 0; i < L; ++i)
    for (int a = 0; a < 3; ++a) {
      ca[i * 3 + a] = x[(i * 3 + 1) * 3 + a];
      ca[(L + i) * 3 + a] = a == 2 ? -x[(i * 3 + 1) * 3 + a] : x[(i * 3 + 1) * 3 + a];
    }
  auto idx32 = f.read<int32_t>("inputs/idx");
  std::vector<int64_t> idx;
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < L; ++i) idx.push_back(idx32.data[i]);
  Graph gr = make_topk_graph(ca.data(), idx.data(), 2, L, 64, nullptr, 0);
  auto src = f.read<int32_t>("se3_basis/refine.refine_net.0.se3/src");
  auto dst = f.read<int32_t>("se3_basis/refine.refine_net.0.se3/dst");
  ASSERT_EQ(gr.num_edges(), static_cast<int64_t>(src.data.size()));
  int64_t mismatches = 0;
  for (size_t e = 0; e < src.data.size(); ++e)
    if (gr.src[e] != src.data[e] || gr.dst[e] != dst.data[e]) ++mismatches;
  EXPECT_EQ(mismatches, 0);
  std::printf("L310 refine graph: %lld edges, %lld mismatches\n", (long long)gr.num_edges(), (long long)mismatches);
}

namespace {

// The graph's definition written the slow, obvious way: every j sorted by (D, j), the first min(top_k, L)
// taken, plus the |idx_i - idx_j| < kmin neighbours; edges in (b, i, j) order.
std::vector<std::pair<int32_t, int32_t>> reference_edges(const std::vector<float>& ca, const std::vector<int64_t>& idx,
                                                         int B, int L, int top_k, int kmin) {
  std::vector<std::pair<int32_t, int32_t>> edges;
  const int k = std::min(top_k, L);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < L; ++i) {
      std::vector<std::pair<double, int>> by_d;
      for (int j = 0; j < L; ++j) {
        double s = 0.0;
        for (int a = 0; a < 3; ++a) {
          const double t = double(ca[(b * L + i) * 3 + a]) - ca[(b * L + j) * 3 + a];
          s += t * t;
        }
        by_d.emplace_back(std::sqrt(s) + (i == j ? 999.9 : 0.0), j);
      }
      std::sort(by_d.begin(), by_d.end());
      std::vector<bool> sel(L, false);
      for (int t = 0; t < k; ++t) sel[by_d[t].second] = true;
      for (int j = 0; j < L; ++j)
        if (j != i && std::llabs(idx[b * L + i] - idx[b * L + j]) < kmin) sel[j] = true;
      for (int j = 0; j < L; ++j)
        if (sel[j]) edges.emplace_back(b * L + i, b * L + j);
    }
  return edges;
}

}  // namespace

TEST(Se3Graph, ParallelSelectionEqualsTheDefinitionWithTies) {
  // L = 700 >= 256 takes the OpenMP row loop. Coordinates on a 2 Å integer grid make many equal distances, so
  // the index tie-break decides part of every row's top 64.
  const int B = 2, L = 700, top_k = 64, kmin = 9;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> cell(0, 12);
  std::vector<float> ca(static_cast<size_t>(B) * L * 3);
  for (auto& v : ca) v = 2.0f * cell(rng);
  std::vector<int64_t> idx;
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < L; ++i) idx.push_back(i + (i >= 350 ? 200 : 0));  // a chain break in the numbering
  const Graph gr = make_topk_graph(ca.data(), idx.data(), B, L, top_k, nullptr, 0);
  const auto ref = reference_edges(ca, idx, B, L, top_k, kmin);
  ASSERT_EQ(gr.num_edges(), static_cast<int64_t>(ref.size()));
  int64_t mismatches = 0;
  for (size_t e = 0; e < ref.size(); ++e)
    if (gr.src[e] != ref[e].first || gr.dst[e] != ref[e].second) ++mismatches;
  EXPECT_EQ(mismatches, 0);
  for (size_t e = 0; e < ref.size(); ++e)
    for (int a = 0; a < 3; ++a)
      ASSERT_EQ(gr.d[e * 3 + a], ca[static_cast<size_t>(gr.dst[e]) * 3 + a] - ca[static_cast<size_t>(gr.src[e]) * 3 + a]);
}

TEST(Se3Graph, EdgeFeaturesFollowTheirEdges) {
  const int L = 300, top_k = 16, ed = 3;
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 10.0f);
  std::vector<float> ca(static_cast<size_t>(L) * 3);
  for (auto& v : ca) v = nd(rng);
  std::vector<int64_t> idx(L);
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<float> feat(static_cast<size_t>(L) * L * ed);
  for (int i = 0; i < L; ++i)
    for (int j = 0; j < L; ++j)
      for (int c = 0; c < ed; ++c) feat[(static_cast<size_t>(i) * L + j) * ed + c] = float(i * 1000 + j) + 0.25f * c;
  const Graph gr = make_topk_graph(ca.data(), idx.data(), 1, L, top_k, feat.data(), ed);
  ASSERT_EQ(gr.w.size(), static_cast<size_t>(gr.num_edges()) * ed);
  for (int64_t e = 0; e < gr.num_edges(); ++e)
    for (int c = 0; c < ed; ++c)
      ASSERT_EQ(gr.w[static_cast<size_t>(e) * ed + c], float(gr.src[e] * 1000 + gr.dst[e]) + 0.25f * c);
}

TEST(Se3Graph, NonFiniteCoordinatesAreAnError) {
  std::vector<float> ca(30, 1.0f);
  ca[3 * 4 + 1] = std::nanf("");
  std::vector<int64_t> idx(10);
  std::iota(idx.begin(), idx.end(), 0);
  try {
    make_topk_graph(ca.data(), idx.data(), 1, 10, 4, nullptr, 0);
    FAIL() << "a NaN coordinate was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("residue 4"), std::string::npos) << e.what();
  }
}
