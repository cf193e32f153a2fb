// Stage timing for bench e2e --profile.
#include "model/profile.hpp"

#include <atomic>
#include <chrono>
#include <mutex>

namespace trifold::model {
namespace {

std::atomic<bool> g_on{false};
std::mutex g_mu;
std::vector<StageTotal> g_totals;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void set_profiling(bool on) { g_on.store(on); }
bool profiling() { return g_on.load(std::memory_order_relaxed); }

void clear_profile() {
  std::lock_guard<std::mutex> lock(g_mu);
  g_totals.clear();
}

std::vector<StageTotal> profile_totals() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_totals;
}

StageTimer::StageTimer(const char* name, std::function<void()> sync) : name_(name), sync_(std::move(sync)) {
  if (!profiling()) return;
  if (sync_) sync_();
  start_ = now_s();
}

StageTimer::~StageTimer() {
  if (start_ < 0) return;
  try {
    if (sync_) sync_();
  } catch (...) {
    return;  // a failed wait is reported by the next checked call; a destructor must not throw
  }
  const double dt = now_s() - start_;
  std::lock_guard<std::mutex> lock(g_mu);
  for (auto& t : g_totals)
    if (t.name == name_) {
      t.seconds += dt;
      ++t.calls;
      return;
    }
  g_totals.push_back({name_, dt, 1});
}

}  // namespace trifold::model
