// Smith-Waterman-Gotoh: SIMD dispatch, the scalar oracle, and the traceback aligner.
#include "msa/smith_waterman.hpp"

#include <algorithm>
#include <climits>

#include "io/error.hpp"
#include "msa/alphabet.hpp"

namespace trifold::msa {

#if defined(__x86_64__) && defined(TRIFOLD_MSA_X86_SIMD)
namespace detail {
int sw_striped_avx2(const int16_t*, int, const uint8_t*, size_t, int, int, int16_t*, long*);
int sw_striped_sse41(const int16_t*, int, const uint8_t*, size_t, int, int, int16_t*, long*);
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

SwScorer::SwScorer(const uint8_t* query, size_t qlen, GapCosts gaps, SimdLevel level)
    : query_(query, query + qlen), gaps_(gaps), level_(level == SimdLevel::Auto ? best_simd_level() : level) {
  TRIFOLD_CHECK(qlen > 0, "empty query");
  if (level_ != SimdLevel::Scalar && level_ != best_simd_level() &&
      !(level_ == SimdLevel::Sse41 && best_simd_level() == SimdLevel::Avx2))
    level_ = best_simd_level();  // never run an instruction set the CPU lacks
  if (level_ == SimdLevel::Scalar) return;
  lanes_ = level_ == SimdLevel::Avx2 ? 16 : 8;
  seg_len_ = static_cast<int>((qlen + lanes_ - 1) / lanes_);
  const size_t width = static_cast<size_t>(seg_len_) * lanes_;
  // 16 extra int16 (32 bytes) so the start can be rounded up to a 32-byte boundary.
  profile_storage_.assign(21 * width + 16, 0);
  profile_ = reinterpret_cast<int16_t*>((reinterpret_cast<uintptr_t>(profile_storage_.data()) + 31) & ~uintptr_t(31));
  for (int a = 0; a < 21; ++a)
    for (int s = 0; s < seg_len_; ++s)
      for (int l = 0; l < lanes_; ++l) {
        const size_t qi = static_cast<size_t>(l) * seg_len_ + s;
        // Padding past the query end scores 0: it can carry a score along but never raise the maximum.
        profile_[a * width + s * lanes_ + l] = qi < qlen ? kBlosum62[query_[qi]][a] : 0;
      }
  scratch_storage_.assign(3 * width + 16, 0);
  scratch_ = reinterpret_cast<int16_t*>((reinterpret_cast<uintptr_t>(scratch_storage_.data()) + 31) & ~uintptr_t(31));
}

int SwScorer::score(const uint8_t* target, size_t tlen) {
  long q, t;
  return score_end(target, tlen, q, t);
}

int SwScorer::score_end(const uint8_t* target, size_t tlen, long& q_last, long& t_last) {
  q_last = t_last = -1;
  if (tlen == 0) return 0;
  int s = -1;
#if defined(__x86_64__) && defined(TRIFOLD_MSA_X86_SIMD)
  const int first = gaps_.open + gaps_.extend;
  long end[2] = {-1, -1};
  if (level_ == SimdLevel::Avx2)
    s = detail::sw_striped_avx2(profile_, seg_len_, target, tlen, first, gaps_.extend, scratch_, end);
  else if (level_ == SimdLevel::Sse41)
    s = detail::sw_striped_sse41(profile_, seg_len_, target, tlen, first, gaps_.extend, scratch_, end);
  q_last = end[0];
  t_last = end[1];
#endif
  if (s < 0) s = sw_score_scalar(query_.data(), query_.size(), target, tlen, gaps_, &q_last, &t_last);
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

LocalAlignment align_local_fast(const uint8_t* query, size_t qlen, const uint8_t* target, size_t tlen, GapCosts gaps,
                                SimdLevel level) {
  if (qlen == 0 || tlen == 0) return {};
  long q_last = -1, t_last = -1;
  SwScorer forward(query, qlen, gaps, level);
  const int best = forward.score_end(target, tlen, q_last, t_last);
  if (best <= 0 || q_last < 0) return {};
  // Reversed prefixes ending at the end cell: the best alignment there ends where the forward one starts.
  std::vector<uint8_t> rq(query, query + q_last + 1), rt(target, target + t_last + 1);
  std::reverse(rq.begin(), rq.end());
  std::reverse(rt.begin(), rt.end());
  SwScorer backward(rq.data(), rq.size(), gaps, level);
  long rq_last = -1, rt_last = -1;
  const int back = backward.score_end(rt.data(), rt.size(), rq_last, rt_last);
  TRIFOLD_CHECK(back == best && rq_last >= 0, "reverse Smith-Waterman pass disagrees with the forward pass");
  const size_t q0 = static_cast<size_t>(q_last - rq_last), t0 = static_cast<size_t>(t_last - rt_last);
  LocalAlignment a = align_local(query + q0, static_cast<size_t>(q_last) + 1 - q0, target + t0,
                                 static_cast<size_t>(t_last) + 1 - t0, gaps);
  TRIFOLD_CHECK(a.score == best, "Smith-Waterman traceback inside the located rectangle lost score");
  a.q_begin += q0;
  a.q_end += q0;
  a.t_begin += t0;
  a.t_end += t0;
  return a;
}

}  // namespace trifold::msa
