// SIGKILL of `trifold predict` / `trifold batch` at many points never leaves an output that looks complete but
// is not, and a rerun finishes the job with outputs identical to an uninterrupted run.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "io/file_util.hpp"
#include "pipeline/method.hpp"
#include "pipeline/stages.hpp"
#include "tests/common/test_data.hpp"
#include "tests/pipeline/batch_fixture.hpp"

extern char** environ;

namespace trifold {
namespace {

namespace fs = std::filesystem;

bool have_coevolution() {
  for (const auto& m : pipeline::methods())
    if (std::string(m.name) == "coevolution") return true;
  return false;
}

// Final output names a reader could mistake for finished results.
const char* kOutputs[] = {pipeline::kQueryFile, pipeline::kMsaFile, pipeline::kModelPdb, pipeline::kModelCif,
                          pipeline::kConfidenceJson};

pid_t spawn(const std::vector<std::string>& argv) {
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, a[0], &fa, nullptr, a.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int run_to_end(const std::vector<std::string>& argv) {
  pid_t pid = spawn(argv);
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Every final-named file in `dir` equals the reference's; a done marker implies all of them exist.
void check_target_dir(const fs::path& dir, const fs::path& ref, bool full, const std::string& when) {
  bool done = fs::exists(dir / pipeline::kDoneMarker);
  for (const char* name : kOutputs) {
    bool is_model_output = std::string(name) != pipeline::kQueryFile && std::string(name) != pipeline::kMsaFile;
    if (!full && is_model_output) continue;
    if (fs::exists(dir / name)) {
      EXPECT_EQ(read_file(dir / name), read_file(ref / name)) << when << ": " << (dir / name) << " differs from the "
                                                              << "uninterrupted run's (torn or partial output)";
    } else {
      EXPECT_FALSE(done) << when << ": done marker present but " << name << " missing in " << dir;
    }
  }
  if (done) {
    EXPECT_TRUE(fs::exists(dir / pipeline::kTimings)) << when;
    if (full) {
      EXPECT_TRUE(fs::exists(dir / pipeline::kDistogramH5)) << when;  // HDF5 bytes carry timestamps
    }
  }
}

double seconds(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Kills land at increasing delays (fractions of an uninterrupted run) on the same output folder, so each
// restart resumes the previous one and the kills hit different stages of different targets.
const std::vector<double> kDelays = {0.02, 0.06, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6};

// Runs `argv` repeatedly, SIGKILLing it after each delay and checking the invariants after every kill; then
// lets it finish. Returns how many kills hit a running process.
int kill_and_resume(const std::vector<std::string>& argv, double ref_s, const std::function<void(const std::string&)>& check) {
  int killed = 0;
  for (double f : kDelays) {
    pid_t pid = spawn(argv);
    EXPECT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(ref_s * f));
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) ++killed;
    check("after SIGKILL " + std::to_string(killed) + " (" + std::to_string(f) + " of a full run)");
    if (WIFEXITED(st)) break;  // finished before the kill
  }
  EXPECT_EQ(run_to_end(argv), 0);
  return killed;
}

TEST(Interrupt, BatchSigkillAtManyPointsThenRerun) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  test::ScratchDir d("interrupt_batch");
  bool full = have_coevolution();
  auto ids = test::write_a3m_inputs(d / "a3m", 4, 60);
  test::write_manifest(d / "m.csv", d / "a3m", ids);
  std::vector<std::string> base = {test::trifold_binary().string(), "batch", (d / "m.csv").string(), "--threads", "1"};
  if (!full) base.insert(base.end(), {"--stop-after", "msa"});
  auto with_out = [&](const fs::path& out) {
    auto a = base;
    a.insert(a.end(), {"--out", out.string()});
    return a;
  };
  int rc = 0;
  double ref_s = seconds([&] { rc = run_to_end(with_out(d / "ref")); });
  ASSERT_EQ(rc, 0);
  fs::path out = d / "run";
  int killed = kill_and_resume(with_out(out), ref_s, [&](const std::string& when) {
    for (const auto& id : ids)
      if (fs::exists(out / id)) check_target_dir(out / id, d / "ref" / id, full, when);
  });
  for (const auto& id : ids) {
    if (full) {
      EXPECT_TRUE(fs::exists(out / id / pipeline::kDoneMarker)) << id;
    }
    check_target_dir(out / id, d / "ref" / id, full, "after the final rerun");
    for (const auto& e : fs::directory_iterator(out / id))
      EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "leftover " << e.path();
  }
  EXPECT_GT(killed, 2) << "too few kills landed while the batch was running (reference run " << ref_s << " s)";
  std::cout << "[ interrupt ] reference batch " << ref_s << " s, " << killed << " kills landed mid-run"
            << (full ? "" : " (MSA stage only: no method built)") << "\n";
}

TEST(Interrupt, PredictSigkillThenRerun) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  if (!have_coevolution()) GTEST_SKIP() << "the coevolution method is not part of this build";
  test::ScratchDir d("interrupt_predict");
  test::write_a3m_inputs(d / "a3m", 0, 60);
  std::string a3m = (d / "a3m" / "T1078.a3m").string();
  auto args = [&](const fs::path& out) {
    return std::vector<std::string>{test::trifold_binary().string(), "predict", "--a3m", a3m, "--out", out.string(),
                                    "--threads", "1"};
  };
  int rc = 0;
  double ref_s = seconds([&] { rc = run_to_end(args(d / "ref")); });
  ASSERT_EQ(rc, 0);
  fs::path out = d / "run";
  int killed = kill_and_resume(args(out), ref_s, [&](const std::string& when) {
    if (fs::exists(out)) check_target_dir(out, d / "ref", true, when);
  });
  EXPECT_GT(killed, 0);
  EXPECT_TRUE(fs::exists(out / pipeline::kDoneMarker));
  check_target_dir(out, d / "ref", true, "after the final rerun");
}

}  // namespace
}  // namespace trifold
