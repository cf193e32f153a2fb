// `trifold plan`: the GPU network's device-memory plan for given lengths and MSA depth (model/memory_plan.hpp),
// without a GPU: estimated peak, the chunking --max-memory would choose, or that crops would be needed.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <vector>

#include "io/error.hpp"
#include "model/memory_plan.hpp"
#include "model/precision.hpp"
#include "model/weight_table.hpp"
#include "model/weights_h5.hpp"
#include "tools/command.hpp"

namespace trifold::cli {

int run_plan(const std::vector<std::string>& args) {
  po::options_description o("plan options");
  o.add_options()
      ("lengths", po::value<std::string>()->default_value("100,300,600,1000"), "sequence lengths L (comma-separated)")
      ("rows", po::value<int64_t>()->default_value(1000), "MSA rows N after the cap (predict/batch keep the first 1000)")
      ("templates", po::value<int64_t>()->default_value(1), "templates (1 = the blank template of template-free inputs)")
      ("max-memory", po::value<double>()->default_value(78.0), "device memory budget for TriFold's allocations, GiB (what predict/batch --max-memory bounds)")
      ("weights", po::value<std::string>()->default_value(""), "size the model from this weight file's config (default: --preset)")
      ("preset", po::value<std::string>()->default_value("full"), "model config when no --weights: full | small | tiny")
      ("precision", po::value<std::string>()->default_value("fp32"), "the trunk's matrix products, fp32 | tf32 | bf16 (bf16 adds its operand copies)")
      ("stages", po::bool_switch(), "also print the estimated peak of every stage (planned chunking)");
  po::variables_map vm;
  if (!parse("plan", "[--lengths L,...] [--rows N] [--max-memory GiB]", args, o, {}, vm)) return 0;
  const std::string wpath = vm["weights"].as<std::string>();
  const model::ModelConfig cfg =
      wpath.empty() ? model::preset_config(vm["preset"].as<std::string>()) : model::check_weights_h5(wpath);
  const double gib = vm["max-memory"].as<double>();
  // The upper bound keeps the byte count inside size_t (inf, or 1e300, overflowed the conversion below).
  if (!(gib > 0.0 && gib <= 1e9)) throw InputError("--max-memory must be positive and at most 1e9 (GiB)");
  const int64_t rows = vm["rows"].as<int64_t>(), templ = vm["templates"].as<int64_t>();
  if (rows < 1 || templ < 0) throw InputError("--rows must be >= 1 and --templates >= 0");
  const size_t limit = static_cast<size_t>(gib * 1024.0 * 1024.0 * 1024.0);
  const model::MatmulPrecision precision = model::parse_matmul_precision(vm["precision"].as<std::string>());
  // Every option is checked before the first line is printed: a bad --lengths left a header without rows.
  const std::vector<int> lengths = parse_int_list("--lengths", vm["lengths"].as<std::string>(), 1);
  const model::MemoryModel mm = model::MemoryModel::from_config(cfg);
  std::printf("# device-memory plan of the GPU network (model/memory_plan.hpp): %s, N = %lld, templates = %lld, "
              "budget %.1f GiB, %s products\n# estimates of TriFold's own allocations (Context::peak_bytes); the CUDA context and "
              "cuBLAS workspaces come on top. Weights on the device: %s\n",
              wpath.empty() ? ("preset " + vm["preset"].as<std::string>()).c_str() : wpath.c_str(),
              static_cast<long long>(rows), static_cast<long long>(templ), gib, model::matmul_precision_name(precision),
              model::format_gib(mm.weight_bytes).c_str());
  std::printf("%6s  %-11s  %-24s  %-14s  %-11s  %s\n", "L", "unchunked", "at stage", "planned", "decision",
              "chunking");
  for (int64_t l : lengths) {
    model::MemoryProblem p;
    p.length = l;
    p.rows = rows;
    p.templates = templ;
    p.bf16_operands = precision == model::MatmulPrecision::Bf16;
    const model::MemoryPlan plan = model::plan_memory(mm, p, limit);
    std::printf("%6lld  %-11s  %-24s  %-14s  %-11s  %s\n", static_cast<long long>(l),
                model::format_gib(plan.unchunked.peak_bytes).c_str(), plan.unchunked.peak_stage.c_str(),
                model::format_gib(plan.estimate.peak_bytes).c_str(), plan.fits ? "full length" : "crops",
                model::describe(plan.chunking).c_str());
    if (vm["stages"].as<bool>())
      for (const model::StagePeak& s : plan.estimate.stages)
        std::printf("        %-24s %s\n", s.stage.c_str(), model::format_gib(s.bytes).c_str());
  }
  return 0;
}

}  // namespace trifold::cli
