// Contact score matrices from an encoded MSA: APC-corrected mutual information, Potts couplings → Frobenius + APC.
#pragma once

#include <vector>

#include "model/coevolution/msa_encoding.hpp"

namespace trifold::model::coevolution {

// Average product correction: S'_ij = S_ij − S_i· S_j· / S_·· with means over off-diagonal entries. In/out
// [L, L] symmetric, diagonal set to 0. Columns marked false in `use` (if non-empty) are excluded from the
// means and their scores set to 0.
std::vector<double> apc(const std::vector<double>& s, int length, const std::vector<bool>& use = {});

// Weighted mutual information over the 21 states (pseudocount `pseudocount` · Neff spread uniformly),
// APC-corrected, [L, L].
std::vector<double> mutual_information_apc(const EncodedMsa& msa, double pseudocount = 0.5);

}  // namespace trifold::model::coevolution
