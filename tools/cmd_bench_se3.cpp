// `trifold bench se3`: wall time and peak memory of the SE(3)-Transformer forward vs L, random full-size weights.
#include <omp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>

#include "io/error.hpp"
#include "model/se3/graph.hpp"
#include "model/se3/transformer.hpp"
#include "model/weight_table.hpp"
#include "tools/command.hpp"

namespace trifold::cli {
namespace {

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

// Random weights for the tensors under `prefix`, shapes from the weight table of the full model, values by
// the table's init hint (the radial output layers carry the 1/sqrt(F_in) scale that keeps features O(1)).
model::Weights random_se3_weights(const std::string& prefix, uint32_t seed) {
  model::Weights w;
  std::mt19937 rng(seed);
  for (const auto& s : model::expected_tensors(model::preset_config("full"))) {
    if (s.name.rfind(prefix, 0) != 0) continue;
    model::Tensor t(s.shape);
    const float a = 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(1, s.fan_in)));
    std::uniform_real_distribution<float> uni(-a, a), gain(0.5f, 1.5f);
    std::normal_distribution<float> g(0.f, a), shift(0.f, 0.1f);
    for (auto& v : t.vec()) {
      switch (s.init) {
        case model::Init::NormGain: v = gain(rng); break;
        case model::Init::NormShift: v = shift(rng); break;
        case model::Init::Gaussian: v = g(rng); break;
        case model::Init::SmallGaussian: v = shift(rng); break;
        default: v = uni(rng); break;
      }
      v *= s.scale;
    }
    w.tensors.emplace(s.name, std::move(t));
  }
  if (w.tensors.empty()) throw InternalError("bench se3: no weights under " + prefix);
  return w;
}

struct Row {
  int L = 0;
  long long edges = 0;
  double rss_before = 0, rss_peak = 0, median_s = 0, min_s = 0, max_s = 0, ref_tmp_gib = 0;
  int finite = 1;
};

// One length in a fresh process (so ru_maxrss is this length's peak): B copies of an L-residue CA chain.
Row measure(bool refine, int L, int B, int top_k, int reps, uint32_t seed) {
  const model::Se3Config cfg = refine ? model::preset_config("full").ref : model::preset_config("full").se3;
  const std::string prefix = refine ? "refine.refine_net.0.se3." : "feat_extractor.iter_block_2.0.str2str.se3.";
  model::Weights w = random_se3_weights(prefix, seed);
  model::se3::SE3Transformer net(w, prefix, cfg);
  // A compact random chain: 3.8 Å steps, each step biased back towards the centroid (globular-like density).
  std::mt19937 rng(seed + static_cast<uint32_t>(L));
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> ca(static_cast<size_t>(B) * L * 3);
  std::vector<int64_t> idx(static_cast<size_t>(B) * L);
  for (int b = 0; b < B; ++b) {
    double p[3] = {0, 0, 0}, c[3] = {0, 0, 0};
    for (int i = 0; i < L; ++i) {
      double s[3], n2 = 0;
      for (int a = 0; a < 3; ++a) {
        s[a] = nd(rng) - 0.02 * (p[a] - c[a] / std::max(1, i));
        n2 += s[a] * s[a];
      }
      for (int a = 0; a < 3; ++a) {
        p[a] += 3.8 * s[a] / std::sqrt(n2);
        c[a] += p[a];
        ca[(static_cast<size_t>(b) * L + i) * 3 + a] = static_cast<float>(b ? (a == 2 ? -p[a] : p[a]) : p[a]);
      }
      idx[static_cast<size_t>(b) * L + i] = i;
    }
  }
  const int ed = cfg.num_edge_features;
  std::vector<float> pair(static_cast<size_t>(B) * L * L * ed);
  for (auto& v : pair) v = nd(rng);
  model::se3::Graph g = model::se3::make_topk_graph(ca.data(), idx.data(), B, L, top_k, pair.data(), ed);
  pair.clear();
  pair.shrink_to_fit();
  model::Tensor l0({int64_t(B) * L, cfg.l0_in_features}), l1({int64_t(B) * L, cfg.l1_in_features, 3});
  for (auto& v : l0.vec()) v = nd(rng);
  for (auto& v : l1.vec()) v = 1.5f * nd(rng);
  Row r;
  r.L = L;
  r.edges = g.num_edges();
  // The reference's PairwiseConv temporary for the largest (d_in, d_out) of a hidden layer:
  // E x m_out (2d_out+1) x m_in (2d_in+1) x nJ floats (R * basis before the sum over J).
  const int dmax = cfg.num_degrees - 1, mo = cfg.num_channels / cfg.div, mi = cfg.num_channels;
  r.ref_tmp_gib = double(r.edges) * mo * (2 * dmax + 1) * mi * (2 * dmax + 1) * (2 * dmax + 1) * 4.0 /
                  (1024.0 * 1024.0 * 1024.0);
  r.rss_before = peak_rss_mib();
  std::vector<double> t;
  for (int k = 0; k < reps + 1; ++k) {  // first run = warm-up
    auto t0 = std::chrono::steady_clock::now();
    auto out = net.forward(g, l0, l1);
    auto t1 = std::chrono::steady_clock::now();
    for (const auto& [d, x] : out)
      for (float v : x.vec()) r.finite &= std::isfinite(v) ? 1 : 0;
    if (k > 0) t.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(t.begin(), t.end());
  r.median_s = t[t.size() / 2];
  r.min_s = t.front();
  r.max_s = t.back();
  r.rss_peak = peak_rss_mib();
  return r;
}

}  // namespace

