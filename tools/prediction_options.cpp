// Shared prediction options of `trifold predict` and `trifold batch`.
#include "tools/prediction_options.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "io/error.hpp"
#include "model/device.hpp"
#include "model/precision.hpp"

namespace trifold::cli {

po::options_description prediction_options() {
  po::options_description o("prediction options");
  o.add_options()
      ("db", po::value<std::string>()->default_value(""), "sequence database for the built-in MSA search")
      ("msa-tool", po::value<std::string>()->default_value("builtin"), "MSA search with --db: builtin | hhblits | jackhmmer | mmseqs2")
      ("method", po::value<std::string>()->default_value(""), "coevolution | network (default: network when weights are configured, else coevolution)")
      ("weights", po::value<std::string>()->default_value(""), "network weights HDF5 (default: $TRIFOLD_WEIGHTS)")
      ("stop-after", po::value<std::string>()->default_value(""), "stop (every target) after this stage: input | msa | predict (= every stage, the default)")
      ("max-length", po::value<int64_t>()->default_value(1000), "longest accepted query (residues)")
      ("method-option", po::value<std::vector<std::string>>()->composing()->default_value({}, ""), "KEY=VALUE for the method, repeatable (coevolution: restarts, steps, seed, pairs_per_residue, identity)");
  o.add_options()
      ("templates", po::value<std::string>()->default_value(""), "network method: folder of HHsearch results per target, <id>.hhr and <id>.atab (the reference's -hhr/-atab; up to 10 templates); needs --template-db")
      ("template-db", po::value<std::string>()->default_value(""), "network method: the PDB ffindex database of those hits, PREFIX_pdb.ffindex/.ffdata (the reference's -db)");
  o.add(network_device_option());
  o.add_options()("max-memory", po::value<double>()->default_value(0.0),
                  "--device cuda: GiB of device memory TriFold may allocate (0 = the device's free memory). The memory "
                  "planner (trifold plan) sizes the chunks to fit it, or falls back to crop mode when the full length "
                  "cannot fit. Ignored on the CPU (crops above L = 300 there, as the reference)");
  o.add_options()("precision", po::value<std::string>()->default_value("fp32"),
                  "--device cuda: matrix products of the trunk in fp32 (default, the reference's arithmetic), tf32 or "
                  "bf16 (tensor cores, fp32 accumulation, SE(3) stays fp32; accuracy vs fp32: docs/cuda.md, "
                  "trifold bench precision)");
  return o;
}

po::options_description network_device_option() {
  po::options_description o("device");
  o.add_options()("device", po::value<std::string>()->default_value("cpu"),
                  "compute device of the network: cpu | cuda[:N] (CUDA builds; never a silent CPU fallback)");
  return o;
}

model::Device require_network_device(const std::string& spec) { return model::parse_device(spec); }

pipeline::Settings prediction_settings(const po::variables_map& vm, bool device_here) {
  const std::string spec = vm["device"].as<std::string>();
  const model::Device dev = device_here ? require_network_device(spec) : model::parse_device_spec(spec);
  pipeline::Settings s;
  s.device = dev.str();
  s.precision = model::matmul_precision_name(model::parse_matmul_precision(vm["precision"].as<std::string>()));
  if (dev.kind == model::DeviceKind::Cpu && s.precision != "fp32")
    throw InputError("--precision " + s.precision + " needs --device cuda: the CPU runs fp32 (it can only emulate " +
                     s.precision + ", slowly, to measure it: trifold bench precision)");
  s.version = TRIFOLD_VERSION;
  s.db = vm["db"].as<std::string>();
  s.weights = vm["weights"].as<std::string>();
  if (s.weights.empty())
    if (const char* w = std::getenv("TRIFOLD_WEIGHTS")) s.weights = w;
  s.method = vm["method"].as<std::string>();
  s.msa_tool = vm["msa-tool"].as<std::string>();
  s.stop_after = vm["stop-after"].as<std::string>();
  // Read as signed: boost::program_options would turn "-5" for a size_t into 2^64 - 5, i.e. no limit at all.
  const int64_t max_length = vm["max-length"].as<int64_t>();
  if (max_length <= 0)
    throw InputError("--max-length " + std::to_string(max_length) + ": must be > 0 (residues)");
  s.max_length = static_cast<size_t>(max_length);
  s.threads = vm["threads"].as<int>();
  s.templates_dir = vm["templates"].as<std::string>();
  s.template_db = vm["template-db"].as<std::string>();
  s.max_memory_gib = vm["max-memory"].as<double>();
  if (!(s.max_memory_gib >= 0.0) || !std::isfinite(s.max_memory_gib))
    throw InputError("--max-memory must be a finite number >= 0 (GiB)");
  for (const auto& kv : vm["method-option"].as<std::vector<std::string>>()) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--method-option '" + kv + "': expected KEY=VALUE");
    s.method_options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return s;
}

}  // namespace trifold::cli
