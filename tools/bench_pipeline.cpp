// Benchmark: per-target overhead of the pipeline itself on a batch of short real sequences (everything except
// MSA search and the method's compute: input parsing, validation, fingerprints, stage bookkeeping, writing
// PDB/mmCIF/JSON, status and index). Prints median and spread over repetitions with commit and threads.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "io/fasta.hpp"
#include "io/file_util.hpp"
#include "io/log.hpp"
#include "pipeline/batch.hpp"
#include "pipeline/method.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/targets.hpp"

namespace fs = std::filesystem;
namespace pl = trifold::pipeline;
using Clock = std::chrono::steady_clock;

namespace {

double g_excluded = 0;  // seconds inside Method::predict (compute, excluded from the overhead)

// Decorator: times the wrapped method's compute.
class TimedMethod final : public pl::Method {
 public:
  explicit TimedMethod(std::unique_ptr<pl::Method> m) : m_(std::move(m)) {}
  std::string name() const override { return m_->name(); }
  std::string settings() const override { return m_->settings(); }
  std::vector<pl::StageInput> inputs() const override { return m_->inputs(); }
  pl::Prediction predict(const std::string& id, const std::string& seq, const trifold::A3m& msa) override {
    auto t0 = Clock::now();
    auto p = m_->predict(id, seq, msa);
    g_excluded += std::chrono::duration<double>(Clock::now() - t0).count();
    return p;
  }

 private:
  std::unique_ptr<pl::Method> m_;
};

std::string git_commit() {
  std::string out;
  FILE* p = ::popen("git -C " TRIFOLD_SOURCE_DIR " rev-parse --short HEAD 2>/dev/null", "r");
  if (p) {
    char buf[64];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.empty() ? "unknown" : out;
}

struct Stats {
  double median, min, max;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string shared = argc > 1 ? argv[1] : TRIFOLD_SHARED_DEFAULT;
    int n_targets = argc > 2 ? std::atoi(argv[2]) : 100;
    int reps = argc > 3 ? std::atoi(argv[3]) : 3;
    size_t max_len = argc > 4 ? static_cast<size_t>(std::atoi(argv[4])) : 60;
    trifold::log::set_level(trifold::log::Level::Warn);
    // 100 short real sequences: windows of max_len residues from the CASP14/15 domain sequences.
    std::vector<std::string> seqs;
    for (const char* set : {"casp14", "casp15"})
      for (const auto& e : fs::directory_iterator(fs::path(shared) / "data" / set))
        if (e.is_directory())
          for (const auto& f : fs::directory_iterator(e.path()))
            if (f.path().extension() == ".fasta") {
              auto r = trifold::read_fasta(f.path());
              for (size_t off = 0; off + 30 <= r[0].sequence.size() && seqs.size() < static_cast<size_t>(n_targets);
                   off += max_len)
                seqs.push_back(r[0].sequence.substr(off, max_len));
            }
    std::sort(seqs.begin(), seqs.end());
    seqs.resize(std::min(seqs.size(), static_cast<size_t>(n_targets)));
    fs::path root = fs::temp_directory_path() / ("trifold-bench-pipeline-" + std::to_string(::getpid()));
    fs::create_directories(root / "a3m");
    std::string csv = "id,sequence,a3m\n";
    for (size_t i = 0; i < seqs.size(); ++i) {
      std::string id = "t" + std::to_string(1000 + i);
      trifold::A3m a;
      a.rows.push_back({id, "", seqs[i], 0});
      trifold::write_a3m(root / "a3m" / (id + ".a3m"), a);  // given alignments: no MSA search in the loop
      csv += id + "," + seqs[i] + "," + (root / "a3m" / (id + ".a3m")).string() + "\n";
    }
    trifold::write_file_atomic(root / "targets.csv", csv);

    pl::Settings s;
    s.version = "bench";
    bool have_method = false;
    for (const auto& m : pl::methods()) have_method = have_method || std::string(m.name) == "coevolution";
    if (!have_method) s.stop_after = "msa";
    pl::Resources res;
    if (have_method) res.method = std::make_shared<TimedMethod>(pl::make_method(s));
    auto targets = pl::read_targets(root / "targets.csv");

    std::vector<double> first, rerun;
    for (int rep = 0; rep < reps + 1; ++rep) {  // rep 0 = warm-up on the first 5 targets
      fs::path out = root / ("out" + std::to_string(rep));
      g_excluded = 0;
      auto t0 = Clock::now();
      size_t count = rep == 0 ? std::min<size_t>(5, targets.size()) : targets.size();
      for (size_t i = 0; i < count; ++i) pl::run_target(targets[i], s, res, out / targets[i].id, nullptr);
      pl::write_batch_index(out, targets);
      double wall = std::chrono::duration<double>(Clock::now() - t0).count();
      double excluded = g_excluded;
      t0 = Clock::now();
      for (size_t i = 0; i < count; ++i) pl::run_target(targets[i], s, res, out / targets[i].id, nullptr);
      pl::write_batch_index(out, targets);
      double again = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep == 0) continue;
      first.push_back((wall - excluded) / static_cast<double>(count) * 1e3);
      rerun.push_back(again / static_cast<double>(count) * 1e3);
    }
    auto a = stats(first), b = stats(rerun);
    std::printf("pipeline overhead per target (%zu targets, length <= %zu, %s, method compute excluded)\n",
                targets.size(), max_len, have_method ? "full pipeline: input, msa (given A3M), predict" :
                                                       "stages input+msa only (no method in this build)");
    std::printf("  first run: median %.2f ms  [min %.2f, max %.2f] over %d reps\n", a.median, a.min, a.max, reps);
    std::printf("  rerun (everything up to date): median %.2f ms  [min %.2f, max %.2f]\n", b.median, b.min, b.max);
    std::printf("  commit %s, threads %d, host %s\n", git_commit().c_str(), omp_get_max_threads(),
                [] { static char h[256]; ::gethostname(h, 255); return h; }());
    fs::remove_all(root);
    return a.median < 50.0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
