// MSA encoding for coevolution analysis: integer states, duplicate merging, identity-based reweighting.
#include "model/coevolution/msa_encoding.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "io/error.hpp"
#include "io/residue_constants.hpp"

namespace trifold::model::coevolution {

EncodedMsa encode_msa(const A3m& a3m, double identity_threshold) {
  if (a3m.rows.empty()) throw InputError("coevolution: empty alignment");
  if (!(identity_threshold > 0 && identity_threshold <= 1))
    throw InputError("coevolution: identity threshold must be in (0, 1]");
  const int L = static_cast<int>(a3m.length());
  EncodedMsa m;
  m.length = L;
  m.input_rows = static_cast<int>(a3m.rows.size());
  // Merge duplicates, keeping first-appearance order (the query stays row 0).
  std::map<std::string, int> seen;
  std::vector<double> mult;
  for (size_t r = 0; r < a3m.rows.size(); ++r) {
    std::string s = a3m.aligned(r);
    std::string key(L, '\0');
    for (int i = 0; i < L; ++i) key[i] = static_cast<char>(rf_token(s[i]));
    auto it = seen.find(key);
    if (it != seen.end()) {
      mult[it->second] += 1.0;
      continue;
    }
    seen.emplace(key, m.rows);
    m.seq.insert(m.seq.end(), key.begin(), key.end());
    mult.push_back(1.0);
    ++m.rows;
  }
  // Neighbour counts over the original (unmerged) rows: a merged row of multiplicity k has k copies of itself.
  const int N = m.rows;
  const int max_diff = static_cast<int>(std::floor((1.0 - identity_threshold) * L + 1e-9));
  std::vector<double> count(N, 0.0);
#pragma omp parallel for schedule(dynamic, 16)
  for (int a = 0; a < N; ++a) {
    const std::uint8_t* ra = m.row(a);
    double c = 0;
    for (int b = 0; b < N; ++b) {
      const std::uint8_t* rb = m.row(b);
      int diff = 0;
      for (int i = 0; i < L && diff <= max_diff; ++i) diff += ra[i] != rb[i];
      if (diff <= max_diff) c += mult[b];
    }
    count[a] = c;
  }
  m.weight.resize(N);
  m.neff = 0;
  for (int a = 0; a < N; ++a) {
    m.weight[a] = mult[a] / count[a];  // k copies, each weighted 1/count
    m.neff += m.weight[a];
  }
  return m;
}

}  // namespace trifold::model::coevolution
