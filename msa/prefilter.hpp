// k-mer prefilter of the built-in search: BLOSUM62 neighbourhood words (k = 3) of the query, scanned against the
// database with the two-hit rule and an ungapped X-drop extension, as in gapped BLAST; the survivors go to
// Smith-Waterman.
#pragma once

#include <cstdint>
#include <vector>

#include "msa/database.hpp"

namespace trifold::msa {

struct PrefilterOptions {
  int word_threshold = 12;       // a database word is a seed when it scores >= this against a query word
  int two_hit_window = 40;       // two non-overlapping seeds on one diagonal at most this far apart trigger
  int xdrop_ungapped = 20;       // ungapped extension stops when the score falls this far below its best
  int min_ungapped_score = 20;   // targets whose best ungapped segment scores less are dropped
  // ... and so are targets whose best ungapped segment is not significant for this query/target pair:
  // Ku * m * n * exp(-lambda_u * S) > max_ungapped_evalue, with m, n the query and target lengths and the
  // ungapped BLOSUM62 Karlin-Altschul parameters lambda_u = 0.3176, Ku = 0.134. This length-aware cut is what
  // keeps Smith-Waterman work low for long queries and long targets.
  double max_ungapped_evalue = 0.05;
  size_t max_candidates = 4000;  // at most this many targets (best ungapped score first) go to Smith-Waterman
  // Small searches skip the prefilter: when query length x database residues is at most this, every target
  // goes to Smith-Waterman (a few milliseconds), so small databases lose nothing to seeding.
  double exhaustive_cells = 5e7;
};

struct Candidate {
  uint32_t target = 0;   // index into the database
  int ungapped = 0;      // best ungapped segment score found (BLOSUM62 half-bits)
};

// The query's neighbourhood words: for each of the 20^3 words, the query positions it seeds.
class QueryWords {
 public:
  QueryWords(const std::vector<uint8_t>& query, int threshold);
  const std::vector<uint8_t>& query() const { return query_; }
  // Query positions seeded by word code w (w = 400*a + 20*b + c).
  const int32_t* begin(int w) const { return pos_.data() + start_[w]; }
  const int32_t* end(int w) const { return pos_.data() + start_[w + 1]; }
  size_t size() const { return pos_.size(); }
  const uint32_t* starts() const { return start_.data(); }   // [8001] offsets into positions()
  const int32_t* positions() const { return pos_.data(); }

 private:
  std::vector<uint8_t> query_;
  std::vector<uint32_t> start_;  // [8001]
  std::vector<int32_t> pos_;
};

// Scans every database sequence (OpenMP over targets; the result does not depend on the thread count) and
// returns the candidates sorted by decreasing ungapped score, then increasing target index.
std::vector<Candidate> prefilter(const QueryWords& words, const SequenceDb& db, const PrefilterOptions& opt);

// The same for up to kMaxBatch queries in one pass over the database, on the calling thread: the queries share
// one word table, so each database word code is read once for all of them (the scan's fixed cost per database
// residue is paid once a batch, not once a query). Each query's candidates equal prefilter()'s for it.
inline constexpr size_t kMaxBatch = 255;
std::vector<std::vector<Candidate>> prefilter_batch(const std::vector<const QueryWords*>& words, const SequenceDb& db,
                                                    const PrefilterOptions& opt);

}  // namespace trifold::msa
