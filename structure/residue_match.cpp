// Residue pairing between model and native: by number or by sequence alignment.
#include "structure/residue_match.hpp"

#include <algorithm>
#include <set>

#include "io/error.hpp"
#include "io/residue_constants.hpp"

namespace trifold::structure {

bool is_amino_acid(const Residue& r) {
  if (r.name == "HOH" || r.name == "WAT" || r.name == "DOD") return false;
  return one_letter_code(r.name) != 'X' || r.find("CA") != nullptr;
}

const Chain& scored_chain(const Structure& s) {
  for (const auto& c : s.chains)
    for (const auto& r : c.residues)
      if (is_amino_acid(r)) return c;
  throw InputError(s.name + ": no amino-acid residues found");
}

std::vector<std::pair<int, int>> align_sequences(const std::string& a, const std::string& b) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  // score[i][j]: best score of a[0..i) vs b[0..j); leading gaps are free (end gaps not penalised).
  std::vector<int> score((n + 1) * (m + 1), 0);
  std::vector<char> from((n + 1) * (m + 1), 0);  // 0 diag, 1 up (gap in b), 2 left (gap in a)
  auto at = [m](int i, int j) { return i * (m + 1) + j; };
  for (int i = 1; i <= n; ++i) from[at(i, 0)] = 1;
  for (int j = 1; j <= m; ++j) from[at(0, j)] = 2;
  for (int i = 1; i <= n; ++i) {
    for (int j = 1; j <= m; ++j) {
      const int gap_up = (j == m) ? 0 : -1;    // trailing gaps free
      const int gap_left = (i == n) ? 0 : -1;
      int d = score[at(i - 1, j - 1)] + (a[i - 1] == b[j - 1] && a[i - 1] != 'X' ? 1 : 0);
      int u = score[at(i - 1, j)] + gap_up;
      int l = score[at(i, j - 1)] + gap_left;
      int best = d;
      char f = 0;
      if (u > best) best = u, f = 1;
      if (l > best) best = l, f = 2;
      score[at(i, j)] = best;
      from[at(i, j)] = f;
    }
  }
  std::vector<std::pair<int, int>> pairs;
  int i = n, j = m;
  while (i > 0 && j > 0) {
    char f = from[at(i, j)];
    if (f == 0) {
      pairs.emplace_back(i - 1, j - 1);
      --i, --j;
    } else if (f == 1) {
      --i;
    } else {
      --j;
    }
  }
  std::reverse(pairs.begin(), pairs.end());
  return pairs;
}

Chain match_to_native(const Structure& model, const Structure& native, MatchMode mode) {
  const Chain& mc = scored_chain(model);
  const Chain& nc = scored_chain(native);
  Chain out;
  out.id = mc.id;
  if (mode == MatchMode::ResidueNumber) {
    std::set<std::pair<int, char>> seen;
    for (const auto& r : mc.residues) {
      if (!is_amino_acid(r)) continue;
      if (!seen.insert({r.seqnum, r.icode}).second) continue;
      out.residues.push_back(r);
    }
    return out;
  }
  std::vector<const Residue*> mr, nr;
  std::string ms, ns;
  for (const auto& r : mc.residues)
    if (is_amino_acid(r)) mr.push_back(&r), ms += r.one_letter();
  for (const auto& r : nc.residues)
    if (is_amino_acid(r)) nr.push_back(&r), ns += r.one_letter();
  for (auto [i, j] : align_sequences(ms, ns)) {
    Residue r = *mr[i];
    r.seqnum = nr[j]->seqnum;
    r.icode = nr[j]->icode;
    out.residues.push_back(std::move(r));
  }
  return out;
}

}  // namespace trifold::structure
