// `trifold bench precision`: the accuracy envelope of reduced-precision matrix products (bf16, TF32) against
// fp32 — the same input through the whole e2e network once per precision, and how far each output moves.
// --device cpu emulates the tensor-core rounding (cpu::gemm under a MatmulPrecisionScope); --device cuda runs
// the real thing (cuBLAS bf16/TF32 tensor cores). The SE(3) stacks stay fp32 in every mode.
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/device.hpp"
#include "model/e2e/compare.hpp"
#include "model/e2e/network.hpp"
#include "model/features.hpp"
#include "model/model_config_json.hpp"
#include "model/weight_table.hpp"
#include "model/weights_h5.hpp"
#include "model/weights_random.hpp"
#ifdef TRIFOLD_WITH_CUDA
#include "model/cuda/network.hpp"
#endif
#include "tools/command.hpp"

namespace trifold::cli {
namespace {

model::Weights load_any_weights(const po::variables_map& vm, std::string& what) {
  const std::string file = vm["weights"].as<std::string>();
  if (file.empty()) {
    const std::string preset = vm["preset"].as<std::string>();
    what = "random weights (preset " + preset + ", seed " + std::to_string(vm["seed"].as<unsigned>()) + ")";
    return model::random_weights(model::preset_config(preset), vm["seed"].as<unsigned>());
  }
  what = file;
  const bool checkpoint = file.size() > 3 && file.compare(file.size() - 3, 3, ".pt") == 0;
  if (!checkpoint) return model::load_weights_h5(file);
  // The SE(3) head counts are not visible in the tensor shapes: config.json supplies them (else the full preset's).
  model::ModelConfig base = model::preset_config("full");
  if (!vm["config"].as<std::string>().empty()) base = model::read_model_config_json(vm["config"].as<std::string>(), base);
  return model::convert_checkpoint(file, base);
}

model::TrunkInputs make_inputs(const po::variables_map& vm, std::string& what) {
  const std::string a3m = vm["a3m"].as<std::string>();
  const int max_rows = vm["max-rows"].as<int>();
  model::MsaTokens msa;
  if (!a3m.empty()) {
    msa = model::first_rows(model::read_a3m_tokens(a3m), max_rows);
    what = a3m;
  } else {
    const int l = vm["length"].as<int>(), n = vm["rows"].as<int>();
    if (l < 2 || n < 1) throw InputError("bench precision: --length must be >= 2 and --rows >= 1");
    msa = model::random_msa(n, l, vm["seed"].as<unsigned>() + 1);
    what = "random MSA";
  }
  what += " (L = " + std::to_string(msa.length) + ", N = " + std::to_string(msa.n_rows) + ")";
  return model::make_inputs_without_templates(msa);
}

std::vector<model::MatmulPrecision> parse_precisions(const std::string& list) {
  std::vector<model::MatmulPrecision> out;
  std::stringstream ss(list);
  for (std::string tok; std::getline(ss, tok, ',');) {
    const model::MatmulPrecision p = model::parse_matmul_precision(tok);
    if (p == model::MatmulPrecision::Fp32) throw InputError("bench precision: fp32 is the reference; list bf16 and/or tf32");
    out.push_back(p);
  }
  if (out.empty()) throw InputError("bench precision: --precisions is empty");
  return out;
}

// One forward per precision on the CPU (emulated rounding) or on a GPU (one NetworkGpu, its context's
// precision switched between forwards so the weights are uploaded once).
class Runner {
 public:
  Runner(const model::Weights& w, const model::Device& dev) : dev_(dev) {
    if (dev.kind == model::DeviceKind::Cpu) {
      cpu_ = std::make_unique<model::e2e::Network>(w);
      return;
    }
#ifdef TRIFOLD_WITH_CUDA
    gpu_ = std::make_unique<model::cuda::NetworkGpu>(w, dev.index);
#endif
  }
  model::e2e::NetworkOutputs forward(const model::TrunkInputs& in, const model::e2e::RefineOptions& opt,
                                     model::MatmulPrecision p) {
    if (cpu_) {
      model::cpu::MatmulPrecisionScope scope(p);
      return cpu_->forward(in, opt);
    }
#ifdef TRIFOLD_WITH_CUDA
    gpu_->context().set_matmul_precision(p);
    return gpu_->forward(in, opt);
#else
    (void)in, (void)opt, (void)p;
    throw InternalError("bench precision: CUDA runner without CUDA");
#endif
  }

