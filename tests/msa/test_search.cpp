// The built-in search against phmmer (run at test time) on real data: the HMMER tutorial globins and a subset
// of the MMseqs2 example queries/database; sensitivity, false positives and thread-count independence.
#include <gtest/gtest.h>
#include <omp.h>

#include <set>

#include "io/file_util.hpp"
#include "msa/builtin_search.hpp"
#include "msa/database.hpp"
#include "msa/hit_tables.hpp"
#include "tests/common/test_data.hpp"

namespace trifold {
namespace {

const char* kGlobins = "/usr/share/doc/hmmer/tutorial/globins45.fa";
const char* kHbb = "/usr/share/doc/hmmer/tutorial/HBB_HUMAN";
const char* kQueries = "/usr/share/doc/mmseqs2/example-data/QUERY.fasta.gz";
const char* kDb = "/usr/share/doc/mmseqs2/example-data/DB.fasta.gz";

using PairSet = std::set<std::pair<std::string, std::string>>;

struct Comparison {
  size_t truth = 0, found = 0, reported = 0, false_pos = 0;
};

// phmmer on `queries` vs `db_fasta`; builtin on the same; FP = builtin hit phmmer does not report at E <= 1.
Comparison compare_with_phmmer(const msa::SequenceDb& queries, size_t nq, const std::filesystem::path& db_fasta,
                               const test::ScratchDir& dir) {
  std::string qtext;
  for (size_t i = 0; i < nq; ++i) qtext += ">" + queries.names[i] + "\n" + queries.letters(i) + "\n";
  write_file_atomic(dir / "q.fa", qtext);
  const msa::SequenceDb db = msa::load_sequence_db(db_fasta);
  std::string dtext;
  for (size_t i = 0; i < db.size(); ++i) dtext += ">" + db.names[i] + "\n" + db.letters(i) + "\n";
  write_file_atomic(dir / "db.fa", dtext);
  auto r = test::run_command("phmmer --cpu 2 --noali -E 1 --tblout '" + (dir / "ph.tbl").string() + "' '" +
                             (dir / "q.fa").string() + "' '" + (dir / "db.fa").string() + "' > /dev/null");
  EXPECT_EQ(r.status, 0) << r.output;
  PairSet truth, loose;
  for (const auto& h : msa::read_hmmer_tblout(dir / "ph.tbl")) {
    loose.insert({h.query, h.target});
    if (h.evalue <= 1e-3) truth.insert({h.query, h.target});
  }
  msa::BuiltinOptions opt;  // defaults: E <= 1e-3
  PairSet ours;
  for (size_t i = 0; i < nq; ++i) {
    std::vector<uint8_t> q(queries.sequence(i), queries.sequence(i) + queries.length(i));
    for (const auto& h : msa::builtin_search(q, db, opt)) ours.insert({queries.names[i], db.names[h.target]});
  }
  Comparison c;
  c.truth = truth.size();
  c.reported = ours.size();
  for (const auto& p : truth) c.found += ours.count(p);
  for (const auto& p : ours) c.false_pos += !loose.count(p);
  return c;
}

TEST(BuiltinSearch, FindsPhmmerGlobinHits) {
  TRIFOLD_REQUIRE_PROGRAM("phmmer");
  if (!std::filesystem::exists(kGlobins)) GTEST_SKIP() << "hmmer-doc (tutorial files) not installed";
  test::ScratchDir dir("msa_search_globins");
  auto q = msa::load_sequence_db(kHbb);
  auto c = compare_with_phmmer(q, 1, kGlobins, dir);
  EXPECT_GT(c.truth, 20u);  // HBB_HUMAN has dozens of globin homologs here
  EXPECT_GE(c.found, 0.95 * c.truth) << c.found << "/" << c.truth;
  EXPECT_EQ(c.false_pos, 0u);
}

TEST(BuiltinSearch, SensitivityAgainstPhmmerOnMmseqsExampleSubset) {
  TRIFOLD_REQUIRE_PROGRAM("phmmer");
  if (!std::filesystem::exists(kQueries)) GTEST_SKIP() << "mmseqs2-examples not installed";
  test::ScratchDir dir("msa_search_mmseqs");
  auto queries = msa::load_sequence_db(kQueries);
  const size_t nq = 24;  // a fast subset; the benchmark program runs all 500 (docs/msa.md)
  auto c = compare_with_phmmer(queries, nq, kDb, dir);
  std::cout << "builtin vs phmmer, " << nq << " queries: found " << c.found << "/" << c.truth << ", reported "
            << c.reported << ", false positives " << c.false_pos << "\n";
  EXPECT_GT(c.truth, 300u);
  // Acceptance criterion of issue 6: >= 95% of phmmer's E <= 1e-3 hits.
  EXPECT_GE(static_cast<double>(c.found), 0.95 * c.truth) << c.found << "/" << c.truth;
  // False positives: at most 1.5% of what is reported (the remaining ones are Cys-rich keratin-associated
  // proteins and similar compositionally biased families that phmmer's bias filter discards; docs/msa.md).
  EXPECT_LE(static_cast<double>(c.false_pos), 0.015 * c.reported);
}

TEST(BuiltinSearch, SameHitsWithOneOrTwoThreads) {
  if (!std::filesystem::exists(kQueries)) GTEST_SKIP() << "mmseqs2-examples not installed";
  auto queries = msa::load_sequence_db(kQueries);
  auto db = msa::load_sequence_db(kDb);
  msa::BuiltinOptions opt;
  const int saved = omp_get_max_threads();
  for (size_t i = 1; i < 4; ++i) {
    std::vector<uint8_t> q(queries.sequence(i), queries.sequence(i) + queries.length(i));
    omp_set_num_threads(1);
    auto a = msa::builtin_search(q, db, opt);
    omp_set_num_threads(2);
    auto b = msa::builtin_search(q, db, opt);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_GT(a.size(), 0u);
    for (size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k].target, b[k].target);
      EXPECT_EQ(a[k].score, b[k].score);
      EXPECT_EQ(a[k].aln.ops, b[k].aln.ops);
    }
  }
  omp_set_num_threads(saved);
}

}  // namespace
}  // namespace trifold
