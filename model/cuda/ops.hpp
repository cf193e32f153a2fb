// The CUDA op layer: device context, device tensors and the ops of model/cpu/ops.hpp on the GPU.
//
// This header has NO CUDA types (STYLE.md 2): it compiles with a plain C++ compiler, and with nvcc in C++17.
// Semantics mirror model/cpu/ops.hpp exactly (same shapes, row-major, channel-last [H, W, C] maps, PyTorch
// conv weights [C_out, C_in, k, k]); the CPU ops are the oracle of tests/model/test_cuda_ops.cpp.
//
// Execution model: every op is enqueued on the Context's stream and returns without waiting; download()
// synchronises. Device memory is stream-ordered (cudaMallocAsync on the context's stream), so a temporary freed
// by one op is reusable by the next without a device-wide synchronisation. Errors: shape mismatches are
// InternalError (TRIFOLD_CHECK, as in the CPU ops); a failing CUDA/cuBLAS call is an Error naming the call,
// device, file and line; asking for a device that is not there is an InputError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/precision.hpp"
#include "model/tensor.hpp"

namespace trifold::model::cuda {

namespace detail {
struct ContextState;  // stream, cuBLAS handle, allocation counters (model/cuda/context.cuh)
}

// One device, one stream, one cuBLAS handle. Move-only. Device memory allocated through it is counted
// (current and high-water bytes), which the benchmark reports next to cudaMemGetInfo.
class Context {
 public:
  // Throws InputError when this build has no CUDA or no device `device` is visible (never a CPU fallback).
  // precision of every matrix product (gemm*, linear, bmm, conv2d): Fp32 (default) is true fp32
  // (CUBLAS_DEFAULT_MATH, no TF32 tensor cores); Tf32 (CUBLAS_COMPUTE_32F_FAST_TF32) and Bf16 (operands rounded
  // to bf16, fp32 accumulation) use the tensor cores and do not pass the 1e-5 parity tests: their accuracy is
  // cpu::gemm's emulation of the same rounding (docs/cuda.md, "Reduced precision").
  explicit Context(int device = 0, MatmulPrecision precision = MatmulPrecision::Fp32);
  ~Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const;
  MatmulPrecision matmul_precision() const;
  void set_matmul_precision(MatmulPrecision p);
  // Synchronise after every kernel launch and check (slow; pinpoints the kernel of an asynchronous fault).
  // Always on in debug builds.
  void set_sync_after_launch(bool on);
  bool sync_after_launch() const;
  void synchronize() const;  // waits for everything enqueued on this context's stream
  // Bytes of live DeviceTensor/DeviceInts storage allocated through this context, and its high-water mark.
  size_t bytes_in_use() const;
  size_t peak_bytes() const;
  void reset_peak();
  // Caps bytes_in_use(): an allocation that would pass `bytes` is refused with the out-of-memory Error (0 = no
  // cap, the default). Emulates a smaller card (e.g. the 80 GB of an H100 on an H200).
  void set_memory_limit(size_t bytes);
  size_t memory_limit() const;
  // cudaMemGetInfo of this device: (free, total) bytes.
  std::pair<size_t, size_t> device_memory() const;

  const std::shared_ptr<detail::ContextState>& state() const { return state_; }

 private:
  std::shared_ptr<detail::ContextState> state_;
};

// Sets a context's matrix-product precision while alive and restores the previous one afterwards (the SE(3)
// stacks hold an Fp32 scope: reduced precision applies to the trunk only, as in the reference).
class MatmulPrecisionScope {
 public:
  MatmulPrecisionScope(const Context& ctx, MatmulPrecision p);
  ~MatmulPrecisionScope();
  MatmulPrecisionScope(const MatmulPrecisionScope&) = delete;
  MatmulPrecisionScope& operator=(const MatmulPrecisionScope&) = delete;

