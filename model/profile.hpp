// Wall time per stage of a forward (`trifold bench e2e --profile`): where the seconds go, on the CPU and the GPU.
// Off by default: a stage then costs one test of a flag. When on, a GPU stage passes a function that waits for
// the device, called when the stage starts and when it ends, so queued kernels are charged to the stage that
// queued them (the synchronisation itself slows the forward a little; profile numbers are for shares, the
// unprofiled wall time is the speed).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace trifold::model {

struct StageTotal {
  std::string name;
  double seconds = 0;
  int64_t calls = 0;
};

void set_profiling(bool on);
bool profiling();
void clear_profile();
std::vector<StageTotal> profile_totals();  // in the order the stages were first seen

// Times its scope as stage `name` while profiling is on; `sync` (may be empty) waits for queued device work.
class StageTimer {
 public:
  explicit StageTimer(const char* name, std::function<void()> sync = {});
  ~StageTimer();
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  const char* name_;
  std::function<void()> sync_;
  double start_ = -1;  // < 0: not timing
};

}  // namespace trifold::model
