// hhfilter-equivalent alignment filtering (see filter.hpp for the rule).
#include "msa/filter.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "msa/alphabet.hpp"

namespace trifold::msa {
namespace {

// HH-suite folds a few ambiguity letters onto a standard residue before comparing: B→D, Z→E, U→C.
uint8_t hh_code(char c) {
  switch (c) {
    case 'B': case 'b': return encode_aa('D');
    case 'Z': case 'z': return encode_aa('E');
    case 'U': case 'u': return encode_aa('C');
    default: break;
  }
  uint8_t a = encode_aa(c);
  return a < kNumAa ? a : kUnknown;  // unknowns and gaps both count as "no residue"
}

// Sorts idx[left..right] so that v[idx[*]] decreases, with the middle-pivot partition HH-suite uses; its tie
// order decides which of two equally long near-duplicates survives, so the same order is reproduced here.
void sort_desc(const std::vector<int>& v, std::vector<int>& idx, int left, int right) {
  while (left < right) {
    std::swap(idx[left], idx[(left + right) / 2]);
    int last = left;
    for (int i = left + 1; i <= right; ++i)
      if (v[idx[i]] > v[idx[left]]) std::swap(idx[++last], idx[i]);
    std::swap(idx[left], idx[last]);
    sort_desc(v, idx, left, last - 1);
    left = last + 1;
  }
}

bool is_annotation(const std::string& name) {
  return name.rfind("ss_", 0) == 0 || name.rfind("sa_", 0) == 0;
}

}  // namespace

std::vector<size_t> hhfilter_select(const A3m& a3m, const FilterOptions& opt) {
  const int n = static_cast<int>(a3m.rows.size());
  const int L = static_cast<int>(a3m.length());
  if (n == 0) return {};
  std::vector<std::vector<uint8_t>> x(n);
  std::vector<int> first(n, L), last(n, -1), nres(n, 0);
  std::vector<char> keep(n, 1);
  for (int k = 0; k < n; ++k) {
    if (is_annotation(a3m.rows[k].name)) {
      keep[k] = 2;  // never filtered, never compared
      continue;
    }
    std::string row = a3m.aligned(k);
    x[k].resize(L);
    for (int i = 0; i < L; ++i) {
      x[k][i] = hh_code(row[i]);
      if (x[k][i] < kNumAa) {
        first[k] = std::min(first[k], i);
        last[k] = i;
        ++nres[k];
      }
    }
    if (nres[k] == 0) keep[k] = 0;
  }
  // The query is the first regular row.
  int q = 0;
  while (q < n && keep[q] == 2) ++q;
  if (q == n) {  // annotations only: nothing to filter
    std::vector<size_t> all(n);
    for (int k = 0; k < n; ++k) all[k] = static_cast<size_t>(k);
    return all;
  }

  // Coverage and identity-with-query criteria (rejected once and for all).
  const double qdiff_max_frac = 0.9999 - 0.01 * opt.min_query_id;
  for (int k = 0; k < n; ++k) {
    if (keep[k] != 1) continue;
    if (100 * nres[k] < opt.min_coverage * L) {
      keep[k] = 0;
      continue;
    }
    if (qdiff_max_frac < 0.999) {
      const int qdiff_max = static_cast<int>(qdiff_max_frac * nres[k] + 0.9999);
      int diff = 0;
      for (int i = first[k]; i <= last[k]; ++i)
        if (x[k][i] < kNumAa && x[k][i] != x[q][i] && ++diff >= qdiff_max) break;
      if (diff >= qdiff_max) keep[k] = 0;
    }
  }
  int survivors = 0;
  for (int k = 0; k < n; ++k) survivors += keep[k] == 1;
  std::vector<char> in(n, 0);
  for (int k = 0; k < n; ++k) in[k] = keep[k] == 2 ? 2 : 0;
  if (survivors == 0) {
    in[q] = 1;  // hhfilter puts the first sequence back rather than returning nothing
  } else {
    std::vector<int> order(n);
    for (int k = 0; k < n; ++k) order[k] = k;
    sort_desc(nres, order, q + 1, n - 1);
    // hhfilter works in single precision here; the same float rounding keeps borderline pairs identical.
    const float diff_min_frac = static_cast<float>(0.9999 - 0.01 * static_cast<float>(opt.max_seqid));
    std::vector<int> accepted;
    for (int kk = 0; kk < n; ++kk) {
      const int k = order[kk];
      if (keep[k] != 1) continue;
      if (opt.max_seqid >= 100) {
        in[k] = 1;
        continue;
      }
      bool reject = false;
      for (int j : accepted) {
        const int f = std::max(first[k], first[j]), l = std::min(last[k], last[j]);
        const int span = l - f + 1;
        const int diff_suff = static_cast<int>(diff_min_frac * std::min(nres[k], span) + 0.999);
        int diff = 0, both = 0;
        for (int i = f; i <= l; ++i) {
          const uint8_t a = x[k][i], b = x[j][i];
          if (a >= kNumAa || b >= kNumAa) continue;
          ++both;
          diff += a != b;
        }
        if (diff < diff_suff && static_cast<float>(diff) <= diff_min_frac * static_cast<float>(both)) {
          reject = true;
          break;
        }
      }
      if (!reject) {
        in[k] = 1;
        accepted.push_back(k);
      }
    }
  }
  std::vector<size_t> out;
  for (int k = 0; k < n; ++k)
    if (in[k]) out.push_back(static_cast<size_t>(k));
  return out;
}

A3m hhfilter(const A3m& a3m, const FilterOptions& opt) {
  A3m out;
  for (size_t k : hhfilter_select(a3m, opt)) out.rows.push_back(a3m.rows[k]);
  return out;
}

}  // namespace trifold::msa
