// The SE(3)-Transformer layers on the GPU, mirroring model/se3/layers.cpp and transformer.cpp: each kernel thread
// owns one output and sums in the CPU loop's order; the attentive self-interaction's Linear is a cuBLAS GEMM.
#include "model/cuda/se3_layers.hpp"

#include <cmath>
#include <string>

#include "io/error.hpp"
#include "model/cuda/context.cuh"
#include "model/cuda/se3_common.cuh"

namespace trifold::model::cuda {
namespace {

#define TRIFOLD_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// y[r, o, c] = Σ_i T[o, i] v[r, i, c]
__global__ void g1x1_kernel(const float* T, const float* v, float* y, int64_t n, int mo, int mi, int p) {
  TRIFOLD_GRID_STRIDE(t, n * mo * p) {
    const int64_t r = t / (int64_t(mo) * p);
    const int o = static_cast<int>((t / p) % mo), c = static_cast<int>(t % p);
    float s = 0.f;
    for (int i = 0; i < mi; ++i) s += T[o * mi + i] * v[(r * mi + i) * p + c];
    y[t] = s;
  }
}

__global__ void norm_bias_kernel(const float* v, const float* b, float* y, int64_t n, int m, int p) {
  TRIFOLD_GRID_STRIDE(t, n * m) {
    const int c = static_cast<int>(t % m);
    const float* vv = v + t * p;
    float ss = 0.f;
    for (int i = 0; i < p; ++i) ss += vv[i] * vv[i];
    const float norm = fmaxf(sqrtf(ss), 1e-12f);
    const float s = fmaxf(norm + b[c], 0.0f);
    for (int i = 0; i < p; ++i) y[t * p + i] = s * (vv[i] / norm);
  }
}

// G[r, a, b] = sign(s)·max(|s|, 1e-12), s = Σ_c v[r, a, c] v[r, b, c]
__global__ void gram_kernel(const float* v, float* G, int64_t n, int mi, int p) {
  TRIFOLD_GRID_STRIDE(t, n * mi * mi) {
    const int64_t r = t / (int64_t(mi) * mi);
    const int a = static_cast<int>((t / mi) % mi), b = static_cast<int>(t % mi);
    const float* vr = v + r * mi * p;
    float s = 0.f;
    for (int c = 0; c < p; ++c) s += vr[a * p + c] * vr[b * p + c];
    const float sg = s > 0.f ? 1.f : (s < 0.f ? -1.f : 0.f);
    G[t] = sg * fmaxf(fabsf(s), 1e-12f);
  }
}

// Per (r, o): softmax over i of A[r, o, :] (max fp32, Σ in double), then y[r, o, c] = Σ_i a_i v[r, i, c].
__global__ void att_selfint_kernel(float* A, const float* v, float* y, int64_t n, int mo, int mi, int p) {
  TRIFOLD_GRID_STRIDE(t, n * mo) {
    const int64_t r = t / mo;
    float* a = A + t * mi;
    float mx = -INFINITY;
    for (int i = 0; i < mi; ++i) mx = fmaxf(mx, a[i]);
    double sum = 0.0;
    for (int i = 0; i < mi; ++i) {
      a[i] = expf(a[i] - mx);
      sum += a[i];
    }
    for (int i = 0; i < mi; ++i) a[i] = static_cast<float>(a[i] / sum);
    for (int c = 0; c < p; ++c) {
      float s = 0.f;
      for (int i = 0; i < mi; ++i) s += a[i] * v[(r * mi + i) * p + c];
      y[t * p + c] = s;
    }
  }
}

int degree_channels(const DeviceTensor& t, int d, const char* what) {
  TRIFOLD_CHECK(t.ndim() == 3 && t.dim(2) == 2 * d + 1,
                std::string(what) + ": degree " + std::to_string(d) + " features must be [rows, m, " +
                    std::to_string(2 * d + 1) + "], got " + shape_str(t.shape()));
  return static_cast<int>(t.dim(1));
}

}  // namespace

DeviceFeatures G1x1SE3Gpu::forward(const Context& ctx, const DeviceFeatures& x) const {
  DeviceFeatures out;
  for (const auto& [d, v] : x) {
    auto it = transform.find(d);
    if (it == transform.end()) continue;
    const DeviceTensor& T = it->second;
    const int mi = degree_channels(v, d, "G1x1SE3"), p = 2 * d + 1;
    TRIFOLD_CHECK(T.ndim() == 2 && T.dim(1) == mi, "G1x1SE3: channel mismatch for degree " + std::to_string(d));
    const int mo = static_cast<int>(T.dim(0));
    const int64_t n = v.dim(0);
    DeviceTensor y(ctx, {n, mo, p}, false);
    if (y.numel() > 0) {
      g1x1_kernel<<<grid_for(y.numel()), 256, 0, stream_of(ctx)>>>(T.device_data(), v.device_data(), y.device_data(),
                                                                   n, mo, mi, p);
      TRIFOLD_CUDA_LAUNCH_CHECK(g1x1_kernel, ctx);
    }
    out.emplace(d, std::move(y));
  }
  return out;
}

DeviceFeatures GNormBiasGpu::forward(const Context& ctx, const DeviceFeatures& x) const {
  DeviceFeatures out;
  for (const auto& [d, v] : x) {
    auto it = bias.find(d);
    TRIFOLD_CHECK(it != bias.end(), "GNormBias: no bias for degree " + std::to_string(d));
    const int m = degree_channels(v, d, "GNormBias");
    TRIFOLD_CHECK(it->second.numel() == m, "GNormBias: bias size for degree " + std::to_string(d));
    const int64_t n = v.dim(0);
    DeviceTensor y(ctx, v.shape(), false);
    if (y.numel() > 0) {
      norm_bias_kernel<<<grid_for(n * m), 256, 0, stream_of(ctx)>>>(v.device_data(), it->second.device_data(),
                                                                     y.device_data(), n, m, 2 * d + 1);
      TRIFOLD_CUDA_LAUNCH_CHECK(norm_bias_kernel, ctx);
    }
    out.emplace(d, std::move(y));
  }
  return out;
}

DeviceFeatures GAttentiveSelfIntGpu::forward(const Context& ctx, const DeviceFeatures& x) const {
  DeviceFeatures out;
  cudaStream_t s = stream_of(ctx);
  for (const auto& [d, v] : x) {
    auto it = nets.find(d);
    TRIFOLD_CHECK(it != nets.end(), "GAttentiveSelfInt: no network for degree " + std::to_string(d));
    const Net& net = it->second;
    const int mi = degree_channels(v, d, "GAttentiveSelfInt"), p = 2 * d + 1, mo = net.m_out;
    TRIFOLD_CHECK(mi == net.m_in, "GAttentiveSelfInt: channel mismatch");
    const int64_t n = v.dim(0);
    DeviceTensor y(ctx, {n, mo, p}, false);
    if (n == 0) {
      out.emplace(d, std::move(y));
      continue;
    }
    DeviceTensor G(ctx, {n, int64_t(mi) * mi}, false), A(ctx, {n, int64_t(mo) * mi}, false);
    gram_kernel<<<grid_for(G.numel()), 256, 0, s>>>(v.device_data(), G.device_data(), n, mi, p);
    TRIFOLD_CUDA_LAUNCH_CHECK(gram_kernel, ctx);
    se3_layer_norm_act_kernel<<<se3_rows_grid(n), 256, 0, s>>>(G.device_data(), n, mi * mi, net.ln_w.device_data(),
                                                               net.ln_b.device_data(), 1e-5f,
                                                               static_cast<int>(Se3Act::LeakyRelu));
    TRIFOLD_CUDA_LAUNCH_CHECK(se3_layer_norm_act_kernel, ctx);
    se3_fill_rows_kernel<<<grid_for(A.numel()), 256, 0, s>>>(A.device_data(), net.lin_b.device_data(), n,
                                                             int64_t(mo) * mi);
    TRIFOLD_CUDA_LAUNCH_CHECK(se3_fill_rows_kernel, ctx);
    gemm(ctx, false, true, n, int64_t(mo) * mi, int64_t(mi) * mi, 1.0f, G.device_data(), int64_t(mi) * mi,
         net.lin_w.device_data(), int64_t(mi) * mi, 1.0f, A.device_data(), int64_t(mo) * mi);
    att_selfint_kernel<<<grid_for(n * mo), 256, 0, s>>>(A.device_data(), v.device_data(), y.device_data(), n, mo, mi,
                                                         p);
    TRIFOLD_CUDA_LAUNCH_CHECK(att_selfint_kernel, ctx);
    out.emplace(d, std::move(y));
  }
  return out;
}

DeviceFeatures GSE3ResGpu::forward(const Context& ctx, const DeviceFeatures& h, const DeviceGraph& g,
                                   const DeviceEdgeGeometry& geo) const {
  TRIFOLD_CHECK(v && k, "GSE3Res: convolutions not set");
  DeviceFeatures vv = v->forward(ctx, h, g, geo);
  DeviceFeatures kk = k->forward(ctx, h, g, geo);
  DeviceFeatures qq = q.forward(ctx, h);
  DeviceFeatures z = gmab_attention(ctx, vv, kk, qq, f_mid_out, f_mid_in, n_heads, g);
  vv.clear();
  kk.clear();
  // 'cat' skip: [attention output, input] per degree of the value fiber.
  DeviceFeatures cat;
  for (auto& [d, t] : z) {
    auto it = h.find(d);
    if (it == h.end()) {
      cat.emplace(d, std::move(t));
      continue;
    }
    cat.emplace(d, concat(ctx, {&t, &it->second}, 1));
  }
  z.clear();
  return attentive ? project_att.forward(ctx, cat) : project_1x1.forward(ctx, cat);
}

DeviceFeatures Se3TransformerGpu::forward_features(const Context& ctx, const DeviceGraph& g,
                                                   const DeviceEdgeGeometry& geo, const DeviceFeatures& in) const {
  // The SE(3) part always runs in fp32, whatever the trunk's matrix-product precision (as on the CPU).
  MatmulPrecisionScope fp32(ctx, MatmulPrecision::Fp32);
  DeviceFeatures h;
  for (const auto& [d, t] : in) h.emplace(d, t.clone());
  for (size_t i = 0; i < res.size(); ++i) {
    h = res[i].forward(ctx, h, g, geo);
    if (i < norm.size()) h = norm[i].forward(ctx, h);
  }
  return h;
}

}  // namespace trifold::model::cuda
