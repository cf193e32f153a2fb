// Pairing model residues with native residues: by residue number (as TMscore, lddt and CASP do) or by a
// global alignment of the two sequences.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io/structure.hpp"

namespace trifold::structure {

enum class MatchMode {
  ResidueNumber,  // same author residue number and insertion code
  Sequence,       // Needleman-Wunsch global alignment of the one-letter sequences
};

// True for residues scorers consider: a known amino-acid code, or any residue with a CA atom (not water).
bool is_amino_acid(const Residue& r);

// The chain a scorer looks at: the first chain of the file (TMscore stops reading at the first TER; lddt
// takes the first chain), restricted to amino-acid residues (known three-letter code, or any residue with a
// CA atom). Throws InputError naming the structure when it has no such residue.
const Chain& scored_chain(const Structure& s);

// Returns a copy of `model`'s scored chain in which each model residue that pairs with a native residue carries
// that native residue's number and insertion code; model residues without a partner are dropped. With
// ResidueNumber this is the scored chain unchanged (duplicates of an already seen number are dropped, as
// TMscore pairs each number once). Every scorer then matches residues by number.
Chain match_to_native(const Structure& model, const Structure& native, MatchMode mode);

// Global alignment (match +1, mismatch 0, gap -1, no end-gap penalty) of a and b. Returns aligned index pairs
// (i in a, j in b) in increasing order.
std::vector<std::pair<int, int>> align_sequences(const std::string& a, const std::string& b);

}  // namespace trifold::structure
