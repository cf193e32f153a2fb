// TriFold's own homology search: k-mer prefilter, striped SIMD Smith-Waterman, Karlin-Altschul E-values.
#pragma once

#include <string>
#include <vector>

#include "io/fasta.hpp"
#include "msa/database.hpp"
#include "msa/low_complexity.hpp"
#include "msa/prefilter.hpp"
#include "msa/smith_waterman.hpp"

namespace trifold::msa {

struct BuiltinOptions {
  PrefilterOptions prefilter;
  GapCosts gaps;                   // BLOSUM62 with gap open 11, extend 1
  double max_evalue = 1e-3;        // hits with a larger E-value are not reported
  size_t max_hits = 100000;        // best hits kept (E-value order)
  SimdLevel simd = SimdLevel::Auto;
  bool mask_low_complexity = false;  // mask low-complexity query regions (msa/low_complexity.hpp) before searching
  MaskOptions mask;
  // Composition-bias correction of each hit (see composition_bias() below); pseudocount residues mixed into
  // the observed compositions; < 0 turns the correction off.
  double bias_pseudocounts = 20;
  double bias_tolerance = 0.15;  // expected-score excess per aligned pair (half-bits) that costs nothing
  // Reversed-segment null (see reversed_null_excess() below): the aligned target segment is reversed and aligned
  // again to the aligned query segment; what that score exceeds the expected best score of two random segments
  // of those lengths by is subtracted too (the larger of this and the composition bias counts).
  bool reversed_null = true;
  // Only a reversed score beyond chance + slack/lambda counts (4 nats: about the 98% quantile of the best score of
  // two random segments, P ~ e^-4), so homologous pairs, whose reversed score is a chance score, keep their
  // E-values.
  double reversed_null_slack = 4.0;
  // Karlin-Altschul parameters of gapped BLOSUM62 11/1 (the values BLAST tabulates for this scoring system):
  // E = K * m * n * exp(-lambda * S), m = query length, n = residues in the database.
  double lambda = 0.267;
  double K = 0.041;
  // Edge-effect correction (BLAST's length adjustment): an alignment cannot start in the last ~l residues of a
  // sequence, so E uses (m - l)(n - N l) instead of m n, where l solves l = alpha/lambda ln(K (m - l)(n - N l)) +
  // beta (N: database sequences). alpha, beta are BLAST's values for BLOSUM62 11/1. Off: plain m n.
  bool length_adjustment = true;
  double alpha = 1.9;
  double beta = -30;
};

// BLAST's length adjustment l for query length m against n residues in N sequences (see BuiltinOptions): the
// largest integer solution of the fixed point, kept so that (m - l) >= 1/K.
double length_adjustment(double K, double lambda, double alpha, double beta, double m, double n, double N);

struct Hit {
  uint32_t target = 0;     // database index
  int score = 0;           // raw Smith-Waterman score (BLOSUM62 half-bits)
  double bias = 0;         // composition-bias correction subtracted from score before bits and E-value
  double bits = 0;         // (lambda * S - ln K) / ln 2
  double evalue = 0;
  LocalAlignment aln;
};

// Searches `query` (codes 0..20) against `db`. Hits come sorted by E-value, then database index, so the output
// does not depend on the number of OpenMP threads.
std::vector<Hit> builtin_search(const std::vector<uint8_t>& query, const SequenceDb& db, const BuiltinOptions& opt);

// The same for many queries: batches of `batch` queries (0: up to 32, chosen from the query and thread counts)
// share one prefilter pass over the database, and batches run in parallel (OpenMP). result[i] equals
// builtin_search(queries[i], db, opt).
std::vector<std::vector<Hit>> builtin_search_batch(const std::vector<std::vector<uint8_t>>& queries, const SequenceDb& db,
                                                   const BuiltinOptions& opt, size_t batch = 0);

// The compositional bias of an alignment, in score units: (number of aligned pairs) x (expected BLOSUM62 score of a
// pair drawn from the aligned query and target segments' own compositions - the same with the background
// composition - tolerance), when positive. Low-complexity stretches (poly-D/E, Cys-rich repeats) align with a high score
// that this expected-score excess explains away; normal homologous segments have an excess near zero.
// Compositions are mixed with `pseudocounts` background residues.
double composition_bias(const uint8_t* query, const uint8_t* target, const LocalAlignment& aln, double pseudocounts,
                        double tolerance);

// How much better than chance the aligned query segment aligns to the REVERSED aligned target segment, in score
// units: max(0, S_rev - (ln(K m' n') + slack) / lambda) with m', n' the segment lengths. Homology depends on residue order,
// so a homologous pair scores near chance reversed; a match made by composition or periodicity alone (Cys-rich
// repeats, coiled-coil heptads, acidic stretches) scores about as well reversed as forward.
double reversed_null_excess(const uint8_t* query, const uint8_t* target, const LocalAlignment& aln, GapCosts gaps,
                            double lambda, double K, double slack, SimdLevel simd);

// Encodes a query sequence (letters) into codes 0..20; InputError when it is empty or not protein.
std::vector<uint8_t> encode_query(const SequenceRecord& query);

// The A3M of the hits relative to the query: the query first, then one row per hit in hit order, named
// "<target>/<first>-<last>" (1-based target residues) with the E-value in the description.
A3m hits_to_a3m(const SequenceRecord& query, const SequenceDb& db, const std::vector<Hit>& hits);

}  // namespace trifold::msa
