// The stage runner: fingerprints, skip checks, temporary folders, renames, records, done marker.
#include "pipeline/stage.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <chrono>
#include <fstream>
#include <sstream>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/log.hpp"
#include "pipeline/files.hpp"
#include "pipeline/hash.hpp"

namespace trifold::pipeline {
namespace {

fs::path record_path(const fs::path& workdir, const std::string& stage) {
  return workdir / kStageDir / (stage + ".fingerprint");
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "host";
  std::string h = buf;
  for (auto& c : h)
    if (c == '.' || c == '/') c = '_';
  return h;
}

// ".tmp.<stage>.<host>.<pid>": the host and pid tell whether a leftover belongs to a dead process.
std::string temp_name(const std::string& stage) {
  return ".tmp." + stage + "." + host_name() + "." + std::to_string(::getpid());
}

// Removes temporary folders of this stage left by killed processes on this host. Folders of live processes
// (or of other hosts sharing the file system) are left alone.
void remove_stale_temps(const fs::path& workdir, const std::string& stage) {
  const std::string prefix = ".tmp." + stage + "." + host_name() + ".";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(workdir, ec)) {
    std::string n = e.path().filename().string();
    if (!n.starts_with(prefix)) continue;
    long pid = std::atol(n.c_str() + prefix.size());
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) remove_quietly(e.path());
  }
}

// "<name>.tmp.<pid>" files of AtomicFile writers killed before their rename (config.json, records, DONE).
// A target's work directory has one writer at a time (shards never share a target), so a leftover whose pid
// is not running here is dead.
void remove_stale_atomic_temps(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    auto p = n.rfind(".tmp.");
    if (p == std::string::npos || p == 0 || !e.is_regular_file()) continue;
    std::string digits = n.substr(p + 5);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    long pid = std::atol(digits.c_str());
    if (pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove(e.path(), ec);
  }
}

}  // namespace

void remove_stale_temporaries(const fs::path& workdir) {
  remove_stale_atomic_temps(workdir);
  remove_stale_atomic_temps(workdir / kStageDir);
}

std::string stage_fingerprint(const Stage& stage, const fs::path& workdir, const std::string& version) {
  Hasher h;
  h.add("trifold-stage-v1").add(version).add(stage.name()).add(stage.settings());
  for (const auto& in : stage.inputs()) {
    fs::path p = in.path.is_absolute() ? in.path : workdir / in.path;
    h.add(in.path.is_absolute() ? in.path.filename().string() : in.path.string());  // not the work dir's location
    if (in.by_content)
      h.add_file_content(p);
    else
      h.add_file_stat(p);
  }
  return h.hex();
}

bool stage_up_to_date(const Stage& stage, const fs::path& workdir, const std::string& fingerprint) {
  std::ifstream in(record_path(workdir, stage.name()));
  if (!in) return false;
  std::string fp;
  if (!std::getline(in, fp) || fp != fingerprint) return false;
  std::string name;
  std::uintmax_t size = 0;
  size_t seen = 0;
  while (in >> name >> size) {
    std::error_code ec;
    auto actual = fs::file_size(workdir / name, ec);
    if (ec || actual != size) return false;
    ++seen;
  }
  return seen == stage.outputs().size();
}

RunReport run_stages(const std::vector<std::unique_ptr<Stage>>& stages, const fs::path& workdir,
                     const RunOptions& options) {
  auto t_all = std::chrono::steady_clock::now();
  RunReport report;
  fs::create_directories(workdir / kStageDir);
  remove_stale_temporaries(workdir);
  if (!options.stop_after.empty()) {
    bool known = false;
    std::string names;
    for (const auto& st : stages) {
      known = known || st->name() == options.stop_after;
      names += (names.empty() ? "" : ", ") + st->name();
    }
    if (!known) throw InputError("--stop-after " + options.stop_after + ": no such stage (stages: " + names + ")");
  }
  bool marker_removed = false;
  bool stopped = false;
  std::vector<std::string> fingerprints;
  for (const auto& stage : stages) {
    auto t0 = std::chrono::steady_clock::now();
    const std::string name = stage->name();
    std::string fp = stage_fingerprint(*stage, workdir, options.version);
    fingerprints.push_back(fp);
    StageTiming timing{name, false, 0};
    if (stage_up_to_date(*stage, workdir, fp)) {
      timing.skipped = true;
      if (options.progress) options.progress->stage_finished(options.target, name, true, 0);
    } else {
      report.all_skipped = false;
      if (!marker_removed) {
        fs::remove(workdir / kDoneMarker);
        marker_removed = true;
        for (const auto& [file, content] : options.run_files) write_renamed(workdir / file, content);
      }
      fs::remove(record_path(workdir, name));
      if (options.progress) options.progress->stage_started(options.target, name);
      remove_stale_temps(workdir, name);
      fs::path tmp = workdir / temp_name(name);
      remove_quietly(tmp);
      fs::create_directories(tmp);
      try {
        stage->run(workdir, tmp);
        std::ostringstream record;
        record << fp << "\n";
        for (const auto& out : stage->outputs()) {
          fs::path from = tmp / out;
          if (!fs::exists(from))
            throw InternalError("stage '" + name + "' did not write its output '" + out + "'");
          record << out << " " << fs::file_size(from) << "\n";
        }
        for (const auto& out : stage->outputs()) fs::rename(tmp / out, workdir / out);
        remove_quietly(tmp);
        write_renamed(record_path(workdir, name), record.str());
      } catch (...) {
        remove_quietly(tmp);
        throw;
      }
      timing.seconds = seconds_since(t0);
      if (options.progress) options.progress->stage_finished(options.target, name, false, timing.seconds);
    }
    report.stages.push_back(timing);
    if (!options.stop_after.empty() && name == options.stop_after) {
      stopped = true;
      break;
    }
  }
  report.total_seconds = seconds_since(t_all);
  if (stopped) return report;
  bool have_marker = fs::exists(workdir / kDoneMarker);
  if (!report.all_skipped || !have_marker) {
    if (!marker_removed) {  // only the marker was missing
      fs::remove(workdir / kDoneMarker);
      for (const auto& [file, content] : options.run_files) write_renamed(workdir / file, content);
    }
    if (options.timings_json) write_renamed(workdir / kTimings, options.timings_json(report));
    std::string done = "complete\n";
    for (size_t i = 0; i < report.stages.size(); ++i) done += report.stages[i].stage + " " + fingerprints[i] + "\n";
    write_renamed(workdir / kDoneMarker, done);
  }
  report.complete = true;
  return report;
}

}  // namespace trifold::pipeline
