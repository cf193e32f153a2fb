// Smith-Waterman-Gotoh: SIMD dispatch, the scalar oracle, and the traceback aligner.
#include "msa/smith_waterman.hpp"

#include <algorithm>
#include <climits>

#include "io/error.hpp"
#include "msa/alphabet.hpp"

namespace trifold::msa {

#if defined(__x86_64__) && defined(TRIFOLD_MSA_X86_SIMD)
namespace detail {
int sw_striped_avx2(const int16_t*, int, const uint8_t*, size_t, int, int, int16_t*, long*, int16_t*);
int sw_striped_sse41(const int16_t*, int, const uint8_t*, size_t, int, int, int16_t*, long*, int16_t*);
int sw_striped8_avx2(const uint8_t*, int, const uint8_t*, size_t, int, int, int, uint8_t*, long*);
int sw_striped8_sse41(const uint8_t*, int, const uint8_t*, size_t, int, int, int, uint8_t*, long*);
}  // namespace detail
#endif

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Sse41: return "sse4.1";
    case SimdLevel::Scalar: return "scalar";
    default: return "auto";
  }
}

SimdLevel best_simd_level() {
#if defined(__x86_64__) && defined(TRIFOLD_MSA_X86_SIMD)
  if (__builtin_cpu_supports("avx2")) return SimdLevel::Avx2;
  if (__builtin_cpu_supports("sse4.1")) return SimdLevel::Sse41;
#endif
  return SimdLevel::Scalar;
}

namespace {

// Rank of an instruction set: a level can run when the CPU's best level ranks at least as high.
int simd_rank(SimdLevel l) {
  switch (l) {
    case SimdLevel::Avx2: return 2;
    case SimdLevel::Sse41: return 1;
    default: return 0;
  }
}

// 64-byte aligned start inside an over-allocated vector (32 would do for AVX2; 64 is a cache line).
template <typename T>
T* align64(std::vector<T>& v) {
  return reinterpret_cast<T*>((reinterpret_cast<uintptr_t>(v.data()) + 63) & ~uintptr_t(63));
}

}  // namespace

SwScorer::SwScorer(const uint8_t* query, size_t qlen, GapCosts gaps, SimdLevel level)
    : query_(query, query + qlen), gaps_(gaps), level_(level == SimdLevel::Auto ? best_simd_level() : level) {
  TRIFOLD_CHECK(qlen > 0, "empty query");
  if (simd_rank(level_) > simd_rank(best_simd_level())) level_ = best_simd_level();  // never run what the CPU lacks
  if (level_ == SimdLevel::Scalar) return;
  lanes_ = level_ == SimdLevel::Avx2 ? 16 : 8;
  seg_len_ = static_cast<int>((qlen + lanes_ - 1) / lanes_);
  const size_t width = static_cast<size_t>(seg_len_) * lanes_;
  // 32 extra int16 (64 bytes) so the start can be rounded up to a 64-byte boundary.
  profile_storage_.assign(21 * width + 32, 0);
  profile_ = align64(profile_storage_);
  for (int a = 0; a < 21; ++a)
    for (int s = 0; s < seg_len_; ++s)
      for (int l = 0; l < lanes_; ++l) {
        const size_t qi = static_cast<size_t>(l) * seg_len_ + s;
        // Padding past the query end scores 0: it can carry a score along but never raise the maximum.
        profile_[a * width + s * lanes_ + l] = qi < qlen ? kBlosum62[query_[qi]][a] : 0;
      }
  scratch_storage_.assign(3 * width + 32, 0);
  scratch_ = align64(scratch_storage_);

  // 8-bit profile: score + bias, bias = -(lowest score) so that every entry is >= 0.
  lanes8_ = 2 * lanes_;
  seg_len8_ = static_cast<int>((qlen + lanes8_ - 1) / lanes8_);
  const size_t width8 = static_cast<size_t>(seg_len8_) * lanes8_;
  int lowest = 0;
  for (const auto& row : kBlosum62)
    for (int8_t v : row) lowest = std::min<int>(lowest, v);
  bias8_ = -lowest;
  profile8_storage_.assign(21 * width8 + 64, 0);
  profile8_ = align64(profile8_storage_);
  for (int a = 0; a < 21; ++a)
    for (int s = 0; s < seg_len8_; ++s)
      for (int l = 0; l < lanes8_; ++l) {
        const size_t qi = static_cast<size_t>(l) * seg_len8_ + s;
        profile8_[a * width8 + s * lanes8_ + l] = static_cast<uint8_t>((qi < qlen ? kBlosum62[query_[qi]][a] : 0) + bias8_);
      }
  scratch8_storage_.assign(3 * width8 + 64, 0);
  scratch8_ = align64(scratch8_storage_);
}