 private:
  model::Device dev_;
  std::unique_ptr<model::e2e::Network> cpu_;
#ifdef TRIFOLD_WITH_CUDA
  std::unique_ptr<model::cuda::NetworkGpu> gpu_;
#endif
};

}  // namespace

int run_bench_precision(const std::vector<std::string>& args) {
  po::options_description opts("bench precision options");
  opts.add_options()
      ("device", po::value<std::string>()->default_value("cpu"),
       "cpu (bf16/TF32 rounding emulated on the CPU) or cuda[:N] (the GPU's tensor cores)")
      ("precisions", po::value<std::string>()->default_value("bf16,tf32"), "reduced precisions compared with fp32")
      ("weights", po::value<std::string>()->default_value(""),
       "TriFold weight file (.h5) or official checkpoint (.pt); default: random weights of --preset")
      ("config", po::value<std::string>()->default_value(""), "config.json for a .pt checkpoint (SE(3) head counts)")
      ("preset", po::value<std::string>()->default_value("full"), "random-weight preset without --weights (tiny, small, full)")
      ("a3m", po::value<std::string>()->default_value(""), "input alignment; default: a random MSA of --length × --rows")
      ("length", po::value<int>()->default_value(64), "random MSA: residues")
      ("rows", po::value<int>()->default_value(64), "random MSA: sequences")
      ("max-rows", po::value<int>()->default_value(1000), "--a3m: first rows kept (the reference's 1000)")
      ("refine-iters", po::value<int>()->default_value(2),
       "forced refinement iterations (the same in every run, so refined coordinates are comparable; 0 = free early stop)")
      ("seed", po::value<unsigned>()->default_value(1), "seed of random weights and MSA");
  po::variables_map vm;
  if (!parse("bench precision", "[options]", args, opts, {}, vm)) return 0;
  const model::Device dev = model::parse_device(vm["device"].as<std::string>());
  const auto precisions = parse_precisions(vm["precisions"].as<std::string>());
  const int iters = vm["refine-iters"].as<int>();
  if (iters < 0) throw InputError("bench precision: --refine-iters must be >= 0");
  std::string weights_what, input_what;
  const model::Weights w = load_any_weights(vm, weights_what);
  const model::TrunkInputs in = make_inputs(vm, input_what);
  model::e2e::RefineOptions opt;
  opt.fixed_iter = iters;

  std::printf("bench precision: commit %s, device %s%s\n  weights: %s\n  input: %s; refinement: %s\n",
              TRIFOLD_GIT_COMMIT, dev.str().c_str(),
              dev.kind == model::DeviceKind::Cpu ? " (bf16/TF32 operand rounding emulated, fp32 sums)" : "",
              weights_what.c_str(), input_what.c_str(),
              iters ? (std::to_string(iters) + " forced iterations").c_str() : "free early stop");
  Runner runner(w, dev);
  auto timed = [&](model::MatmulPrecision p, double& secs) {
    const auto t0 = std::chrono::steady_clock::now();
    model::e2e::NetworkOutputs o = runner.forward(in, opt, p);
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return o;
  };
  double ref_s = 0;
  const model::e2e::NetworkOutputs ref = timed(model::MatmulPrecision::Fp32, ref_s);
  std::vector<std::vector<model::e2e::OutputDifference>> diffs;
  std::vector<double> secs;
  std::vector<std::string> iter_cells;
  for (auto p : precisions) {
    double s = 0;
    const model::e2e::NetworkOutputs o = timed(p, s);
    diffs.push_back(model::e2e::compare_outputs(o, ref));
    secs.push_back(s);
    iter_cells.push_back(std::to_string(o.refine.n_iter) + " (best " + std::to_string(o.refine.best_iter) + ")");
  }
  std::printf("\n%-28s", "vs fp32");
  for (auto p : precisions) std::printf(" %14s", model::matmul_precision_name(p));
  std::printf("\n");
  for (size_t k = 0; k < diffs[0].size(); ++k) {
    std::printf("%-28s", diffs[0][k].name.c_str());
    for (const auto& d : diffs) std::printf(" %14.3e", d[k].value);
    std::printf("\n");
  }
  std::printf("%-28s", "refine iterations");
  for (const auto& c : iter_cells) std::printf(" %14s", c.c_str());
  std::printf("   (fp32: %d, best %d)\n", ref.refine.n_iter, ref.refine.best_iter);
  std::printf("%-28s", "forward wall s");
  for (double s : secs) std::printf(" %14.2f", s);
  std::printf("   (fp32: %.2f)\n", ref_s);
  return 0;
}

}  // namespace trifold::cli
