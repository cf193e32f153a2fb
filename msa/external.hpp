// Running the field's search programs (hhblits, jackhmmer, mmseqs, ...) as child processes: no shell, a
// timeout, stderr captured for the error message, and a clear error when the program is not installed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace trifold::msa {

struct ProgramResult {
  int exit_code = -1;       // the program's exit status (128 + signal when it was killed)
  bool timed_out = false;
  double seconds = 0;       // wall time
  std::string stderr_tail;  // the last 4 KiB of what it wrote to stderr
};

// True when `program` can be found on PATH (or is an executable path).
bool program_available(const std::string& program);

// Runs argv[0] with the arguments, stdout sent to `stdout_path` (or /dev/null when empty), stderr captured.
// The child gets its own process group; after `timeout_s` seconds (0 = none) the whole group is killed.
// Throws InputError when the program is not installed. Does not throw on a non-zero exit: see run_checked.
ProgramResult run_program(const std::vector<std::string>& argv, double timeout_s,
                          const std::filesystem::path& stdout_path = {});

// run_program, then throws Error with the command line, exit status and stderr when it failed or timed out.
ProgramResult run_checked(const std::vector<std::string>& argv, double timeout_s,
                          const std::filesystem::path& stdout_path = {});

// A scratch directory removed (recursively) when the object goes away; kept when `keep` is set.
class TempDir {
 public:
  explicit TempDir(const std::filesystem::path& parent, const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  bool keep = false;

 private:
  std::filesystem::path path_;
};

}  // namespace trifold::msa
