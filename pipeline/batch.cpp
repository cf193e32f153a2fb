// Batch runs: per-target isolation, status records, index files.
#include "pipeline/batch.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <new>
#include <set>
#include <sstream>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/log.hpp"
#include "pipeline/files.hpp"
#include "pipeline/json.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/targets.hpp"

namespace trifold::pipeline {
namespace {

constexpr const char* kStatusFile = "status";

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  return s;
}

void write_status(const fs::path& dir, const TargetStatus& st) {
  fs::create_directories(dir);
  std::ostringstream o;
  o << "state=" << st.state << "\nreason=" << one_line(st.reason) << "\nseconds=" << st.seconds << "\n";
  write_renamed(dir / kStatusFile, o.str());
}

class IndexLock {
 public:
  explicit IndexLock(const fs::path& p) {
    fd_ = ::open(p.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError("cannot open lock file " + p.string());
    if (::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      throw IoError("cannot lock " + p.string());
    }
  }
  ~IndexLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_ = -1;
};

}  // namespace

TargetStatus read_target_status(const fs::path& out, const Target& t) {
  TargetStatus st{t.id, "pending", "", 0, t.sequence.size()};
  fs::path dir = out / t.id;
  std::ifstream in(dir / kStatusFile);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "state") st.state = v;
    if (k == "reason") st.reason = v;
    if (k == "seconds") st.seconds = std::atof(v.c_str());
  }
  if (fs::exists(dir / kDoneMarker)) {
    st.state = "done";
    st.reason.clear();
  } else if (st.state == "done") {
    st.state = "pending";  // a status from an earlier run whose outputs are being recomputed
  }
  return st;
}

BatchSummary run_batch(const BatchOptions& opt, BatchProgress* progress) {
  auto t0 = std::chrono::steady_clock::now();
  if (opt.nshards < 1 || opt.shard < 0 || opt.shard >= opt.nshards)
    throw InputError("shard " + std::to_string(opt.shard) + "/" + std::to_string(opt.nshards) +
                     " is out of range (want 0 <= i < n)");
  std::vector<Target> targets = read_targets(opt.input);
  BatchSummary sum;
  sum.total = targets.size();
  bool need_search = false;
  for (size_t k = 0; k < targets.size(); ++k)
    if (in_shard(k, opt.shard, opt.nshards) && targets[k].a3m.empty()) need_search = true;
  // Fail fast on what every target needs (database, weights, method) before any work.
  Resources res = make_resources(opt.settings, need_search);
  create_output_dir(opt.out);
  for (size_t k = 0; k < targets.size(); ++k)
    if (in_shard(k, opt.shard, opt.nshards)) ++sum.selected;
  // The MSA search of the coming targets in one go (MsaSource::prefetch): the shard's next kPrefetch targets
  // that need a search and have no msa.a3m yet (a present one may be up to date; its stage decides alone).
  constexpr size_t kPrefetch = 64;
  std::set<std::string> prefetched;
  auto needs_search = [&](size_t j) {
    const Target& u = targets[j];
    if (!in_shard(j, opt.shard, opt.nshards) || !u.a3m.empty() || prefetched.count(u.id)) return false;
    if (fs::exists(opt.out / u.id / kMsaFile)) return false;
    if (!opt.retry_failed && read_target_status(opt.out, u).state == "failed") return false;
    try {
      validate_target(u, opt.settings);  // a target that will be refused is not searched
    } catch (const InputError&) {
      return false;
    }
    return true;
  };
  size_t pos = 0;
  for (size_t k = 0; k < targets.size(); ++k) {
    if (!in_shard(k, opt.shard, opt.nshards)) continue;
    const Target& t = targets[k];
    if (res.search && opt.settings.stop_after != "input" && needs_search(k)) {
      std::vector<std::pair<std::string, std::string>> next;
      for (size_t j = k; j < targets.size() && next.size() < kPrefetch; ++j)
        if (needs_search(j)) next.emplace_back(targets[j].id, targets[j].sequence), prefetched.insert(targets[j].id);
      res.search->prefetch(next);
    }
    fs::path dir = opt.out / t.id;
    if (progress) progress->target_started(pos++, sum.selected, t.id);
    TargetStatus prior = read_target_status(opt.out, t);
    if (prior.state == "failed" && !opt.retry_failed) {
      ++sum.failed;
      ++sum.skipped_failed;
      prior.reason += " (not retried; use --retry-failed)";
      sum.rows.push_back(prior);
      if (progress) progress->target_finished(t.id, "failed earlier, skipped");
      continue;
    }
    auto tt = std::chrono::steady_clock::now();
    TargetStatus st{t.id, "", "", 0, t.sequence.size()};
    bool ran = true;
    try {
      RunReport r = run_target(t, opt.settings, res, dir, progress);
      ran = !r.all_skipped;
      st.state = r.complete ? "done" : opt.settings.stop_after + "-done";
    } catch (const InputError& e) {
      st.state = "failed";
      st.reason = std::string("bad input: ") + e.what();
    } catch (const std::bad_alloc&) {
      st.state = "failed";
      st.reason = "out of memory";
    } catch (const std::exception& e) {
      st.state = "failed";
      st.reason = e.what();
    }
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tt).count();
    if (ran) {
      ++sum.ran;
      write_status(dir, st);
    } else {
      st.seconds = prior.seconds;  // nothing recomputed: keep the timing of the run that made the outputs
    }
    if (st.state == "done") ++sum.done;
    else if (st.state == "failed") ++sum.failed;
    else ++sum.stage_done;
    if (st.state == "failed") log::warn(t.id, ": ", st.reason);
    if (progress) progress->target_finished(t.id, st.state == "failed" ? "failed: " + st.reason : st.state);
    sum.rows.push_back(st);
  }
  write_batch_index(opt.out, targets);
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

