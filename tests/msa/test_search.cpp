// The built-in search against phmmer (run at test time) on real data: the HMMER tutorial globins and a subset
// of the MMseqs2 example queries/database; sensitivity, false positives and thread-count independence.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
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
  size_t decoy_ours = 0, decoy_phmmer = 0;  // hits at E <= 1e-3 against the reversed database (with_decoys)
};

std::vector<std::vector<uint8_t>> query_codes(const msa::SequenceDb& queries, size_t nq) {
  std::vector<std::vector<uint8_t>> qs(nq);
  for (size_t i = 0; i < nq; ++i) qs[i].assign(queries.sequence(i), queries.sequence(i) + queries.length(i));
  return qs;
}

// Writes `db` as FASTA, each sequence reversed (names prefixed rev_) when `reversed`.
void write_fasta(const msa::SequenceDb& db, const std::filesystem::path& path, bool reversed) {
  std::string text;
  for (size_t i = 0; i < db.size(); ++i) {
    std::string seq = db.letters(i);
    if (reversed) std::reverse(seq.begin(), seq.end());
    text += ">" + std::string(reversed ? "rev_" : "") + db.names[i] + "\n" + seq + "\n";
  }
  write_file_atomic(path, text);
}

// phmmer's table of `q.fa` against `db` (run at test time, E <= 1 so that looser hits are known too).
std::vector<msa::TableHit> run_phmmer(const test::ScratchDir& dir, const std::filesystem::path& db,
                                      const std::string& tag) {
  const auto tbl = dir / ("ph" + tag + ".tbl");
  auto r = test::run_command("phmmer --cpu 2 --noali -E 1 --tblout '" + tbl.string() + "' '" +
                             (dir / "q.fa").string() + "' '" + db.string() + "' > /dev/null");
  EXPECT_EQ(r.status, 0) << r.output;
  return msa::read_hmmer_tblout(tbl);
}

// phmmer on `queries` vs `db_fasta`; builtin (the batched entry point) on the same; FP = builtin hit phmmer does
// not report at E <= 1. With `with_decoys`, both also search the reversed database, where every hit is false.
Comparison compare_with_phmmer(const msa::SequenceDb& queries, size_t nq, const std::filesystem::path& db_fasta,
                               const test::ScratchDir& dir, bool with_decoys = false) {
  std::string qtext;
  for (size_t i = 0; i < nq; ++i) qtext += ">" + queries.names[i] + "\n" + queries.letters(i) + "\n";
  write_file_atomic(dir / "q.fa", qtext);
  const msa::SequenceDb db = msa::load_sequence_db(db_fasta);
  write_fasta(db, dir / "db.fa", false);
  PairSet truth, loose;
  for (const auto& h : run_phmmer(dir, dir / "db.fa", "")) {
    loose.insert({h.query, h.target});
    if (h.evalue <= 1e-3) truth.insert({h.query, h.target});
  }
  msa::BuiltinOptions opt;  // defaults: E <= 1e-3
  const auto qs = query_codes(queries, nq);
  PairSet ours;
  const auto all = msa::builtin_search_batch(qs, db, opt);
  for (size_t i = 0; i < nq; ++i)
    for (const auto& h : all[i]) ours.insert({queries.names[i], db.names[h.target]});
  Comparison c;
  c.truth = truth.size();
  c.reported = ours.size();
  for (const auto& p : truth) c.found += ours.count(p);
  for (const auto& p : ours) c.false_pos += !loose.count(p);
  if (with_decoys) {
    write_fasta(db, dir / "rev.fa", true);
    for (const auto& h : run_phmmer(dir, dir / "rev.fa", ".rev")) c.decoy_phmmer += h.evalue <= 1e-3;
    const msa::SequenceDb rev = msa::load_sequence_db(dir / "rev.fa");
    for (const auto& hits : msa::builtin_search_batch(qs, rev, opt)) c.decoy_ours += hits.size();
  }
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
  auto c = compare_with_phmmer(queries, nq, kDb, dir, /*with_decoys=*/true);
  std::cout << "builtin vs phmmer, " << nq << " queries: found " << c.found << "/" << c.truth << ", reported "
            << c.reported << ", not reported by phmmer at E <= 1: " << c.false_pos << "; reversed-database hits: builtin "
            << c.decoy_ours << ", phmmer " << c.decoy_phmmer << "\n";
  EXPECT_GT(c.truth, 300u);
  // Acceptance criterion of issue 6: >= 95% of phmmer's E <= 1e-3 hits.
  EXPECT_GE(static_cast<double>(c.found), 0.95 * c.truth) << c.found << "/" << c.truth;
  // ... with no more false positives than phmmer: hits to reversed sequences (same lengths and compositions,
  // low-complexity stretches and coiled-coil periodicity included, but no homology) at the same cutoff.
  EXPECT_LE(c.decoy_ours, c.decoy_phmmer);
  // Hits phmmer does not report even at E <= 1: at most 1.5% of what is reported (compositionally biased
  // families whose E-values phmmer's bias filter and null2 correction push further; docs/msa.md).
  EXPECT_LE(static_cast<double>(c.false_pos), 0.015 * c.reported);
}

