// Child-process runner with timeout and captured stderr; temporary directories.
#include "msa/external.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "io/error.hpp"

namespace trifold::msa {
namespace fs = std::filesystem;

bool program_available(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string p(path);
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (dir.empty()) dir = ".";
    if (access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

ProgramResult run_program(const std::vector<std::string>& argv, double timeout_s, const fs::path& stdout_path) {
  if (argv.empty()) throw InternalError("run_program: empty command");
  if (!program_available(argv[0]))
    throw InputError("program '" + argv[0] + "' not found on PATH (install it, e.g. tools/setup.sh --with-reference-tools)");
  int err_pipe[2];
  if (pipe(err_pipe) != 0) throw IoError(std::string("pipe: ") + std::strerror(errno));
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) throw IoError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    dup2(err_pipe[1], 2);
    close(err_pipe[0]);
    close(err_pipe[1]);
    const std::string out = stdout_path.empty() ? std::string("/dev/null") : stdout_path.string();
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      close(fd);
    }
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) {
      dup2(nul, 0);
      close(nul);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);
  close(err_pipe[1]);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  ProgramResult r;
  std::string err;
  int status = 0;
  bool done = false;
  char buf[4096];
  while (!done) {
    ssize_t n;
    while ((n = read(err_pipe[0], buf, sizeof buf)) > 0) {
      err.append(buf, static_cast<size_t>(n));
      if (err.size() > 65536) err.erase(0, err.size() - 4096);
    }
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      done = true;
      break;
    }
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (timeout_s > 0 && el > timeout_s) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.timed_out = true;
      done = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(el < 1 ? 2 : 20));
  }
  ssize_t n;
  while ((n = read(err_pipe[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
  close(err_pipe[0]);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.stderr_tail = err.size() > 4096 ? err.substr(err.size() - 4096) : err;
  return r;
}

ProgramResult run_checked(const std::vector<std::string>& argv, double timeout_s, const fs::path& stdout_path) {
  ProgramResult r = run_program(argv, timeout_s, stdout_path);
  if (r.timed_out || r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    std::string msg = r.timed_out ? "timed out after " + std::to_string(static_cast<int>(timeout_s)) + " s"
                                  : "failed with exit status " + std::to_string(r.exit_code);
    throw Error(argv[0] + " " + msg + "\n  command: " + cmd + "\n  stderr:\n" + r.stderr_tail);
  }
  return r;
}

TempDir::TempDir(const fs::path& parent, const std::string& tag) {
  std::random_device rd;
  fs::create_directories(parent);
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path p = parent / (tag + "." + std::to_string(getpid()) + "." + std::to_string(rd() % 1000000));
    std::error_code ec;
    if (fs::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw IoError("cannot create a temporary directory under " + parent.string());
}

TempDir::~TempDir() {
  if (keep || path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace trifold::msa
