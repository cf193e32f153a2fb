// The striped SIMD Smith-Waterman kernels agree exactly with the scalar Gotoh recurrence on real sequences,
// and tracebacks reproduce their scores and turn into well-formed A3M rows.
#include <gtest/gtest.h>

#include <filesystem>

#include "msa/a3m_convert.hpp"
#include "msa/alphabet.hpp"
#include "msa/database.hpp"
#include "msa/smith_waterman.hpp"
#include "tests/common/test_data.hpp"

namespace trifold {
namespace {

const char* kGlobins = "/usr/share/doc/hmmer/tutorial/globins45.fa";
const char* kMmseqsDb = "/usr/share/doc/mmseqs2/example-data/DB.fasta.gz";

// Pairs of real sequences: the 45 globins against each other (homologous), plus unrelated UniProt pairs.
std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> real_pairs() {
  std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> pairs;
  auto seq = [](const msa::SequenceDb& db, size_t k) {
    return std::vector<uint8_t>(db.sequence(k), db.sequence(k) + db.length(k));
  };
  if (std::filesystem::exists(kGlobins)) {
    auto g = msa::load_sequence_db(kGlobins);
    for (size_t i = 0; i < g.size(); i += 3)
      for (size_t j = 0; j < g.size(); j += 4) pairs.push_back({seq(g, i), seq(g, j)});
  }
  if (std::filesystem::exists(kMmseqsDb)) {
    auto d = msa::load_sequence_db(kMmseqsDb);
    for (size_t i = 0; i < 60; ++i) pairs.push_back({seq(d, i * 37), seq(d, i * 331 + 5)});
  }
  return pairs;
}

TEST(SmithWaterman, SimdKernelsMatchScalarExactly) {
  auto pairs = real_pairs();
  if (pairs.empty()) GTEST_SKIP() << "hmmer-doc / mmseqs2-examples not installed";
  const msa::GapCosts gaps{11, 1};
  // Every level the CPU can run (AVX2 and SSE4.1, each with its 8-bit and 16-bit kernels).
  std::vector<msa::SimdLevel> levels = {msa::SimdLevel::Scalar};
  const msa::SimdLevel best = msa::best_simd_level();
  if (best == msa::SimdLevel::Avx2) levels.push_back(msa::SimdLevel::Avx2);
  if (best != msa::SimdLevel::Scalar) levels.push_back(msa::SimdLevel::Sse41);
  size_t nonzero = 0, above_8bit = 0;
  for (const auto& [q, t] : pairs) {
    long ref_q = -1, ref_t = -1;
    const int ref = msa::sw_score_scalar(q.data(), q.size(), t.data(), t.size(), gaps, &ref_q, &ref_t);
    nonzero += ref > 50;
    above_8bit += ref >= 250;  // these go through the 16-bit kernels
    for (auto level : levels) {
      msa::SwScorer scorer(q.data(), q.size(), gaps, level);
      long qe = -1, te = -1;
      // Integer scores: the SIMD kernels must agree exactly, end cell included (first by target, then query).
      EXPECT_EQ(scorer.score_end(t.data(), t.size(), qe, te), ref) << msa::simd_level_name(level);
      EXPECT_EQ(qe, ref_q) << msa::simd_level_name(level);
      EXPECT_EQ(te, ref_t) << msa::simd_level_name(level);
      // The search's fast path: the exact score below kHighScore, else -1; score() is always exact.
      EXPECT_EQ(scorer.score_or_high(t.data(), t.size()), ref < msa::SwScorer::kHighScore ? ref : -1)
          << msa::simd_level_name(level);
      EXPECT_EQ(scorer.score(t.data(), t.size()), ref) << msa::simd_level_name(level);
      // The kept-H pass (tracebacks) runs the 16-bit kernel alone.
      std::vector<int16_t> h;
      const int kept = scorer.score_end_keep(t.data(), t.size(), qe, te, h);
      if (level != msa::SimdLevel::Scalar) {
        EXPECT_EQ(kept, ref) << msa::simd_level_name(level);
      }
    }
    const auto aln = msa::align_local(q.data(), q.size(), t.data(), t.size(), gaps);
    EXPECT_EQ(aln.score, ref);
    const auto fast = msa::align_local_fast(q.data(), q.size(), t.data(), t.size(), gaps);
    EXPECT_EQ(fast.score, ref);
    // Rescoring the traceback's operations gives its score back.
    int s = 0;
    size_t i = fast.q_begin, j = fast.t_begin;
    char prev = 'M';
    for (char op : fast.ops) {
      if (op == 'M') s += msa::kBlosum62[q[i++]][t[j++]];
      else if (op == 'I') { s -= (prev == 'I' ? 0 : gaps.open) + gaps.extend; ++j; }
      else { s -= (prev == 'D' ? 0 : gaps.open) + gaps.extend; ++i; }
      prev = op;
    }
    EXPECT_EQ(s, ref);
    EXPECT_EQ(i, fast.q_end);
    EXPECT_EQ(j, fast.t_end);
  }
  EXPECT_GT(nonzero, 20u);  // the set contains real homologous pairs, not only noise
  EXPECT_GT(above_8bit, 5u);  // ... and pairs beyond the 8-bit kernels' range
}

TEST(SmithWaterman, A3mRowKeepsTargetResiduesAndQueryColumns) {
  if (!std::filesystem::exists(kGlobins)) GTEST_SKIP() << "hmmer-doc not installed";
  auto g = msa::load_sequence_db(kGlobins);
  std::vector<uint8_t> q(g.sequence(0), g.sequence(0) + g.length(0));
  for (size_t k = 1; k < g.size(); ++k) {
    std::vector<uint8_t> t(g.sequence(k), g.sequence(k) + g.length(k));
    auto aln = msa::align_local_fast(q.data(), q.size(), t.data(), t.size(), {});
    const std::string seg = g.letters(k).substr(aln.t_begin, aln.t_end - aln.t_begin);
    const std::string row = msa::a3m_row_from_ops(q.size(), aln.q_begin, aln.ops, seg);
    size_t match_cols = 0;
    std::string residues;
    for (char c : row) {
      if (c == '-' || (c >= 'A' && c <= 'Z')) ++match_cols;
      if (c != '-') residues.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    EXPECT_EQ(match_cols, q.size());
    EXPECT_EQ(residues, seg);
  }
}

}  // namespace
}  // namespace trifold
