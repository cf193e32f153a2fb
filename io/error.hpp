// Error types and invariant checks shared by every TriFold layer (see docs/STYLE.md, "Errors").
#pragma once

#include <stdexcept>
#include <string>

namespace trifold {

// Base of every error TriFold reports to the user. Only tools/main.cpp turns it into "error: ..." + exit code.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad user input: a malformed file, an unknown residue, an option out of range. The message names the file,
// the line or the residue so that the user can fix it.
class InputError : public Error {
 public:
  using Error::Error;
};

// The operating system refused: a file that cannot be opened, read, written or renamed.
class IoError : public Error {
 public:
  using Error::Error;
};

// Raised by TRIFOLD_CHECK: a broken internal invariant (a bug in TriFold, not in the input).
class InternalError : public Error {
 public:
  using Error::Error;
};

// "file:line: message", or "file: message" when line is 0.
std::string located(const std::string& file, long line, const std::string& message);

[[noreturn]] void fail_check(const char* expr, const char* file, int line, const std::string& message);

}  // namespace trifold

// An assertion that stays on in release builds.
#define TRIFOLD_CHECK(cond, msg)                                           \
  do {                                                                     \
    if (!(cond)) ::trifold::fail_check(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
