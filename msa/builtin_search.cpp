// Built-in search: prefilter → Smith-Waterman scores → E-values → tracebacks for the kept hits.
#include "msa/builtin_search.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>

#include <omp.h>

#include "io/error.hpp"
#include "io/log.hpp"
#include "msa/a3m_convert.hpp"
#include "msa/alphabet.hpp"

namespace trifold::msa {

std::vector<uint8_t> encode_query(const SequenceRecord& query) {
  const std::string where = query.name.empty() ? std::string("query") : "query '" + query.name + "'";
  if (query.sequence.empty()) throw InputError(where + ": empty sequence");
  std::vector<uint8_t> codes;
  codes.reserve(query.sequence.size());
  size_t nucleotide_like = 0;
  for (size_t i = 0; i < query.sequence.size(); ++i) {
    const char c = query.sequence[i];
    const uint8_t a = encode_aa(c);
    if (a > kUnknown)
      throw InputError(where + ": residue " + std::to_string(i + 1) + " '" + std::string(1, c) +
                       "' is not an amino acid letter");
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    nucleotide_like += u == 'A' || u == 'C' || u == 'G' || u == 'T' || u == 'U' || u == 'N';
    codes.push_back(a);
  }
  // A protein made only of A, C, G, T/U, N is vanishingly unlikely past a few residues: it is DNA or RNA.
  if (codes.size() >= 10 && nucleotide_like == codes.size())
    throw InputError(where + ": looks like a nucleotide sequence (only A/C/G/T/U/N); a protein sequence is needed");
  return codes;
}

namespace {

// BLOSUM62's background amino-acid frequencies, ARNDCQEGHILKMFPSTWYV.
constexpr double kBackground[20] = {0.07422, 0.05161, 0.04465, 0.05363, 0.02469, 0.03426, 0.05431,
                                    0.07415, 0.02621, 0.06792, 0.09891, 0.05815, 0.02499, 0.04742,
                                    0.03854, 0.05723, 0.05089, 0.01303, 0.03228, 0.07292};

double expected_pair_score(const double* fq, const double* ft) {
  double e = 0;
  for (int a = 0; a < kNumAa; ++a)
    for (int b = 0; b < kNumAa; ++b) e += fq[a] * ft[b] * kBlosum62[a][b];
  return e;
}

}  // namespace

double composition_bias(const uint8_t* query, const uint8_t* target, const LocalAlignment& aln, double pseudocounts,
                        double tolerance) {
  double fq[20], ft[20];
  for (int a = 0; a < kNumAa; ++a) fq[a] = ft[a] = pseudocounts * kBackground[a];
  size_t i = aln.q_begin, j = aln.t_begin, pairs = 0;
  for (char op : aln.ops) {
    if (op == 'M') {
      if (query[i] < kNumAa) fq[query[i]] += 1;
      if (target[j] < kNumAa) ft[target[j]] += 1;
      ++pairs;
      ++i;
      ++j;
    } else if (op == 'I') {
      ++j;
    } else {
      ++i;
    }
  }
  double sq = 0, st = 0;
  for (int a = 0; a < kNumAa; ++a) {
    sq += fq[a];
    st += ft[a];
  }
  for (int a = 0; a < kNumAa; ++a) {
    fq[a] /= sq;
    ft[a] /= st;
  }
  const double excess = expected_pair_score(fq, ft) - expected_pair_score(kBackground, kBackground) - tolerance;
  return excess > 0 ? excess * static_cast<double>(pairs) : 0.0;
}

double length_adjustment(double K, double lambda, double alpha, double beta, double m, double n, double N) {
  // Fixed-point iteration from l = 0 (NCBI BLAST's BlastComputeLengthAdjustment converges the same way); l is
  // capped so that at least 1/K query residues remain.
  const double l_max = std::max(0.0, m - 1.0 / K);
  double l = 0;
  for (int it = 0; it < 20; ++it) {
    const double mm = m - l, nn = n - N * l;
    if (mm <= 0 || nn <= 0) break;
    const double next = std::clamp(alpha / lambda * std::log(K * mm * nn) + beta, 0.0, l_max);
    if (std::abs(next - l) < 0.5) {
      l = next;
      break;
    }
    l = next;
  }
  return std::floor(std::min(l, l_max));
}

double reversed_null_excess(const uint8_t* query, const uint8_t* target, const LocalAlignment& aln, GapCosts gaps,
                            double lambda, double K, double slack, SimdLevel simd) {
  const size_t m = aln.q_end - aln.q_begin, n = aln.t_end - aln.t_begin;
  if (m == 0 || n == 0) return 0;
  std::vector<uint8_t> rev(target + aln.t_begin, target + aln.t_end);
  std::reverse(rev.begin(), rev.end());
  SwScorer scorer(query + aln.q_begin, m, gaps, simd);
  const int s_rev = scorer.score(rev.data(), rev.size());
  const double chance = (std::log(K * static_cast<double>(m) * static_cast<double>(n)) + slack) / lambda;
  return std::max(0.0, s_rev - chance);
}

namespace {

using Clock = std::chrono::steady_clock;

// The sequence that is searched and aligned: the masked query when masking is on (rows still show the target's own
// residues).
std::vector<uint8_t> searched_sequence(const std::vector<uint8_t>& query_in, const BuiltinOptions& opt) {
  if (query_in.empty()) throw InputError("empty query");
  return opt.mask_low_complexity ? mask_low_complexity(query_in, opt.mask) : query_in;
}

// Smith-Waterman scores of the candidates, E-values, tracebacks and corrections for those that pass.
std::vector<Hit> search_candidates(const std::vector<uint8_t>& query, const std::vector<Candidate>& cands,
                                   const SequenceDb& db, const BuiltinOptions& opt, size_t n_words,
                                   double prefilter_ms) {
  const auto t1 = Clock::now();
  const double m = static_cast<double>(query.size());
  const double n = static_cast<double>(db.total_residues());
  // Smallest raw score whose E-value passes: skips tracebacks for the rest.
  double m_eff = m, n_eff = n;
  if (opt.length_adjustment) {
    const double N = static_cast<double>(db.size());
    const double l = length_adjustment(opt.K, opt.lambda, opt.alpha, opt.beta, m, n, N);
    m_eff = m - l;
    n_eff = std::max(n - N * l, m_eff);
  }
  const double log_kmn = std::log(opt.K * m_eff * n_eff);
  // Scores only, no end cells (the hits' alignments find theirs). -1: beyond the 8-bit range, a certain hit whose
  // exact score comes with its alignment.
  std::vector<int> scores(cands.size());
#pragma omp parallel
  {
    SwScorer scorer(query.data(), query.size(), opt.gaps, opt.simd);
#pragma omp for schedule(dynamic, 8)
    for (long c = 0; c < static_cast<long>(cands.size()); ++c) {
      const uint32_t t = cands[c].target;
      scores[c] = scorer.score_or_high(db.sequence(t), db.length(t));
    }
  }
  const auto t2 = Clock::now();
  std::vector<Hit> hits;
  for (size_t c = 0; c < cands.size(); ++c) {
    if (scores[c] >= 0 && log_kmn - opt.lambda * scores[c] > std::log(opt.max_evalue)) continue;
    Hit h;
    h.target = cands[c].target;
    h.score = scores[c];
    hits.push_back(std::move(h));
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (long i = 0; i < static_cast<long>(hits.size()); ++i) {
    Hit& h = hits[i];
    const bool high = h.score < 0;
    h.aln = align_local_fast(query.data(), query.size(), db.sequence(h.target), db.length(h.target), opt.gaps,
                             opt.simd);
    if (high) h.score = h.aln.score;
    TRIFOLD_CHECK(h.aln.score == h.score, "SIMD and traceback Smith-Waterman scores differ");
    if (opt.bias_pseudocounts >= 0)
      h.bias = composition_bias(query.data(), db.sequence(h.target), h.aln, opt.bias_pseudocounts, opt.bias_tolerance);
    if (opt.reversed_null)
      h.bias = std::max(h.bias, reversed_null_excess(query.data(), db.sequence(h.target), h.aln, opt.gaps, opt.lambda,
                                                     opt.K, opt.reversed_null_slack, opt.simd));
    const double s = h.score - h.bias;
    h.evalue = std::exp(log_kmn - opt.lambda * s);
    h.bits = (opt.lambda * s - std::log(opt.K)) / std::log(2.0);
  }
  const auto t3 = Clock::now();
  if (log::level() <= log::Level::Debug) {
    double cells = 0, tb_cells = 0;
    for (const auto& c : cands) cells += static_cast<double>(db.length(c.target)) * m;
    for (const auto& h : hits)
      tb_cells += static_cast<double>(h.aln.q_end - h.aln.q_begin) * static_cast<double>(h.aln.t_end - h.aln.t_begin);
    const auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    log::debug("builtin search: query length ", query.size(), ", ", n_words, " neighbourhood words, ", cands.size(),
               " candidates, ", cells / 1e6, " M Smith-Waterman cells, ", hits.size(), " tracebacks (", tb_cells / 1e6,
               " M cells); ms prefilter ", prefilter_ms, " sw ", ms(t1, t2), " traceback ", ms(t2, t3));
  }
  std::erase_if(hits, [&](const Hit& h) { return h.evalue > opt.max_evalue; });
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.evalue != b.evalue ? a.evalue < b.evalue : a.target < b.target;
  });
  if (hits.size() > opt.max_hits) hits.resize(opt.max_hits);
  return hits;
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

}  // namespace

std::vector<Hit> builtin_search(const std::vector<uint8_t>& query_in, const SequenceDb& db, const BuiltinOptions& opt) {
  const std::vector<uint8_t> query = searched_sequence(query_in, opt);
  const auto t0 = Clock::now();
  QueryWords words(query, opt.prefilter.word_threshold);
  const std::vector<Candidate> cands = prefilter(words, db, opt.prefilter);
  return search_candidates(query, cands, db, opt, words.size(), ms_since(t0));
}

std::vector<std::vector<Hit>> builtin_search_batch(const std::vector<std::vector<uint8_t>>& queries, const SequenceDb& db,
                                                   const BuiltinOptions& opt, size_t batch) {
  const size_t n = queries.size();
  std::vector<std::vector<Hit>> out(n);
  const size_t threads = static_cast<size_t>(std::max(1, omp_get_max_threads()));
  if (batch == 0) batch = std::clamp<size_t>(n / (4 * threads), 1, 32);
  batch = std::min(batch, kMaxBatch);
  const size_t nbatches = (n + batch - 1) / batch;
  if (nbatches < 2 * threads) {  // too few batches to keep every thread busy: one query at a time, in parallel inside
    for (size_t i = 0; i < n; ++i) out[i] = builtin_search(queries[i], db, opt);
    return out;
  }
  // Batches in parallel; each runs on one thread (its prefilter scan, Smith-Waterman and tracebacks).
  std::vector<std::exception_ptr> errors(nbatches);
#pragma omp parallel for schedule(dynamic, 1)
  for (long k = 0; k < static_cast<long>(nbatches); ++k) {
    try {
      const size_t i0 = static_cast<size_t>(k) * batch, i1 = std::min(n, i0 + batch);
      std::vector<std::vector<uint8_t>> seqs;
      std::vector<QueryWords> words;
      seqs.reserve(i1 - i0);
      words.reserve(i1 - i0);
      for (size_t i = i0; i < i1; ++i) {
        seqs.push_back(searched_sequence(queries[i], opt));
        words.emplace_back(seqs.back(), opt.prefilter.word_threshold);
      }
      std::vector<const QueryWords*> ptrs;
      for (const auto& w : words) ptrs.push_back(&w);
      const auto t0 = Clock::now();
      const auto cands = prefilter_batch(ptrs, db, opt.prefilter);
      const double pf_ms = ms_since(t0) / static_cast<double>(i1 - i0);
      for (size_t i = i0; i < i1; ++i)
        out[i] = search_candidates(seqs[i - i0], cands[i - i0], db, opt, words[i - i0].size(), pf_ms);
    } catch (...) {
      errors[static_cast<size_t>(k)] = std::current_exception();
    }
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

A3m hits_to_a3m(const SequenceRecord& query, const SequenceDb& db, const std::vector<Hit>& hits) {
  A3m out;
  SequenceRecord q = query;
  out.rows.push_back(q);
  for (const Hit& h : hits) {
    if (h.aln.ops.empty()) continue;
    const std::string letters = db.letters(h.target).substr(h.aln.t_begin, h.aln.t_end - h.aln.t_begin);
    SequenceRecord r;
    r.name = db.names[h.target] + "/" + std::to_string(h.aln.t_begin + 1) + "-" + std::to_string(h.aln.t_end);
    char desc[96];
    std::snprintf(desc, sizeof desc, "E=%.3g bits=%.1f id=%.2f", h.evalue, h.bits,
                  static_cast<double>(h.aln.identities) / static_cast<double>(h.aln.ops.size()));
    r.description = desc;
    r.sequence = a3m_row_from_ops(query.sequence.size(), h.aln.q_begin, h.aln.ops, letters);
    out.rows.push_back(std::move(r));
  }
  return out;
}

}  // namespace trifold::msa
