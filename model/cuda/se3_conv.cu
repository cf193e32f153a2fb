// Fused SE(3) convolution (GConvSE3Partial) on the GPU. Per chunk of edges and per (d_in, d_out) pair: the
// radial MLP runs as three cuBLAS GEMMs (R [rows, m_out, m_in, n_J] for the chunk only), then one block per
// edge builds that edge's basis K_J = Y_J Q_Jᵀ in shared memory, contracts it with the source node's features
// (yᵀ[p][i, J] = Σ_a K[p, a, J] x_src[i, a]) and adds msg[o, p] = Σ_{i,J} R[o, i, J] yᵀ[p][i, J] to the
// edge's output. The dense per-edge kernel R ⊙ K (E × m_out(2d_out+1) × m_in(2d_in+1) × n_J) never exists,
// in global memory or anywhere else. The arithmetic follows model/se3/layers.cpp step by step (K in double
// from double Q, fp32 contraction in the same order over a); only the final dot products are summed in a
// different order (warp shuffles), and cuBLAS replaces OpenBLAS for the MLP.
#include "model/cuda/se3_conv.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"
#include "model/cuda/se3_common.cuh"

namespace trifold::model::cuda {
namespace {

constexpr int kConvThreads = 128;

struct PairArgs {
  int di, dout, mi, mo, nf, pi, po, n_sh;
  const double* q;      // Q_J concatenated over J
  const float* Y;       // [E, n_sh]
  const float* x;       // source node features [N, mi, pi]
  const int32_t* src;   // [E]
  const float* R;       // [rows, mo, mi, nf] of this chunk
  float* out;           // [E, mo, po]
  int64_t e0, rows;
};

__global__ void se3_conv_kernel(PairArgs a) {
  extern __shared__ float sm[];
  const int nk = a.po * a.pi * a.nf, nif = a.mi * a.nf;
  float* K = sm;                    // [po, pi, nf]
  float* xs = K + nk;               // [mi, pi]
  float* y = xs + a.mi * a.pi;      // [po, mi, nf]
  const int J0 = a.di > a.dout ? a.di - a.dout : a.dout - a.di;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  for (int64_t r = blockIdx.x; r < a.rows; r += gridDim.x) {
    const int64_t e = a.e0 + r;
    const float* Ye = a.Y + e * a.n_sh;
    // K[(p pi + c) nf + f] = Σ_m Q_J[(p pi + c), m] Y_J[m] in double (se3::edge_basis).
    for (int t = threadIdx.x; t < nk; t += blockDim.x) {
      const int f = t % a.nf, row = t / a.nf, J = J0 + f, mj = 2 * J + 1;
      int64_t off = 0;
      for (int g = 0; g < f; ++g) off += int64_t(a.po) * a.pi * (2 * (J0 + g) + 1);
      const double* Q = a.q + off + int64_t(row) * mj;
      double s = 0.0;
      for (int m = 0; m < mj; ++m) s += Q[m] * static_cast<double>(Ye[J * J + m]);
      K[t] = static_cast<float>(s);
    }
    const float* xsrc = a.x + static_cast<int64_t>(a.src[e]) * a.mi * a.pi;
    for (int t = threadIdx.x; t < a.mi * a.pi; t += blockDim.x) xs[t] = xsrc[t];
    __syncthreads();
    // yᵀ[p][i nf + f] = Σ_c K[p][c][f] x[i][c]  (c ascending, fp32: the CPU's order)
    for (int t = threadIdx.x; t < a.po * nif; t += blockDim.x) {
      const int p = t / nif, i = (t % nif) / a.nf, f = t % a.nf;
      float s = 0.f;
      for (int c = 0; c < a.pi; ++c) s += K[(p * a.pi + c) * a.nf + f] * xs[i * a.pi + c];
      y[t] = s;
    }
    __syncthreads();
    // msg[o][p] += R[o][:]·yᵀ[p][:] — one warp per (o, p), lanes over the m_in n_J products.
    const float* Re = a.R + r * int64_t(a.mo) * nif;
    float* msg = a.out + e * int64_t(a.mo) * a.po;
    for (int op = warp; op < a.mo * a.po; op += nwarps) {
      const int o = op / a.po, p = op % a.po;
      const float* Ro = Re + int64_t(o) * nif;
      const float* yp = y + p * nif;
      float acc = 0.f;
      for (int t = lane; t < nif; t += 32) acc += Ro[t] * yp[t];
      for (int s = 16; s > 0; s >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, s);
      if (lane == 0) msg[o * a.po + p] += acc;
    }
    __syncthreads();  // shared buffers are rewritten for the next edge
  }
}

// Owning device array of doubles (the Q_J of one pair).
struct DeviceDoubles {
  std::shared_ptr<detail::ContextState> s;
  double* p = nullptr;
  size_t n = 0;
  DeviceDoubles(const Context& ctx, const std::vector<double>& v) : s(ctx.state()), n(v.size()) {
    p = static_cast<double*>(s->alloc(n * sizeof(double)));
    if (n) TRIFOLD_CUDA_CHECK(cudaMemcpyAsync(p, v.data(), n * sizeof(double), cudaMemcpyHostToDevice, s->stream));
  }
  ~DeviceDoubles() { s->free(p, n * sizeof(double)); }
  DeviceDoubles(const DeviceDoubles&) = delete;
  DeviceDoubles& operator=(const DeviceDoubles&) = delete;
};

int num_freq(int a, int b) { return 2 * std::min(a, b) + 1; }

}  // namespace

struct GConvSE3PartialGpu::Impl {
  struct Pair {
    int di, dout, mi, mo, nf, mid, feat_dim;
    DeviceTensor w0, b0, g1, be1, w3, b3, g4, be4, w6, b6;
    std::unique_ptr<DeviceDoubles> q;
  };
  FiberMap f_in, f_out;
  std::vector<Pair> pairs;
};

GConvSE3PartialGpu::GConvSE3PartialGpu(const Context& ctx, const FiberMap& f_in, const FiberMap& f_out,
                                       const std::vector<Se3PairWeights>& pw)
    : impl_(std::make_unique<Impl>()) {
  impl_->f_in = f_in;
  impl_->f_out = f_out;
  TRIFOLD_CHECK(pw.size() == f_in.size() * f_out.size(), "GConvSE3PartialGpu: one kernel per (d_in, d_out) pair");
  size_t k = 0;
  for (auto [di, mi] : f_in)
    for (auto [dout, mo] : f_out) {
      const Se3PairWeights& w = pw[k++];
      TRIFOLD_CHECK(w.d_in == di && w.d_out == dout && w.m_in == mi && w.m_out == mo,
                    "GConvSE3PartialGpu: kernel (" + std::to_string(w.d_in) + "," + std::to_string(w.d_out) +
                        ") out of order or with the wrong channels");
      Impl::Pair p;
      p.di = di;
      p.dout = dout;
      p.mi = mi;
      p.mo = mo;
      p.nf = num_freq(di, dout);
      TRIFOLD_CHECK(w.w0.ndim() == 2, "GConvSE3PartialGpu: radial weight must be 2-D");
      p.mid = static_cast<int>(w.w0.dim(0));
      p.feat_dim = static_cast<int>(w.w0.dim(1));
      const int64_t outd = int64_t(mo) * mi * p.nf;
      TRIFOLD_CHECK(w.w6.shape() == Shape({outd, p.mid}) && w.b6.numel() == outd && w.w3.shape() == Shape({p.mid, p.mid}),
                    "GConvSE3PartialGpu: radial weights of (" + std::to_string(di) + "," + std::to_string(dout) +
                        ") do not match m_out·m_in·n_J = " + std::to_string(outd));
      int64_t qn = 0;
      for (int f = 0; f < p.nf; ++f) qn += int64_t(2 * dout + 1) * (2 * di + 1) * (2 * (std::abs(di - dout) + f) + 1);
      TRIFOLD_CHECK(static_cast<int64_t>(w.q.size()) == qn, "GConvSE3PartialGpu: Q_J of (" + std::to_string(di) + "," +
                                                                 std::to_string(dout) + ") must hold " +
                                                                 std::to_string(qn) + " values");
      p.w0 = DeviceTensor::upload(ctx, w.w0);
      p.b0 = DeviceTensor::upload(ctx, w.b0);
      p.g1 = DeviceTensor::upload(ctx, w.g1);
      p.be1 = DeviceTensor::upload(ctx, w.be1);
      p.w3 = DeviceTensor::upload(ctx, w.w3);
      p.b3 = DeviceTensor::upload(ctx, w.b3);
      p.g4 = DeviceTensor::upload(ctx, w.g4);
      p.be4 = DeviceTensor::upload(ctx, w.be4);
      p.w6 = DeviceTensor::upload(ctx, w.w6);
      p.b6 = DeviceTensor::upload(ctx, w.b6);
      p.q = std::make_unique<DeviceDoubles>(ctx, w.q);
      impl_->pairs.push_back(std::move(p));
    }
}

GConvSE3PartialGpu::~GConvSE3PartialGpu() = default;
GConvSE3PartialGpu::GConvSE3PartialGpu(GConvSE3PartialGpu&&) noexcept = default;
GConvSE3PartialGpu& GConvSE3PartialGpu::operator=(GConvSE3PartialGpu&&) noexcept = default;

namespace {

// y[rows, out] = x[rows, in] · Wᵀ + b (bias first, then a beta = 1 GEMM, as cpu::linear_into).
void linear_rows(const Context& ctx, const float* x, int64_t rows, int64_t in, const DeviceTensor& w,
                 const DeviceTensor& b, float* y) {
  const int64_t out = w.dim(0);
  se3_fill_rows_kernel<<<grid_for(rows * out), 256, 0, stream_of(ctx)>>>(y, b.device_data(), rows, out);
  TRIFOLD_CUDA_LAUNCH_CHECK(se3_fill_rows_kernel, ctx);
  gemm(ctx, false, true, rows, out, in, 1.0f, x, in, w.device_data(), in, 1.0f, y, out);
}

void ln_relu(const Context& ctx, float* x, int64_t rows, int n, const DeviceTensor& g, const DeviceTensor& b) {
  se3_layer_norm_act_kernel<<<se3_rows_grid(rows), 256, 0, stream_of(ctx)>>>(
      x, rows, n, g.device_data(), b.device_data(), 1e-5f, static_cast<int>(Se3Act::Relu));
  TRIFOLD_CUDA_LAUNCH_CHECK(se3_layer_norm_act_kernel, ctx);
}

}  // namespace

DeviceFeatures GConvSE3PartialGpu::forward(const Context& ctx, const DeviceFeatures& h, const DeviceGraph& g,
                                           const DeviceEdgeGeometry& geo, int64_t chunk) const {
  const int64_t E = g.n_edges, N = g.n_nodes;
  TRIFOLD_CHECK(geo.Y.numel() == E * geo.n_sh && geo.feat.numel() == E * geo.feat_dim,
                "GConvSE3PartialGpu: edge geometry for " + std::to_string(geo.Y.numel() / std::max(1, geo.n_sh)) +
                    " edges, graph has " + std::to_string(E));
  DeviceFeatures out;
  for (auto [dout, mo] : impl_->f_out) out.emplace(dout, DeviceTensor(ctx, {E, mo, 2 * dout + 1}, true));
  for (auto [di, mi] : impl_->f_in) {
    auto it = h.find(di);
    TRIFOLD_CHECK(it != h.end(), "GConvSE3PartialGpu: missing input degree " + std::to_string(di));
    TRIFOLD_CHECK(it->second.shape() == Shape({N, mi, 2 * di + 1}),
                  "GConvSE3PartialGpu: degree " + std::to_string(di) + " input " + shape_str(it->second.shape()) +
                      ", expected " + shape_str({N, mi, 2 * di + 1}));
    same_context(ctx, it->second, "GConvSE3PartialGpu");
  }
  if (E == 0) return out;
  int64_t max_out = 1, max_mid = 1;
  for (const auto& p : impl_->pairs) {
    TRIFOLD_CHECK(p.feat_dim == geo.feat_dim, "GConvSE3PartialGpu: radial input width does not match edge features");
    TRIFOLD_CHECK(2 * std::max(p.di, p.dout) <= 2 * geo.max_degree, "GConvSE3PartialGpu: harmonics up to J = " +
                                                                        std::to_string(2 * geo.max_degree) + " only");
    max_out = std::max<int64_t>(max_out, int64_t(p.mo) * p.mi * p.nf);
    max_mid = std::max<int64_t>(max_mid, p.mid);
  }
  if (chunk <= 0) chunk = std::max<int64_t>(1, (int64_t(32) << 20) / max_out);
  chunk = std::min(chunk, E);
  DeviceTensor h1(ctx, {chunk, max_mid}, false), h2(ctx, {chunk, max_mid}, false), R(ctx, {chunk, max_out}, false);
  cudaStream_t s = stream_of(ctx);
  for (int64_t e0 = 0; e0 < E; e0 += chunk) {
    const int64_t rows = std::min(chunk, E - e0);
    for (const auto& p : impl_->pairs) {  // f_in-major: out[d_out] sums d_in in ascending order
      const float* feat = geo.feat.device_data() + e0 * geo.feat_dim;
      linear_rows(ctx, feat, rows, geo.feat_dim, p.w0, p.b0, h1.device_data());
      ln_relu(ctx, h1.device_data(), rows, p.mid, p.g1, p.be1);
      linear_rows(ctx, h1.device_data(), rows, p.mid, p.w3, p.b3, h2.device_data());
      ln_relu(ctx, h2.device_data(), rows, p.mid, p.g4, p.be4);
      linear_rows(ctx, h2.device_data(), rows, p.mid, p.w6, p.b6, R.device_data());
      PairArgs a{};
      a.di = p.di;
      a.dout = p.dout;
      a.mi = p.mi;
      a.mo = p.mo;
      a.nf = p.nf;
      a.pi = 2 * p.di + 1;
      a.po = 2 * p.dout + 1;
      a.n_sh = geo.n_sh;
      a.q = p.q->p;
      a.Y = geo.Y.device_data();
      a.x = h.at(p.di).device_data();
      a.src = g.src.device_data();
      a.R = R.device_data();
      a.out = out.at(p.dout).device_data();
      a.e0 = e0;
      a.rows = rows;
      const size_t smem = sizeof(float) * static_cast<size_t>(a.po * a.pi * a.nf + a.mi * a.pi + a.po * a.mi * a.nf);
      TRIFOLD_CHECK(smem <= 48 * 1024, "GConvSE3PartialGpu: " + std::to_string(p.mi) +
                                           " input channels need more than 48 KiB of shared memory per edge");
      const unsigned grid = static_cast<unsigned>(std::min<int64_t>(rows, int64_t(1) << 30));
      se3_conv_kernel<<<grid, kConvThreads, smem, s>>>(a);
      TRIFOLD_CUDA_LAUNCH_CHECK(se3_conv_kernel, ctx);
    }
  }
  return out;
}

}  // namespace trifold::model::cuda
