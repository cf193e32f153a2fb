// The search back-ends through build_msa on real example data: the hhblits ladder against an HH-suite database
// built here from the HMMER tutorial globins, jackhmmer, MMseqs2 and the built-in search with its cache.
#include <gtest/gtest.h>

#include "io/error.hpp"
#include "io/fasta.hpp"
#include "msa/database.hpp"
#include "msa/external.hpp"
#include "msa/filter.hpp"
#include "msa/msa.hpp"
#include "tests/common/test_data.hpp"

namespace trifold {
namespace {

const char* kGlobins = "/usr/share/doc/hmmer/tutorial/globins45.fa";
const char* kHbb = "/usr/share/doc/hmmer/tutorial/HBB_HUMAN";

SequenceRecord hbb() { return read_fasta(kHbb).at(0); }

// Every row is the query length in match columns (read_a3m checks that) and its residues are a stretch of one
// of the database sequences.
void expect_rows_from_db(const A3m& a3m, const msa::SequenceDb& db) {
  ASSERT_GT(a3m.rows.size(), 10u);
  EXPECT_EQ(a3m.rows[0].sequence, hbb().sequence);
  std::vector<std::string> seqs;
  for (size_t k = 0; k < db.size(); ++k) seqs.push_back(db.letters(k));
  for (size_t r = 1; r < a3m.rows.size(); ++r) {
    std::string res;
    for (char c : a3m.rows[r].sequence)
      if (c != '-' && c != '.') res.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    bool found = false;
    for (const auto& s : seqs) found = found || s.find(res) != std::string::npos;
    EXPECT_TRUE(found) << "row " << a3m.rows[r].name << " is not a stretch of a database sequence";
  }
}

#define REQUIRE_GLOBINS() \
  if (!std::filesystem::exists(kGlobins)) GTEST_SKIP() << "hmmer-doc (tutorial files) not installed"

TEST(HhblitsLadder, RunsAllRoundsAgainstDbBuiltFromExampleSequences) {
  TRIFOLD_REQUIRE_PROGRAM("hhblits");
  TRIFOLD_REQUIRE_PROGRAM("ffindex_build");
  TRIFOLD_REQUIRE_PROGRAM("hhfilter");
  REQUIRE_GLOBINS();
  test::ScratchDir dir("msa_hhblits");
  const auto prefix = msa::build_hhsuite_db(kGlobins, dir / "globins");
  msa::MsaOptions opt;
  opt.tool = msa::MsaTool::Hhblits;
  opt.databases = {prefix};
  opt.cpu = 2;
  opt.maxmem_gb = 2;
  opt.timeout_s = 300;
  opt.work_dir = dir.path();
  opt.keep_work = true;
  std::vector<std::string> lines;
  opt.progress = [&](const std::string& l) { lines.push_back(l); };
  auto r = msa::build_msa(hbb(), opt);
  expect_rows_from_db(r.a3m, msa::load_sequence_db(kGlobins));
  // 45 globins never pass the 2000/4000 stop rule: all four E-values run, each seeded with the previous result.
  size_t rounds = 0;
  for (const auto& l : lines) rounds += l.rfind("hhblits round ", 0) == 0 && l.find(" E=") != std::string::npos;
  EXPECT_EQ(rounds, 4u);
  // The result is `hhfilter -id 90 -cov 50` of the last round's hhblits output (hhfilter run here).
  std::filesystem::path last;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path()))
    if (e.path().filename() == "round4.0.001.a3m") last = e.path();
  ASSERT_FALSE(last.empty());
  auto hf = test::run_command("hhfilter -v 0 -id 90 -cov 50 -i '" + last.string() + "' -o '" +
                              (dir / "ref.a3m").string() + "'");
  ASSERT_EQ(hf.status, 0) << hf.output;
  auto ref = read_a3m(dir / "ref.a3m");
  ASSERT_EQ(ref.rows.size(), r.a3m.rows.size());
  for (size_t k = 1; k < ref.rows.size(); ++k) EXPECT_EQ(ref.rows[k].sequence, r.a3m.rows[k].sequence);
}

TEST(HhblitsLadder, StopsAtFirstRoundPassingTheCov75Rule) {
  TRIFOLD_REQUIRE_PROGRAM("hhblits");
  TRIFOLD_REQUIRE_PROGRAM("ffindex_build");
  REQUIRE_GLOBINS();
  test::ScratchDir dir("msa_hhblits_stop");
  const auto prefix = msa::build_hhsuite_db(kGlobins, dir / "globins");
  msa::MsaOptions opt;
  opt.tool = msa::MsaTool::Hhblits;
  opt.databases = {prefix, prefix};  // two databases: the second must not be searched
  opt.cpu = 2;
  opt.maxmem_gb = 2;
  opt.hhblits.stop_cov75 = 3;  // scaled-down rule so the small database triggers it in round 1
  opt.work_dir = dir.path();
  std::vector<std::string> lines;
  opt.progress = [&](const std::string& l) { lines.push_back(l); };
  auto r = msa::build_msa(hbb(), opt);
  size_t rounds = 0;
  for (const auto& l : lines) rounds += l.rfind("hhblits round ", 0) == 0 && l.find(" E=") != std::string::npos;
  EXPECT_EQ(rounds, 1u);
  EXPECT_GT(r.a3m.rows.size(), 3u);
  // Every kept row covers >= 75% of the query (the cov75 alignment was used).
  for (size_t k = 1; k < r.a3m.rows.size(); ++k) {
    size_t res = 0;
    for (char c : r.a3m.aligned(k)) res += c != '-';
    EXPECT_GE(100 * res, 75 * r.a3m.length()) << r.a3m.rows[k].name;
  }
}

