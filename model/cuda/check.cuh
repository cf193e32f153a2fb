// Checked CUDA/cuBLAS calls: every call reports the statement, device, file and line on failure.
#pragma once

#include <cublas_v2.h>
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

inline const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "unknown cuBLAS status";
  }
}

[[noreturn]] inline void fail_cublas(cublasStatus_t st, const char* stmt, const char* file, int line) {
  int dev = -1;
  cudaGetDevice(&dev);
  throw ::trifold::Error(std::string("cuBLAS error: ") + cublas_status_name(st) + " (" +
                         std::to_string(static_cast<int>(st)) + ") in '" + stmt + "' on device " +
                         std::to_string(dev) + " at " + file + ":" + std::to_string(line));
}

}  // namespace trifold::model::cuda

#define TRIFOLD_CUDA_CHECK(stmt)                                                             \
  do {                                                                                       \
    cudaError_t trifold_err_ = (stmt);                                                       \
    if (trifold_err_ != cudaSuccess) ::trifold::model::cuda::fail_cuda(trifold_err_, #stmt, __FILE__, __LINE__); \
  } while (0)

#define TRIFOLD_CUBLAS_CHECK(stmt)                                                                \
  do {                                                                                            \
    cublasStatus_t trifold_st_ = (stmt);                                                          \
    if (trifold_st_ != CUBLAS_STATUS_SUCCESS)                                                     \
      ::trifold::model::cuda::fail_cublas(trifold_st_, #stmt, __FILE__, __LINE__);                \
  } while (0)

// After a kernel launch on ctx's stream: launch errors always; then a stream synchronisation (so an asynchronous
// fault is reported at the kernel that caused it) in debug builds (NDEBUG unset) or when the context asks for it
// (Context::set_sync_after_launch). `name` is the kernel's identifier. Needs model/cuda/context.cuh.
#define TRIFOLD_CUDA_LAUNCH_CHECK(name, ctx)                                                             \
  do {                                                                                                   \
    cudaError_t trifold_lerr_ = cudaGetLastError();                                                      \
    if (trifold_lerr_ != cudaSuccess)                                                                    \
      ::trifold::model::cuda::fail_cuda(trifold_lerr_, "launch of " #name, __FILE__, __LINE__);          \
    if (TRIFOLD_CUDA_DEBUG_BUILD || (ctx).sync_after_launch()) {                                         \
      cudaError_t trifold_serr_ = cudaStreamSynchronize((ctx).state()->stream);                          \
      if (trifold_serr_ != cudaSuccess)                                                                  \
        ::trifold::model::cuda::fail_cuda(trifold_serr_, "kernel " #name " (synchronised after launch)", \
                                          __FILE__, __LINE__);                                           \
    }                                                                                                    \
  } while (0)

#ifdef NDEBUG
#define TRIFOLD_CUDA_DEBUG_BUILD false
#else
#define TRIFOLD_CUDA_DEBUG_BUILD true
#endif
