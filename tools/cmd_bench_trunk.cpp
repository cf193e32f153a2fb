// `trifold bench trunk`: times the RoseTTAFold v1 trunk forward (embeddings, initial Pair2Pair, IterBlocks,
// InitStr, DistanceNetwork) with random weights of the official shapes; prints wall time and peak RSS.
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "io/error.hpp"
#include "model/device.hpp"
#include "model/rf1/trunk.hpp"
#include "model/weights_random.hpp"
#ifdef TRIFOLD_WITH_CUDA
#include "model/cuda/network.hpp"
#endif
#include "tools/command.hpp"
#include "tools/prediction_options.hpp"

namespace trifold::cli {
namespace {

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

// Random weights with the shapes listed in the state_dict key table (key \t (d0, d1, ...) \t dtype). Only the
// tensors the trunk uses are built (SE(3) blocks, final block and refinement are skipped). Linear/conv
// weights ~ U(±1/sqrt(fan_in)), norm gains 1 and shifts 0, embeddings ~ N(0, 1), Performer projections
// ~ N(0, 1), positional tables computed like the reference constructors.
model::Weights random_trunk_weights(const std::string& key_table, uint32_t seed, bool all) {
  std::ifstream in(key_table);
  if (!in) throw InputError("bench trunk: cannot read key table " + key_table);
  model::Weights w;
  std::mt19937 rng(seed);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string key, shape_s, dtype;
    std::getline(ls, key, '\t');
    std::getline(ls, shape_s, '\t');
    std::getline(ls, dtype, '\t');
    if (key.find("calls_since_last_redraw") != std::string::npos) continue;
    if (!all && (key.find("iter_block_2") != std::string::npos || key.find("feat_extractor.final") != std::string::npos ||
                 key.rfind("refine", 0) == 0))
      continue;
    model::Shape shape;
    std::string num;
    for (char c : shape_s) {
      if (std::isdigit(static_cast<unsigned char>(c))) num += c;
      else if (!num.empty()) { shape.push_back(std::stoll(num)); num.clear(); }
    }
    if (!num.empty()) shape.push_back(std::stoll(num));
    model::Tensor t(shape);
    auto ends = [&](const char* s) { return key.size() >= std::strlen(s) && key.compare(key.size() - std::strlen(s), std::string::npos, s) == 0; };
    if (ends(".pos.pe")) {
      const int64_t len = shape[1], d = shape[2];
      for (int64_t p = 0; p < len; ++p)
        for (int64_t k = 0; k < d / 2; ++k) {
          const double f = std::exp(-static_cast<double>(2 * k) * std::log(10000.0) / static_cast<double>(d));
          t[p * d + 2 * k] = static_cast<float>(std::sin(p * f));
          t[p * d + 2 * k + 1] = static_cast<float>(std::cos(p * f));
        }
    } else if (ends(".div_term")) {
      const int64_t n = shape[0];
      for (int64_t k = 0; k < n; ++k)
        t[k] = static_cast<float>(std::exp(-static_cast<double>(2 * k) * std::log(10000.0) / static_cast<double>(4 * n)));
    } else if (ends(".a_2") || (shape.size() == 1 && ends(".weight") && key.find("norm") != std::string::npos) ||
               (shape.size() == 1 && ends(".weight"))) {
      std::fill(t.vec().begin(), t.vec().end(), 1.0f);  // LayerNorm / InstanceNorm gains
    } else if (ends(".b_2") || (shape.size() == 1 && ends(".bias") && key.find("norm") != std::string::npos)) {
      // shifts stay 0
    } else if (ends("projection_matrix") || key.find("emb.weight") != std::string::npos ||
               key.find("pos_q.pe.weight") != std::string::npos) {
      std::normal_distribution<float> nd(0.0f, 1.0f);
      for (auto& v : t.vec()) v = nd(rng);
    } else {
      const int64_t fan_in = shape.size() >= 2 ? t.numel() / shape[0] : (shape.empty() ? 1 : shape[0]);
      const float a = 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(1, fan_in)));
      std::uniform_real_distribution<float> u(-a, a);
      for (auto& v : t.vec()) v = u(rng);
    }
    w.tensors.emplace(key, std::move(t));
  }
  return w;
}

// User + system CPU seconds of this process (all threads).
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double load_average() {
  std::ifstream f("/proc/loadavg");
  double v = -1.0;
  f >> v;
  return v;
}

}  // namespace

