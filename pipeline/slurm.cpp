// sbatch script generation and submission.
#include "pipeline/slurm.hpp"

#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <utility>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/log.hpp"

namespace trifold::pipeline {
namespace fs = std::filesystem;
namespace {

void check_time(const std::string& t, const char* opt) {
  // Slurm accepts minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
  static const std::regex re(R"(^(\d+-)?\d+(:\d{1,2}){0,2}$)");
  if (!std::regex_match(t, re))
    throw InputError(std::string(opt) + " '" + t + "': not a Slurm time (minutes, HH:MM:SS or D-HH:MM:SS)");
}

void check_mem(const std::string& m, const char* opt) {
  static const std::regex re(R"(^\d+[KMGT]?$)");
  if (!std::regex_match(m, re)) throw InputError(std::string(opt) + " '" + m + "': not a Slurm memory size (e.g. 16G)");
}

std::string run_capture(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) throw IoError("cannot run: " + cmd);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

std::string script(const SlurmOptions& o, bool msa, int array_size, const fs::path& bin,
                   const std::vector<std::string>& args, const std::vector<std::string>& net_args,
                   const fs::path& log_dir, const std::string& version) {
  std::ostringstream s;
  std::string kind = msa ? "msa" : "net";
  s << "#!/bin/bash\n";
  s << "#SBATCH --job-name=" << o.job_name << "-" << kind << "\n";
  s << "#SBATCH --array=0-" << array_size - 1;
  if (o.max_parallel > 0) s << "%" << o.max_parallel;
  s << "\n";
  const std::string& part = msa ? o.cpu_partition : o.gpu_partition;
  if (!part.empty()) s << "#SBATCH --partition=" << part << "\n";
  if (!o.account.empty()) s << "#SBATCH --account=" << o.account << "\n";
  s << "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n";
  s << "#SBATCH --cpus-per-task=" << (msa ? o.msa_cpus : o.net_cpus) << "\n";
  s << "#SBATCH --mem=" << (msa ? o.msa_mem : o.net_mem) << "\n";
  s << "#SBATCH --time=" << (msa ? o.msa_time : o.net_time) << "\n";
  if (!msa && o.gpus > 0) s << "#SBATCH --gres=gpu:" << o.gpus << "\n";
  s << "#SBATCH --output=" << (log_dir / (kind + "-%A_%a.log")).string() << "\n";
  s << "# TriFold " << version << ": " << (msa ? "MSA stage (CPU)" : "prediction stages (network/GPU)")
    << " of one shard; the shard is SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT.\n";
  s << "# Rerunning (resubmitting) this script only computes what is missing: finished stages are skipped.\n";
  s << "set -euo pipefail\n";
  s << "exec " << shell_quote(bin.string()) << " batch";
  for (const auto& a : args) s << " " << shell_quote(a);
  if (!msa)
    for (const auto& a : net_args) s << " " << shell_quote(a);
  if (msa) s << " --stop-after msa";
  s << " --partial-ok --threads \"${SLURM_CPUS_PER_TASK:-1}\"\n";
  return s.str();
}

}  // namespace

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./=:,+@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

SlurmScripts make_slurm_scripts(const SlurmOptions& o, const fs::path& bin, const std::vector<std::string>& args,
                                const fs::path& out, size_t n_targets, const std::string& version,
                                const std::vector<std::string>& net_args) {
  check_time(o.msa_time, "--msa-time");
  check_time(o.net_time, "--net-time");
  check_mem(o.msa_mem, "--msa-mem");
  check_mem(o.net_mem, "--net-mem");
  if (o.dependency != "aftercorr" && o.dependency != "afterok")
    throw InputError("--dependency '" + o.dependency + "': use aftercorr or afterok");
  // One message per option, naming it and its value (a combined message left the user to guess which).
  const std::pair<const char*, int> at_least_one[] = {{"--msa-cpus", o.msa_cpus}, {"--net-cpus", o.net_cpus}};
  for (const auto& [name, v] : at_least_one)
    if (v < 1) throw InputError(std::string(name) + " " + std::to_string(v) + ": must be >= 1");
  const std::pair<const char*, int> at_least_zero[] = {
      {"--gpus", o.gpus}, {"--max-parallel", o.max_parallel}, {"--array-size", o.array_size}};
  for (const auto& [name, v] : at_least_zero)
    if (v < 0) throw InputError(std::string(name) + " " + std::to_string(v) + ": must be >= 0");
  if (n_targets == 0) throw InputError("no targets to submit");
  SlurmScripts sc;
  sc.array_size = o.array_size > 0 ? o.array_size : static_cast<int>(std::min<size_t>(n_targets, o.max_array));
  fs::path abs_out = fs::absolute(out).lexically_normal();
  sc.log_dir = abs_out / "slurm" / "logs";
  sc.msa_path = abs_out / "slurm" / "msa.sbatch";
  sc.net_path = abs_out / "slurm" / "net.sbatch";
  sc.msa = script(o, true, sc.array_size, bin, args, net_args, sc.log_dir, version);
  sc.net = script(o, false, sc.array_size, bin, args, net_args, sc.log_dir, version);
  return sc;
}

std::string slurm_commands(const SlurmScripts& sc, const std::string& dependency) {
  return "sbatch --parsable " + shell_quote(sc.msa_path.string()) + "\nsbatch --parsable --dependency=" + dependency +
         ":<msa-job-id> " + shell_quote(sc.net_path.string()) + "\n";
}

std::pair<std::string, std::string> submit_slurm(const SlurmScripts& sc, const std::string& dependency) {
  fs::create_directories(sc.log_dir);
  write_file_atomic(sc.msa_path, sc.msa);
  write_file_atomic(sc.net_path, sc.net);
  auto submit = [](const std::string& cmd) {
    int status = 0;
    std::string out = run_capture(cmd, status);
    std::string id = out.substr(0, out.find_first_of(";\n"));
    if (status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
      throw IoError("sbatch failed (" + cmd + "): " + out);
    return id;
  };
  std::string msa = submit("sbatch --parsable " + shell_quote(sc.msa_path.string()));
  log::info("submitted MSA array job ", msa);
  std::string net = submit("sbatch --parsable --dependency=" + dependency + ":" + msa + " " +
                           shell_quote(sc.net_path.string()));
  log::info("submitted network array job ", net, " (", dependency, ":", msa, ")");
  return {msa, net};
}

}  // namespace trifold::pipeline