 private:
  std::shared_ptr<detail::ContextState> state_;
  MatmulPrecision saved_;
};

// An fp32 device tensor: shape + device storage, row-major. Move-only (copies are explicit: clone()). Holds
// its context's state alive, so it may outlive the Context object that created it.
class DeviceTensor {
 public:
  DeviceTensor() = default;
  // Allocates numel(shape) floats; zero-filled when `zero`, else uninitialised.
  DeviceTensor(const Context& ctx, Shape shape, bool zero = true);
  ~DeviceTensor();
  DeviceTensor(DeviceTensor&&) noexcept;
  DeviceTensor& operator=(DeviceTensor&&) noexcept;
  DeviceTensor(const DeviceTensor&) = delete;
  DeviceTensor& operator=(const DeviceTensor&) = delete;

  static DeviceTensor upload(const Context& ctx, const Tensor& t);
  Tensor download() const;  // synchronises the stream
  DeviceTensor clone() const;

  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const;  // negative i counts from the end
  int64_t numel() const { return numel_; }
  bool empty() const { return numel_ == 0; }
  // Same storage, new shape (one entry may be -1); InternalError when the element count differs.
  void reshape(Shape shape);
  DeviceTensor reshaped(Shape shape) &&;

  // Device address of element 0 (not dereferenceable on the host).
  float* device_data() { return ptr_; }
  const float* device_data() const { return ptr_; }
  const std::shared_ptr<detail::ContextState>& state() const { return state_; }

 private:
  std::shared_ptr<detail::ContextState> state_;
  Shape shape_;
  int64_t numel_ = 0;
  float* ptr_ = nullptr;
};

// int32 device array (token ids, edge indices, CSR offsets). Move-only.
class DeviceInts {
 public:
  DeviceInts() = default;
  DeviceInts(const Context& ctx, const std::vector<int32_t>& values);
  ~DeviceInts();
  DeviceInts(DeviceInts&&) noexcept;
  DeviceInts& operator=(DeviceInts&&) noexcept;
  DeviceInts(const DeviceInts&) = delete;
  DeviceInts& operator=(const DeviceInts&) = delete;
  int64_t size() const { return n_; }
  const int32_t* device_data() const { return ptr_; }
  std::vector<int32_t> download() const;

