// CUDA Context (device, stream, cuBLAS handle, counted stream-ordered memory), DeviceTensor and DeviceInts.
#include <cstdint>
#include <limits>
#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"

namespace trifold::model::cuda {

int device_count();              // device.cu
std::string unavailable_reason();  // device.cu

namespace detail {

ContextState::~ContextState() {
  // Destructors must not throw: report nothing, release what was created.
  if (blas) cublasDestroy(blas);
  if (stream) {
    cudaStreamSynchronize(stream);
    cudaStreamDestroy(stream);
  }
}

void* ContextState::alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  if (limit != 0 && in_use.load() + bytes > limit)
    throw ::trifold::Error("CUDA out of memory under TriFold's memory limit of " + std::to_string(limit >> 20) +
                           " MiB on device " + std::to_string(device) + ": requested " + std::to_string(bytes >> 20) +
                           " MiB with " + std::to_string(in_use.load() >> 20) + " MiB of TriFold tensors in use");
  TRIFOLD_CUDA_CHECK(cudaSetDevice(device));
  cudaError_t err = cudaMallocAsync(&p, bytes, stream);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw ::trifold::Error("CUDA out of memory on device " + std::to_string(device) + ": requested " +
                           std::to_string(bytes >> 20) + " MiB, " + std::to_string(free_b >> 20) + " MiB free of " +
                           std::to_string(total_b >> 20) + " MiB (TriFold tensors in use: " +
                           std::to_string(in_use.load() >> 20) + " MiB)");
  }
  TRIFOLD_CUDA_CHECK(err);
  const size_t now = in_use.fetch_add(bytes) + bytes;
  size_t prev = peak.load();
  while (now > prev && !peak.compare_exchange_weak(prev, now)) {
  }
  return p;
}

void ContextState::free(void* p, size_t bytes) noexcept {
  if (!p) return;
  // Called from destructors, which must not throw: unchecked; an asynchronous fault surfaces at the next checked call.
  cudaFreeAsync(p, stream);
  in_use.fetch_sub(bytes);
}

}  // namespace detail

// ------------------------------------------------------------------------------------------ Context
Context::Context(int device, MatmulPrecision precision) {
  const int n = device_count();
  if (n == 0)
    throw InputError("CUDA requested, but no CUDA device is visible on this machine (" + unavailable_reason() +
                     "; use --device cpu)");
  if (device < 0 || device >= n)
    throw InputError("CUDA device " + std::to_string(device) + " requested, but " + std::to_string(n) +
                     " CUDA device(s) are visible");
  auto s = std::make_shared<detail::ContextState>();
  s->device = device;
  s->precision = precision;
  TRIFOLD_CUDA_CHECK(cudaSetDevice(device));
  TRIFOLD_CUDA_CHECK(cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking));
  TRIFOLD_CUBLAS_CHECK(cublasCreate(&s->blas));
  TRIFOLD_CUBLAS_CHECK(cublasSetStream(s->blas, s->stream));
  // CUBLAS_DEFAULT_MATH never uses TF32 (cuBLAS ≥ 11): CUBLAS_COMPUTE_32F is then true fp32. TF32 and bf16
  // are asked for per product through the compute and operand types (linear.cu), never through the math mode.
  TRIFOLD_CUBLAS_CHECK(cublasSetMathMode(s->blas, CUBLAS_DEFAULT_MATH));
  // Keep freed blocks in the pool (the default threshold 0 returns them to the driver at every sync).
  cudaMemPool_t pool = nullptr;
  TRIFOLD_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t threshold = std::numeric_limits<uint64_t>::max();
  TRIFOLD_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
  state_ = std::move(s);
}

Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

int Context::device() const { return state_->device; }
MatmulPrecision Context::matmul_precision() const { return state_->precision; }
void Context::set_matmul_precision(MatmulPrecision p) { state_->precision = p; }

MatmulPrecisionScope::MatmulPrecisionScope(const Context& ctx, MatmulPrecision p)
    : state_(ctx.state()), saved_(state_->precision) {
  state_->precision = p;
}
MatmulPrecisionScope::~MatmulPrecisionScope() { state_->precision = saved_; }
void Context::set_sync_after_launch(bool on) { state_->sync_after_launch = on; }
bool Context::sync_after_launch() const { return state_->sync_after_launch; }
void Context::synchronize() const { TRIFOLD_CUDA_CHECK(cudaStreamSynchronize(state_->stream)); }
size_t Context::bytes_in_use() const { return state_->in_use.load(); }
size_t Context::peak_bytes() const { return state_->peak.load(); }
void Context::reset_peak() { state_->peak.store(state_->in_use.load()); }
void Context::set_memory_limit(size_t bytes) { state_->limit = bytes; }
size_t Context::memory_limit() const { return state_->limit; }
std::pair<size_t, size_t> Context::device_memory() const {
  TRIFOLD_CUDA_CHECK(cudaSetDevice(state_->device));
  size_t f = 0, t = 0;
  TRIFOLD_CUDA_CHECK(cudaMemGetInfo(&f, &t));
  return {f, t};
}

