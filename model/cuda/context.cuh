// Internals of the CUDA Context shared by the .cu files: stream, cuBLAS handle, allocator, launch helpers.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>

#include "model/cuda/check.cuh"
#include "model/cuda/ops.hpp"

namespace trifold::model::cuda {
namespace detail {

struct ContextState {
  int device = 0;
  MatmulPrecision precision = MatmulPrecision::Fp32;  // of every cuBLAS product (linear.cu)
  bool sync_after_launch = false;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  std::atomic<size_t> in_use{0};
  std::atomic<size_t> peak{0};
  size_t limit = 0;  // cap on in_use (bytes; 0 = none): Context::set_memory_limit
  ~ContextState();
  // Stream-ordered allocation on this context's stream (counted); bytes may be 0 (returns null).
  void* alloc(size_t bytes);
  void free(void* p, size_t bytes) noexcept;
};

}  // namespace detail

inline detail::ContextState& st(const Context& ctx) { return *ctx.state(); }
inline cudaStream_t stream_of(const Context& ctx) { return ctx.state()->stream; }

// Grid size for a grid-stride loop over n elements (at least 1 block, at most 65535·8 blocks).
inline unsigned grid_for(int64_t n, int block = 256) {
  const int64_t g = (n + block - 1) / block;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(g, 65535LL * 8)));
}

// Ops must run on the context their operands were created with.
inline void same_context(const Context& ctx, const DeviceTensor& t, const char* op) {
  TRIFOLD_CHECK(t.empty() || t.state() == ctx.state(),
                std::string(op) + ": operand belongs to a different CUDA context");
}

// A scratch device buffer of T (stream-ordered; freed when it goes out of scope).
template <typename T>
class Scratch {
 public:
  Scratch(const Context& ctx, int64_t n) : s_(ctx.state().get()), bytes_(static_cast<size_t>(n) * sizeof(T)) {
    p_ = static_cast<T*>(s_->alloc(bytes_));
  }
  ~Scratch() { s_->free(p_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* get() const { return p_; }

 private:
  detail::ContextState* s_;
  size_t bytes_;
  T* p_ = nullptr;
};

}  // namespace trifold::model::cuda
