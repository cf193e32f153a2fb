// `trifold batch`: independent targets, per-target failure records, sharding, and the batch index.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/progress.hpp"
#include "pipeline/target.hpp"

namespace trifold::pipeline {

struct BatchOptions {
  fs::path input;  // FASTA, CSV/TSV manifest, or folder (see read_targets)
  fs::path out;    // one work directory per target: out/<id>/
  Settings settings;
  int shard = 0;    // this process handles targets with index % nshards == shard
  int nshards = 1;
  bool retry_failed = false;  // rerun targets whose last run failed (default: keep the failure, skip them)
};

// Per-target state in out/<id>/status (key=value lines) and in the index:
//   done      the done marker exists (all stages complete)
//   msa-done  (or <stage>-done) stopped after that stage as asked (--stop-after)
//   failed    reason says why (bad input, out of memory, a tool that crashed...)
//   pending   not run yet, or interrupted (no status, no done marker)
struct TargetStatus {
  std::string id;
  std::string state;
  std::string reason;
  double seconds = 0;  // wall time of the run that produced this state
  size_t length = 0;
};

struct BatchSummary {
  size_t total = 0;     // targets in the input
  size_t selected = 0;  // in this shard
  size_t done = 0, stage_done = 0, failed = 0, skipped_failed = 0;
  size_t ran = 0;             // targets for which at least one stage ran
  double seconds = 0;         // wall time of the whole shard
  std::vector<TargetStatus> rows;  // this shard's targets, input order
};

// Runs this shard's targets one after another. Batch-level problems (input unreadable, database or method
// missing) throw InputError before any target runs; a target's own failure is recorded and the batch goes on.
// The index is rewritten at the end (write_batch_index).
BatchSummary run_batch(const BatchOptions& options, BatchProgress* progress);

// The state of a target from its work directory (done marker, else status file, else pending).
TargetStatus read_target_status(const fs::path& out, const Target& target);

// out/batch_index.tsv and out/batch_index.json for every target of the input (all shards), under an exclusive
// lock (out/.batch_index.lock) so that concurrent shards never interleave; each file is replaced atomically.
void write_batch_index(const fs::path& out, const std::vector<Target>& targets);

// A fixed-width table of this shard's targets and the counts, for stdout.
std::string summary_table(const BatchSummary& summary);

}  // namespace trifold::pipeline
