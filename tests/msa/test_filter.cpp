// The built-in filter keeps exactly the rows `hhfilter` keeps (run at test time) on real A3M files.
#include <gtest/gtest.h>

#include <set>

#include "io/fasta.hpp"
#include "msa/filter.hpp"
#include "msa/stats.hpp"
#include "tests/common/test_data.hpp"

namespace trifold {
namespace {

const char* kHhExample = "/usr/share/doc/hhsuite/examples/query.a3m";

// Names of the rows hhfilter writes (first word of each header).
std::vector<std::string> run_hhfilter(const std::filesystem::path& in, const test::ScratchDir& dir, int id, int cov,
                                      int qid) {
  auto out = dir / ("hhf_" + std::to_string(id) + "_" + std::to_string(cov) + "_" + std::to_string(qid) + ".a3m");
  auto r = test::run_command("hhfilter -v 0 -i '" + in.string() + "' -o '" + out.string() + "' -id " +
                             std::to_string(id) + " -cov " + std::to_string(cov) + " -qid " + std::to_string(qid));
  EXPECT_EQ(r.status, 0) << r.output;
  std::vector<std::string> names;
  for (const auto& row : read_a3m(out).rows) names.push_back(row.name);
  return names;
}

void expect_same_selection(const std::filesystem::path& path) {
  test::ScratchDir dir("msa_filter");
  A3m a3m = read_a3m(path);
  // Settings of the RoseTTAFold ladder (id90 cov75 / cov50) plus stricter and looser ones.
  const int settings[][3] = {{90, 75, 0}, {90, 50, 0}, {90, 0, 0}, {70, 0, 0}, {50, 30, 0}, {99, 0, 0},
                             {30, 0, 0},  {100, 60, 0}, {90, 0, 30}};
  size_t settings_that_remove = 0;
  for (const auto& s : settings) {
    msa::FilterOptions opt;
    opt.max_seqid = s[0];
    opt.min_coverage = s[1];
    opt.min_query_id = s[2];
    std::vector<std::string> ours;
    for (size_t k : msa::hhfilter_select(a3m, opt)) ours.push_back(a3m.rows[k].name);
    auto theirs = run_hhfilter(path, dir, s[0], s[1], s[2]);
    // Exact agreement: same rows, same order (hhfilter keeps input order).
    EXPECT_EQ(ours, theirs) << path << " -id " << s[0] << " -cov " << s[1] << " -qid " << s[2] << ": ours "
                            << ours.size() << " rows, hhfilter " << theirs.size();
    EXPECT_GT(ours.size(), 0u);
    settings_that_remove += ours.size() < a3m.rows.size();
  }
  // The comparison means something only if the filters actually drop rows on this file.
  EXPECT_GE(settings_that_remove, 5u);
}

TEST(HhFilter, SameRowsAsHhfilterOnHhsuiteExample) {
  TRIFOLD_REQUIRE_PROGRAM("hhfilter");
  if (!std::filesystem::exists(kHhExample)) GTEST_SKIP() << "hhsuite example " << kHhExample << " not installed";
  expect_same_selection(kHhExample);
}

TEST(HhFilter, SameRowsAsHhfilterOnCasp14Msa) {
  TRIFOLD_REQUIRE_PROGRAM("hhfilter");
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  expect_same_selection(test::shared_path("data/casp14/T1078-D1/msa.a3m"));
}

TEST(MsaStats, DepthAndNeffBounds) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  A3m a3m = read_a3m(test::shared_path("data/casp14/T1078-D1/msa.a3m"));
  auto s = msa::msa_stats(a3m);
  EXPECT_EQ(s.depth, a3m.rows.size());
  EXPECT_EQ(s.column_depth.size(), a3m.length());
  // Each row weighs between 1/depth and 1, so Neff lies in [1, depth]; a real MSA is neither extreme.
  EXPECT_GT(s.neff, 1.0);
  EXPECT_LT(s.neff, static_cast<double>(s.depth));
  // Filtering at 80% identity leaves rows that are all < 80% identical to each other, so each of them is its
  // own only neighbour... under hhfilter's identity definition, which differs slightly; Neff can only drop.
  msa::FilterOptions f;
  f.max_seqid = 50;
  auto filtered = msa::hhfilter(a3m, f);
  auto sf = msa::msa_stats(filtered);
  EXPECT_LE(sf.neff, s.neff);
  EXPECT_NEAR(sf.neff, static_cast<double>(sf.depth), 0.5 * sf.depth);  // at 50% max identity few have neighbours
}

}  // namespace
}  // namespace trifold
