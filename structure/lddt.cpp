// lDDT with OpenStructure's conventions (see lddt.hpp), using a cell list for the native neighbour search.
#include "structure/lddt.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

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
  // distance list when the residue of its later atom is a standard amino acid (OpenStructure builds the
  // list from standard residues and counts a pair under the residue with the higher number).
  std::vector<Pair> pairs;
  {
    const double cell = opt.radius;
    std::unordered_map<long long, std::vector<int>> grid;
    auto key = [](long long x, long long y, long long z) { return (x * 73856093LL) ^ (y * 19349663LL) ^ (z * 83492791LL); };
    auto cidx = [cell](double v) { return static_cast<long long>(std::floor(v / cell)); };
    for (int i = 0; i < static_cast<int>(atoms.size()); ++i)
      grid[key(cidx(atoms[i].pos.x), cidx(atoms[i].pos.y), cidx(atoms[i].pos.z))].push_back(i);
    const double r2 = opt.radius * opt.radius;
    for (int i = 0; i < static_cast<int>(atoms.size()); ++i) {
      const auto& ai = atoms[i];
      long long cx = cidx(ai.pos.x), cy = cidx(ai.pos.y), cz = cidx(ai.pos.z);
      for (long long dx = -1; dx <= 1; ++dx)
        for (long long dy = -1; dy <= 1; ++dy)
          for (long long dz = -1; dz <= 1; ++dz) {
            auto it = grid.find(key(cx + dx, cy + dy, cz + dz));
            if (it == grid.end()) continue;
            for (int j : it->second) {
              if (j <= i) continue;
              const auto& aj = atoms[j];
              if (aj.res == ai.res) continue;
              Vec3 dv = ai.pos - aj.pos;
              double dd = dv.dot(dv);
              if (dd > r2) continue;
              // Hash collisions can put one cell in two neighbour slots; the j > i test plus a set of visited
              // cells would be needed then. Guard by checking the true cell distance instead.
              long long jx = cidx(aj.pos.x), jy = cidx(aj.pos.y), jz = cidx(aj.pos.z);
              if (jx != cx + dx || jy != cy + dy || jz != cz + dz) continue;
              const Residue* ri = nres[ai.res];
              const Residue* rj = nres[aj.res];
              const bool j_later = std::make_pair(rj->seqnum, rj->icode) > std::make_pair(ri->seqnum, ri->icode);
              const int later = j_later ? aj.res : ai.res;
              if (!starts[later]) continue;
              pairs.push_back({i, j, std::sqrt(dd)});
            }
          }
    }
    // Deterministic order independent of hashing.
    std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
  }

  // Symmetry: per residue, score the distances from its atoms to non-symmetric atoms of other residues
  // (different residue number) with the model's names as given and swapped; keep the better naming.
  const int nr = static_cast<int>(nres.size());
  std::vector<long> keep_c(nr, 0), keep_t(nr, 0), swap_c(nr, 0), swap_t(nr, 0);
  if (!opt.ca_only) {
    for (const auto& p : pairs) {
      for (int side = 0; side < 2; ++side) {
        const NativeAtom& x = atoms[side == 0 ? p.a : p.b];
        const NativeAtom& y = atoms[side == 0 ? p.b : p.a];
        const int rx = x.res;
        if (!mres[rx] || !has_symmetry(mres[rx]->name) || !starts[rx]) continue;
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
      if (!mres[r] || !has_symmetry(mres[r]->name) || keep_t[r] == 0) continue;
      if (static_cast<double>(keep_c[r]) / keep_t[r] < static_cast<double>(swap_c[r]) / swap_t[r]) {
        // Atoms whose names the swap does not change have mdl_swapped == mdl.
        a.mdl = a.mdl_swapped;
      }
    }
  }

  std::vector<long> rc(nr, 0), rt(nr, 0);
  for (const auto& p : pairs) {
    const NativeAtom& x = atoms[p.a];
    const NativeAtom& y = atoms[p.b];
    out.total += nthr;
    if (mres[x.res]) rt[x.res] += nthr;
    if (mres[y.res]) rt[y.res] += nthr;
    if (!x.mdl || !y.mdl) continue;
    const int c = conserved_count(distance(*x.mdl, *y.mdl), p.d, opt.thresholds);
    out.conserved += c;
    rc[x.res] += c;
    rc[y.res] += c;
  }
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
