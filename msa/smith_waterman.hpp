// Local alignment (Smith-Waterman-Gotoh, BLOSUM62, affine gaps): a striped SIMD score kernel (AVX2 or SSE4.1,
// picked at run time, scalar fallback) and a scalar aligner with traceback for the hits that are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace trifold::msa {

// A gap of k residues costs open + k * extend (BLAST's convention; BLOSUM62 11/1 is its protein default).
struct GapCosts {
  int open = 11;
  int extend = 1;
};

// Which kernel SwScorer uses. Auto picks the widest the CPU supports.
enum class SimdLevel { Auto, Avx2, Sse41, Scalar };
const char* simd_level_name(SimdLevel level);
SimdLevel best_simd_level();

// Scores one query against many targets. Build once per query (the striped profile), then call score() from
// one thread; each thread needs its own SwScorer (it owns scratch memory).
class SwScorer {
 public:
  // query: residue codes 0..20 (msa/alphabet.hpp), length qlen >= 1.
  SwScorer(const uint8_t* query, size_t qlen, GapCosts gaps, SimdLevel level = SimdLevel::Auto);
  // Best local alignment score (BLOSUM62 half-bits). Exact: 8-bit lanes first, redone in 16-bit lanes when a
  // score reaches 250 and in 32-bit scalar when it comes near the 16-bit limit.
  int score(const uint8_t* target, size_t tlen);
  // The score when it is below kHighScore, else -1 (at least kHighScore, not computed): the 8-bit pass alone,
  // without end-cell bookkeeping. The fast path of a search, where such a pair is a certain hit.
  static constexpr int kHighScore = 250;
  int score_or_high(const uint8_t* target, size_t tlen);
  // Same, and the query and target index of the cell where a best-scoring alignment ends (-1 when score 0).
  int score_end(const uint8_t* target, size_t tlen, long& q_last, long& t_last);
  // Same, and keeps every cell's H value for a traceback: H(i, j) = h_cols[j * width() + (i % seg_len()) *
  // lanes() + i / seg_len()] (the striped column layout). Returns -1, keeping nothing, on the scalar level or
  // when the 16-bit lanes come near saturation.
  int score_end_keep(const uint8_t* target, size_t tlen, long& q_last, long& t_last, std::vector<int16_t>& h_cols);
  SimdLevel level() const { return level_; }
  int lanes() const { return lanes_; }
  int seg_len() const { return seg_len_; }
  size_t width() const { return static_cast<size_t>(seg_len_) * static_cast<size_t>(lanes_); }

 private:
  std::vector<uint8_t> query_;
  GapCosts gaps_;
  SimdLevel level_;
  int lanes_ = 1;
  int seg_len_ = 0;
  std::vector<int16_t> profile_storage_;  // over-allocated for 64-byte alignment
  int16_t* profile_ = nullptr;  // [21][seg_len * lanes]
  std::vector<int16_t> scratch_storage_;
  int16_t* scratch_ = nullptr;  // [3][seg_len * lanes]
  // The 8-bit kernel's striped profile (score + bias) and scratch, twice the lanes.
  int lanes8_ = 1;
  int seg_len8_ = 0;
  int bias8_ = 0;
  std::vector<uint8_t> profile8_storage_;
  uint8_t* profile8_ = nullptr;  // [21][seg_len8 * lanes8]
  std::vector<uint8_t> scratch8_storage_;
  uint8_t* scratch8_ = nullptr;  // [3][seg_len8 * lanes8]
};

// The same score computed by the plain Gotoh recurrence in O(tlen) memory (the oracle for the SIMD kernels).
int sw_score_scalar(const uint8_t* query, size_t qlen, const uint8_t* target, size_t tlen, GapCosts gaps,
                    long* q_last = nullptr, long* t_last = nullptr);

// A local alignment: query[q_begin, q_end) against target[t_begin, t_end). ops, from the start: 'M' a residue
// pair, 'I' a target residue with no query partner (an insertion relative to the query), 'D' a query residue
// against a gap.
struct LocalAlignment {
  int score = 0;
  size_t q_begin = 0, q_end = 0, t_begin = 0, t_end = 0;
  std::string ops;
  size_t identities = 0;  // 'M' pairs with the same residue
};

// Scalar Smith-Waterman-Gotoh with traceback; O(qlen * tlen) bytes of traceback memory. Ties are broken the same
// way every time (diagonal before gaps; the end cell with the smallest query, then target position).
LocalAlignment align_local(const uint8_t* query, size_t qlen, const uint8_t* target, size_t tlen, GapCosts gaps);

// Where a best local alignment ends, as SwScorer::score_end reports it.
struct AlignmentEnd {
  int score = 0;
  long q_last = -1, t_last = -1;
};

// The same optimal alignment score, found faster: SIMD passes locate the alignment's end (skipped when `end` is
// given) and, on the reversed sequences, its start; a third SIMD pass over that rectangle keeps every H value and
// the traceback follows them (a gap of length k is found as H(i, j-k) - open - k*extend = H(i, j), which is exact
// for Gotoh's recurrence). When the H values of the whole prefix up to the end cell fit in memory, one such pass
// over that prefix replaces the reverse and rectangle passes. Falls back to align_local in the rectangle without
// SIMD or near 16-bit saturation. The alignment may differ from align_local's among equal-scoring ones.
LocalAlignment align_local_fast(const uint8_t* query, size_t qlen, const uint8_t* target, size_t tlen, GapCosts gaps,
                                SimdLevel level = SimdLevel::Auto, const AlignmentEnd* end = nullptr);

}  // namespace trifold::msa
