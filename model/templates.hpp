// RoseTTAFold v1 template features from HHsearch output (.hhr + .atab) and an ffindex PDB database, exactly
// as the reference read_templates() / xyz_to_t2d(): xyz [T, L, 3, 3], t1d [T, L, 3], t0d [T, 3], t2d [T, L, L, 10].
#pragma once

#include <string>
#include <vector>

#include "model/features.hpp"
#include "model/tensor.hpp"

namespace trifold::model {

struct TemplateFeatures {
  std::vector<std::string> ids;  // hit names in use order
  Tensor xyz;                    // [T, L, 3, 3] N, CA, C in Å; NaN where the query position is unaligned
  Tensor t1d;                    // [T, L, 3] atab [score, SS, probab] at aligned positions, 0 elsewhere
  Tensor t0d;                    // [T, 3] [Probab/100, Identities/100, Similarity] from the .hhr
};

// Reads hits in .atab order (the .hhr is assumed to list the same hits in the same order, as the reference
// does), looks each up in <db_prefix>_pdb.ffindex/.ffdata (missing entries skipped silently), keeps hits
// with >= 10 aligned template residues that have a CA atom, and returns the first min(n_templ, kept) of
// them. Template atoms absent from the PDB text get coordinates 0 (reference behaviour). Zero kept hits ->
// T = 0 tensors. Throws InputError naming the file and line on malformed input.
TemplateFeatures read_templates(int64_t query_length, const std::string& db_prefix, const std::string& hhr_path,
                                const std::string& atab_path, int n_templ = 10);

// t2d [T, L, L, 10] from xyz [T, L, 3, 3] and t0d [T, 3]: virtual Cβ, Cβ–Cβ distance d, mask = d < 20 Å
// (off-diagonal, finite), channels [clamp(d·mask/20, 0, 1), sin ω, sin θ, sin φ, cos ω, cos θ, cos φ]·mask,
// then t0d broadcast; NaN -> 0.
Tensor xyz_to_t2d(const Tensor& xyz, const Tensor& t0d);

// The features of a subset of the query's residues (ascending 0-based indices), e.g. one crop: xyz, t1d
// rows gathered, ids and t0d unchanged. t2d of the subset = the subset of t2d (every t2d value is per pair).
TemplateFeatures select_residues(const TemplateFeatures& f, const std::vector<int32_t>& residues);

// Puts the template features into the network inputs (t1d, t2d = xyz_to_t2d(xyz, t0d)); with no templates
// (T = 0, or default-constructed features) the inputs keep the empty no-template features.
void attach_templates(TrunkInputs& in, const TemplateFeatures& f);

}  // namespace trifold::model
