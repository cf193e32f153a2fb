// Neighbourhood-word prefilter with two-hit seeding and ungapped X-drop extension.
#include "msa/prefilter.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "io/error.hpp"
#include "msa/alphabet.hpp"

namespace trifold::msa {
namespace {

constexpr int kWord = 3;
constexpr int kWords = 8000;  // 20^3

// Best-scoring ungapped extension through the seed query[qi..qi+3) ~ target[tj..tj+3), X-drop both ways.
// Returns the segment score and sets `t_end` to the target position just past the segment.
int extend_ungapped(const uint8_t* q, int qlen, const uint8_t* t, int tlen, int qi, int tj, int xdrop, int& t_end) {
  int seed = 0;
  for (int k = 0; k < kWord; ++k) seed += kBlosum62[q[qi + k]][t[tj + k]];
  // Right.
  int best_r = 0, run = 0, best_len = 0;
  for (int k = 0; qi + kWord + k < qlen && tj + kWord + k < tlen; ++k) {
    run += kBlosum62[q[qi + kWord + k]][t[tj + kWord + k]];
    if (run > best_r) {
      best_r = run;
      best_len = k + 1;
    } else if (best_r - run > xdrop) {
      break;
    }
  }
  // Left.
  int best_l = 0;
  run = 0;
  for (int k = 1; qi - k >= 0 && tj - k >= 0; ++k) {
    run += kBlosum62[q[qi - k]][t[tj - k]];
    if (run > best_l) best_l = run;
    else if (best_l - run > xdrop) break;
  }
  t_end = tj + kWord + best_len;
  return seed + best_r + best_l;
}

// Per-diagonal state: the absolute position (database offset + kBase) of the last seed on the diagonal, or
// the end of the last ungapped extension, which then acts as the previous seed (as in gapped BLAST). A slot left
// over from an earlier target is automatically too far away to pair with, so nothing is cleared between targets.
constexpr uint64_t kBase = 1u << 16;

}  // namespace

QueryWords::QueryWords(const std::vector<uint8_t>& query, int threshold) : query_(query), start_(kWords + 1, 0) {
  const int n = static_cast<int>(query.size()) - kWord + 1;
  // Best score any letter reaches against query letter a: bounds for pruning the word enumeration.
  std::vector<std::vector<int32_t>> lists(kWords);
  for (int i = 0; i < n; ++i) {
    const uint8_t a = query[i], b = query[i + 1], c = query[i + 2];
    int max_b = INT_MIN, max_c = INT_MIN;
    for (int x = 0; x < kNumAa; ++x) {
      max_b = std::max<int>(max_b, kBlosum62[b][x]);
      max_c = std::max<int>(max_c, kBlosum62[c][x]);
    }
    for (int x = 0; x < kNumAa; ++x) {
      const int s1 = kBlosum62[a][x];
      if (s1 + max_b + max_c < threshold) continue;
      for (int y = 0; y < kNumAa; ++y) {
        const int s2 = s1 + kBlosum62[b][y];
        if (s2 + max_c < threshold) continue;
        for (int z = 0; z < kNumAa; ++z)
          if (s2 + kBlosum62[c][z] >= threshold) lists[400 * x + 20 * y + z].push_back(i);
      }
    }
  }
  for (int w = 0; w < kWords; ++w) start_[w + 1] = start_[w] + static_cast<uint32_t>(lists[w].size());
  pos_.reserve(start_[kWords]);
  for (auto& l : lists) pos_.insert(pos_.end(), l.begin(), l.end());
}

std::vector<Candidate> prefilter(const QueryWords& words, const SequenceDb& db, const PrefilterOptions& opt) {
  const auto& query = words.query();
  const int qlen = static_cast<int>(query.size());
  const size_t ntargets = db.size();
  std::vector<int> best(ntargets, 0);
  size_t max_tlen = 0;
  for (size_t t = 0; t < ntargets; ++t) max_tlen = std::max(max_tlen, db.length(t));
  if (qlen < kWord || static_cast<double>(qlen) * static_cast<double>(db.total_residues()) <= opt.exhaustive_cells) {
    std::vector<Candidate> all(ntargets);
    for (size_t t = 0; t < ntargets; ++t) all[t].target = static_cast<uint32_t>(t);
    return all;
  }

  TRIFOLD_CHECK(db.total_residues() + kBase < (uint64_t(1) << 31) - 1, "database too large for 31-bit positions");
  const int window = opt.two_hit_window;
#pragma omp parallel
  {
    std::vector<int32_t> diag(qlen + max_tlen + 1, 0);
#pragma omp for schedule(dynamic, 64)
    for (long tl = 0; tl < static_cast<long>(ntargets); ++tl) {
      const size_t t = static_cast<size_t>(tl);
      const int tlen = static_cast<int>(db.length(t));
      if (tlen < kWord) continue;
      const uint8_t* ts = db.sequence(t);
      const int32_t base = static_cast<int32_t>(db.offsets[t] + kBase);
      const uint16_t* wc = db.word_codes.data() + db.offsets[t];
      // diag_t[tj - qi] is the slot of the diagonal through (qi, tj).
      int32_t* diag_t = diag.data() + qlen;
      int top = 0;
      for (int tj = 0; tj + kWord <= tlen; ++tj) {
        const uint16_t code = wc[tj];
        if (code == SequenceDb::kNoWord) continue;
        const int32_t* p = words.begin(code);
        const int32_t* end = words.end(code);
        const int32_t abs = base + tj;
        for (; p != end; ++p) {
          const int qi = *p;
          int32_t& last = diag_t[tj - qi];
          const int32_t dist = abs - last;
          if (dist < kWord) continue;  // inside an extension, or overlapping the previous seed
          if (dist <= window) {
            int t_end = 0;
            const int sc = extend_ungapped(query.data(), qlen, ts, tlen, qi, tj, opt.xdrop_ungapped, t_end);
            top = std::max(top, sc);
            last = static_cast<int32_t>(base) + t_end - kWord;
          } else {
            last = abs;
          }
        }
      }
      best[t] = top;
    }
  }
  std::vector<Candidate> out;
  constexpr double kLambdaU = 0.3176, kKU = 0.134;  // ungapped BLOSUM62 (Altschul & Gish 1996)
  const double log_max_e = std::log(opt.max_ungapped_evalue);
  for (size_t t = 0; t < ntargets; ++t) {
    if (best[t] < opt.min_ungapped_score) continue;
    const double log_e = std::log(kKU * qlen * static_cast<double>(db.length(t))) - kLambdaU * best[t];
    if (log_e <= log_max_e) out.push_back({static_cast<uint32_t>(t), best[t]});
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.ungapped != b.ungapped ? a.ungapped > b.ungapped : a.target < b.target;
  });
  if (out.size() > opt.max_candidates) out.resize(opt.max_candidates);
  return out;
}

}  // namespace trifold::msa
