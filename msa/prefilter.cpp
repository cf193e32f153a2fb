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
[[gnu::noinline]] int extend_ungapped(const uint8_t* __restrict q, int qlen, const uint8_t* __restrict t, int tlen,
                                      int qi, int tj, int xdrop, int& t_end) {
  int seed = 0;
  for (int k = 0; k < kWord; ++k) seed += kBlosum62[q[qi + k]][t[tj + k]];
  // Right.
  int best_r = 0, run = 0, best_len = 0;
  const int right = std::min(qlen - qi, tlen - tj) - kWord;
  const uint8_t* qr = q + qi + kWord;
  const uint8_t* tr = t + tj + kWord;
  for (int k = 0; k < right; ++k) {
    run += kBlosum62[qr[k]][tr[k]];
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
  const int left = std::min(qi, tj);
  for (int k = 1; k <= left; ++k) {
    run += kBlosum62[q[qi - k]][t[tj - k]];
    if (run > best_l) best_l = run;
    else if (best_l - run > xdrop) break;
  }
  t_end = tj + kWord + best_len;
  return seed + best_r + best_l;
}

// Per-diagonal state: the absolute position (the target's base + position) of the last seed on the diagonal, or
// the end of the last ungapped extension, which then acts as the previous seed (as in gapped BLAST). Bases grow
// by more than the two-hit window between targets, so a slot left over from an earlier target is too far away to
// pair with and nothing is cleared between targets.
constexpr uint64_t kBase = 1u << 16;

// The two-hit scan of one target; returns its best ungapped segment score. diag_t[tj - qi] is the slot of the
// diagonal through (qi, tj). Kept out of the OpenMP region so that its state lives in registers.
[[gnu::noinline]] int scan_target(const uint16_t* __restrict wc, const uint8_t* __restrict ts, int tlen,
                                  const uint8_t* __restrict q, int qlen, const uint32_t* __restrict start,
                                  const int32_t* __restrict pos, int32_t* __restrict diag_t, int32_t base, int window,
                                  int xdrop) {
  int top = 0;
  const int n = tlen - kWord + 1;
  for (int tj = 0; tj < n; ++tj) {
    const unsigned code = wc[tj];
    if (code == SequenceDb::kNoWord) continue;
    const int32_t* p = pos + start[code];
    const int32_t* const e = pos + start[code + 1];
    const int32_t abs = base + tj;
    int32_t* const d = diag_t + tj;  // d[-qi]: the slot of the diagonal through (qi, tj)
    for (; p != e; ++p) {
      const int qi = *p;
      const int32_t dist = abs - d[-qi];
      if (dist > window) {
        d[-qi] = abs;
      } else if (dist >= kWord) {  // closer: inside an extension, or overlapping the previous seed
        int t_end = 0;
        const int sc = extend_ungapped(q, qlen, ts, tlen, qi, tj, xdrop, t_end);
        top = std::max(top, sc);
        d[-qi] = base + t_end - kWord;
      }
    }
  }
  return top;
}

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

namespace {

bool exhaustive(int qlen, const SequenceDb& db, const PrefilterOptions& opt) {
  return qlen < kWord || static_cast<double>(qlen) * static_cast<double>(db.total_residues()) <= opt.exhaustive_cells;
}

std::vector<Candidate> all_targets(const SequenceDb& db) {
  std::vector<Candidate> all(db.size());
  for (size_t t = 0; t < db.size(); ++t) all[t].target = static_cast<uint32_t>(t);
  return all;
}

// Targets whose best ungapped segment passes, best first (then by index), at most opt.max_candidates.
std::vector<Candidate> select_candidates(const int* best, int qlen, const SequenceDb& db, const PrefilterOptions& opt) {
  std::vector<Candidate> out;
  constexpr double kLambdaU = 0.3176, kKU = 0.134;  // ungapped BLOSUM62 (Altschul & Gish 1996)
  const double log_max_e = std::log(opt.max_ungapped_evalue);
  for (size_t t = 0; t < db.size(); ++t) {
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

uint64_t base_stride(const SequenceDb& db, const PrefilterOptions& opt) {
  const uint64_t stride = static_cast<uint64_t>(opt.two_hit_window) + kWord;  // extra base distance between targets
  TRIFOLD_CHECK(db.total_residues() + kBase + (db.size() + 1) * stride < (uint64_t(1) << 31) - 1,
                "database too large for 31-bit positions");
  return stride;
}

size_t longest(const SequenceDb& db) {
  size_t max_tlen = 0;
  for (size_t t = 0; t < db.size(); ++t) max_tlen = std::max(max_tlen, db.length(t));
  return max_tlen;
}

// The two-hit scan of one target for a batch of queries sharing one word table. All queries' diagonal slots live
// in one array: entry k of a word's list holds slot_base[k] = (query b's region offset) - qi, so the slot of the
// diagonal through (qi, tj) is slots[slot_base[k] + tj], one load; who[k] = (b << 24) | qi is read only for the
// rare extensions. top[b] receives query b's best score.
[[gnu::noinline]] void scan_target_batch(const uint16_t* __restrict wc, const uint8_t* __restrict ts, int tlen,
                                         const uint8_t* const* q, const int* qlen, const uint32_t* __restrict start,
                                         const int32_t* __restrict slot_base, const uint32_t* __restrict who,
                                         int32_t* __restrict slots, int32_t base, int window, int xdrop, int* top) {
  const int n = tlen - kWord + 1;
  constexpr int kAhead = 16; // word lists are L2-resident: fetch the list of the word kAhead positions on early
  for (int tj = 0; tj < n; ++tj) {
    if (tj + kAhead < n) {
      const unsigned ahead = wc[tj + kAhead];
      if (ahead != SequenceDb::kNoWord) __builtin_prefetch(slot_base + start[ahead]);
    }
    const unsigned code = wc[tj];
    if (code == SequenceDb::kNoWord) continue;
    const uint32_t k_end = start[code + 1];
    const int32_t abs = base + tj;
    int32_t* const s_tj = slots + tj;
    for (uint32_t k = start[code]; k != k_end; ++k) {
      int32_t& slot = s_tj[slot_base[k]];
      const int32_t dist = abs - slot;
      if (dist > window) {
        slot = abs;
      } else if (dist >= kWord) {
        const unsigned b = who[k] >> 24;
        const int qi = static_cast<int>(who[k] & 0xFFFFFFu);
        int t_end = 0;
        const int sc = extend_ungapped(q[b], qlen[b], ts, tlen, qi, tj, xdrop, t_end);
        top[b] = std::max(top[b], sc);
        slot = base + t_end - kWord;
      }
    }
  }
}

}  // namespace

std::vector<Candidate> prefilter(const QueryWords& words, const SequenceDb& db, const PrefilterOptions& opt) {
  const auto& query = words.query();
  const int qlen = static_cast<int>(query.size());
  const size_t ntargets = db.size();
  if (exhaustive(qlen, db, opt)) return all_targets(db);
  std::vector<int> best(ntargets, 0);
  const size_t max_tlen = longest(db);
  const int window = opt.two_hit_window;
  const uint64_t stride = base_stride(db, opt);
#pragma omp parallel
  {
    std::vector<int32_t> diag(qlen + max_tlen + 1, 0);
#pragma omp for schedule(dynamic, 64)
    for (long tl = 0; tl < static_cast<long>(ntargets); ++tl) {
      const size_t t = static_cast<size_t>(tl);
      const int tlen = static_cast<int>(db.length(t));
      if (tlen < kWord) continue;
      const int32_t base = static_cast<int32_t>(kBase + db.offsets[t] + (t + 1) * stride);
      best[t] = scan_target(db.word_codes.data() + db.offsets[t], db.sequence(t), tlen, query.data(), qlen,
                            words.starts(), words.positions(), diag.data() + qlen, base, window,
                            opt.xdrop_ungapped);
    }
  }
  return select_candidates(best.data(), qlen, db, opt);
}

std::vector<std::vector<Candidate>> prefilter_batch(const std::vector<const QueryWords*>& words, const SequenceDb& db,
                                                    const PrefilterOptions& opt) {
  std::vector<std::vector<Candidate>> out(words.size());
  // Queries that skip the prefilter, and the others, which share one word table.
  std::vector<size_t> scanned;
  for (size_t i = 0; i < words.size(); ++i) {
    if (exhaustive(static_cast<int>(words[i]->query().size()), db, opt)) out[i] = all_targets(db);
    else scanned.push_back(i);
  }
  if (scanned.empty()) return out;
  TRIFOLD_CHECK(scanned.size() <= kMaxBatch, "prefilter batch larger than " + std::to_string(kMaxBatch));
  const size_t nb = scanned.size();
  std::vector<uint32_t> start(kWords + 1, 0);
  std::vector<const uint8_t*> q(nb);
  std::vector<int> qlen(nb);
  for (size_t b = 0; b < nb; ++b) {
    const QueryWords& w = *words[scanned[b]];
    q[b] = w.query().data();
    qlen[b] = static_cast<int>(w.query().size());
    TRIFOLD_CHECK(qlen[b] < (1 << 24), "query too long for the batched prefilter");
    for (int c = 0; c < kWords; ++c) start[c + 1] += static_cast<uint32_t>(w.end(c) - w.begin(c));
  }
  for (int c = 0; c < kWords; ++c) start[c + 1] += start[c];
  const size_t ntargets = db.size();
  const size_t max_tlen = longest(db);
  const uint64_t stride = base_stride(db, opt);
  // Query b's diagonal slots: slots[region[b] + tj - qi], region[b] = start of its block + qlen[b].
  std::vector<int64_t> region(nb);
  int64_t total = 0;
  for (size_t b = 0; b < nb; ++b) {
    region[b] = total + qlen[b];
    total += qlen[b] + static_cast<int64_t>(max_tlen) + 1;
  }
  TRIFOLD_CHECK(total < (int64_t(1) << 31), "prefilter batch too large");
  std::vector<int32_t> slots(static_cast<size_t>(total), 0);
  std::vector<int32_t> slot_base(start[kWords]);
  std::vector<uint32_t> who(start[kWords]);
  {
    std::vector<uint32_t> fill(start.begin(), start.end() - 1);
    for (size_t b = 0; b < nb; ++b) {
      const QueryWords& w = *words[scanned[b]];
      for (int c = 0; c < kWords; ++c)
        for (const int32_t* p = w.begin(c); p != w.end(c); ++p) {
          slot_base[fill[c]] = static_cast<int32_t>(region[b] - *p);
          who[fill[c]++] = static_cast<uint32_t>(b << 24) | static_cast<uint32_t>(*p);
        }
    }
  }
  std::vector<int> best(nb * ntargets, 0);  // [b][t]
  std::vector<int> top(nb);
  for (size_t t = 0; t < ntargets; ++t) {
    const int tlen = static_cast<int>(db.length(t));
    if (tlen < kWord) continue;
    std::fill(top.begin(), top.end(), 0);
    const int32_t base = static_cast<int32_t>(kBase + db.offsets[t] + (t + 1) * stride);
    scan_target_batch(db.word_codes.data() + db.offsets[t], db.sequence(t), tlen, q.data(), qlen.data(), start.data(),
                      slot_base.data(), who.data(), slots.data(), base, opt.two_hit_window, opt.xdrop_ungapped,
                      top.data());
    for (size_t b = 0; b < nb; ++b) best[b * ntargets + t] = top[b];
  }
  for (size_t b = 0; b < nb; ++b) out[scanned[b]] = select_candidates(best.data() + b * ntargets, qlen[b], db, opt);
  return out;
}

}  // namespace trifold::msa
