// lDDT with OpenStructure's conventions (see lddt.hpp), using a cell list for the native neighbour search.
#include "structure/lddt.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "io/error.hpp"
#include "io/residue_constants.hpp"
#include "structure/residue_match.hpp"

namespace trifold::structure {

namespace {

bool is_standard(const std::string& resname) { return is_standard_aa(one_letter_code(resname)) && resname != "MSE"; }

// Residues whose side chain is symmetric under renaming, and the atoms involved (OpenStructure's list).
bool swappable(const std::string& res, const std::string& atom) {
  if (res == "GLU") return atom == "OE1" || atom == "OE2";
  if (res == "ASP") return atom == "OD1" || atom == "OD2";
  if (res == "VAL") return atom == "CG1" || atom == "CG2";
  if (res == "LEU") return atom == "CD1" || atom == "CD2";
  if (res == "ARG") return atom == "NH1" || atom == "NH2";
  if (res == "PHE" || res == "TYR") return atom == "CD1" || atom == "CD2" || atom == "CE1" || atom == "CE2";
  return false;
}
bool has_symmetry(const std::string& res) {
  return res == "GLU" || res == "ASP" || res == "VAL" || res == "LEU" || res == "ARG" || res == "PHE" || res == "TYR";
}
std::string swapped_name(const std::string& a) {
  static const std::map<std::string, std::string> m = {{"OE1", "OE2"}, {"OE2", "OE1"}, {"OD1", "OD2"},
                                                       {"OD2", "OD1"}, {"CG1", "CG2"}, {"CG2", "CG1"},
                                                       {"CE1", "CE2"}, {"CE2", "CE1"}, {"CD1", "CD2"},
                                                       {"CD2", "CD1"}, {"NH1", "NH2"}, {"NH2", "NH1"}};
  auto it = m.find(a);
  return it == m.end() ? a : it->second;
}
bool is_hydrogen(const Atom& a) { return a.element == "H" || a.element == "D"; }

struct NativeAtom {
  int res;           // index into native residues
  Vec3 pos;
  bool swappable;    // symmetric side-chain atom of its residue
  const Vec3* mdl;   // model atom of the same name, or null
  const Vec3* mdl_swapped;  // model atom of the swapped name (symmetric residues), or null
};

struct Pair {
  int a, b;  // native atom indices, res(a) != res(b)
  double d;  // native distance, Å
};

int conserved_count(double dm, double dn, const std::vector<double>& thr) {
  int c = 0;
  const double diff = std::abs(dm - dn);
  for (double t : thr)
    if (diff <= t) ++c;
  return c;
}

}  // namespace

LddtResult lddt(const Chain& model, const Chain& native, const LddtOptions& opt) {
  LddtResult out;
  const int nthr = static_cast<int>(opt.thresholds.size());
  // Model residues by number.
  std::map<std::pair<int, char>, const Residue*> mdl_res;
  for (const auto& r : model.residues) mdl_res.emplace(std::make_pair(r.seqnum, r.icode), &r);

  std::vector<NativeAtom> atoms;
  std::vector<const Residue*> nres;
  std::vector<const Residue*> mres;  // model residue per native residue, or null
  std::vector<char> starts;          // residue starts distances (standard amino acid)
  for (const auto& r : native.residues) {
    if (!is_amino_acid(r)) continue;
    const int ri = static_cast<int>(nres.size());
    nres.push_back(&r);
    auto it = mdl_res.find({r.seqnum, r.icode});
    const Residue* m = it == mdl_res.end() ? nullptr : it->second;
    mres.push_back(m);
    starts.push_back(is_standard(r.name));
    for (const auto& a : r.atoms) {
      if (is_hydrogen(a)) continue;
      if (opt.ca_only && a.name != "CA") continue;
      NativeAtom na{ri, a.pos, swappable(r.name, a.name), nullptr, nullptr};
      if (m) {
        if (const Atom* ma = m->find(a.name)) na.mdl = &ma->pos;
        if (!opt.ca_only && has_symmetry(m->name))
          if (const Atom* ms = m->find(swapped_name(a.name))) na.mdl_swapped = &ms->pos;
      }
      atoms.push_back(na);
    }
  }

  // Native pairs within the radius, different residues, each unordered pair once. A pair enters the
  // distance list when its higher-numbered residue is a standard amino acid (OpenStructure builds the list
  // from standard residues and counts a pair under the residue with the higher number). Residue pairs are
  // pre-filtered with bounding spheres; the counts are integers, so the pair order does not matter.
  const int nr = static_cast<int>(nres.size());
  std::vector<int> rbegin(nr + 1, 0);
  for (const auto& a : atoms) ++rbegin[a.res + 1];
  for (int r = 0; r < nr; ++r) rbegin[r + 1] += rbegin[r];
  std::vector<Vec3> centre(nr);
  std::vector<double> rad(nr, 0.0);
  for (int r = 0; r < nr; ++r) {
    const int n = rbegin[r + 1] - rbegin[r];
    if (n == 0) continue;
    Vec3 c;
    for (int i = rbegin[r]; i < rbegin[r + 1]; ++i) c = c + atoms[i].pos;
    c = c * (1.0 / n);
    centre[r] = c;
    for (int i = rbegin[r]; i < rbegin[r + 1]; ++i) rad[r] = std::max(rad[r], distance(c, atoms[i].pos));
  }
  // Residues whose model side chain may be renamed: their pairs wait until the naming is decided; all other
  // pairs are counted on the fly.
  std::vector<char> sym(nr, 0);
  for (int r = 0; r < nr; ++r) sym[r] = !opt.ca_only && mres[r] && has_symmetry(mres[r]->name) && starts[r];
  std::vector<char> has_m(nr, 0);
  for (int r = 0; r < nr; ++r) has_m[r] = mres[r] != nullptr;
  std::vector<long> rc(nr, 0), rt(nr, 0);
  auto count_pair = [&](const NativeAtom& x, const NativeAtom& y, double d) {
    out.total += nthr;
    if (has_m[x.res]) rt[x.res] += nthr;
    if (has_m[y.res]) rt[y.res] += nthr;
    if (!x.mdl || !y.mdl) return;
    const int c = conserved_count(distance(*x.mdl, *y.mdl), d, opt.thresholds);
    out.conserved += c;
    rc[x.res] += c;
    rc[y.res] += c;
  };
  std::vector<Pair> pairs;  // deferred pairs
  const double r2 = opt.radius * opt.radius;
  for (int ri = 0; ri < nr; ++ri) {
    if (rbegin[ri + 1] == rbegin[ri]) continue;
    for (int rj = ri + 1; rj < nr; ++rj) {
      if (rbegin[rj + 1] == rbegin[rj]) continue;
      const double reach = opt.radius + rad[ri] + rad[rj];
      const Vec3 dc = centre[ri] - centre[rj];
      if (dc.dot(dc) > reach * reach) continue;
      const bool j_later =
          std::make_pair(nres[rj]->seqnum, nres[rj]->icode) > std::make_pair(nres[ri]->seqnum, nres[ri]->icode);
      if (!starts[j_later ? rj : ri]) continue;
      const bool defer = sym[ri] || sym[rj];
      for (int i = rbegin[ri]; i < rbegin[ri + 1]; ++i) {
        const Vec3 pi = atoms[i].pos;
        for (int j = rbegin[rj]; j < rbegin[rj + 1]; ++j) {
          const Vec3 dv = pi - atoms[j].pos;
          const double dd = dv.dot(dv);
          if (dd > r2) continue;
          if (defer) {
            pairs.push_back({i, j, std::sqrt(dd)});
          } else {
            count_pair(atoms[i], atoms[j], std::sqrt(dd));
          }
        }
      }
    }
  }

  std::vector<long> keep_c(nr, 0), keep_t(nr, 0), swap_c(nr, 0), swap_t(nr, 0);
  if (!opt.ca_only) {
    for (const auto& p : pairs) {
      for (int side = 0; side < 2; ++side) {
        const NativeAtom& x = atoms[side == 0 ? p.a : p.b];
        const NativeAtom& y = atoms[side == 0 ? p.b : p.a];
        const int rx = x.res;
        if (!sym[rx]) continue;
        if (y.swappable) continue;
        if (nres[y.res]->seqnum == nres[rx]->seqnum) continue;
        keep_t[rx] += nthr;
        swap_t[rx] += nthr;
        if (!y.mdl) continue;
        if (x.mdl) keep_c[rx] += conserved_count(distance(*x.mdl, *y.mdl), p.d, opt.thresholds);
        if (x.mdl_swapped) swap_c[rx] += conserved_count(distance(*x.mdl_swapped, *y.mdl), p.d, opt.thresholds);
      }
    }
    for (auto& a : atoms) {
      const int r = a.res;
      if (!sym[r] || keep_t[r] == 0) continue;
      if (static_cast<double>(keep_c[r]) / keep_t[r] < static_cast<double>(swap_c[r]) / swap_t[r]) {
        // Atoms whose names the swap does not change have mdl_swapped == mdl.
        a.mdl = a.mdl_swapped;
      }
    }
  }

  for (const auto& p : pairs) count_pair(atoms[p.a], atoms[p.b], p.d);
  out.score = out.total > 0 ? static_cast<double>(out.conserved) / out.total : 0.0;
  for (int r = 0; r < nr; ++r) {
    LddtResidue lr;
    lr.name = nres[r]->name;
    lr.seqnum = nres[r]->seqnum;
    lr.icode = nres[r]->icode;
    lr.in_model = mres[r] != nullptr;
    lr.conserved = rc[r];
    lr.total = rt[r];
    lr.score = rt[r] > 0 ? static_cast<double>(rc[r]) / rt[r] : 0.0;
    if (starts[r]) {
      ++out.native_residues;
      if (lr.in_model) ++out.covered_residues;
    }
    out.residues.push_back(std::move(lr));
  }
  return out;
}

}  // namespace trifold::structure
