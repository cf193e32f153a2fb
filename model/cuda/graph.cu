// CUDA graph ops of the SE(3) layers: gather by edge endpoint, CSR segment sum / softmax over incoming edges,
// and the fused GMABSE3 attention (model/se3/layers.cpp gmab_attention). Deterministic: every output element is
// owned by one thread that sums in the CPU's order (incoming edges ascending), no atomics.
#include <climits>
#include <cmath>
#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"

namespace trifold::model::cuda {
namespace {

#define TRIFOLD_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void gather_rows_kernel(const float* x, const int32_t* idx, float* y, int64_t e, int64_t f) {
  TRIFOLD_GRID_STRIDE(t, e * f) y[t] = x[static_cast<int64_t>(idx[t / f]) * f + t % f];
}

__global__ void segment_sum_kernel(const float* x, const int32_t* in_ptr, const int32_t* in_edges, float* y,
                                   int64_t n, int64_t f) {
  TRIFOLD_GRID_STRIDE(t, n * f) {
    const int64_t v = t / f, c = t % f;
    float s = 0.0f;
    for (int32_t k = in_ptr[v]; k < in_ptr[v + 1]; ++k) s += x[static_cast<int64_t>(in_edges[k]) * f + c];
    y[t] = s;
  }
}

// Per (node, head): max in fp32, Σ exp in double, a = float(exp / Σ) — the CPU's arithmetic exactly.
__global__ void segment_softmax_kernel(const float* logits, const int32_t* in_ptr, const int32_t* in_edges,
                                       float* att, int64_t n, int64_t heads) {
  TRIFOLD_GRID_STRIDE(t, n * heads) {
    const int64_t v = t / heads, h = t % heads;
    const int32_t b = in_ptr[v], en = in_ptr[v + 1];
    if (b == en) continue;
    float mx = -INFINITY;
    for (int32_t k = b; k < en; ++k) mx = fmaxf(mx, logits[static_cast<int64_t>(in_edges[k]) * heads + h]);
    double sum = 0.0;
    for (int32_t k = b; k < en; ++k) {
      const int64_t e = in_edges[k];
      const float ex = expf(logits[e * heads + h] - mx);
      att[e * heads + h] = ex;
      sum += ex;
    }
    for (int32_t k = b; k < en; ++k) {
      const int64_t e = in_edges[k];
      att[e * heads + h] = static_cast<float>(att[e * heads + h] / sum);
    }
  }
}

constexpr int kMaxDegrees = 4;
struct KeyDegrees {
  int count;
  int m[kMaxDegrees], p[kMaxDegrees];
  const float* k[kMaxDegrees];
  const float* q[kMaxDegrees];
};

// logits[e, h] = scale · Σ_degrees Σ_c k_e[h block]·q_dst[h block] (degrees ascending, as the CPU).
__global__ void gmab_logits_kernel(KeyDegrees kd, const int32_t* dst, float* logits, int64_t e_count, int heads,
                                   float scale) {
  TRIFOLD_GRID_STRIDE(t, e_count * heads) {
    const int64_t e = t / heads;
    const int h = static_cast<int>(t % heads);
    const int64_t j = dst[e];
    float s = 0.0f;
    for (int i = 0; i < kd.count; ++i) {
      const int m = kd.m[i], p = kd.p[i], mh = m / heads;
      const float* ke = kd.k[i] + (e * m + h * mh) * p;
      const float* qj = kd.q[i] + (j * m + h * mh) * p;
      for (int c = 0; c < mh * p; ++c) s += ke[c] * qj[c];
    }
    logits[t] = s * scale;
  }
}

// out[j, c, x] = Σ_incoming e a[e, c / mh] v[e, c, x].
__global__ void gmab_aggregate_kernel(const float* v, const float* att, const int32_t* in_ptr, const int32_t* in_edges,
                                      float* out, int64_t n, int m, int p, int heads) {
  TRIFOLD_GRID_STRIDE(t, n * m * p) {
    const int64_t j = t / (int64_t(m) * p);
    const int c = static_cast<int>((t / p) % m), x = static_cast<int>(t % p), mh = m / heads;
    float s = 0.0f;
    for (int32_t k = in_ptr[j]; k < in_ptr[j + 1]; ++k) {
      const int64_t e = in_edges[k];
      s += att[e * heads + c / mh] * v[(e * m + c) * p + x];
    }
    out[t] = s;
  }
}

int64_t row_features(const DeviceTensor& x) { return x.ndim() ? (x.dim(0) ? x.numel() / x.dim(0) : 0) : 0; }

}  // namespace

