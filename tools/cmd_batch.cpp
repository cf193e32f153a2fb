// `trifold batch`: many independent targets, sharded (Slurm arrays), resumable; or --submit slurm.
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <iostream>
#include <sstream>

#include "io/error.hpp"
#include "io/log.hpp"
#include "model/device.hpp"
#include "pipeline/batch.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/slurm.hpp"
#include "pipeline/targets.hpp"
#include "tools/command.hpp"
#include "tools/prediction_options.hpp"

namespace trifold::cli {
namespace {

namespace pl = trifold::pipeline;

// "--shard i/n", else SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) of SLURM_ARRAY_TASK_COUNT, else 0/1.
std::pair<int, int> shard_from(const std::string& opt) {
  auto parse_int = [](const std::string& v, const std::string& what) {
    char* end = nullptr;
    errno = 0;
    long x = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') throw InputError(what + " '" + v + "' is not an integer");
    // Without this, 99999999999 wrapped to another int and the shard silently took the wrong targets.
    if (errno == ERANGE || x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
      throw InputError(what + " '" + v + "' is out of range");
    return static_cast<int>(x);
  };
  if (!opt.empty()) {
    auto slash = opt.find('/');
    if (slash == std::string::npos) throw InputError("--shard '" + opt + "': expected i/n, e.g. 0/4");
    return {parse_int(opt.substr(0, slash), "--shard index"), parse_int(opt.substr(slash + 1), "--shard count")};
  }
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (id && count) {
    const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
    int base = min ? parse_int(min, "SLURM_ARRAY_TASK_MIN") : 0;
    return {parse_int(id, "SLURM_ARRAY_TASK_ID") - base, parse_int(count, "SLURM_ARRAY_TASK_COUNT")};
  }
  return {0, 1};
}

std::string self_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("trifold") : p.string();
}

}  // namespace

int run_batch(const std::vector<std::string>& args) {
  po::options_description o("trifold batch options");
  o.add_options()
      ("input", po::value<std::string>()->default_value(""), "multi-record FASTA, CSV/TSV manifest, or folder of FASTA/A3M files")
      ("out", po::value<std::string>()->default_value(""), "output folder: one work directory per target (required)")
      ("shard", po::value<std::string>()->default_value(""), "i/n: process targets k with k mod n == i (default: from SLURM_ARRAY_TASK_ID/COUNT, else 0/1)")
      ("retry-failed", po::bool_switch(), "rerun targets whose last run failed (default: keep their failure)")
      ("partial-ok", po::bool_switch(), "exit 0 even when targets failed (their failures stay in the index)")
      ("submit", po::value<std::string>()->default_value(""), "slurm: write sbatch scripts (MSA array, then dependent network array) and submit them")
      ("dry-run", po::bool_switch(), "with --submit: print the scripts and sbatch commands, submit nothing")
      ("array-size", po::value<int>()->default_value(0), "Slurm array tasks (shards); 0 = one per target")
      ("max-parallel", po::value<int>()->default_value(0), "Slurm array throttle (%N); 0 = none")
      ("cpu-partition", po::value<std::string>()->default_value(""), "partition of the MSA array (default: cluster default)")
      ("gpu-partition", po::value<std::string>()->default_value(""), "partition of the network array (default: cluster default)")
      ("msa-time", po::value<std::string>()->default_value("04:00:00"), "time limit per MSA task")
      ("net-time", po::value<std::string>()->default_value("02:00:00"), "time limit per network task")
      ("msa-mem", po::value<std::string>()->default_value("16G"), "memory per MSA task")
      ("net-mem", po::value<std::string>()->default_value("32G"), "memory per network task")
      ("msa-cpus", po::value<int>()->default_value(8), "CPUs per MSA task")
      ("net-cpus", po::value<int>()->default_value(4), "CPUs per network task")
      ("gpus", po::value<int>()->default_value(1), "GPUs per network task (0: no GPU request)")
      ("dependency", po::value<std::string>()->default_value("aftercorr"), "aftercorr (task i after MSA task i) | afterok (after the whole MSA array)")
      ("account", po::value<std::string>()->default_value(""), "Slurm account");
  o.add(prediction_options());
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  if (!parse("batch", "INPUT --out DIR [options]", args, o, pos, vm)) return 0;
  pl::BatchOptions b;
  b.input = vm["input"].as<std::string>();
  b.out = vm["out"].as<std::string>();
  if (b.input.empty()) throw InputError("trifold batch: give the INPUT (FASTA, manifest or folder)");
  if (b.out.empty()) throw InputError("trifold batch: --out DIR is required");
  // With --submit the network runs on the cluster's GPU nodes, not here: --device is checked for syntax only.
  b.settings = prediction_settings(vm, vm["submit"].as<std::string>().empty());
  const pl::Settings& s = b.settings;
  b.retry_failed = vm["retry-failed"].as<bool>();

  std::string submit = vm["submit"].as<std::string>();
  if (!submit.empty()) {
    if (submit != "slurm") throw InputError("--submit '" + submit + "': only 'slurm' is supported");
    pl::SlurmOptions so;
    so.array_size = vm["array-size"].as<int>();
    so.max_parallel = vm["max-parallel"].as<int>();
    so.cpu_partition = vm["cpu-partition"].as<std::string>();
    so.gpu_partition = vm["gpu-partition"].as<std::string>();
    so.msa_time = vm["msa-time"].as<std::string>();
    so.net_time = vm["net-time"].as<std::string>();
    so.msa_mem = vm["msa-mem"].as<std::string>();
    so.net_mem = vm["net-mem"].as<std::string>();
    so.msa_cpus = vm["msa-cpus"].as<int>();
    so.net_cpus = vm["net-cpus"].as<int>();
    so.gpus = vm["gpus"].as<int>();
    so.dependency = vm["dependency"].as<std::string>();
    so.account = vm["account"].as<std::string>();
    auto targets = pl::read_targets(b.input);
    auto abs = [](const std::filesystem::path& p) { return std::filesystem::absolute(p).lexically_normal().string(); };
    std::vector<std::string> common = {abs(b.input), "--out", abs(b.out)};
    if (!s.db.empty()) common.insert(common.end(), {"--db", abs(s.db)});
    if (!s.weights.empty()) common.insert(common.end(), {"--weights", abs(s.weights)});
    if (!s.method.empty()) common.insert(common.end(), {"--method", s.method});
    common.insert(common.end(), {"--msa-tool", s.msa_tool});
    common.insert(common.end(), {"--max-length", std::to_string(s.max_length)});
    if (b.retry_failed) common.push_back("--retry-failed");
    for (const auto& [k, v] : s.method_options) common.insert(common.end(), {"--method-option", k + "=" + v});
    // The network array alone gets the device options (the MSA array runs on CPU nodes, where --device cuda
    // would be refused).
    std::vector<std::string> net_only;
    if (!s.templates_dir.empty())  // only the predict stage reads them
      net_only.insert(net_only.end(), {"--templates", abs(s.templates_dir), "--template-db", abs(s.template_db)});
    const model::Device dev = model::parse_device_spec(s.device);
    if (dev.kind == model::DeviceKind::Cuda) {
      if (so.gpus < 1)
        throw InputError("--device " + s.device + " with --gpus 0: the network array would ask Slurm for no GPU");
      if (dev.index >= so.gpus)
        throw InputError("--device " + s.device + " with --gpus " + std::to_string(so.gpus) +
                         ": inside a job Slurm shows only its own GPUs, as cuda:0..cuda:" + std::to_string(so.gpus - 1));
      net_only.insert(net_only.end(), {"--device", s.device});
      if (s.max_memory_gib > 0) {
        std::ostringstream gib;
        gib << s.max_memory_gib;
        net_only.insert(net_only.end(), {"--max-memory", gib.str()});
      }
      if (s.precision != "fp32") net_only.insert(net_only.end(), {"--precision", s.precision});
    } else if (so.gpus > 0) {
      log::warn("the network array asks Slurm for " + std::to_string(so.gpus) +
                " GPU(s) per task but runs the network on the CPU (--device cpu); add --device cuda to use them, "
                "or --gpus 0 not to request them");
    }
    // Fail fast here rather than in every array task: database, weights and method must be usable. The
    // network array runs every stage, whatever --stop-after says.
    bool need_search = false;
    for (const auto& t : targets) need_search = need_search || t.a3m.empty();
    pl::Settings full = s;
    full.stop_after.clear();
    pl::make_resources(full, need_search);
    auto sc = pl::make_slurm_scripts(so, self_path(), common, b.out, targets.size(), TRIFOLD_VERSION, net_only);
    if (vm["dry-run"].as<bool>()) {
      std::cout << "# " << sc.msa_path.string() << "\n" << sc.msa << "\n# " << sc.net_path.string() << "\n"
                << sc.net << "\n# commands\n" << pl::slurm_commands(sc, so.dependency);
      return 0;
    }
    auto [msa_job, net_job] = pl::submit_slurm(sc, so.dependency);
    std::cout << "msa_job\t" << msa_job << "\nnet_job\t" << net_job << "\narray_size\t" << sc.array_size << "\n";
    return 0;
  }

  auto [shard, n] = shard_from(vm["shard"].as<std::string>());
  b.shard = shard;
  b.nshards = n;
  auto progress = pl::make_progress();
  pl::BatchSummary sum = pl::run_batch(b, progress.get());
  progress.reset();
  std::cout << pl::summary_table(sum);
  if (sum.failed > 0 && !vm["partial-ok"].as<bool>()) return 1;
  return 0;
}

}  // namespace trifold::cli