int run_bench_se3(const std::vector<std::string>& args) {
  po::options_description opts("bench se3 options");
  opts.add_options()
      ("lengths", po::value<std::string>()->default_value("50,100,200,300,400"), "comma-separated lengths L")
      ("config", po::value<std::string>()->default_value("refine"), "refine (REF_param) or trunk (SE3_param)")
      ("copies", po::value<int>()->default_value(2), "structures per batch (2 = refinement's mirror pair)")
      ("top-k", po::value<int>()->default_value(64), "graph top_k (64 in refinement, 128/64/32 in the trunk)")
      ("reps", po::value<int>()->default_value(2), "timed repetitions after one warm-up")
      ("seed", po::value<uint32_t>()->default_value(1), "random seed");
  po::variables_map vm;
  if (!parse("bench se3", "[options]", args, opts, {}, vm)) return 0;
  const std::string config = vm["config"].as<std::string>();
  if (config != "refine" && config != "trunk") throw InputError("bench se3: --config must be refine or trunk");
  const bool refine = config == "refine";
  const int B = vm["copies"].as<int>(), top_k = vm["top-k"].as<int>(), reps = vm["reps"].as<int>();
  if (B < 1 || top_k < 1 || reps < 1) throw InputError("bench se3: --copies, --top-k and --reps must be >= 1");
  const std::vector<int> lengths = parse_int_list("bench se3: --lengths", vm["lengths"].as<std::string>(), 2);
  std::cout << "bench se3: v1 SE3Transformer forward (" << config << " config, full size), " << B
            << " copies, top_k " << top_k << ", random weights; version " << TRIFOLD_VERSION << "\n"
            << "  threads: OpenMP " << omp_get_max_threads() << " (OpenBLAS single-threaded per block)"
            << "\n  each L runs in a fresh process: peak RSS is that length's own peak\n"
            << "      L    edges  RSS before fwd MiB  peak RSS MiB  fwd s (median [min, max])"
               "  ref. PairwiseConv temp GiB\n";
  bool ok = true;
  for (int L : lengths) {
    int fd[2];
    if (pipe(fd) != 0) throw IoError("bench se3: pipe failed");
    std::cout.flush();
    const pid_t pid = fork();
    if (pid < 0) throw IoError("bench se3: fork failed");
    if (pid == 0) {
      close(fd[0]);
      Row r{};
      try {
        r = measure(refine, L, B, top_k, reps, vm["seed"].as<uint32_t>());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        r.finite = -1;
      }
      const ssize_t n = write(fd[1], &r, sizeof(r));
      _exit(n == static_cast<ssize_t>(sizeof(r)) ? 0 : 1);
    }
    close(fd[1]);
    Row r{};
    const ssize_t n = read(fd[0], &r, sizeof(r));
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != static_cast<ssize_t>(sizeof(r)) || r.finite < 0) {
      std::cout << "  L=" << L << ": failed (child status " << status << ")\n";
      ok = false;
      continue;
    }
    char line[256];
    std::snprintf(line, sizeof(line), "  %5d %8lld %19.1f %13.1f  %.3f [%.3f, %.3f]%s %26.2f\n", r.L, r.edges,
                  r.rss_before, r.rss_peak, r.median_s, r.min_s, r.max_s, r.finite ? "" : " NaN!", r.ref_tmp_gib);
    std::cout << line;
    ok = ok && r.finite;
  }
  return ok ? 0 : 1;
}

}  // namespace trifold::cli
