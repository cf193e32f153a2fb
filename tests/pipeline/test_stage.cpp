// Stage runner: skip on rerun, reruns on changed settings/inputs/version/outputs, failures, stop-after.
#include <gtest/gtest.h>

#include <fstream>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "pipeline/stage.hpp"
#include "tests/common/test_data.hpp"

namespace trifold::pipeline {
namespace {

// Real (small) transformations so that the runner's content fingerprints see real changes:
// "words" writes the words of its setting one per line; "count" counts the lines of words.txt (and of an
// optional external file) into count.txt.
struct Calls {
  int words = 0, count = 0;
};

class WordsStage : public Stage {
 public:
  WordsStage(std::string text, Calls* c, bool fail = false) : text_(std::move(text)), c_(c), fail_(fail) {}
  std::string name() const override { return "words"; }
  std::vector<StageInput> inputs() const override { return {}; }
  std::string settings() const override { return "text=" + text_ + "\n"; }
  std::vector<std::string> outputs() const override { return {"words.txt"}; }
  void run(const fs::path&, const fs::path& tmp) override {
    ++c_->words;
    std::string out;
    for (size_t b = 0, e; b < text_.size(); b = e + 1) {
      e = text_.find(' ', b);
      if (e == std::string::npos) e = text_.size();
      out += text_.substr(b, e - b) + "\n";
    }
    write_file_atomic(tmp / "words.txt", out);
    if (fail_) throw IoError("words: simulated disk failure after writing");
  }

 private:
  std::string text_;
  Calls* c_;
  bool fail_;
};

class CountStage : public Stage {
 public:
  CountStage(Calls* c, fs::path extra = {}) : c_(c), extra_(std::move(extra)) {}
  std::string name() const override { return "count"; }
  std::vector<StageInput> inputs() const override {
    std::vector<StageInput> in{{"words.txt", true}};
    if (!extra_.empty()) in.push_back({extra_, true});
    return in;
  }
  std::string settings() const override { return ""; }
  std::vector<std::string> outputs() const override { return {"count.txt"}; }
  void run(const fs::path& wd, const fs::path& tmp) override {
    ++c_->count;
    std::string w = read_file(wd / "words.txt");
    size_t n = std::count(w.begin(), w.end(), '\n');
    if (!extra_.empty()) {
      std::string x = read_file(extra_);
      n += std::count(x.begin(), x.end(), '\n');
    }
    write_file_atomic(tmp / "count.txt", std::to_string(n) + "\n");
  }

