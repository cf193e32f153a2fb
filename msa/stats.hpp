// Depth and diversity (Neff) statistics of an A3M alignment.
#pragma once

#include <vector>

#include "io/fasta.hpp"

namespace trifold::msa {

struct MsaStats {
  size_t depth = 0;              // number of rows, query included
  size_t length = 0;             // query length (match columns)
  double neff = 0;               // sum of row weights 1/n_k, n_k = rows with >= 80% identity to row k
  double neff_per_length = 0;    // neff / sqrt(length): the "Neff/sqrt(L)" depth measure used by contact methods
  double mean_column_depth = 0;  // mean over columns of rows with a residue in that column
  std::vector<int> column_depth; // [length] rows with a residue (not '-') in each match column
};

// identity(k, j) = identical residues / columns where both rows have a residue (0 when they share none).
// Cost O(depth^2 * length); about a second for 5,000 x 300 on one core.
MsaStats msa_stats(const A3m& a3m, double identity_threshold = 0.8);

}  // namespace trifold::msa