void write_batch_index(const fs::path& out, const std::vector<Target>& targets) {
  fs::create_directories(out);
  IndexLock lock(out / ".batch_index.lock");
  std::string tsv = "id\tstate\tlength\tseconds\tmodel_pdb\tmodel_cif\tconfidence_json\ttimings_json\treason\n";
  std::vector<std::string> rows;
  size_t n_done = 0, n_failed = 0, n_pending = 0, n_other = 0;
  for (const auto& t : targets) {
    TargetStatus st = read_target_status(out, t);
    bool done = st.state == "done";
    n_done += done;
    n_failed += st.state == "failed";
    n_pending += st.state == "pending";
    n_other += !done && st.state != "failed" && st.state != "pending";
    fs::path dir = fs::path(t.id);
    std::string pdb = done ? (dir / kModelPdb).string() : "", cif = done ? (dir / kModelCif).string() : "",
                conf = done ? (dir / kConfidenceJson).string() : "", tim = done ? (dir / kTimings).string() : "";
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", st.seconds);
    tsv += t.id + "\t" + st.state + "\t" + std::to_string(st.length) + "\t" + secs + "\t" + pdb + "\t" + cif + "\t" +
           conf + "\t" + tim + "\t" + one_line(st.reason) + "\n";
    JsonObject o;
    o.set("id", t.id).set("state", st.state).set("length", st.length).set("seconds", st.seconds);
    o.set("model_pdb", pdb).set("model_cif", cif).set("confidence_json", conf).set("timings_json", tim);
    o.set("reason", st.reason);
    rows.push_back(o.str(2));
  }
  JsonObject counts;
  counts.set("total", targets.size()).set("done", n_done).set("failed", n_failed).set("pending", n_pending);
  counts.set("partial", n_other);
  std::string arr = "[";
  for (size_t i = 0; i < rows.size(); ++i) arr += (i ? ",\n    " : "\n    ") + rows[i];
  arr += rows.empty() ? "]" : "\n  ]";
  JsonObject j;
  j.raw("counts", counts.str(1)).set("paths_relative_to", fs::absolute(out).lexically_normal().string());
  j.raw("targets", arr);
  write_renamed(out / "batch_index.tsv", tsv);
  write_renamed(out / "batch_index.json", j.str() + "\n");
}

std::string summary_table(const BatchSummary& s) {
  std::ostringstream o;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-24s %-10s %6s %9s  %s\n", "target", "state", "length", "seconds", "reason");
  o << buf;
  for (const auto& r : s.rows) {
    std::snprintf(buf, sizeof buf, "%-24s %-10s %6zu %9.2f  %.200s\n", r.id.c_str(), r.state.c_str(), r.length,
                  r.seconds, r.reason.c_str());
    o << buf;
  }
  o << "targets in shard: " << s.selected << " (input: " << s.total << "); done: " << s.done
    << "; stopped after stage: " << s.stage_done << "; failed: " << s.failed;
  if (s.skipped_failed) o << " (" << s.skipped_failed << " not retried)";
  o << "; recomputed: " << s.ran << "; wall " << s.seconds << " s\n";
  return o.str();
}

}  // namespace trifold::pipeline
