// Glue: residue matching, then the TM/GDT search and both lDDT variants.
#include "structure/score.hpp"

#include "io/error.hpp"

namespace trifold::structure {

PairScore score_pair(const Structure& model, const Structure& native, const ScoreOptions& opt) {
  const Chain& nc = scored_chain(native);
  Chain mc = match_to_native(model, native, opt.match);
  PairScore out;
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