TEST(Backends, JackhmmerRowsComeFromTheDatabase) {
  TRIFOLD_REQUIRE_PROGRAM("jackhmmer");
  REQUIRE_GLOBINS();
  test::ScratchDir dir("msa_jackhmmer");
  msa::MsaOptions opt;
  opt.tool = msa::MsaTool::Jackhmmer;
  opt.databases = {kGlobins};
  opt.cpu = 2;
  opt.work_dir = dir.path();
  auto r = msa::build_msa(hbb(), opt);
  expect_rows_from_db(r.a3m, msa::load_sequence_db(kGlobins));
}

TEST(Backends, MmseqsRowsComeFromTheDatabase) {
  TRIFOLD_REQUIRE_PROGRAM("mmseqs");
  REQUIRE_GLOBINS();
  test::ScratchDir dir("msa_mmseqs");
  msa::MsaOptions opt;
  opt.tool = msa::MsaTool::Mmseqs2;
  opt.databases = {kGlobins};
  opt.cpu = 2;
  opt.work_dir = dir.path();
  auto r = msa::build_msa(hbb(), opt);
  expect_rows_from_db(r.a3m, msa::load_sequence_db(kGlobins));
}

TEST(Backends, BuiltinWithCacheRerunIsServedFromCache) {
  REQUIRE_GLOBINS();
  test::ScratchDir dir("msa_cache");
  msa::MsaOptions opt;
  opt.databases = {kGlobins};
  opt.cache_dir = dir / "cache";
  auto a = msa::build_msa(hbb(), opt);
  expect_rows_from_db(a.a3m, msa::load_sequence_db(kGlobins));
  EXPECT_FALSE(a.from_cache);
  auto b = msa::build_msa(hbb(), opt);
  EXPECT_TRUE(b.from_cache);
  ASSERT_EQ(a.a3m.rows.size(), b.a3m.rows.size());
  for (size_t k = 0; k < a.a3m.rows.size(); ++k) EXPECT_EQ(a.a3m.rows[k].sequence, b.a3m.rows[k].sequence);
  // A different setting is a different cache entry.
  opt.builtin.max_evalue = 1e-20;
  auto c = msa::build_msa(hbb(), opt);
  EXPECT_FALSE(c.from_cache);
  EXPECT_NE(c.cache_key, a.cache_key);
  EXPECT_LT(c.a3m.rows.size(), a.a3m.rows.size());
}

// build_msas (one database load, builtin_search_batch) gives each query exactly build_msa's alignment, serves the
// second call from the cache, and checks every query before searching.
TEST(Backends, BuiltinBatchEqualsOneQueryAtATime) {
  REQUIRE_GLOBINS();
  test::ScratchDir dir("msa_batch");
  std::vector<SequenceRecord> queries = read_fasta(kGlobins);
  queries.resize(7);  // seven globins (also searched against themselves)
  queries.push_back(hbb());
  msa::MsaOptions opt;
  opt.databases = {kGlobins};
  opt.cache_dir = dir / "cache";
  const std::vector<msa::MsaResult> batch = msa::build_msas(queries, opt);
  ASSERT_EQ(batch.size(), queries.size());
  msa::MsaOptions single = opt;
  single.cache_dir.clear();
  for (size_t i = 0; i < queries.size(); ++i) {
    const msa::MsaResult one = msa::build_msa(queries[i], single);
    EXPECT_FALSE(batch[i].from_cache);
    EXPECT_GT(batch[i].a3m.rows.size(), 5u) << queries[i].name;
    ASSERT_EQ(batch[i].a3m.rows.size(), one.a3m.rows.size()) << queries[i].name;
    for (size_t k = 0; k < one.a3m.rows.size(); ++k) {
      EXPECT_EQ(batch[i].a3m.rows[k].name, one.a3m.rows[k].name) << queries[i].name << " row " << k;
      EXPECT_EQ(batch[i].a3m.rows[k].sequence, one.a3m.rows[k].sequence) << queries[i].name << " row " << k;
    }
    EXPECT_EQ(batch[i].stats.depth, one.stats.depth);
  }
  const std::vector<msa::MsaResult> again = msa::build_msas(queries, opt);
  for (const auto& r : again) EXPECT_TRUE(r.from_cache);
  // A bad query anywhere: InputError before any search (nothing new in the cache).
  queries.push_back(SequenceRecord{"bad", "", "MKV1LL", 1});
  const auto entries = [&] {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(opt.cache_dir)) ++n;
    return n;
  };
  const size_t before = entries();
  EXPECT_THROW(msa::build_msas(queries, opt), InputError);
  EXPECT_EQ(entries(), before);
}

TEST(Backends, MissingDatabaseAndProgramAreClearErrors) {
  msa::MsaOptions opt;
  opt.databases = {"/nonexistent/db.fasta"};
  SequenceRecord q{"q", "", "MKTAYIAKQRQISFVKSHFSRQ", 1};
  try {
    msa::build_msa(q, opt);
    FAIL() << "no error for a missing database";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
  }
  EXPECT_THROW(msa::run_program({"trifold-no-such-program"}, 10), InputError);
}

TEST(Backends, TimeoutKillsTheProgram) {
  TRIFOLD_REQUIRE_PROGRAM("sleep");
  auto r = msa::run_program({"sleep", "30"}, 0.5);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.seconds, 10.0);  // killed after ~0.5 s, generous bound for a loaded machine
}

}  // namespace
}  // namespace trifold
