// Small helpers of the in-memory structure types.
#include "io/structure.hpp"

#include "io/residue_constants.hpp"

namespace trifold {

char Residue::one_letter() const { return one_letter_code(name); }

size_t Structure::residue_count() const {
  size_t n = 0;
  for (const auto& c : chains) n += c.residues.size();
  return n;
}

size_t Structure::atom_count() const {
  size_t n = 0;
  for (const auto& c : chains)
    for (const auto& r : c.residues) n += r.atoms.size();
  return n;
}

std::string Structure::sequence() const {
  std::string s;
  for (const auto& c : chains)
    for (const auto& r : c.residues) s += r.one_letter();
  return s;
}

void StructureBuilder::add_atom(Atom a, std::string resname, const std::string& chain, int seqnum, char icode,
                                bool het, bool altloc) {
  if (resname == "MSE") {
    resname = "MET";
    het = false;
    if (a.name == "SE") {
      a.name = "SD";
      a.element = "S";
    }
  }
  auto key = std::make_tuple(chain, seqnum, icode);
  auto it = residue_at_.find(key);
  Residue* res = nullptr;
  if (it == residue_at_.end()) {
    size_t ci = s_.chains.size();
    for (size_t k = 0; k < s_.chains.size(); ++k)
      if (s_.chains[k].id == chain) ci = k;
    // Files list each chain once in practice, so a chain ID seen before is the same chain.
    if (ci == s_.chains.size()) s_.chains.push_back(Chain{chain, {}});
    Residue r;
    r.name = resname;
    r.seqnum = seqnum;
    r.icode = icode;
    r.het = het;
    s_.chains[ci].residues.push_back(std::move(r));
    residue_at_[key] = {ci, s_.chains[ci].residues.size() - 1};
    res = &s_.chains[ci].residues.back();
  } else {
    res = &s_.chains[it->second.first].residues[it->second.second];
    if (res->name != resname) return;  // microheterogeneity: keep the first residue type
  }
  for (auto& existing : res->atoms) {
    if (existing.name == a.name) {
      if (altloc && a.occupancy > existing.occupancy) existing = a;
      return;
    }
  }
  res->atoms.push_back(std::move(a));
}

}  // namespace trifold