 private:
  Calls* c_;
  fs::path extra_;
};

std::vector<std::unique_ptr<Stage>> two(const std::string& text, Calls* c, fs::path extra = {}) {
  std::vector<std::unique_ptr<Stage>> s;
  s.push_back(std::make_unique<WordsStage>(text, c));
  s.push_back(std::make_unique<CountStage>(c, extra));
  return s;
}

RunOptions opts(std::string version = "1.0") {
  RunOptions o;
  o.target = "t";
  o.version = std::move(version);
  o.timings_json = [](const RunReport& r) { return "{\"stages\": " + std::to_string(r.stages.size()) + "}\n"; };
  return o;
}

TEST(Stage, RunsOnceThenSkips) {
  test::ScratchDir d("stage_skip");
  Calls c;
  auto r = run_stages(two("a b c", &c), d.path(), opts());
  EXPECT_TRUE(r.complete);
  EXPECT_FALSE(r.all_skipped);
  EXPECT_EQ(read_file(d / "count.txt"), "3\n");
  EXPECT_TRUE(fs::exists(d / kDoneMarker));
  EXPECT_TRUE(fs::exists(d / kTimings));
  auto done_time = fs::last_write_time(d / kDoneMarker);
  r = run_stages(two("a b c", &c), d.path(), opts());
  EXPECT_TRUE(r.all_skipped);
  EXPECT_TRUE(r.stages[0].skipped && r.stages[1].skipped);
  EXPECT_EQ(c.words, 1);
  EXPECT_EQ(c.count, 1);
  EXPECT_EQ(fs::last_write_time(d / kDoneMarker), done_time) << "an up-to-date rerun must not rewrite outputs";
  for (const auto& e : fs::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(Stage, SettingChangeRerunsStageAndDependents) {
  test::ScratchDir d("stage_settings");
  Calls c;
  run_stages(two("a b c", &c), d.path(), opts());
  run_stages(two("a b c d", &c), d.path(), opts());
  EXPECT_EQ(c.words, 2);
  EXPECT_EQ(c.count, 2);  // words.txt changed content
  EXPECT_EQ(read_file(d / "count.txt"), "4\n");
  // Same number of words, different words: count's input changed content, so it reruns (same result).
  run_stages(two("a b c e", &c), d.path(), opts());
  EXPECT_EQ(c.words, 3);
  EXPECT_EQ(c.count, 3);
}

TEST(Stage, UnchangedUpstreamOutputKeepsDownstream) {
  test::ScratchDir d("stage_upstream_same");
  Calls c;
  run_stages(two("a b", &c), d.path(), opts());
  // Remove the upstream record only: it reruns, writes identical words.txt, so count stays up to date.
  fs::remove(d.path() / kStageDir / "words.fingerprint");
  run_stages(two("a b", &c), d.path(), opts());
  EXPECT_EQ(c.words, 2);
  EXPECT_EQ(c.count, 1);
}

TEST(Stage, VersionChangeRerunsEverything) {
  test::ScratchDir d("stage_version");
  Calls c;
  run_stages(two("x y", &c), d.path(), opts("1.0"));
  run_stages(two("x y", &c), d.path(), opts("1.1"));
  EXPECT_EQ(c.words, 2);
  EXPECT_EQ(c.count, 2);
}

TEST(Stage, ExternalInputContentChangeReruns) {
  test::ScratchDir d("stage_input");
  Calls c;
  fs::path extra = d / "extra.txt";
  write_file_atomic(extra, "1\n2\n");
  fs::path wd = d / "work";
  run_stages(two("a", &c, extra), wd, opts());
  EXPECT_EQ(read_file(wd / "count.txt"), "3\n");
  run_stages(two("a", &c, extra), wd, opts());
  EXPECT_EQ(c.count, 1);
  write_file_atomic(extra, "1\n2\n3\n");
  run_stages(two("a", &c, extra), wd, opts());
  EXPECT_EQ(c.words, 1);
  EXPECT_EQ(c.count, 2);
  EXPECT_EQ(read_file(wd / "count.txt"), "4\n");
  fs::remove(extra);
  EXPECT_THROW(run_stages(two("a", &c, extra), wd, opts()), IoError);
}

TEST(Stage, MissingOrResizedOutputReruns) {
  test::ScratchDir d("stage_outputs");
  Calls c;
  run_stages(two("a b c", &c), d.path(), opts());
  fs::remove(d / "count.txt");
  run_stages(two("a b c", &c), d.path(), opts());
  EXPECT_EQ(c.count, 2);
  EXPECT_EQ(c.words, 1);
  write_file_atomic(d / "count.txt", "3");  // truncated by someone
  run_stages(two("a b c", &c), d.path(), opts());
  EXPECT_EQ(c.count, 3);
  EXPECT_EQ(read_file(d / "count.txt"), "3\n");
}

TEST(Stage, FailureLeavesNoOutputAndResumes) {
  test::ScratchDir d("stage_fail");
  Calls c;
  run_stages(two("a b", &c), d.path(), opts());
  // Change the words and make the stage fail after writing its temporary output.
  std::vector<std::unique_ptr<Stage>> s;
  s.push_back(std::make_unique<WordsStage>("p q r", &c, /*fail=*/true));
  s.push_back(std::make_unique<CountStage>(&c));
  EXPECT_THROW(run_stages(s, d.path(), opts()), IoError);
  EXPECT_FALSE(fs::exists(d / kDoneMarker)) << "a failed rerun must not leave the old done marker";
  EXPECT_FALSE(fs::exists(d.path() / kStageDir / "words.fingerprint"));
  EXPECT_EQ(read_file(d / "words.txt"), "a\nb\n") << "the failed stage's output must not be renamed into place";
  for (const auto& e : fs::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().rfind(".tmp.", 0), std::string::npos) << "temporary left: " << e.path();
  auto r = run_stages(two("p q r", &c), d.path(), opts());
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(read_file(d / "count.txt"), "3\n");
}

TEST(Stage, StopAfterWritesNoDoneMarker) {
  test::ScratchDir d("stage_stop");
  Calls c;
  auto o = opts();
  o.stop_after = "words";
  auto r = run_stages(two("a b", &c), d.path(), o);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.stages.size(), 1u);
  EXPECT_FALSE(fs::exists(d / "count.txt"));
  EXPECT_FALSE(fs::exists(d / kDoneMarker));
  r = run_stages(two("a b", &c), d.path(), opts());
  EXPECT_TRUE(r.complete);
  EXPECT_TRUE(r.stages[0].skipped);
  EXPECT_FALSE(r.stages[1].skipped);
  EXPECT_TRUE(fs::exists(d / kDoneMarker));
  o.stop_after = "nonsense";
  EXPECT_THROW(run_stages(two("a b", &c), d.path(), o), InputError);
}

TEST(Stage, RunFilesDescribeTheRunThatMadeTheOutputs) {
  test::ScratchDir d("stage_runfiles");
  Calls c;
  auto o = opts();
  o.run_files = {{"config.json", "threads=1\n"}};
  run_stages(two("a b", &c), d.path(), o);
  EXPECT_EQ(read_file(d / "config.json"), "threads=1\n");
  o.run_files = {{"config.json", "threads=8\n"}};  // nothing to recompute: the description stays
  run_stages(two("a b", &c), d.path(), o);
  EXPECT_EQ(read_file(d / "config.json"), "threads=1\n");
  run_stages(two("a b c", &c), d.path(), o);  // recomputed: described anew
  EXPECT_EQ(read_file(d / "config.json"), "threads=8\n");
  fs::remove(d / kDoneMarker);
  o.run_files = {{"config.json", "threads=2\n"}};
  run_stages(two("a b c", &c), d.path(), o);  // only the marker was missing
  EXPECT_EQ(read_file(d / "config.json"), "threads=2\n");
  EXPECT_TRUE(fs::exists(d / kDoneMarker));
}

TEST(Stage, StaleTemporariesOfDeadProcessesAreRemoved) {
  test::ScratchDir d("stage_stale");
  Calls c;
  fs::create_directories(d.path() / kStageDir);
  // pid 2^22+1 is above Linux's default pid_max: certainly not running.
  write_file_atomic(d / "config.json.tmp.4194305", "{ partial");
  write_file_atomic(d.path() / kStageDir / "words.fingerprint.tmp.4194305", "x");
  run_stages(two("a", &c), d.path(), opts());
  EXPECT_FALSE(fs::exists(d / "config.json.tmp.4194305"));
  EXPECT_FALSE(fs::exists(d.path() / kStageDir / "words.fingerprint.tmp.4194305"));
}

}  // namespace
}  // namespace trifold::pipeline
