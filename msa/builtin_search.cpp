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

std::vector<Hit> builtin_search(const std::vector<uint8_t>& query, const SequenceDb& db, const BuiltinOptions& opt) {
  if (query.empty()) throw InputError("empty query");
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
    const double e = std::exp(log_kmn - opt.lambda * scores[c]);
    if (e > opt.max_evalue) continue;
    Hit h;
    h.target = cands[c].target;
    h.score = scores[c];
    h.evalue = e;
    h.bits = (opt.lambda * scores[c] - std::log(opt.K)) / std::log(2.0);
    hits.push_back(std::move(h));
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.score != b.score ? a.score > b.score : a.target < b.target;
  });
  if (hits.size() > opt.max_hits) hits.resize(opt.max_hits);
#pragma omp parallel for schedule(dynamic, 1)
  for (long i = 0; i < static_cast<long>(hits.size()); ++i) {
    Hit& h = hits[i];
    h.aln = align_local(query.data(), query.size(), db.sequence(h.target), db.length(h.target), opt.gaps);
    TRIFOLD_CHECK(h.aln.score == h.score, "SIMD and traceback Smith-Waterman scores differ");
  }
  return hits;
}

A3m hits_to_a3m(const SequenceRecord& query, const SequenceDb& db, const std::vector<Hit>& hits) {
  A3m out;
  SequenceRecord q = query;
  out.rows.push_back(q);
  const std::string letters_all;
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
