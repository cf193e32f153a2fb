// The coevolution method: MSA → Potts contacts → restraints → restraint folding (model/coevolution).
#pragma once

#include <memory>

#include "pipeline/method.hpp"

namespace trifold::pipeline {

// Method options (Settings::method_options, "--method-option key=value"): restarts, steps, seed,
// pairs_per_residue, identity. Throws InputError for an unknown key or a malformed value.
std::unique_ptr<Method> make_coevolution_method(const Settings& settings);

}  // namespace trifold::pipeline
