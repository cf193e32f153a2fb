// Test helpers: where the shared reference data lives, visible skips when it is absent, scratch directories.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace trifold::test {

// The shared reference data folder: $TRIFOLD_SHARED, else ../shared next to the source tree.
std::filesystem::path shared_dir();
// shared_dir() / relative.
std::filesystem::path shared_path(const std::string& relative);
// Path of the built `trifold` binary ($TRIFOLD_BIN, else build dir).
std::filesystem::path trifold_binary();
std::filesystem::path source_dir();

// A fresh scratch directory under the build tree, removed on success and kept when the test failed.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag);
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs a shell command; returns its exit status and captures stdout (+stderr if merge_stderr).
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult run_command(const std::string& command, bool merge_stderr = true);

// `p` in single quotes for a shell command line (a ' inside becomes '\'').
std::string quoted(const std::filesystem::path& p);

// True when `program` is on PATH.
bool have_program(const std::string& program);

}  // namespace trifold::test

// Skips the current test with a clear message when a shared file or folder is missing.
#define TRIFOLD_REQUIRE_SHARED(relpath)                                                                   \
  do {                                                                                                    \
    auto trifold_p_ = ::trifold::test::shared_path(relpath);                                           \
    if (!std::filesystem::exists(trifold_p_))                                                             \
      GTEST_SKIP() << "shared reference data not found: " << trifold_p_                                   \
                   << " (set TRIFOLD_SHARED to the shared/ folder)";                                      \
  } while (0)

// Skips when an external program (a reference scorer, a search tool) is not installed.
#define TRIFOLD_REQUIRE_PROGRAM(prog)                                                                     \
  do {                                                                                                    \
    if (!::trifold::test::have_program(prog))                                                          \
      GTEST_SKIP() << "program '" << (prog) << "' not installed (tools/setup.sh installs it)";            \
  } while (0)