TEST(BuiltinSearch, BatchedSearchEqualsOneQueryAtATime) {
  if (!std::filesystem::exists(kQueries)) GTEST_SKIP() << "mmseqs2-examples not installed";
  auto queries = msa::load_sequence_db(kQueries);
  auto db = msa::load_sequence_db(kDb);
  msa::BuiltinOptions opt;
  const auto qs = query_codes(queries, 12);
  // Batches of 5 (the last one short) against one query at a time: identical hits, alignments included.
  const auto batched = msa::builtin_search_batch(qs, db, opt, 5);
  ASSERT_EQ(batched.size(), qs.size());
  size_t total = 0;
  for (size_t i = 0; i < qs.size(); ++i) {
    const auto single = msa::builtin_search(qs[i], db, opt);
    ASSERT_EQ(batched[i].size(), single.size()) << "query " << i;
    total += single.size();
    for (size_t k = 0; k < single.size(); ++k) {
      EXPECT_EQ(batched[i][k].target, single[k].target);
      EXPECT_EQ(batched[i][k].score, single[k].score);
      EXPECT_EQ(batched[i][k].evalue, single[k].evalue);
      EXPECT_EQ(batched[i][k].aln.ops, single[k].aln.ops);
    }
  }
  EXPECT_GT(total, 50u);
  // The prefilter alone too, with a batch that mixes short (exhaustive) and long queries.
  std::vector<std::vector<uint8_t>> seqs = {qs[0], qs[1], std::vector<uint8_t>(qs[2].begin(), qs[2].begin() + 2)};
  std::vector<msa::QueryWords> words;
  for (const auto& s : seqs) words.emplace_back(s, opt.prefilter.word_threshold);
  std::vector<const msa::QueryWords*> ptrs;
  for (const auto& w : words) ptrs.push_back(&w);
  const auto cands = msa::prefilter_batch(ptrs, db, opt.prefilter);
  for (size_t i = 0; i < seqs.size(); ++i) {
    const auto one = msa::prefilter(words[i], db, opt.prefilter);
    ASSERT_EQ(cands[i].size(), one.size());
    for (size_t k = 0; k < one.size(); ++k) {
      EXPECT_EQ(cands[i][k].target, one[k].target);
      EXPECT_EQ(cands[i][k].ungapped, one[k].ungapped);
    }
  }
}

TEST(BuiltinSearch, LengthAdjustmentSolvesBlastsFixedPoint) {
  const msa::BuiltinOptions o;
  // Typical sizes: the adjustment l satisfies l = alpha/lambda ln(K (m - l)(n - N l)) + beta to within the integer
  // rounding (BLAST keeps the floor), and shrinks the search space.
  for (double m : {80.0, 300.0, 1500.0}) {
    const double n = 9.06e6, N = 20000;
    const double l = msa::length_adjustment(o.K, o.lambda, o.alpha, o.beta, m, n, N);
    EXPECT_GT(l, 0.0);
    EXPECT_LE(l, m - 1.0 / o.K);
    const double rhs = o.alpha / o.lambda * std::log(o.K * (m - l) * (n - N * l)) + o.beta;
    if (l < m - 1.0 / o.K - 1) {
      EXPECT_NEAR(l, rhs, 1.0) << "m = " << m;  // not capped: a fixed point
    } else {
      EXPECT_GE(rhs, l) << "m = " << m;  // capped at m - 1/K
    }
  }
  // A tiny search space needs no adjustment.
  EXPECT_EQ(msa::length_adjustment(o.K, o.lambda, o.alpha, o.beta, 30, 30, 1), 0.0);
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