DeviceGraph::DeviceGraph(const Context& ctx, int64_t n, const std::vector<int32_t>& s, const std::vector<int32_t>& d,
                         const std::vector<int64_t>& ptr, const std::vector<int32_t>& in)
    : n_nodes(n), n_edges(static_cast<int64_t>(s.size())) {
  TRIFOLD_CHECK(d.size() == s.size() && in.size() == s.size() && static_cast<int64_t>(ptr.size()) == n + 1,
                "DeviceGraph: src/dst/in_edges must have E entries and in_ptr N + 1");
  TRIFOLD_CHECK(n_edges < INT_MAX && n < INT_MAX, "DeviceGraph: more than 2^31 edges or nodes");
  TRIFOLD_CHECK(ptr.front() == 0 && ptr.back() == n_edges, "DeviceGraph: in_ptr must run from 0 to E");
  for (size_t e = 0; e < s.size(); ++e)
    TRIFOLD_CHECK(s[e] >= 0 && s[e] < n && d[e] >= 0 && d[e] < n && in[e] >= 0 && in[e] < n_edges,
                  "DeviceGraph: node or edge index out of range at edge " + std::to_string(e));
  std::vector<int32_t> p32(ptr.size());
  for (size_t i = 0; i < ptr.size(); ++i) {
    TRIFOLD_CHECK(i == 0 || ptr[i] >= ptr[i - 1], "DeviceGraph: in_ptr must be non-decreasing");
    p32[i] = static_cast<int32_t>(ptr[i]);
  }
  src = DeviceInts(ctx, s);
  dst = DeviceInts(ctx, d);
  in_ptr = DeviceInts(ctx, p32);
  in_edges = DeviceInts(ctx, in);
}

DeviceTensor gather_rows(const Context& ctx, const DeviceTensor& x, const DeviceGraph& g, bool by_src) {
  same_context(ctx, x, "gather_rows");
  TRIFOLD_CHECK(x.ndim() >= 1 && x.dim(0) == g.n_nodes,
                "gather_rows: x " + shape_str(x.shape()) + " for a graph of " + std::to_string(g.n_nodes) + " nodes");
  Shape s = x.shape();
  s[0] = g.n_edges;
  DeviceTensor y(ctx, s, false);
  const int64_t f = row_features(x);
  if (y.numel() == 0) return y;
  gather_rows_kernel<<<grid_for(y.numel()), 256, 0, stream_of(ctx)>>>(
      x.device_data(), (by_src ? g.src : g.dst).device_data(), y.device_data(), g.n_edges, f);
  TRIFOLD_CUDA_LAUNCH_CHECK(gather_rows_kernel, ctx);
  return y;
}

DeviceTensor scatter_add_dst(const Context& ctx, const DeviceTensor& x, const DeviceGraph& g) {
  same_context(ctx, x, "scatter_add_dst");
  TRIFOLD_CHECK(x.ndim() >= 1 && x.dim(0) == g.n_edges,
                "scatter_add_dst: x " + shape_str(x.shape()) + " for a graph of " + std::to_string(g.n_edges) + " edges");
  Shape s = x.shape();
  s[0] = g.n_nodes;
  const int64_t f = row_features(x);
  DeviceTensor y(ctx, s, true);
  if (y.numel() == 0 || g.n_edges == 0) return y;
  segment_sum_kernel<<<grid_for(y.numel()), 256, 0, stream_of(ctx)>>>(
      x.device_data(), g.in_ptr.device_data(), g.in_edges.device_data(), y.device_data(), g.n_nodes, f);
  TRIFOLD_CUDA_LAUNCH_CHECK(segment_sum_kernel, ctx);
  return y;
}