 private:
  std::shared_ptr<detail::ContextState> state_;
  int64_t n_ = 0;
  int32_t* ptr_ = nullptr;
};

// ---------------------------------------------------------------- matrix products (linear.cu)
// Row-major C[M,N] = alpha op(A) op(B) + beta C on DEVICE pointers (cuBLAS, column-major mapping inside).
void gemm(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// `batch` products with fixed element strides between consecutive A, B, C matrices.
void gemm_strided_batched(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                          float alpha, const float* a, int64_t lda, int64_t stride_a, const float* b, int64_t ldb,
                          int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c, int64_t batch);
// Two-level batch (outer × inner) with separate strides per level: the (b, h) loops of multi-head attention.
void gemm_batched2(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, int64_t sa_outer, int64_t sa_inner, const float* b, int64_t ldb,
                   int64_t sb_outer, int64_t sb_inner, float beta, float* c, int64_t ldc, int64_t sc_outer,
                   int64_t sc_inner, int64_t outer, int64_t inner);

// y[..., out] = x[..., in] · W[out, in]ᵀ + b[out] (bias may be null).
DeviceTensor linear(const Context& ctx, const DeviceTensor& x, const DeviceTensor& weight, const DeviceTensor* bias);
// a [B, M, K] · b [B, K, N] -> [B, M, N]; trans flags transpose each stored operand's last two axes.
DeviceTensor bmm(const Context& ctx, const DeviceTensor& a, const DeviceTensor& b, bool trans_a = false,
                 bool trans_b = false);
// Channel-last conv: x [H, W, C_in], w [C_out, C_in, k, k], k ∈ {1, 3}, stride 1, zero padding k/2.
DeviceTensor conv2d(const Context& ctx, const DeviceTensor& x, const DeviceTensor& weight, const DeviceTensor* bias);

// ---------------------------------------------------------------- normalisation (norm.cu)
DeviceTensor layer_norm(const Context& ctx, const DeviceTensor& x, const DeviceTensor& a2, const DeviceTensor& b2,
                        float eps = 1e-5f);  // RoseTTAFold a_2/b_2
void layer_norm_(const Context& ctx, DeviceTensor& x, const DeviceTensor& a2, const DeviceTensor& b2,
                 float eps = 1e-5f);
DeviceTensor layer_norm_torch(const Context& ctx, const DeviceTensor& x, const DeviceTensor& weight,
                              const DeviceTensor& bias, float eps = 1e-5f);  // nn.LayerNorm
// InstanceNorm2d(affine) on x [H, W, C]: statistics per channel over H·W (biased variance).
DeviceTensor instance_norm(const Context& ctx, const DeviceTensor& x, const DeviceTensor& gamma,
                           const DeviceTensor& beta, float eps = 1e-6f);
void instance_norm_(const Context& ctx, DeviceTensor& x, const DeviceTensor& gamma, const DeviceTensor& beta,
                    float eps = 1e-6f);  // in place (same arithmetic)

// ---------------------------------------------------------------- pointwise and layout (basic.cu)
void relu_(const Context& ctx, DeviceTensor& x);
void elu_(const Context& ctx, DeviceTensor& x);
void leaky_relu_(const Context& ctx, DeviceTensor& x, float slope);
void sigmoid_(const Context& ctx, DeviceTensor& x);
void add_(const Context& ctx, DeviceTensor& x, const DeviceTensor& y);
void scale_(const Context& ctx, DeviceTensor& x, float s);
DeviceTensor add(const Context& ctx, const DeviceTensor& x, const DeviceTensor& y);
DeviceTensor softmax(const Context& ctx, const DeviceTensor& x, int axis);
DeviceTensor permute(const Context& ctx, const DeviceTensor& x, const std::vector<int>& perm);  // ≤ 8 axes
DeviceTensor transpose01(const Context& ctx, const DeviceTensor& x);  // [A, B, C] -> [B, A, C]
DeviceTensor concat(const Context& ctx, const std::vector<const DeviceTensor*>& parts, int axis);
// table [V, D], tokens (values in [0, V), checked on the host) -> [shape..., D].
DeviceTensor embedding(const Context& ctx, const DeviceTensor& table, const std::vector<int32_t>& tokens,
                       const Shape& shape);

// ---------------------------------------------------------------- RoseTTAFold fused ops (attention.cu)
// Device copies of the tensors of a model::Weights whose names start with a prefix, looked up by full name.
class DeviceWeights {
 public:
  DeviceWeights() = default;
  // Uploads every tensor of `w` whose name starts with `prefix` (all of them for an empty prefix).
  DeviceWeights(const Context& ctx, const std::map<std::string, Tensor>& tensors, const std::string& prefix = "");
  bool has(const std::string& name) const { return t_.count(name) != 0; }
  const DeviceTensor& get(const std::string& name) const;  // InputError when absent
  const DeviceTensor* find(const std::string& name) const;  // null when absent
  size_t size() const { return t_.size(); }

 private:
  std::map<std::string, DeviceTensor> t_;
};

// The rf1 module functions of model/rf1/modules.hpp on the GPU, same prefixes and shapes.
DeviceTensor linear(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x);
DeviceTensor layer_norm(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x);
DeviceTensor feed_forward(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x);
// Performer self-attention (ReLU kernel, p.fast_attention.projection_matrix [m, d_k]): x [B, n, d] -> [B, n, d].
DeviceTensor performer(const Context& ctx, const DeviceWeights& w, const std::string& p, const DeviceTensor& x);
// The Performer core after the q/k/v projections: q, k, v [B, n, d], proj [m, d_k] -> [B, n, d] (before to_out).
DeviceTensor performer_attention(const Context& ctx, const DeviceTensor& q, const DeviceTensor& k,
                                 const DeviceTensor& v, const DeviceTensor& proj);
// SequenceWeight: x [N, L, d] -> [L, heads, N].
DeviceTensor sequence_weight(const Context& ctx, const DeviceWeights& w, const std::string& p,
                             const DeviceTensor& x, int heads);
// Soft-tied row attention: x [N, L, d] -> [N, L, d]; att (if not null) = ½(A+Aᵀ) as [L, L, heads].
DeviceTensor soft_tied_attention(const Context& ctx, const DeviceWeights& w, const std::string& p,
                                 const DeviceTensor& x, int heads, DeviceTensor* att);
// Pair2MSA direct attention: pair [L, L, d_pair] (normalised), msa [N, L, d] (normalised) -> [N, L, d].
DeviceTensor direct_attention(const Context& ctx, const DeviceWeights& w, const std::string& p,
                              const DeviceTensor& pair, const DeviceTensor& msa);
// MSA2Pair coevolution outer product: xd [N, L, P], xw [N, L, P] -> co [L, L, P·P],
// co[i, j, a·P + b] = Σ_n xd[n, i, a]·xw[n, j, b].
DeviceTensor outer_product(const Context& ctx, const DeviceTensor& xd, const DeviceTensor& xw);
// Rows [i_begin, i_begin + n_rows) of that product: -> [n_rows, L, P·P] (memory-bounded MSA2Pair).
DeviceTensor outer_product_rows(const Context& ctx, const DeviceTensor& xd, const DeviceTensor& xw, int64_t i_begin,
                                int64_t n_rows);

// ---------------------------------------------------------------- graph ops (graph.cu)
// A directed graph on the device: src/dst per edge and the CSR index of incoming edges by destination, with
// the meaning of model/se3/graph.hpp (incoming edges listed in ascending edge id).
struct DeviceGraph {
  int64_t n_nodes = 0, n_edges = 0;
  DeviceInts src, dst, in_ptr, in_edges;
  DeviceGraph() = default;
  DeviceGraph(const Context& ctx, int64_t n_nodes, const std::vector<int32_t>& src, const std::vector<int32_t>& dst,
              const std::vector<int64_t>& in_ptr, const std::vector<int32_t>& in_edges);
};
// x [N, ...] -> [E, ...]: row src[e] (by_src) or dst[e] of x for every edge.
DeviceTensor gather_rows(const Context& ctx, const DeviceTensor& x, const DeviceGraph& g, bool by_src);
// x [E, ...] -> [N, ...]: out[v] = Σ over the incoming edges e of v (ascending e) of x[e]. Deterministic (no atomics).
DeviceTensor scatter_add_dst(const Context& ctx, const DeviceTensor& x, const DeviceGraph& g);
// logits [E, H] -> softmax over the incoming edges of each destination, per head (max in fp32, sum in double).
DeviceTensor segment_softmax(const Context& ctx, const DeviceTensor& logits, const DeviceGraph& g);

// SE(3) features on the device: degree -> [rows, m, 2d+1].
using DeviceFeatures = std::map<int, DeviceTensor>;
using FiberMap = std::map<int, int>;  // degree -> channels
// GMABSE3 attention (model/se3/layers.hpp gmab_attention): per-edge keys k and values v, per-node queries q.
DeviceFeatures gmab_attention(const Context& ctx, const DeviceFeatures& v, const DeviceFeatures& k,
                              const DeviceFeatures& q, const FiberMap& f_value, const FiberMap& f_key, int n_heads,
                              const DeviceGraph& g, DeviceTensor* logits_out = nullptr,
                              DeviceTensor* softmax_out = nullptr);

}  // namespace trifold::model::cuda
