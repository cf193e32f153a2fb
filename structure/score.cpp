// Glue: residue matching, then the TM/GDT search and both lDDT variants.
#include "structure/score.hpp"

#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "io/error.hpp"

namespace trifold::structure {

namespace {

// A coordinate field reading "nan" or "inf" is accepted by the PDB reader; a NaN made the TM-score search loop
// forever (`trifold score` hung), so it is refused here, naming the residue and atom.
void require_finite_coordinates(const Structure& s) {
  for (const auto& c : s.chains)
    for (const auto& r : c.residues)
      for (const auto& a : r.atoms)
        if (!std::isfinite(a.pos.x) || !std::isfinite(a.pos.y) || !std::isfinite(a.pos.z))
          throw InputError(s.name + ": residue " + r.name + " " + std::to_string(r.seqnum) +
                           (r.icode != ' ' ? std::string(1, r.icode) : std::string()) +
                           (c.id.empty() ? std::string() : " of chain " + c.id) + ", atom " + a.name +
                           " (serial " + std::to_string(a.serial) + "): coordinate is not a finite number");
}

}  // namespace

PairScore score_pair(const Structure& model, const Structure& native, const ScoreOptions& opt) {
  require_finite_coordinates(model);
  require_finite_coordinates(native);
  const Chain& nc = scored_chain(native);
  Chain mc = match_to_native(model, native, opt.match);
  PairScore out;
  {
    std::map<std::pair<int, char>, const std::string*> native_name;
    for (const auto& r : nc.residues) native_name.emplace(std::make_pair(r.seqnum, r.icode), &r.name);
    for (const auto& r : mc.residues) {
      auto it = native_name.find({r.seqnum, r.icode});
      if (it != native_name.end() && *it->second != r.name) ++out.differing_residues;
    }
  }
  try {
    TmScoreOptions to;
    to.extended_gdt = opt.extended_gdt;
    out.tm = tm_score(mc, nc, to);
  } catch (const InputError& e) {
    throw InputError(model.name + " vs " + native.name + ": " + e.what());
  }
  out.lddt = lddt(mc, nc);
  LddtOptions ca;
  ca.ca_only = true;
  out.lddt_ca = lddt(mc, nc, ca);
  if (!opt.per_residue) {
    out.lddt.residues.clear();
    out.lddt_ca.residues.clear();
  }
  return out;
}

}  // namespace trifold::structure