int SwScorer::score(const uint8_t* target, size_t tlen) {
  const int s = score_or_high(target, tlen);
  if (s >= 0) return s;
  long q, t;
  return score_end(target, tlen, q, t);
}

int SwScorer::score_or_high(const uint8_t* target, size_t tlen) {
  if (tlen == 0) return 0;
#if defined(__x86_64__) && defined(TRIFOLD_MSA_X86_SIMD)
  const int first = gaps_.open + gaps_.extend;
  if (first + bias8_ < 256 && level_ != SimdLevel::Scalar) {
    if (level_ == SimdLevel::Avx2)
      return detail::sw_striped8_avx2(profile8_, seg_len8_, target, tlen, first, gaps_.extend, bias8_, scratch8_,
                                      nullptr);
    return detail::sw_striped8_sse41(profile8_, seg_len8_, target, tlen, first, gaps_.extend, bias8_, scratch8_,
                                     nullptr);
  }
#endif
  const int s = sw_score_scalar(query_.data(), query_.size(), target, tlen, gaps_);
  return s >= kHighScore ? -1 : s;
}

int SwScorer::score_end(const uint8_t* target, size_t tlen, long& q_last, long& t_last) {
  q_last = t_last = -1;
  if (tlen == 0) return 0;
  int s = -1;
#if defined(__x86_64__) && defined(TRIFOLD_MSA_X86_SIMD)
  const int first = gaps_.open + gaps_.extend;
  long end[2] = {-1, -1};
  // 8-bit lanes first (nearly every pair of a search scores far below their limit), then 16-bit.
  if (first + bias8_ < 256 && level_ != SimdLevel::Scalar) {
    if (level_ == SimdLevel::Avx2)
      s = detail::sw_striped8_avx2(profile8_, seg_len8_, target, tlen, first, gaps_.extend, bias8_, scratch8_, end);
    else
      s = detail::sw_striped8_sse41(profile8_, seg_len8_, target, tlen, first, gaps_.extend, bias8_, scratch8_, end);
  }
  if (s < 0) {
    if (level_ == SimdLevel::Avx2)
      s = detail::sw_striped_avx2(profile_, seg_len_, target, tlen, first, gaps_.extend, scratch_, end, nullptr);
    else if (level_ == SimdLevel::Sse41)
      s = detail::sw_striped_sse41(profile_, seg_len_, target, tlen, first, gaps_.extend, scratch_, end, nullptr);
  }
  q_last = end[0];
  t_last = end[1];
#endif
  if (s < 0) s = sw_score_scalar(query_.data(), query_.size(), target, tlen, gaps_, &q_last, &t_last);
  return s;
}

