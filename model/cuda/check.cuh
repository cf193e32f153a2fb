// Checked CUDA/cuBLAS calls: every call reports the statement, device, file and line on failure.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "io/error.hpp"

namespace trifold::model::cuda {

[[noreturn]] inline void fail_cuda(cudaError_t err, const char* stmt, const char* file, int line) {
  int dev = -1;
  cudaGetDevice(&dev);
  throw ::trifold::Error(std::string("CUDA error: ") + cudaGetErrorString(err) + " in '" + stmt + "' on device " +
                         std::to_string(dev) + " at " + file + ":" + std::to_string(line));
}

}  // namespace trifold::model::cuda

#define TRIFOLD_CUDA_CHECK(stmt)                                                             \
  do {                                                                                       \
    cudaError_t trifold_err_ = (stmt);                                                       \
    if (trifold_err_ != cudaSuccess) ::trifold::model::cuda::fail_cuda(trifold_err_, #stmt, __FILE__, __LINE__); \
  } while (0)
