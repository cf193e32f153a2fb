// Process-wide allocation policy for the CPU network: keep large, short-lived tensors in glibc's heap.
#include <malloc.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "model/cpu/ops.hpp"

namespace trifold::model::cpu {

void keep_tensors_in_heap() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if ((tunables && std::strstr(tunables, "glibc.malloc.")) || std::getenv("MALLOC_MMAP_MAX_") ||
        std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_MMAP_THRESHOLD_"))
      return;  // the user tuned malloc through the environment: keep their settings
    mallopt(M_MMAP_MAX, 0);              // no mmap()ed chunks (a thread's full arena still falls back to mmap)
    mallopt(M_TRIM_THRESHOLD, INT_MAX);  // keep up to 2 GiB of free heap top for the next tensors
  });
}

}  // namespace trifold::model::cpu
