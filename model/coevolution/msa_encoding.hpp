// MSA encoding for coevolution analysis: integer states, sequence reweighting at an identity threshold.
#pragma once

#include <cstdint>
#include <vector>

#include "io/fasta.hpp"

namespace trifold::model::coevolution {

inline constexpr int kStates = 21;  // 20 amino acids in RoseTTAFold order (kRfAlphabet) + gap (20)

// Aligned sequences as states: seq[n * length + i] in 0..20 (20 = gap; unknown letters map to gap, as the
// reference featuriser). weight[n] = 1 / (number of sequences with identity >= threshold to n, itself
// included), identity = identical aligned positions / length (gaps count as a state, GREMLIN convention).
// Exact duplicate rows are merged first (their weights add), which does not change any weighted statistic.
struct EncodedMsa {
  int rows = 0, length = 0;
  std::vector<std::uint8_t> seq;  // [rows, length]
  std::vector<double> weight;     // [rows]
  double neff = 0;                // sum of weights
  int input_rows = 0;             // before merging duplicates
  const std::uint8_t* row(int n) const { return &seq[static_cast<size_t>(n) * length]; }
};

// Encodes an A3M (insertions dropped) and computes the weights. identity_threshold in (0,1], e.g. 0.8.
// Deterministic; OpenMP over rows.
EncodedMsa encode_msa(const A3m& a3m, double identity_threshold = 0.8);

}  // namespace trifold::model::coevolution
