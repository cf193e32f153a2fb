// A leveled logger writing to stderr; results never go through it.
#pragma once

#include <sstream>
#include <string>

namespace trifold::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Quiet = 4 };

void set_level(Level level);
Level level();
// Writes "[trifold LEVEL] message" to stderr when level >= the current level. Thread-safe.
void write(Level level, const std::string& message);

template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

template <class... Args> void debug(const Args&... a) { if (level() <= Level::Debug) write(Level::Debug, cat(a...)); }
template <class... Args> void info(const Args&... a) { if (level() <= Level::Info) write(Level::Info, cat(a...)); }
template <class... Args> void warn(const Args&... a) { if (level() <= Level::Warn) write(Level::Warn, cat(a...)); }

}  // namespace trifold::log