int SwScorer::score_end_keep(const uint8_t* target, size_t tlen, long& q_last, long& t_last,
                             std::vector<int16_t>& h_cols) {
  q_last = t_last = -1;
  int s = -1;
#if defined(__x86_64__) && defined(TRIFOLD_MSA_X86_SIMD)
  if (level_ == SimdLevel::Scalar || tlen == 0) return -1;
  h_cols.resize(tlen * width());
  const int first = gaps_.open + gaps_.extend;
  long end[2] = {-1, -1};
  if (level_ == SimdLevel::Avx2)
    s = detail::sw_striped_avx2(profile_, seg_len_, target, tlen, first, gaps_.extend, scratch_, end, h_cols.data());
  else
    s = detail::sw_striped_sse41(profile_, seg_len_, target, tlen, first, gaps_.extend, scratch_, end, h_cols.data());
  q_last = end[0];
  t_last = end[1];
#else
  (void)target;
  (void)tlen;
  (void)h_cols;
#endif
  return s;
}

int sw_score_scalar(const uint8_t* query, size_t qlen, const uint8_t* target, size_t tlen, GapCosts gaps,
                    long* q_last, long* t_last) {
  if (q_last) *q_last = -1;
  if (t_last) *t_last = -1;
  const int first = gaps.open + gaps.extend, ext = gaps.extend;
  // Column vectors over the query, swept along the target.
  std::vector<int> h(qlen + 1, 0), e(qlen + 1, INT_MIN / 2);
  int best = 0;
  for (size_t j = 0; j < tlen; ++j) {
    const auto& row = kBlosum62[target[j]];
    int diag = 0, f = INT_MIN / 2;
    h[0] = 0;
    for (size_t i = 1; i <= qlen; ++i) {
      e[i] = std::max(e[i] - ext, h[i] - first);   // horizontal: target residue against a gap
      f = std::max(f - ext, h[i - 1] - first);      // vertical: query residue against a gap
      const int hij = std::max({0, diag + row[query[i - 1]], e[i], f});
      diag = h[i];
      h[i] = hij;
      if (hij > best) {
        best = hij;
        if (q_last) *q_last = static_cast<long>(i - 1);
        if (t_last) *t_last = static_cast<long>(j);
      }
    }
  }
  return best;
}

LocalAlignment align_local(const uint8_t* query, size_t qlen, const uint8_t* target, size_t tlen, GapCosts gaps) {
  LocalAlignment out;
  if (qlen == 0 || tlen == 0) return out;
  const int first = gaps.open + gaps.extend, ext = gaps.extend;
  const size_t W = tlen + 1;
  // Traceback bits per cell: 0-1 where H came from (0 start, 1 diagonal, 2 E, 3 F); 2: E extended; 3: F extended.
  std::vector<uint8_t> tb((qlen + 1) * W, 0);
  std::vector<int> h_prev(W, 0), h_cur(W, 0), f(W, INT_MIN / 2);
  int best = 0;
  size_t bi = 0, bj = 0;
  for (size_t i = 1; i <= qlen; ++i) {
    int e = INT_MIN / 2;
    h_cur[0] = 0;
    const auto& row = kBlosum62[query[i - 1]];
    for (size_t j = 1; j <= tlen; ++j) {
      uint8_t bits = 0;
      const int e_ext = e - ext, e_open = h_cur[j - 1] - first;  // E: along the target (insertion)
      if (e_ext > e_open) bits |= 4;
      e = std::max(e_ext, e_open);
      const int f_ext = f[j] - ext, f_open = h_prev[j] - first;  // F: along the query (deletion)
      if (f_ext > f_open) bits |= 8;
      f[j] = std::max(f_ext, f_open);
      const int d = h_prev[j - 1] + row[target[j - 1]];
      int hv = 0;
      uint8_t src = 0;
      if (d > hv) { hv = d; src = 1; }
      if (e > hv) { hv = e; src = 2; }
      if (f[j] > hv) { hv = f[j]; src = 3; }
      h_cur[j] = hv;
      tb[i * W + j] = bits | src;
      if (hv > best) { best = hv; bi = i; bj = j; }
    }
    std::swap(h_prev, h_cur);
  }
  out.score = best;
  if (best == 0) return out;
  out.q_end = bi;
  out.t_end = bj;
  std::string ops;
  size_t i = bi, j = bj;
  int state = 0;  // 0: in H, 2: in E, 3: in F
  while (i > 0 && j > 0) {
    const uint8_t bits = tb[i * W + j];
    if (state == 0) {
      const int src = bits & 3;
      if (src == 0) break;
      if (src == 1) {
        ops.push_back('M');
        out.identities += query[i - 1] == target[j - 1] && query[i - 1] < kNumAa;
        --i;
        --j;
        continue;
      }
      state = src;
    }
    if (state == 2) {
      ops.push_back('I');
      const bool extended = bits & 4;
      --j;
      if (!extended) state = 0;
    } else {
      ops.push_back('D');
      const bool extended = bits & 8;
      --i;
      if (!extended) state = 0;
    }
  }
  out.q_begin = i;
  out.t_begin = j;
  std::reverse(ops.begin(), ops.end());
  out.ops = std::move(ops);
  return out;
}

}  // namespace trifold::msa

