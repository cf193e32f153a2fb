// Resumable stages: each writes its outputs into a private temporary folder, renames them into the work
// directory on success, and records the fingerprint of its inputs so that a rerun skips it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace trifold::pipeline {

namespace fs = std::filesystem;

// A file a stage depends on. Relative paths are relative to the work directory (outputs of earlier stages).
struct StageInput {
  fs::path path;
  bool by_content = true;  // false: fingerprint by path, size and mtime (sequence databases, weights)
};

// One step of a target's pipeline. Implementations must be deterministic functions of (inputs, settings).
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string name() const = 0;                // e.g. "msa"; also names the record file
  virtual std::vector<StageInput> inputs() const = 0;  // files whose content determines the outputs
  virtual std::string settings() const = 0;           // canonical "key=value\n" text of what else matters
  virtual std::vector<std::string> outputs() const = 0;  // file names in the work directory
  // Writes every output under `tmp` (an empty folder) with the names outputs() lists; reads inputs from
  // `workdir`. Throws on failure (nothing is then renamed into the work directory).
  virtual void run(const fs::path& workdir, const fs::path& tmp) = 0;
};

// Observer of stage progress (terminal progress line or log lines; see progress.hpp).
class Progress {
 public:
  virtual ~Progress() = default;
  virtual void stage_started(const std::string& target, const std::string& stage) = 0;
  virtual void stage_finished(const std::string& target, const std::string& stage, bool skipped, double seconds) = 0;
};

struct StageTiming {
  std::string stage;
  bool skipped = false;
  double seconds = 0;  // wall time of run() plus renames; fingerprint checks are counted in overhead
};

struct RunReport {
  std::vector<StageTiming> stages;
  bool complete = false;   // every stage ran or was up to date, and the done marker is written
  bool all_skipped = true;  // nothing had to be recomputed
  double total_seconds = 0;
};

// Names of the bookkeeping files in a work directory.
inline constexpr const char* kDoneMarker = "DONE";
inline constexpr const char* kStageDir = ".stages";  // <name>.fingerprint records
inline constexpr const char* kTimings = "timings.json";

// Fingerprint of a stage = hash(TriFold version, stage name, settings, inputs). Throws IoError when an input
// is missing.
std::string stage_fingerprint(const Stage& stage, const fs::path& workdir, const std::string& version);

// True when the stage's record matches `fingerprint` and every output exists with its recorded size.
bool stage_up_to_date(const Stage& stage, const fs::path& workdir, const std::string& fingerprint);

// Removes "<file>.tmp.<pid>" leftovers of killed writers in `workdir` and its records folder (run_stages
// calls it; run_target calls it before rewriting config.json).
void remove_stale_temporaries(const fs::path& workdir);

struct RunOptions {
  std::string target;           // for progress messages
  std::string version;          // enters every fingerprint
  std::string stop_after;       // stage name; empty = run all stages and write the done marker
  Progress* progress = nullptr;
  // Written (atomically) just before the done marker with the timings; may be empty.
  std::function<std::string(const RunReport&)> timings_json;
  // Files (name in the work directory, content) describing the run, e.g. config.json: written after the done
  // marker is removed and before the first stage runs, or with the marker when only it was missing. An
  // up-to-date rerun leaves them alone, so they always describe the run that made the outputs.
  std::vector<std::pair<std::string, std::string>> run_files;
};

// Runs `stages` in order in `workdir` (created if needed). A stage is skipped when up to date; otherwise its
// record and the done marker are removed first, it runs into "<workdir>/.tmp.<stage>.<pid>", its outputs are
// renamed into place, and its record is written last. After the last stage: timings, then the done marker
// (only if something ran or the marker is missing). Exceptions from a stage propagate after its temporary
// folder is removed; completed stages keep their records, so a rerun resumes at the failed stage.
RunReport run_stages(const std::vector<std::unique_ptr<Stage>>& stages, const fs::path& workdir,
                     const RunOptions& options);

}  // namespace trifold::pipeline
