// All scores of one model against one native: TM-score, GDT-TS/HA, RMSD, all-atom and CA lDDT.
#pragma once

#include "io/structure.hpp"
#include "structure/lddt.hpp"
#include "structure/residue_match.hpp"
#include "structure/tmscore.hpp"

namespace trifold::structure {

struct ScoreOptions {
  MatchMode match = MatchMode::ResidueNumber;
  bool per_residue = true;  // keep per-residue lDDT
  bool extended_gdt = false;  // also the per-cutoff GDT search (TmScoreOptions::extended_gdt)
};

struct PairScore {
  TmScoreResult tm;   // CA-based, normalised by the native length
  LddtResult lddt;    // all heavy atoms
  LddtResult lddt_ca; // CA atoms only
  // Residues in common whose amino acids differ between model and native. Many of them mean the two are
  // different proteins, or the numbering is shifted (matching by sequence would pair them right).
  int differing_residues = 0;
};

// Scores the first chain of `model` against the first chain of `native`. Throws InputError (naming the
// files) when the native has no CA atoms or no residue is in common.
PairScore score_pair(const Structure& model, const Structure& native, const ScoreOptions& opt = {});

}  // namespace trifold::structure