namespace trifold::msa {

namespace {

// Traceback through the H values of a striped forward pass over query[0, qlen) x target[0, tlen), from the cell
// (qi, tj) whose H is the alignment's score. H alone determines an optimal path: a cell's value came from the
// diagonal (H(i-1, j-1) + s), from a horizontal gap (H(i, j-k) - open - k*ext for some k >= 1) or from a vertical
// one; the first match in that order is taken. An alignment starts where the diagonal predecessor is 0.
LocalAlignment traceback_from_h(const uint8_t* query, const uint8_t* target, const int16_t* h, const SwScorer& sc,
                                long qi, long tj, GapCosts gaps) {
  const size_t width = sc.width();
  const long seg = sc.seg_len();
  const long lanes = sc.lanes();
  auto H = [&](long i, long j) -> int {
    if (i < 0 || j < 0) return 0;
    return h[static_cast<size_t>(j) * width + static_cast<size_t>((i % seg) * lanes + i / seg)];
  };
  LocalAlignment out;
  out.score = H(qi, tj);
  out.q_end = static_cast<size_t>(qi) + 1;
  out.t_end = static_cast<size_t>(tj) + 1;
  std::string ops;
  long i = qi, j = tj;
  int v = out.score;
  while (true) {
    TRIFOLD_CHECK(v > 0, "Smith-Waterman traceback reached a cell without score");
    const int diag = H(i - 1, j - 1);
    if (v == diag + kBlosum62[query[i]][target[j]]) {
      ops.push_back('M');
      out.identities += query[i] == target[j] && query[i] < kNumAa;
      if (diag == 0) break;
      --i;
      --j;
      v = diag;
      continue;
    }
    bool found = false;
    for (long k = 1; k <= j && !found; ++k) {
      const int from = H(i, j - k);
      if (from - gaps.open - k * gaps.extend == v) {
        ops.append(static_cast<size_t>(k), 'I');
        j -= k;
        v = from;
        found = true;
      }
    }
    for (long k = 1; k <= i && !found; ++k) {
      const int from = H(i - k, j);
      if (from - gaps.open - k * gaps.extend == v) {
        ops.append(static_cast<size_t>(k), 'D');
        i -= k;
        v = from;
        found = true;
      }
    }
    TRIFOLD_CHECK(found, "Smith-Waterman traceback found no predecessor");
  }
  out.q_begin = static_cast<size_t>(i);
  out.t_begin = static_cast<size_t>(j);
  std::reverse(ops.begin(), ops.end());
  out.ops = std::move(ops);
  return out;
}

// Largest rectangle (cells) whose H values are kept for the SIMD traceback (2 bytes a cell, 80 MB); larger ones use
// the scalar aligner (1 byte a cell of traceback bits).
constexpr double kMaxKeptCells = 4e7;

}  // namespace

LocalAlignment align_local_fast(const uint8_t* query, size_t qlen, const uint8_t* target, size_t tlen, GapCosts gaps,
                                SimdLevel level, const AlignmentEnd* known_end) {
  if (qlen == 0 || tlen == 0) return {};
  // One kept-H pass over the prefix that ends at the alignment's end cell (the whole matrix when the end is not
  // known): the prefix's H values are the full matrix's, so the traceback from the end cell is exact.
  {
    const size_t qn = known_end ? static_cast<size_t>(known_end->q_last) + 1 : qlen;
    const size_t tn = known_end ? static_cast<size_t>(known_end->t_last) + 1 : tlen;
    if ((!known_end || (known_end->q_last >= 0 && known_end->score > 0)) &&
        static_cast<double>(qn) * static_cast<double>(tn) <= kMaxKeptCells) {
      SwScorer prefix(query, qn, gaps, level);
      thread_local std::vector<int16_t> h_cols;
      long qe = -1, te = -1;
      const int s = prefix.score_end_keep(target, tn, qe, te, h_cols);
      if (s == 0) return {};
      if (s > 0) {
        if (known_end) {
          TRIFOLD_CHECK(s == known_end->score, "Smith-Waterman passes disagree on the best score");
          qe = known_end->q_last;
          te = known_end->t_last;
        }
        LocalAlignment a = traceback_from_h(query, target, h_cols.data(), prefix, qe, te, gaps);
        TRIFOLD_CHECK(a.score == s, "Smith-Waterman traceback lost score");
        return a;
      }
    }
  }
  long q_last = -1, t_last = -1;
  int best = 0;
  if (known_end) {
    best = known_end->score;
    q_last = known_end->q_last;
    t_last = known_end->t_last;
  } else {
    SwScorer forward(query, qlen, gaps, level);
    best = forward.score_end(target, tlen, q_last, t_last);
  }
  if (best <= 0 || q_last < 0) return {};
  TRIFOLD_CHECK(static_cast<size_t>(q_last) < qlen && static_cast<size_t>(t_last) < tlen, "alignment end out of range");
  // Reversed prefixes ending at the end cell: the best alignment there ends where the forward one starts.
  std::vector<uint8_t> rq(query, query + q_last + 1), rt(target, target + t_last + 1);
  std::reverse(rq.begin(), rq.end());
  std::reverse(rt.begin(), rt.end());
  SwScorer backward(rq.data(), rq.size(), gaps, level);
  long rq_last = -1, rt_last = -1;
  const int back = backward.score_end(rt.data(), rt.size(), rq_last, rt_last);
  TRIFOLD_CHECK(back == best && rq_last >= 0, "reverse Smith-Waterman pass disagrees with the forward pass");
  const size_t q0 = static_cast<size_t>(q_last - rq_last), t0 = static_cast<size_t>(t_last - rt_last);
  const size_t qn = static_cast<size_t>(q_last) + 1 - q0, tn = static_cast<size_t>(t_last) + 1 - t0;
  LocalAlignment a;
  bool done = false;
  if (static_cast<double>(qn) * static_cast<double>(tn) <= kMaxKeptCells) {
    SwScorer rect(query + q0, qn, gaps, level);
    thread_local std::vector<int16_t> h_cols;
    long rq = -1, rt2 = -1;
    if (rect.score_end_keep(target + t0, tn, rq, rt2, h_cols) == best) {
      // The rectangle's own best cell may be another one with the same score; trace from the known end.
      a = traceback_from_h(query + q0, target + t0, h_cols.data(), rect, static_cast<long>(qn) - 1,
                           static_cast<long>(tn) - 1, gaps);
      done = true;
    }
  }
  if (!done) a = align_local(query + q0, qn, target + t0, tn, gaps);
  TRIFOLD_CHECK(a.score == best, "Smith-Waterman traceback inside the located rectangle lost score");
  a.q_begin += q0;
  a.q_end += q0;
  a.t_begin += t0;
  a.t_end += t0;
  return a;
}

}  // namespace trifold::msa
