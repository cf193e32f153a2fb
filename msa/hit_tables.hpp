// Readers for the hit tables other search tools write (HMMER --tblout, MMseqs2/BLAST tab m8), used to compare
// the built-in search against them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace trifold::msa {

struct TableHit {
  std::string query;
  std::string target;
  double evalue = 0;
};

// HMMER per-sequence table (phmmer/jackhmmer --tblout): target, -, query, -, full-sequence E-value, ...
std::vector<TableHit> read_hmmer_tblout(const std::filesystem::path& path);

// Tab-separated query, target, ... with the E-value in column `evalue_column` (0-based; 10 in BLAST m8).
std::vector<TableHit> read_m8(const std::filesystem::path& path, int evalue_column = 10);

}  // namespace trifold::msa
