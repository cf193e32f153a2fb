// Terminal and log-line progress reporters.
#include "pipeline/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "io/log.hpp"

namespace trifold::pipeline {
namespace {

class LogProgress final : public BatchProgress {
 public:
  void target_started(size_t index, size_t total, const std::string& target) override {
    log::info("[", index + 1, "/", total, "] ", target);
  }
  void target_finished(const std::string& target, const std::string& state) override {
    log::info(target, ": ", state);
  }
  void stage_started(const std::string& target, const std::string& stage) override {
    log::info(target, ": stage ", stage, " started");
  }
  void stage_finished(const std::string& target, const std::string& stage, bool skipped, double s) override {
    if (skipped)
      log::debug(target, ": stage ", stage, " up to date, skipped");
    else
      log::info(target, ": stage ", stage, " done in ", s, " s");
  }
};

// One line, rewritten in place; finished targets scroll up as permanent lines.
class TerminalProgress final : public BatchProgress {
 public:
  ~TerminalProgress() override { std::fputs("\r\033[K", stderr); }
  void target_started(size_t index, size_t total, const std::string& target) override {
    char buf[64];
    std::snprintf(buf, sizeof buf, "[%zu/%zu] ", index + 1, total);
    prefix_ = buf;
    prefix_.append(target);
    show(prefix_);
  }
  void target_finished(const std::string& target, const std::string& state) override {
    std::fprintf(stderr, "\r\033[K%s: %s\n", target.c_str(), state.c_str());
  }
  void stage_started(const std::string& target, const std::string& stage) override {
    std::string line = prefix_.empty() ? target : prefix_;
    line.append("  ").append(stage).append(" ...");
    show(line);
  }
  void stage_finished(const std::string& target, const std::string& stage, bool skipped, double s) override {
    char buf[64];
    std::snprintf(buf, sizeof buf, skipped ? "  %s up to date" : "  %s %.1f s", stage.c_str(), s);
    std::string line = prefix_.empty() ? target : prefix_;
    line.append(buf);
    show(line);
  }

 private:
  void show(const std::string& line) {
    if (log::level() > log::Level::Info) return;
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
  }
  std::string prefix_;
};

}  // namespace

std::unique_ptr<BatchProgress> make_progress(bool force_plain) {
  if (!force_plain && ::isatty(STDERR_FILENO)) return std::make_unique<TerminalProgress>();
  return std::make_unique<LogProgress>();
}

}  // namespace trifold::pipeline
