// Depth and Neff of an alignment (80%-identity reweighting, as AlphaFold and trRosetta report it).
#include "msa/stats.hpp"

#include <cmath>
#include <cstdint>

#include "msa/alphabet.hpp"

namespace trifold::msa {

MsaStats msa_stats(const A3m& a3m, double identity_threshold) {
  MsaStats s;
  s.depth = a3m.rows.size();
  s.length = s.depth ? a3m.length() : 0;
  const size_t n = s.depth, L = s.length;
  if (n == 0 || L == 0) return s;
  std::vector<uint8_t> x(n * L);
  for (size_t k = 0; k < n; ++k) {
    std::string row = a3m.aligned(k);
    for (size_t i = 0; i < L; ++i) {
      uint8_t a = encode_aa(row[i]);
      x[k * L + i] = a <= kUnknown ? a : kGapCode;
    }
  }
  s.column_depth.assign(L, 0);
  for (size_t k = 0; k < n; ++k)
    for (size_t i = 0; i < L; ++i) s.column_depth[i] += x[k * L + i] != kGapCode;
  double sum = 0;
  for (int d : s.column_depth) sum += d;
  s.mean_column_depth = sum / static_cast<double>(L);

  std::vector<int> neighbours(n, 1);  // every row is its own neighbour
#pragma omp parallel for schedule(dynamic, 16)
  for (long k = 0; k < static_cast<long>(n); ++k) {
    const uint8_t* a = &x[k * L];
    int count = 0;
    for (size_t j = 0; j < n; ++j) {
      if (j == static_cast<size_t>(k)) continue;
      const uint8_t* b = &x[j * L];
      int both = 0, same = 0;
      for (size_t i = 0; i < L; ++i) {
        const bool r = a[i] != kGapCode && b[i] != kGapCode;
        both += r;
        same += r && a[i] == b[i];
      }
      if (both > 0 && same >= identity_threshold * both) ++count;
    }
    neighbours[k] += count;
  }
  for (size_t k = 0; k < n; ++k) s.neff += 1.0 / neighbours[k];
  s.neff_per_length = s.neff / std::sqrt(static_cast<double>(L));
  return s;
}

}  // namespace trifold::msa
