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
  // Best local alignment score (BLOSUM62 half-bits). Exact: 16-bit lanes, redone in 32-bit scalar when a
  // score comes near the 16-bit limit.
  int score(const uint8_t* target, size_t tlen);
  // Same, and the query and target index of the cell where a best-scoring alignment ends (-1 when score 0).
  int score_end(const uint8_t* target, size_t tlen, long& q_last, long& t_last);
  SimdLevel level() const { return level_; }

 private:
  std::vector<uint8_t> query_;
  GapCosts gaps_;
  SimdLevel level_;
  int lanes_ = 1;
  int seg_len_ = 0;
  std::vector<int16_t, std::allocator<int16_t>> profile_storage_;  // over-allocated for 32-byte alignment
  int16_t* profile_ = nullptr;  // [21][seg_len * lanes]
  std::vector<int16_t> scratch_storage_;
  int16_t* scratch_ = nullptr;  // [3][seg_len * lanes]
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

// The same optimal alignment score, found faster for long sequences: SIMD passes locate the alignment's end and
// (on the reversed sequences) its start, and the traceback runs only inside that rectangle. The alignment may
// differ from align_local's among equal-scoring ones.
LocalAlignment align_local_fast(const uint8_t* query, size_t qlen, const uint8_t* target, size_t tlen, GapCosts gaps,
                                SimdLevel level = SimdLevel::Auto);

}  // namespace trifold::msa