// ------------------------------------------------------------------------------------------ DeviceTensor
DeviceTensor::DeviceTensor(const Context& ctx, Shape shape, bool zero)
    : state_(ctx.state()), shape_(std::move(shape)), numel_(shape_numel(shape_)) {
  for (auto d : shape_) TRIFOLD_CHECK(d >= 0, "negative dimension in " + shape_str(shape_));
  ptr_ = static_cast<float*>(state_->alloc(static_cast<size_t>(numel_) * sizeof(float)));
  if (zero && numel_ > 0)
    TRIFOLD_CUDA_CHECK(cudaMemsetAsync(ptr_, 0, static_cast<size_t>(numel_) * sizeof(float), state_->stream));
}

DeviceTensor::~DeviceTensor() {
  if (state_) state_->free(ptr_, static_cast<size_t>(numel_) * sizeof(float));
}

DeviceTensor::DeviceTensor(DeviceTensor&& o) noexcept
    : state_(std::move(o.state_)), shape_(std::move(o.shape_)), numel_(o.numel_), ptr_(o.ptr_) {
  o.numel_ = 0;
  o.ptr_ = nullptr;
  o.shape_.clear();
}

DeviceTensor& DeviceTensor::operator=(DeviceTensor&& o) noexcept {
  if (this != &o) {
    if (state_) state_->free(ptr_, static_cast<size_t>(numel_) * sizeof(float));
    state_ = std::move(o.state_);
    shape_ = std::move(o.shape_);
    numel_ = o.numel_;
    ptr_ = o.ptr_;
    o.numel_ = 0;
    o.ptr_ = nullptr;
    o.shape_.clear();
  }
  return *this;
}

DeviceTensor DeviceTensor::upload(const Context& ctx, const Tensor& t) {
  DeviceTensor d(ctx, t.shape(), false);
  if (d.numel_ > 0)
    TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(d.ptr_, t.data(), static_cast<size_t>(d.numel_) * sizeof(float),
                                       cudaMemcpyHostToDevice, ctx.state()->stream));
  return d;
}

Tensor DeviceTensor::download() const {
  Tensor t(shape_);
  if (numel_ > 0) {
    TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(t.data(), ptr_, static_cast<size_t>(numel_) * sizeof(float),
                                       cudaMemcpyDeviceToHost, state_->stream));
    TRIFOLD_CUDA_CHECK(cudaStreamSynchronize(state_->stream));
  }
  return t;
}

DeviceTensor DeviceTensor::clone() const {
  DeviceTensor d;
  if (!state_) return d;
  d.state_ = state_;
  d.shape_ = shape_;
  d.numel_ = numel_;
  d.ptr_ = static_cast<float*>(state_->alloc(static_cast<size_t>(numel_) * sizeof(float)));
  if (numel_ > 0)
    TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(d.ptr_, ptr_, static_cast<size_t>(numel_) * sizeof(float),
                                       cudaMemcpyDeviceToDevice, state_->stream));
  return d;
}

int64_t DeviceTensor::dim(int i) const { return shape_dim(shape_, i); }

void DeviceTensor::reshape(Shape shape) { shape_ = resolve_reshape(shape_, numel_, std::move(shape)); }

DeviceTensor DeviceTensor::reshaped(Shape shape) && {
  reshape(std::move(shape));
  return std::move(*this);
}

// ------------------------------------------------------------------------------------------ DeviceInts
DeviceInts::DeviceInts(const Context& ctx, const std::vector<int32_t>& v)
    : state_(ctx.state()), n_(static_cast<int64_t>(v.size())) {
  ptr_ = static_cast<int32_t*>(state_->alloc(v.size() * sizeof(int32_t)));
  if (n_ > 0)
    TRIFOLD_CUDA_CHECK(
        cudaMemcpyAsync(ptr_, v.data(), v.size() * sizeof(int32_t), cudaMemcpyHostToDevice, state_->stream));
}

DeviceInts::~DeviceInts() {
  if (state_) state_->free(ptr_, static_cast<size_t>(n_) * sizeof(int32_t));
}

DeviceInts::DeviceInts(DeviceInts&& o) noexcept : state_(std::move(o.state_)), n_(o.n_), ptr_(o.ptr_) {
  o.n_ = 0;
  o.ptr_ = nullptr;
}

DeviceInts& DeviceInts::operator=(DeviceInts&& o) noexcept {
  if (this != &o) {
    if (state_) state_->free(ptr_, static_cast<size_t>(n_) * sizeof(int32_t));
    state_ = std::move(o.state_);
    n_ = o.n_;
    ptr_ = o.ptr_;
    o.n_ = 0;
    o.ptr_ = nullptr;
  }
  return *this;
}

std::vector<int32_t> DeviceInts::download() const {
  std::vector<int32_t> v(static_cast<size_t>(n_));
  if (n_ > 0) {
    TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(v.data(), ptr_, v.size() * sizeof(int32_t), cudaMemcpyDeviceToHost,
                                       state_->stream));
    TRIFOLD_CUDA_CHECK(cudaStreamSynchronize(state_->stream));
  }
  return v;
}

}  // namespace trifold::model::cuda
