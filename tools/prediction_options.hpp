// The options `trifold predict` and `trifold batch` share, declared once, and the pipeline Settings they make.
#pragma once

#include "model/device.hpp"
#include "pipeline/predict.hpp"
#include "tools/command.hpp"

namespace trifold::cli {

// --db, --msa-tool, --method, --weights, --stop-after, --max-length, --method-option, --templates,
// --template-db, --device, --max-memory, --precision.
po::options_description prediction_options();

// --device (declared once; predict, batch, bench trunk, bench e2e).
po::options_description network_device_option();

// The --device of commands that run the network (predict, batch, bench trunk/e2e): "cpu", or "cuda"/"cuda:N"
// (model::cuda::NetworkGpu). parse_device's errors (malformed, no CUDA in this build, no such device) are
// InputErrors. Never a silent CPU fallback.
model::Device require_network_device(const std::string& spec);

// Settings from those options (plus --threads); weights default to $TRIFOLD_WEIGHTS. Throws InputError for a
// malformed --method-option, a bad --precision or a reduced precision on the CPU. device_here = false: the
// network runs elsewhere (batch --submit), so --device is checked for syntax and build support only.
pipeline::Settings prediction_settings(const po::variables_map& vm, bool device_here = true);

}  // namespace trifold::cli
