// `trifold bench e2e`: the complete RoseTTAFold v1 e2e forward (trunk, SE(3) blocks, heads, refinement) with
// random full-size weights; wall time per part, refinement iterations and peak RSS, one L per fresh process.
#include <cblas.h>
#include <omp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "io/error.hpp"
#include "model/e2e/network.hpp"
#include "model/weight_table.hpp"
#include "model/weights_random.hpp"
#include "tools/command.hpp"
#include "tools/prediction_options.hpp"

namespace trifold::cli {
namespace {

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

double load1() {
  std::ifstream f("/proc/loadavg");
  double v = -1.0;
  f >> v;
  return v;
}

struct Row {
  double rss_weights = 0, rss_peak = 0, trunk_s = 0, refine_s = 0, load_before = 0, load_after = 0;
  int iters = 0, best = 0;
  int finite = 1;
};

Row run_one(const model::Weights& w, int l, int n, uint32_t seed, int forced) {
  Row r;
  r.rss_weights = peak_rss_mib();
  std::mt19937 rng(seed + 1);
  std::uniform_int_distribution<int> tok(0, 20);
  model::MsaTokens msa;
  msa.n_rows = n;
  msa.length = l;
  msa.tokens.resize(static_cast<size_t>(n) * static_cast<size_t>(l));
  for (auto& t : msa.tokens) t = tok(rng);
  model::TrunkInputs in = model::make_inputs_without_templates(msa);
  model::e2e::Network net(w);
  model::e2e::RefineOptions opt;
  opt.fixed_iter = forced;
  r.load_before = load1();
  const auto t0 = std::chrono::steady_clock::now();
  model::e2e::TrunkOutputs t = net.trunk(in);
  const auto t1 = std::chrono::steady_clock::now();
  model::e2e::RefineResult f = net.refine(t.node, t.heads.prob_s, in.seq, in.idx, opt);
  const auto t2 = std::chrono::steady_clock::now();
  r.load_after = load1();
  r.trunk_s = std::chrono::duration<double>(t1 - t0).count();
  r.refine_s = std::chrono::duration<double>(t2 - t1).count();
  r.iters = f.n_iter;
  r.best = f.best_iter;
  for (float v : f.xyz.vec()) r.finite = r.finite && std::isfinite(v);
  r.rss_peak = peak_rss_mib();
  return r;
}

}  // namespace

int run_bench_e2e(const std::vector<std::string>& args) {
  po::options_description opts("bench e2e options");
  opts.add_options()
      ("lengths", po::value<std::string>()->default_value("64,128"), "comma-separated sequence lengths L")
      ("rows,N", po::value<int>()->default_value(64), "MSA rows N")
      ("refine-iters", po::value<int>()->default_value(0), "force N refinement iterations (0 = the early stop)")
      ("seed", po::value<uint32_t>()->default_value(1), "random seed for weights and MSA");
  opts.add(network_device_option());
  po::variables_map vm;
  if (!parse("bench e2e", "trifold bench e2e [options]", args, opts, {}, vm)) return 0;
  require_network_device(vm["device"].as<std::string>());
  openblas_set_num_threads(omp_get_max_threads());  // --threads governs both OpenMP and OpenBLAS
  std::vector<int> ls;
  {
    std::stringstream ss(vm["lengths"].as<std::string>());
    std::string item;
    while (std::getline(ss, item, ',')) ls.push_back(std::stoi(item));
  }
  const int n = vm["rows"].as<int>(), forced = vm["refine-iters"].as<int>();
  const uint32_t seed = vm["seed"].as<uint32_t>();
  if (ls.empty() || n < 1 || forced < 0) throw InputError("bench e2e: need lengths, N >= 1, refine-iters >= 0");
  std::cout << "bench e2e: RoseTTAFold v1 e2e forward (trunk + SE(3) blocks + heads + refinement), fp32 CPU, "
               "random full-size weights (preset full, seed "
            << seed << ")\n  N=" << n << "  threads: OpenMP " << omp_get_max_threads() << ", OpenBLAS "
            << openblas_get_num_threads() << "  version " << TRIFOLD_VERSION << "\n"
            << "  refinement: " << (forced > 0 ? "forced " + std::to_string(forced) + " iterations" : "early stop")
            << "; each L in a fresh process (peak RSS is that length's own)\n"
            << "     L  trunk s  refine s  iters  best  s/iter  RSS weights MiB  peak RSS MiB  load 1-min before/after\n";
  for (int l : ls) {
    int fd[2];
    if (pipe(fd) != 0) throw IoError("bench e2e: pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw IoError("bench e2e: fork failed");
    if (pid == 0) {
      close(fd[0]);
      Row r;
      try {
        model::Weights w = model::random_weights(model::preset_config("full"), seed);
        r = run_one(w, l, n, seed, forced);
      } catch (...) {
        r.finite = -1;
      }
      (void)!write(fd[1], &r, sizeof r);
      _exit(0);
    }
    close(fd[1]);
    Row r;
    const bool ok = read(fd[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!ok || r.finite < 0) throw InternalError("bench e2e: the run for L=" + std::to_string(l) + " failed");
    std::printf("  %4d  %7.1f  %8.1f  %5d  %4d  %6.2f  %15.0f  %12.0f  %.1f / %.1f%s\n", l, r.trunk_s, r.refine_s,
                r.iters, r.best, r.iters ? r.refine_s / r.iters : 0.0, r.rss_weights, r.rss_peak, r.load_before,
                r.load_after, r.finite ? "" : "  NaN!");
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace trifold::cli