int run_bench_trunk(const std::vector<std::string>& args) {
  po::options_description opts("bench trunk options");
  opts.add_options()
      ("length,L", po::value<int>()->default_value(64), "sequence length L")
      ("rows,N", po::value<int>()->default_value(64), "MSA rows N")
      ("reps", po::value<int>()->default_value(3), "timed repetitions (median and spread printed)")
      ("warmup", po::value<int>()->default_value(1), "untimed warm-up runs")
      ("keys", po::value<std::string>()->default_value("../shared/docs/rosettafold_v1_e2e_state_dict_keys.tsv"),
       "state_dict key/shape table used to build full-size random weights")
      ("seed", po::value<uint32_t>()->default_value(1), "random seed for weights and MSA")
      ("all-weights", po::bool_switch(), "also build the SE(3)/final/refine tensors (full 136.8 M-parameter model in memory)");
  opts.add(network_device_option());
  po::variables_map vm;
  if (!parse("bench trunk", "[options]", args, opts, {}, vm)) return 0;
  const model::Device dev = require_network_device(vm["device"].as<std::string>());
  const int l = vm["length"].as<int>(), n = vm["rows"].as<int>();
  const int reps = vm["reps"].as<int>(), warm = vm["warmup"].as<int>();
  if (l < 2 || n < 1 || reps < 1 || warm < 0) throw InputError("bench trunk: need L >= 2, N >= 1, reps >= 1");

  model::Weights w = random_trunk_weights(vm["keys"].as<std::string>(), vm["seed"].as<uint32_t>(),
                                           vm["all-weights"].as<bool>());
  model::rf1::Trunk trunk(w);
  const auto& d = trunk.dims();
  model::TrunkInputs in = model::make_inputs_without_templates(model::random_msa(n, l, vm["seed"].as<uint32_t>() + 1));
  if (dev.kind == model::DeviceKind::Cuda) {
#ifdef TRIFOLD_WITH_CUDA
    // The same trunk on the GPU (model::cuda::run_to_init_str + distance_network): host clock around a stream
    // synchronisation; peak = TriFold's device allocations (the context's high-water mark).
    namespace gpu = model::cuda;
    gpu::Context ctx(dev.index);
    const gpu::DeviceWeights dw(ctx, w.tensors);
    std::vector<double> gt;
    bool gfinite = true;
    ctx.reset_peak();
    for (int r = 0; r < warm + reps; ++r) {
      ctx.synchronize();
      const auto t0 = std::chrono::steady_clock::now();
      gpu::TrunkGpuState s = gpu::run_to_init_str(ctx, dw, d, in);
      gpu::DeviceDistance o = gpu::distance_network(ctx, dw, "c6d_predictor", s.pair);
      ctx.synchronize();
      const auto t1 = std::chrono::steady_clock::now();
      if (r == 0) {
        const model::Tensor ps = o.prob_s.download();
        for (float v : ps.vec()) gfinite = gfinite && std::isfinite(v);
        for (float v : s.xyz.vec()) gfinite = gfinite && std::isfinite(v);
      }
      if (r >= warm) gt.push_back(std::chrono::duration<double>(t1 - t0).count());
    }
    std::sort(gt.begin(), gt.end());
    const auto [fr, total] = ctx.device_memory();
    std::cout << "bench trunk: RoseTTAFold v1 trunk (embeddings + initial + " << d.n_module
              << " IterBlocks + InitStr + DistanceNetwork), fp32 (TF32 off) on " << dev.str() << " ("
              << model::cuda_device_description(dev.index) << ")\n"
              << "  N=" << n << " L=" << l << "  d_msa=" << d.d_msa << " d_pair=" << d.d_pair << "  version "
              << TRIFOLD_VERSION << "\n"
              << "  wall s: median " << gt[gt.size() / 2] << "  min " << gt.front() << "  max " << gt.back() << "  ("
              << reps << " reps after " << warm << " warm-up)\n"
              << "  peak device allocations GiB: " << static_cast<double>(ctx.peak_bytes()) / (1 << 30)
              << "  device used GiB: " << static_cast<double>(total - fr) / (1 << 30) << "\n"
              << "  outputs finite: " << (gfinite ? "yes" : "NO") << "\n";
    return gfinite ? 0 : 1;
#endif
  }
  const double rss_weights = peak_rss_mib();

  std::vector<double> times, cpus;
  const double load_before = load_average();
  bool finite = true;
  for (int r = 0; r < warm + reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    model::rf1::Trunk::State s = trunk.run_to_init_str(in);
    model::rf1::DistanceOutputs o = trunk.distance(s.pair);
    const auto t1 = std::chrono::steady_clock::now();
    for (float v : o.prob_s.vec()) finite = finite && std::isfinite(v);
    for (float v : s.xyz.vec()) finite = finite && std::isfinite(v);
    const double c1 = cpu_seconds();
    if (r >= warm) {
      times.push_back(std::chrono::duration<double>(t1 - t0).count());
      cpus.push_back(c1 - c0);
    }
  }
  std::sort(times.begin(), times.end());
  std::sort(cpus.begin(), cpus.end());
  std::cout << "bench trunk: RoseTTAFold v1 trunk (embeddings + initial + " << d.n_module
            << " IterBlocks + InitStr + DistanceNetwork), fp32 CPU\n"
            << "  N=" << n << " L=" << l << "  d_msa=" << d.d_msa << " d_pair=" << d.d_pair
            << "  weights: " << w.parameter_count() << " values (" << (vm["all-weights"].as<bool>() ? "full model" : "trunk subset") << ", random)\n"
            << "  threads: OpenMP " << omp_get_max_threads() << " (OpenBLAS single-threaded per block)"
            << "  version " << TRIFOLD_VERSION << "\n"
            << "  wall s: median " << times[times.size() / 2] << "  min " << times.front() << "  max " << times.back()
            << "  (" << reps << " reps after " << warm << " warm-up)\n"
            << "  CPU s (user+sys, all threads): median " << cpus[cpus.size() / 2] << "\n"
            << "  1-min load average before/after: " << load_before << " / " << load_average()
            << " (other processes share the cores when this exceeds the thread count)\n"
            << "  peak RSS MiB: " << peak_rss_mib() << " (after weights: " << rss_weights << ")\n"
            << "  outputs finite: " << (finite ? "yes" : "NO") << "\n";
  return finite ? 0 : 1;
}

}  // namespace trifold::cli
