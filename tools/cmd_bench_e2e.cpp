// `trifold bench e2e`: the complete RoseTTAFold v1 e2e forward (trunk, SE(3) blocks, heads, refinement) with
// random full-size weights; wall time per part, refinement iterations and peak RSS, one L per fresh process.
// --device cuda[:N]: the same forward on the GPU (model::cuda::NetworkGpu), each L in a freshly exec'd process
// (CUDA does not survive fork), with wall time, peak device memory, and OOM/timeouts reported as rows.
#include <omp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "io/error.hpp"
#include "io/log.hpp"
#include "model/device.hpp"
#include "model/precision.hpp"
#include "model/profile.hpp"
#include "model/e2e/network.hpp"
#ifdef TRIFOLD_WITH_CUDA
#include "model/cuda/network.hpp"
#endif
#include "model/memory_plan.hpp"
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

// --profile: the stage table of one length (model/profile.hpp); wall = that run's trunk + refine seconds.
void print_profile(const std::vector<model::StageTotal>& stages, double wall) {
  if (stages.empty()) return;
  double timed = 0;
  for (const auto& s : stages) timed += s.seconds;
  std::printf("        %-48s %7s %9s %7s\n", "stage", "calls", "total s", "share");
  for (const auto& s : stages)
    std::printf("        %-48s %7lld %9.3f %6.1f%%\n", s.name.c_str(), static_cast<long long>(s.calls), s.seconds,
                wall > 0 ? 100.0 * s.seconds / wall : 0.0);
  std::printf("        %-48s %7s %9.3f %6.1f%%\n", "(outside the stages above)", "", wall - timed,
              wall > 0 ? 100.0 * (wall - timed) / wall : 0.0);
}

// One stage per line, "<calls> <seconds> <name>", for a child's report to its parent.
std::string profile_lines(const char* prefix) {
  std::string out;
  char buf[64];
  for (const auto& s : model::profile_totals()) {
    std::snprintf(buf, sizeof buf, "%lld %.6f ", static_cast<long long>(s.calls), s.seconds);
    out += std::string(prefix) + buf + s.name + "\n";
  }
  return out;
}

std::vector<model::StageTotal> parse_profile_lines(const std::string& text, const std::string& prefix) {
  std::vector<model::StageTotal> v;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream ls(line.substr(prefix.size()));
    model::StageTotal t;
    long long calls = 0;
    if (!(ls >> calls >> t.seconds)) continue;
    t.calls = calls;
    std::getline(ls, t.name);
    if (!t.name.empty() && t.name[0] == ' ') t.name.erase(0, 1);
    v.push_back(std::move(t));
  }
  return v;
}

struct Row {
  double rss_weights = 0, rss_peak = 0, trunk_s = 0, refine_s = 0, load_before = 0, load_after = 0;
  int iters = 0, best = 0;
  int finite = 1;
};

// A length's run prints its table row, not the network's progress lines (trunk done, refinement iterations),
// which would interleave with the table; -v shows them.
void quiet_progress() {
  if (log::level() == log::Level::Info) log::set_level(log::Level::Warn);
}

