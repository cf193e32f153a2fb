// Implementation of the stderr logger.
#include "io/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace trifold::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::mutex g_mutex;
const char* name(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warning";
    case Level::Error: return "error";
    default: return "";
  }
}
}  // namespace

void set_level(Level l) { g_level = static_cast<int>(l); }
Level level() { return static_cast<Level>(g_level.load()); }

void write(Level l, const std::string& message) {
  if (static_cast<int>(l) < g_level.load()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "[trifold %s] %s\n", name(l), message.c_str());
  std::fflush(stderr);
}

}  // namespace trifold::log
