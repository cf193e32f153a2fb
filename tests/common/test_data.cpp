// Implementation of the test helpers.
#include "tests/common/test_data.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

namespace trifold::test {

namespace fs = std::filesystem;

fs::path shared_dir() {
  if (const char* e = std::getenv("TRIFOLD_SHARED"); e && *e) return fs::path(e);
  return fs::path(TRIFOLD_SHARED_DEFAULT);
}

fs::path shared_path(const std::string& relative) { return shared_dir() / relative; }

fs::path trifold_binary() {
  if (const char* e = std::getenv("TRIFOLD_BIN"); e && *e) return fs::path(e);
  return fs::path(TRIFOLD_BINARY_DIR) / "trifold";
}

fs::path source_dir() { return fs::path(TRIFOLD_SOURCE_DIR); }

ScratchDir::ScratchDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  path_ = fs::path(TRIFOLD_BINARY_DIR) / "test-scratch" /
          (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  bool failed = info && info->result() && info->result()->Failed();
  if (failed) {
    std::fprintf(stderr, "scratch directory kept for inspection: %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run_command(const std::string& command, bool merge_stderr) {
  CommandResult r;
  std::string cmd = command + (merge_stderr ? " 2>&1" : "");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return r;
}

std::string quoted(const std::filesystem::path& p) {
  std::string out = "'";
  for (char c : p.string()) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

bool have_program(const std::string& program) {
  return run_command("command -v '" + program + "' >/dev/null", true).status == 0;
}

}  // namespace trifold::test
