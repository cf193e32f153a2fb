// Built-in search: prefilter → Smith-Waterman scores → E-values → tracebacks for the kept hits.
#include "msa/builtin_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

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

std::vector<Hit> builtin_search(const std::vector<uint8_t>& query_in, const SequenceDb& db, const BuiltinOptions& opt) {
  if (query_in.empty()) throw InputError("empty query");
  // The masked query is searched and aligned; rows still show the target's own residues.
  const std::vector<uint8_t> query = opt.mask_low_complexity ? mask_low_complexity(query_in, opt.mask) : query_in;
  QueryWords words(query, opt.prefilter.word_threshold);
  const std::vector<Candidate> cands = prefilter(words, db, opt.prefilter);

  const double m = static_cast<double>(query.size());
  const double n = static_cast<double>(db.total_residues());
  // Smallest raw score whose E-value passes: skips tracebacks for the rest.
  const double log_kmn = std::log(opt.K * m * n);
  std::vector<int> scores(cands.size(), 0);
#pragma omp parallel
  {
    SwScorer scorer(query.data(), query.size(), opt.gaps, opt.simd);
#pragma omp for schedule(dynamic, 8)
    for (long c = 0; c < static_cast<long>(cands.size()); ++c) {
      const uint32_t t = cands[c].target;
      scores[c] = scorer.score(db.sequence(t), db.length(t));
    }
  }
  if (log::level() <= log::Level::Debug) {
    double cells = 0;
    for (const auto& c : cands) cells += static_cast<double>(db.length(c.target)) * m;
    log::debug("builtin search: query length ", query.size(), ", ", words.size(), " neighbourhood words, ",
               cands.size(), " candidates, ", cells / 1e6, " M Smith-Waterman cells");
  }
  std::vector<Hit> hits;
  for (size_t c = 0; c < cands.size(); ++c) {
    if (log_kmn - opt.lambda * scores[c] > std::log(opt.max_evalue)) continue;
    Hit h;
    h.target = cands[c].target;
    h.score = scores[c];
    hits.push_back(std::move(h));
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (long i = 0; i < static_cast<long>(hits.size()); ++i) {
    Hit& h = hits[i];
    h.aln = align_local_fast(query.data(), query.size(), db.sequence(h.target), db.length(h.target), opt.gaps,
                             opt.simd);
    TRIFOLD_CHECK(h.aln.score == h.score, "SIMD and traceback Smith-Waterman scores differ");
    if (opt.bias_pseudocounts >= 0)
      h.bias = composition_bias(query.data(), db.sequence(h.target), h.aln, opt.bias_pseudocounts, opt.bias_tolerance);
    const double s = h.score - h.bias;
    h.evalue = std::exp(log_kmn - opt.lambda * s);
    h.bits = (opt.lambda * s - std::log(opt.K)) / std::log(2.0);
  }
  std::erase_if(hits, [&](const Hit& h) { return h.evalue > opt.max_evalue; });
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.evalue != b.evalue ? a.evalue < b.evalue : a.target < b.target;
  });
  if (hits.size() > opt.max_hits) hits.resize(opt.max_hits);
  return hits;
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
