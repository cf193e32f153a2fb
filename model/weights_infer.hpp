// Hyper-parameters of RoseTTAFoldModule_e2e read back from the tensor shapes of a state dict.
#pragma once

#include "model/weights.hpp"

namespace trifold::model {

// Returns `base` with every hyper-parameter that the shapes determine replaced by the value the tensors imply
// (see docs/weights.md for the rule per parameter: e.g. d_msa = msa_emb.emb.weight[1], n_module = number of
// feat_extractor.iter_block_1.<i> blocks, n_head_msa from the MSA2Pair input width, n_head_pair/_templ =
// channels / Performer d_k, SE(3) fibers from the final Str2Str block). Values that no shape shows are
// kept from `base`: SE3_param.n_heads and REF_param.n_heads (attention heads split channels without any
// parameter), and REF_param.* when n_module_ref = 0. A tensor needed for a rule but absent leaves that value
// at `base`; the full key/shape check (check_weights) then reports the missing tensor.
ModelConfig infer_config(const Weights& w, const ModelConfig& base);

}  // namespace trifold::model
