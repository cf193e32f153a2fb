// `trifold batch --submit slurm`: sbatch scripts for an MSA array (CPU) and a dependent network array (GPU).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace trifold::pipeline {

struct SlurmOptions {
  int array_size = 0;    // array tasks = shards; 0 = one task per target, at most max_array
  int max_array = 1000;  // cap for array_size = 0 (MaxArraySize of common clusters is 1001)
  int max_parallel = 0;  // "%N" throttle on both arrays; 0 = none
  std::string cpu_partition, gpu_partition;  // empty = the cluster's default partition
  std::string msa_time = "04:00:00", net_time = "02:00:00";
  std::string msa_mem = "16G", net_mem = "32G";
  int msa_cpus = 8, net_cpus = 4;
  int gpus = 1;  // per network task; 0 = no GPU request (CPU device)
  std::string dependency = "aftercorr";  // aftercorr (task i after MSA task i) or afterok (after all)
  std::string account;                   // --account, empty = none
  std::string job_name = "trifold";
};

struct SlurmScripts {
  int array_size = 0;
  std::string msa, net;  // script texts
  std::filesystem::path msa_path, net_path, log_dir;
};

// `trifold_args` are the `trifold batch` arguments both arrays share (input, --out, --db, --method...), as
// given (each is single-quoted in the script). The MSA array adds --stop-after msa; both add --partial-ok (a
// failed target is recorded in the index and must not block its shard's network task) and take their shard
// from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT. `net_args` go to the network array only (--device cuda,
// --max-memory, --precision: the MSA array runs on CPU nodes). Scripts go to <out>/slurm/{msa,net}.sbatch.
// Throws InputError for invalid options (bad time format, dependency type, array size).
SlurmScripts make_slurm_scripts(const SlurmOptions& options, const std::filesystem::path& trifold_binary,
                                const std::vector<std::string>& trifold_args, const std::filesystem::path& out,
                                size_t n_targets, const std::string& version,
                                const std::vector<std::string>& net_args = {});

// Writes the scripts (atomically) and submits them: `sbatch --parsable msa.sbatch`, then
// `sbatch --parsable --dependency=<type>:<msa id> net.sbatch`. Returns the two job ids. Throws IoError with
// sbatch's output when a submission fails.
std::pair<std::string, std::string> submit_slurm(const SlurmScripts& scripts, const std::string& dependency);

// The sbatch command lines submit_slurm runs, with "<msa-job-id>" standing for the first job's id (--dry-run).
std::string slurm_commands(const SlurmScripts& scripts, const std::string& dependency);

std::string shell_quote(const std::string& s);

}  // namespace trifold::pipeline