DeviceTensor segment_softmax(const Context& ctx, const DeviceTensor& logits, const DeviceGraph& g) {
  same_context(ctx, logits, "segment_softmax");
  TRIFOLD_CHECK(logits.ndim() == 2 && logits.dim(0) == g.n_edges,
                "segment_softmax: logits must be [E, H] with E = " + std::to_string(g.n_edges) + ", got " +
                    shape_str(logits.shape()));
  const int64_t heads = logits.dim(1);
  DeviceTensor att(ctx, logits.shape(), true);
  if (g.n_nodes * heads == 0 || g.n_edges == 0) return att;
  segment_softmax_kernel<<<grid_for(g.n_nodes * heads), 256, 0, stream_of(ctx)>>>(
      logits.device_data(), g.in_ptr.device_data(), g.in_edges.device_data(), att.device_data(), g.n_nodes, heads);
  TRIFOLD_CUDA_LAUNCH_CHECK(segment_softmax_kernel, ctx);
  return att;
}

DeviceFeatures gmab_attention(const Context& ctx, const DeviceFeatures& v, const DeviceFeatures& k,
                              const DeviceFeatures& q, const FiberMap& f_value, const FiberMap& f_key, int n_heads,
                              const DeviceGraph& g, DeviceTensor* logits_out, DeviceTensor* softmax_out) {
  const int64_t E = g.n_edges, N = g.n_nodes;
  TRIFOLD_CHECK(n_heads > 0, "GMABSE3: heads must be positive");
  TRIFOLD_CHECK(static_cast<int>(f_key.size()) <= kMaxDegrees, "GMABSE3: at most 4 key degrees");
  for (auto [d, m] : f_value) TRIFOLD_CHECK(m % n_heads == 0, "GMABSE3: value channels not divisible by heads");
  KeyDegrees kd{};
  int fk = 0;
  for (auto [d, m] : f_key) {
    TRIFOLD_CHECK(m % n_heads == 0, "GMABSE3: key channels not divisible by heads");
    auto ki = k.find(d);
    auto qi = q.find(d);
    TRIFOLD_CHECK(ki != k.end() && qi != q.end(), "GMABSE3: missing key/query degree " + std::to_string(d));
    const Shape ke{E, m, 2 * d + 1}, qe{N, m, 2 * d + 1};
    TRIFOLD_CHECK(ki->second.shape() == ke && qi->second.shape() == qe,
                  "GMABSE3: degree " + std::to_string(d) + " keys " + shape_str(ki->second.shape()) + " / queries " +
                      shape_str(qi->second.shape()) + ", expected " + shape_str(ke) + " / " + shape_str(qe));
    same_context(ctx, ki->second, "gmab_attention");
    same_context(ctx, qi->second, "gmab_attention");
    kd.m[kd.count] = m;
    kd.p[kd.count] = 2 * d + 1;
    kd.k[kd.count] = ki->second.device_data();
    kd.q[kd.count] = qi->second.device_data();
    ++kd.count;
    fk += m * (2 * d + 1);
  }
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fk)));
  cudaStream_t s = stream_of(ctx);
  DeviceTensor logits(ctx, {E, n_heads}, false);
  if (E > 0) {
    gmab_logits_kernel<<<grid_for(E * n_heads), 256, 0, s>>>(kd, g.dst.device_data(), logits.device_data(), E,
                                                             n_heads, scale);
    TRIFOLD_CUDA_LAUNCH_CHECK(gmab_logits_kernel, ctx);
  }
  DeviceTensor att = segment_softmax(ctx, logits, g);
  DeviceFeatures out;
  for (auto [d, m] : f_value) {
    auto vi = v.find(d);
    TRIFOLD_CHECK(vi != v.end(), "GMABSE3: missing value degree " + std::to_string(d));
    const Shape ve{E, m, 2 * d + 1};
    TRIFOLD_CHECK(vi->second.shape() == ve, "GMABSE3: degree " + std::to_string(d) + " values " +
                                                shape_str(vi->second.shape()) + ", expected " + shape_str(ve));
    DeviceTensor o(ctx, {N, m, 2 * d + 1}, true);
    if (o.numel() > 0 && E > 0) {
      gmab_aggregate_kernel<<<grid_for(o.numel()), 256, 0, s>>>(vi->second.device_data(), att.device_data(),
                                                                g.in_ptr.device_data(), g.in_edges.device_data(),
                                                                o.device_data(), N, m, 2 * d + 1, n_heads);
      TRIFOLD_CUDA_LAUNCH_CHECK(gmab_aggregate_kernel, ctx);
    }
    out.emplace(d, std::move(o));
  }
  if (logits_out) *logits_out = std::move(logits);
  if (softmax_out) *softmax_out = std::move(att);
  return out;
}

}  // namespace trifold::model::cuda
