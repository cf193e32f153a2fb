// Low-complexity masking of a query (a simplified SEG, Wootton & Federhen 1993), so compositionally biased
// stretches (poly-D/E, Cys-rich keratin repeats, ...) do not produce strong but meaningless alignments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace trifold::msa {

struct MaskOptions {
  int window = 12;          // residues per window
  double trigger = 2.2;     // a window with Shannon entropy <= this (bits) starts a masked region
  double extension = 2.5;   // neighbouring windows with entropy <= this join the region
};

// Returns a copy of `seq` (codes 0..20) with the residues of low-complexity regions set to kUnknown ('X',
// which scores -1 against everything), and the number of masked residues in `masked` when given.
std::vector<uint8_t> mask_low_complexity(const std::vector<uint8_t>& seq, const MaskOptions& opt = {},
                                         size_t* masked = nullptr);

}  // namespace trifold::msa
