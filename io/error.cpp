// Formatting helpers for TriFold's error types.
#include "io/error.hpp"

namespace trifold {

std::string located(const std::string& file, long line, const std::string& message) {
  if (line > 0) return file + ":" + std::to_string(line) + ": " + message;
  return file + ": " + message;
}

void fail_check(const char* expr, const char* file, int line, const std::string& message) {
  throw InternalError(std::string("internal error: check '") + expr + "' failed at " + file + ":" +
                      std::to_string(line) + (message.empty() ? "" : ": " + message));
}

}  // namespace trifold
