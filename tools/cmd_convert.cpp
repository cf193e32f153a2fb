// `trifold convert`: official PyTorch checkpoint → TriFold HDF5 weights, or random weights with official shapes.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "io/error.hpp"
#include "io/log.hpp"
#include "model/model_config_json.hpp"
#include "model/weight_table.hpp"
#include "model/weights_h5.hpp"
#include "model/weights_infer.hpp"
#include "model/weights_random.hpp"
#include "tools/command.hpp"

namespace trifold::cli {

namespace fs = std::filesystem;
using namespace trifold::model;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// --set NAME=VALUE overrides, applied in order; their names are appended to `names`.
void apply_sets(ModelConfig& c, const std::vector<std::string>& sets, std::vector<std::string>& names) {
  for (const auto& s : sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos) throw InputError("--set '" + s + "': expected NAME=VALUE");
    const std::string name = s.substr(0, eq), v = s.substr(eq + 1);
    size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (v.empty() || used != v.size()) throw InputError("--set '" + s + "': value is not an integer");
    if (!set_hyper_parameter(c, name, value))
      throw InputError("--set '" + s + "': unknown hyper-parameter '" + name + "' (see `trifold info` for names)");
    names.push_back(name);
  }
}

}  // namespace

int run_convert(const std::vector<std::string>& args) {
  po::options_description o("convert options");
  o.add_options()
      ("input", po::value<std::string>(), "official checkpoint (RoseTTAFold_e2e.pt; torch zip or legacy format)")
      ("output", po::value<std::string>(), "output weight file (.h5), written atomically")
      ("random", po::bool_switch(), "write random weights with the official shapes instead (benchmarks, demos)")
      ("config", po::value<std::string>()->default_value("full"),
       "named hyper-parameter set (full, tiny, small): the base for --random, and for the values a "
       "checkpoint's shapes do not show (SE(3) head counts)")
      ("model-config", po::value<std::string>(),
       "JSON file with the reference's MODEL_PARAM (e.g. golden config.json); applied over --config")
      ("set", po::value<std::vector<std::string>>()->composing(),
       "NAME=VALUE hyper-parameter override, repeatable (e.g. SE3_param.n_heads=2); applied last")
      ("seed", po::value<uint64_t>()->default_value(1), "random seed for --random");
  po::positional_options_description pos;
  pos.add("input", 1).add("output", 1);
  po::variables_map vm;
  if (!parse("convert", "CHECKPOINT.pt OUT.h5 | --random [--config NAME] OUT.h5", args, o, pos, vm)) return 0;

  const bool random = vm["random"].as<bool>();
  std::string input = vm.count("input") ? vm["input"].as<std::string>() : "";
  std::string output = vm.count("output") ? vm["output"].as<std::string>() : "";
  if (random) {
    if (!output.empty()) throw InputError("trifold convert --random takes only the output file");
    output = input;
    input.clear();
  }
  if (output.empty()) throw InputError("trifold convert: missing output file (see 'trifold convert --help')");
  check_output_file("output", output);  // before reading a 500 MB checkpoint

  ModelConfig base = preset_config(vm["config"].as<std::string>());
  std::vector<std::string> given;  // hyper-parameters the user stated explicitly
  if (vm.count("model-config")) base = read_model_config_json(vm["model-config"].as<std::string>(), base, &given);
  if (vm.count("set")) apply_sets(base, vm["set"].as<std::vector<std::string>>(), given);

  auto t0 = std::chrono::steady_clock::now();
  Weights w;
  std::string source;
  if (random) {
    w = random_weights(base, vm["seed"].as<uint64_t>());
    source = "random (seed " + std::to_string(vm["seed"].as<uint64_t>()) + ", trifold convert --random)";
    log::info("generated ", w.tensors.size(), " random tensors in ", seconds_since(t0), " s");
  } else {
    w = convert_checkpoint(input, base);
    source = fs::path(input).filename().string();
    log::info("read ", input, ": ", w.tensors.size(), " tensors in ", seconds_since(t0), " s");
    // The tensors decide every shape-visible value; a config file or --set that disagrees is a user mistake.
    auto stated = hyper_parameters(base), found = hyper_parameters(w.config);
    for (size_t i = 0; i < stated.size(); ++i)
      if (std::find(given.begin(), given.end(), stated[i].first) != given.end() && stated[i].second != found[i].second)
        throw InputError(input + ": " + stated[i].first + " = " + std::to_string(found[i].second) +
                         " in the checkpoint, but " + std::to_string(stated[i].second) + " was given");
    // Head counts of the SE(3) attention split channels without parameters: no shape shows them. For the
    // official model (every visible value as in predict_e2e.py) the official counts are right; for any
    // other shape with defaulted heads, say so.
    const bool official = hyper_parameters(w.config) == hyper_parameters(preset_config("full"));
    for (const char* name : {"SE3_param.n_heads", "REF_param.n_heads"}) {
      if (!vm["config"].defaulted() || std::find(given.begin(), given.end(), name) != given.end()) continue;
      const int heads = name[0] == 'S' ? w.config.se3.n_heads : w.config.ref.n_heads;
      if (official)
        log::info(name, " = ", heads, " (official value; not visible in the shapes)");
      else
        log::warn(name, " is not visible in the checkpoint's shapes and this is not the official model size; "
                  "using the official value ", heads, " (give --model-config, --config or --set ", name, "=N)");
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  save_weights_h5(w, output, source);
  log::info("wrote ", output, " (", fs::file_size(output), " bytes) in ", seconds_since(t1), " s");
  std::cout << output << ": " << w.tensors.size() << " tensors, " << parameter_count(w.config)
            << " parameters\n";
  return 0;
}

}  // namespace trifold::cli
