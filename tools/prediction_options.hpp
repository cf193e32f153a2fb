// The options `trifold predict` and `trifold batch` share, declared once, and the pipeline Settings they make.
#pragma once

#include "pipeline/predict.hpp"
#include "tools/command.hpp"

namespace trifold::cli {

// --db, --msa-tool, --method, --weights, --stop-after, --max-length, --method-option.
po::options_description prediction_options();

// Settings from those options (plus --threads); weights default to $TRIFOLD_WEIGHTS. Throws InputError for a
// malformed --method-option.
pipeline::Settings prediction_settings(const po::variables_map& vm);

}  // namespace trifold::cli