Row run_one(const model::Weights& w, int l, int n, uint32_t seed, int forced, int max_iter) {
  quiet_progress();
  Row r;
  r.rss_weights = peak_rss_mib();
  model::TrunkInputs in = model::make_inputs_without_templates(model::random_msa(n, l, seed + 1));
  model::e2e::Network net(w);
  model::e2e::RefineOptions opt;
  opt.fixed_iter = forced;
  opt.max_iter = max_iter;
  r.load_before = load1();
  model::clear_profile();
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

#ifdef TRIFOLD_WITH_CUDA
model::TrunkInputs random_inputs(int l, int n, uint32_t seed) {
  return model::make_inputs_without_templates(model::random_msa(n, l, seed + 1));
}

bool is_oom(const std::string& m) {
  return m.find("out of memory") != std::string::npos || m.find("ALLOC_FAILED") != std::string::npos ||
         m.find("cudaErrorMemoryAllocation") != std::string::npos;
}
#endif

// The settings of a GPU benchmark, shared by the parent and each length's child process.
struct GpuBench {
  model::Device dev;
  int n = 0;          // MSA rows
  uint32_t seed = 1;
  int forced = 0;     // forced refinement iterations (0 = early stop)
  int max_iter = 200;
  int warmup_l = 32;
  double max_gib = 0;
  model::MatmulPrecision precision = model::MatmulPrecision::Fp32;
  bool profile = false;  // per-stage times (model/profile.hpp), printed after each length's row
};

// The child of a GPU run: one L, one line "TRIFOLD_ROW <status> <setup s> <trunk s> <refine s> <iters> <best>
// <peak alloc bytes> <device used bytes> <planned peak bytes> <finite> <message>" on stdout. The chunking is the
// memory planner's for --max-memory (else for the device's free memory), as predict --device cuda chooses it;
// the planned peak is the planner's estimate of what peak alloc measures (model/memory_plan.hpp).
int gpu_child(const GpuBench& b, int l, bool trunk_only) {
  const int n = b.n, warmup_l = b.warmup_l;
  const uint32_t seed = b.seed;
  double setup = 0, trunk_s = 0, refine_s = 0;
  int iters = 0, best = -1, finite = 1;
  size_t peak = 0, used = 0, planned = 0;
  std::string status = "ok", msg;
  quiet_progress();
#ifdef TRIFOLD_WITH_CUDA
  try {
    model::Weights w = model::random_weights(model::preset_config("full"), seed);
    const auto s0 = std::chrono::steady_clock::now();
    const size_t cap = static_cast<size_t>(b.max_gib * 1024.0 * 1024.0 * 1024.0);
    model::cuda::NetworkGpu net(w, b.dev.index, b.precision, cap);
    model::e2e::RefineOptions opt;
    opt.fixed_iter = b.forced;
    opt.max_iter = b.max_iter;
    if (warmup_l > 0) {  // kernels, cuBLAS heuristics and the memory pool warmed on a small input
      model::TrunkInputs win = random_inputs(std::min(l, warmup_l), std::min(n, warmup_l), seed + 7);
      model::e2e::RefineOptions wopt;
      wopt.fixed_iter = 1;
      (void)net.forward(win, wopt);
    }
    model::TrunkInputs in = random_inputs(l, n, seed);
    {
      const auto [fr, total] = net.context().device_memory();
      const size_t budget = cap > 0 ? cap : fr + net.context().bytes_in_use();
      model::MemoryProblem mp;
      mp.length = l;
      mp.rows = n;
      mp.bf16_operands = b.precision == model::MatmulPrecision::Bf16;
      const model::MemoryPlan plan = model::plan_memory(model::MemoryModel::from_weights(w), mp, budget);
      net.set_chunking(plan.chunking);
      planned = plan.estimate.peak_bytes;
      std::printf("TRIFOLD_PLAN %s\n", plan.summary().c_str());
      std::fflush(stdout);
    }
    net.context().synchronize();
    net.context().reset_peak();
    model::set_profiling(b.profile);
    model::clear_profile();
    const auto t0 = std::chrono::steady_clock::now();
    setup = std::chrono::duration<double>(t0 - s0).count();
    model::e2e::TrunkOutputs t = net.trunk(in);
    net.context().synchronize();
    const auto t1 = std::chrono::steady_clock::now();
    // Partial result first: a length killed by --timeout during the refinement still reports its trunk.
    std::printf("TRIFOLD_TRUNK %.3f %.3f %zu\n", setup, std::chrono::duration<double>(t1 - t0).count(),
                net.context().peak_bytes());
    std::fflush(stdout);
    trunk_s = std::chrono::duration<double>(t1 - t0).count();
    if (!trunk_only) {
      model::e2e::RefineResult f = net.refine(t.node, t.heads.prob_s, in.seq, in.idx, opt);
      net.context().synchronize();
      const auto t2 = std::chrono::steady_clock::now();
      refine_s = std::chrono::duration<double>(t2 - t1).count();
      iters = f.n_iter;
      best = f.best_iter;
      for (float v : f.xyz.vec()) finite = finite && std::isfinite(v);
    } else {
      status = "ok-trunk";
    }
    for (float v : t.heads.prob_s.vec()) finite = finite && std::isfinite(v);
    peak = net.context().peak_bytes();
    const auto [fr, total] = net.context().device_memory();
    used = total - fr;
  } catch (const std::exception& e) {
    msg = e.what();
    status = is_oom(msg) ? "OOM" : "error";
  }
#else
  status = "error";
  msg = "built without CUDA";
  (void)b, (void)l, (void)n, (void)seed, (void)warmup_l, (void)trunk_only;
#endif
  for (char& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  if (b.profile) std::printf("%s", profile_lines("TRIFOLD_PROFILE ").c_str());
  std::printf("TRIFOLD_ROW %s %.3f %.3f %.3f %d %d %zu %zu %zu %d %s\n", status.c_str(), setup, trunk_s, refine_s,
              iters, best, peak, used, planned, finite, msg.c_str());
  std::fflush(stdout);
  return 0;
}

struct GpuRow {
  std::string status = "crashed", msg;
  std::vector<model::StageTotal> profile;
  double setup = 0, trunk_s = 0, refine_s = 0;
  int iters = 0, best = -1, finite = 0;
  double peak_gib = 0, used_gib = 0, planned_gib = 0;
};

// Runs one L in a fresh process (this executable, exec'd), killed after timeout_s (0 = none).
GpuRow run_gpu_length(const std::vector<std::string>& child_args, double timeout_s) {
  int fd[2];
  if (pipe(fd) != 0) throw IoError("bench e2e: pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw IoError("bench e2e: fork failed");
  if (pid == 0) {
    close(fd[0]);
    dup2(fd[1], STDOUT_FILENO);
    close(fd[1]);
    std::vector<char*> argv;
    for (const auto& a : child_args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fd[1]);
  std::string out;
  const auto start = std::chrono::steady_clock::now();
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    int wait_ms = -1;
    if (timeout_s > 0) {
      const double left = timeout_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (left <= 0) {
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(left * 1000) + 1;
    }
    pollfd p{fd[0], POLLIN, 0};
    const int pr = poll(&p, 1, wait_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr == 0) continue;
    const ssize_t k = read(fd[0], buf, sizeof buf);
    if (k <= 0) break;
    out.append(buf, static_cast<size_t>(k));
  }
  if (timed_out) kill(pid, SIGKILL);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  GpuRow r;
  if (timed_out) {
    r.status = "timeout";
    r.msg = "killed after " + std::to_string(static_cast<int>(timeout_s)) + " s";
    const size_t tr = out.find("TRIFOLD_TRUNK ");
    if (tr != std::string::npos) {
      std::istringstream ts(out.substr(tr + 14));
      double setup = 0, trunk = 0;
      size_t peak = 0;
      if (ts >> setup >> trunk >> peak)
        r.msg += " in the refinement; setup " + std::to_string(setup).substr(0, 6) + " s, trunk " +
                 std::to_string(trunk).substr(0, 6) + " s, trunk peak alloc " +
                 std::to_string(static_cast<double>(peak) / (1024.0 * 1024 * 1024)).substr(0, 6) + " GiB";
    } else {
      r.msg += " before the trunk finished";
    }
    return r;
  }
  const size_t at = out.find("TRIFOLD_ROW ");
  if (at == std::string::npos) {
    r.msg = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                : "exit status " + std::to_string(WEXITSTATUS(status));
    return r;
  }
  r.profile = parse_profile_lines(out, "TRIFOLD_PROFILE ");
  std::istringstream ls(out.substr(at + 12));
  size_t peak = 0, used = 0, planned = 0;
  ls >> r.status >> r.setup >> r.trunk_s >> r.refine_s >> r.iters >> r.best >> peak >> used >> planned >> r.finite;
  r.planned_gib = static_cast<double>(planned) / (1024.0 * 1024 * 1024);
  std::getline(ls, r.msg);
  if (!r.msg.empty() && r.msg[0] == ' ') r.msg.erase(0, 1);
  r.peak_gib = static_cast<double>(peak) / (1024.0 * 1024 * 1024);
  r.used_gib = static_cast<double>(used) / (1024.0 * 1024 * 1024);
  return r;
}

int run_bench_e2e_gpu(const GpuBench& b, const std::vector<int>& ls, double timeout_s, double budget_s, bool search) {
  const model::Device& dev = b.dev;
  const int n = b.n, forced = b.forced, max_iter = b.max_iter, warmup_l = b.warmup_l;
  const uint32_t seed = b.seed;
  const double max_gib = b.max_gib;
  std::cout << "bench e2e: RoseTTAFold v1 e2e forward (trunk + SE(3) blocks + heads + refinement) on "
            << dev.str() << " (" << model::cuda_device_description(dev.index)
            << "), " << (b.precision == model::MatmulPrecision::Fp32 ? std::string("fp32 (TF32 off)")
                                                                   : std::string(model::matmul_precision_name(b.precision)) +
                                                                         " trunk products (tensor cores, SE(3) fp32)")
            << ", random full-size weights (preset full, seed " << seed << ")\n  N=" << n
            << "  version " << TRIFOLD_VERSION << "  refinement: "
            << (forced > 0 ? "forced " + std::to_string(forced) + " iterations"
                           : "early stop (at most " + std::to_string(max_iter) + " iterations)")
            << "; no crops (the memory planner's chunking for the budget); each L in a fresh process (warm-up forward at L=" << warmup_l
            << " first); per-L timeout " << (timeout_s > 0 ? std::to_string(static_cast<int>(timeout_s)) + " s" : "none")
            << ", budget " << (budget_s > 0 ? std::to_string(static_cast<int>(budget_s)) + " s" : "none")
            << "; memory limit " << (max_gib > 0 ? std::to_string(max_gib).substr(0, 5) + " GiB of TriFold allocations" : "none (the card's)")
            << "\n"
            << "  wall = trunk + refine (forward only; setup = context, weight upload, warm-up); planned GiB = the "
               "memory planner's estimate of peak alloc (model/memory_plan.hpp)\n"
            << "     L  status    wall s  trunk s  refine s  iters  s/iter  peak alloc GiB  planned GiB  device used GiB  setup s\n";
  const auto start = std::chrono::steady_clock::now();
  int longest_ok = 0, longest_fail = 0;
  bool all_ok = true;
  std::vector<int> todo = ls;
  for (size_t k = 0; k < todo.size(); ++k) {
    const int l = todo[k];
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double t = timeout_s;
    if (budget_s > 0) {
      const double left = budget_s - elapsed;
      if (left < 15) {
        std::printf("  %4d  skipped (time budget spent)\n", l);
        std::fflush(stdout);
        break;
      }
      t = t > 0 ? std::min(t, left) : left;
    }
    std::vector<std::string> a = {
        "trifold",      "bench",           "e2e",           "--device",         dev.str(),
        "--lengths",    std::to_string(l), "--rows",        std::to_string(n),  "--seed",
        std::to_string(seed), "--refine-iters", std::to_string(forced), "--refine-max", std::to_string(max_iter),
        "--warmup-length", std::to_string(warmup_l), "--max-memory", std::to_string(max_gib),
        "--precision", model::matmul_precision_name(b.precision), "--child"};
    if (b.profile) a.push_back("--profile");
    // Search lengths (beyond the listed ones) run the trunk only: it holds the memory peak (the refinement's
    // largest tensors are [2, L, L, ~70]), and it keeps the search within the budget.
    const bool trunk_only = k >= ls.size();
    if (trunk_only) a.push_back("--trunk-only");
    GpuRow r = run_gpu_length(a, t);
    const double wall = r.trunk_s + r.refine_s;
    if (r.status == "ok" || r.status == "ok-trunk") {
      std::printf("  %4d  %-8s  %6.2f  %7.2f  %8.2f  %5d  %6.3f  %14.2f  %11.2f  %15.2f  %7.1f%s\n", l,
                  r.status.c_str(), wall, r.trunk_s, r.refine_s, r.iters, r.iters ? r.refine_s / r.iters : 0.0,
                  r.peak_gib, r.planned_gib, r.used_gib, r.setup, r.finite ? "" : "  NaN!");
      longest_ok = std::max(longest_ok, l);
      if (!r.finite) all_ok = false;
      if (b.profile) print_profile(r.profile, wall);
    } else {
      std::printf("  %4d  %-8s  %s (planned peak %.2f GiB)\n", l, r.status.c_str(), r.msg.substr(0, 160).c_str(),
                  r.planned_gib);
      if (longest_fail == 0 || l < longest_fail) longest_fail = l;
      if (k < ls.size()) all_ok = false;
    }
    std::fflush(stdout);
    // --search: after the listed lengths, keep growing L (×1.25, multiples of 50) until a length fails.
    if (search && k + 1 == todo.size() && (r.status == "ok" || r.status == "ok-trunk"))
      todo.push_back(std::max(l + 50, static_cast<int>(std::lround(l * 1.25 / 50.0)) * 50));
  }
  if (search)
    std::printf("  longest L that ran without crops (search lengths: trunk only, status ok-trunk): %d%s\n",
                longest_ok,
                longest_fail > longest_ok ? (" (first failure at L=" + std::to_string(longest_fail) + ")").c_str()
                                          : " (search stopped by the time budget or a failure below it)");
  return all_ok ? 0 : 1;
}

}  // namespace

int run_bench_e2e(const std::vector<std::string>& args) {
  po::options_description opts("bench e2e options");
  opts.add_options()
      ("lengths", po::value<std::string>()->default_value("64,128"), "comma-separated sequence lengths L")
      ("rows,N", po::value<int>()->default_value(64), "MSA rows N")
      ("refine-iters", po::value<int>()->default_value(0), "force N refinement iterations (0 = the early stop)")
      ("refine-max", po::value<int>()->default_value(200), "early stop: at most this many refinement iterations (the reference's 200)")
      ("seed", po::value<uint32_t>()->default_value(1), "random seed for weights and MSA")
      ("timeout", po::value<double>()->default_value(0), "CUDA: kill one length's run after this many seconds (0 = none)")
      ("budget", po::value<double>()->default_value(0), "CUDA: stop starting lengths once this many seconds are spent (0 = none)")
      ("search", po::bool_switch(), "CUDA: after the lengths, grow L (x1.25) until a length fails or the budget ends")
      ("warmup-length", po::value<int>()->default_value(32), "CUDA: warm-up forward at this L (and N) before the timed one (0 = none)")
      ("max-memory", po::value<double>()->default_value(0), "CUDA: cap TriFold's device allocations at this many GiB (0 = the card's memory); the memory planner sizes the chunks for it; a length that still needs more is an OOM row (bench e2e never crops)")
      ("precision", po::value<std::string>()->default_value("fp32"), "CUDA: the trunk's matrix products, fp32 | tf32 | bf16 (tensor cores; SE(3) stays fp32)")
      ("profile", po::bool_switch(), "print each length's time per stage (embeddings, IterBlocks, SE(3) host and device parts, refinement steps); on the GPU every stage boundary waits for the device, which slows the run a little")
      ("trunk-only", po::bool_switch(), "internal (--search lengths): time the trunk only")
      ("child", po::bool_switch(), "internal: run one length on the GPU and print a TRIFOLD_ROW line");
  opts.add(network_device_option());
  po::variables_map vm;
  if (!parse("bench e2e", "[options]", args, opts, {}, vm)) return 0;
  const model::Device dev = require_network_device(vm["device"].as<std::string>());
  const std::vector<int> ls = parse_int_list("bench e2e: --lengths", vm["lengths"].as<std::string>(), 2);
  const int n = vm["rows"].as<int>(), forced = vm["refine-iters"].as<int>();
  const uint32_t seed = vm["seed"].as<uint32_t>();
  if (n < 1 || forced < 0) throw InputError("bench e2e: need N >= 1, refine-iters >= 0");
  if (dev.kind == model::DeviceKind::Cuda) {
    const int warm = vm["warmup-length"].as<int>();
    const int max_iter = vm["refine-max"].as<int>();
    if (max_iter < 1) throw InputError("bench e2e: --refine-max must be >= 1");
    const double max_gib = vm["max-memory"].as<double>();
    if (max_gib < 0) throw InputError("bench e2e: --max-memory must be >= 0");
    const GpuBench b{dev, n, seed, forced, max_iter, warm, max_gib,
                     model::parse_matmul_precision(vm["precision"].as<std::string>()), vm["profile"].as<bool>()};
    if (vm["child"].as<bool>()) return gpu_child(b, ls.at(0), vm["trunk-only"].as<bool>());
    return run_bench_e2e_gpu(b, ls, vm["timeout"].as<double>(), vm["budget"].as<double>(), vm["search"].as<bool>());
  }
  const bool profile = vm["profile"].as<bool>();
  std::cout << "bench e2e: RoseTTAFold v1 e2e forward (trunk + SE(3) blocks + heads + refinement), fp32 CPU, "
               "random full-size weights (preset full, seed "
            << seed << ")\n  N=" << n << "  threads: OpenMP " << omp_get_max_threads()
            << " (OpenBLAS single-threaded per block)  version " << TRIFOLD_VERSION << "\n"
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
      model::set_profiling(profile);
      try {
        model::Weights w = model::random_weights(model::preset_config("full"), seed);
        r = run_one(w, l, n, seed, forced, vm["refine-max"].as<int>());
      } catch (...) {
        r.finite = -1;
      }
      (void)!write(fd[1], &r, sizeof r);
      const std::string prof = profile_lines("");
      (void)!write(fd[1], prof.data(), prof.size());
      _exit(0);
    }
    close(fd[1]);
    Row r;
    const bool ok = read(fd[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    std::string prof;
    char buf[4096];
    for (ssize_t k; (k = read(fd[0], buf, sizeof buf)) > 0;) prof.append(buf, static_cast<size_t>(k));
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!ok || r.finite < 0) throw InternalError("bench e2e: the run for L=" + std::to_string(l) + " failed");
    std::printf("  %4d  %7.1f  %8.1f  %5d  %4d  %6.2f  %15.0f  %12.0f  %.1f / %.1f%s\n", l, r.trunk_s, r.refine_s,
                r.iters, r.best, r.iters ? r.refine_s / r.iters : 0.0, r.rss_weights, r.rss_peak, r.load_before,
                r.load_after, r.finite ? "" : "  NaN!");
    if (profile) print_profile(parse_profile_lines(prof, ""), r.trunk_s + r.refine_s);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace trifold::cli
