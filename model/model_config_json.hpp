// Hyper-parameters from a JSON file holding the reference's MODEL_PARAM dict (e.g. golden config.json).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "model/weights.hpp"

namespace trifold::model {

// Returns `base` updated with every hyper-parameter found in `path`: either {"MODEL_PARAM": {...}} or the
// MODEL_PARAM object itself, with the reference's kwarg names (n_module, d_msa, performer_N_opts.nb_features,
// SE3_param.div, REF_param.n_heads, use_templ, ...). p_drop is ignored (inference has no dropout); any other
// unknown key is an InputError naming the file and the key. `names_set`, when given, receives the names of
// the hyper-parameters the file sets.
ModelConfig read_model_config_json(const std::filesystem::path& path, const ModelConfig& base,
                                   std::vector<std::string>* names_set = nullptr);

}  // namespace trifold::model
