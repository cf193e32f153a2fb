// `trifold bench gpu`: time and device memory of the CUDA ops at RoseTTAFold sizes (GEMM, conv2d, norms,
// Performer, tied/direct attention, outer product, fused SE(3) convolution), with a CPU cross-check at small L.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "model/device.hpp"
#include "tools/command.hpp"

#ifdef TRIFOLD_WITH_CUDA
#include "model/cpu/ops.hpp"
#include "model/cuda/ops.hpp"
#include "model/cuda/rf1.hpp"
#include "model/cuda/se3_gpu.hpp"
#include "model/rf1/modules.hpp"
#include "model/se3/q_matrices.hpp"
#include "model/weight_table.hpp"
#include "model/weights_random.hpp"
#endif

#ifndef TRIFOLD_GIT_COMMIT
#define TRIFOLD_GIT_COMMIT "unknown"
#endif

namespace trifold::cli {

#ifndef TRIFOLD_WITH_CUDA

int run_bench_gpu(const std::vector<std::string>&) {
  throw InputError("bench gpu: this TriFold build has no CUDA backend (rebuild with -DTRIFOLD_CUDA=ON)");
}

#else

namespace {

namespace gpu = trifold::model::cuda;
using model::Shape;
using model::Tensor;

// Fast deterministic fill (xorshift32): host setup of multi-GB inputs must not dominate the run.
Tensor random_tensor(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(std::move(s));
  uint32_t x = seed * 2654435761u + 12345u;
  for (auto& v : t.vec()) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = lo + (hi - lo) * static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
  }
  return t;
}

struct Timing {
  double median_ms = 0, min_ms = 0, max_ms = 0, op_mib = 0;
};

// One warm-up, then `reps` timed runs, each synchronised; op_mib = this op's allocation high-water mark over what
// was live before it (outputs + temporaries).
Timing time_op(gpu::Context& ctx, int reps, const std::function<void()>& op) {
  ctx.synchronize();
  const size_t base = ctx.bytes_in_use();
  ctx.reset_peak();
  op();
  ctx.synchronize();
  Timing t;
  t.op_mib = static_cast<double>(ctx.peak_bytes() - base) / (1024.0 * 1024.0);
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    op();
    ctx.synchronize();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  t.median_ms = ms[ms.size() / 2];
  t.min_ms = ms.front();
  t.max_ms = ms.back();
  return t;
}

double rel_l2(const Tensor& got, const Tensor& ref) {
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = double(got[i]) - ref[i];
    num += d * d;
    den += double(ref[i]) * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

struct Printer {
  void header() {
    std::printf("| %-14s | %5s | %-26s | %-27s | %9s | %9s | %10s |\n", "op", "L", "shape", "ms median [min, max]",
                "GFLOP/s", "op MiB", "vs CPU");
    std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", std::string(16, '-').c_str(), std::string(7, '-').c_str(),
                std::string(28, '-').c_str(), std::string(29, '-').c_str(), std::string(11, '-').c_str(),
                std::string(11, '-').c_str(), std::string(12, '-').c_str());
  }
  void row(const std::string& op, int L, const std::string& shape, const Timing& t, double gflop, double err) {
    char tm[64], gf[32], er[32];
    std::snprintf(tm, sizeof tm, "%.3f [%.3f, %.3f]", t.median_ms, t.min_ms, t.max_ms);
    if (gflop > 0)
      std::snprintf(gf, sizeof gf, "%.0f", gflop / (t.median_ms * 1e-3));
    else
      std::snprintf(gf, sizeof gf, "-");
    if (err >= 0)
      std::snprintf(er, sizeof er, "%.1e", err);
    else
      std::snprintf(er, sizeof er, "-");
    std::printf("| %-14s | %5d | %-26s | %-27s | %9s | %9.1f | %10s |\n", op.c_str(), L, shape.c_str(), tm, gf,
                t.op_mib, er);
    std::fflush(stdout);
    if (err > tol) failed = true;
  }
  double tol = 1e-5;
  bool failed = false;
};

std::string shp(std::initializer_list<int64_t> s) { return model::shape_str(Shape(s)); }

// Random weights of one rf1 module under prefix p: Linear layers (name, in, out) and extra tensors.
struct Wb {
  model::Weights w;
  uint32_t seed = 1000;
  void linear(const std::string& p, int64_t in, int64_t out) {
    const float a = 1.0f / std::sqrt(static_cast<float>(in));
    w.tensors[p + ".weight"] = random_tensor({out, in}, seed++, -a, a);
    w.tensors[p + ".bias"] = random_tensor({out}, seed++, -a, a);
  }
};

model::se3::Graph chain_graph(int L, int top_k, int edge_dim, uint32_t seed) {
  // Compact random chain with 3.8 Å steps pulled towards the origin (globular-like density), as bench se3.
  std::vector<float> ca(static_cast<size_t>(L) * 3);
  Tensor noise = random_tensor({L, 3}, seed);
  double p[3] = {0, 0, 0};
  for (int i = 0; i < L; ++i) {
    double s[3], n2 = 1e-12;
    for (int a = 0; a < 3; ++a) {
      s[a] = noise[i * 3 + a];
      n2 += s[a] * s[a];
    }
    for (int a = 0; a < 3; ++a) {
      p[a] += 3.8 * s[a] / std::sqrt(n2) - 0.02 * p[a];
      ca[static_cast<size_t>(i) * 3 + a] = static_cast<float>(p[a]);
    }
  }
  std::vector<int64_t> idx(static_cast<size_t>(L));
  for (int i = 0; i < L; ++i) idx[static_cast<size_t>(i)] = i;
  Tensor feat = random_tensor({L, L, edge_dim}, seed + 1);
  return model::se3::make_topk_graph(ca.data(), idx.data(), 1, L, top_k, feat.data(), edge_dim);
}

model::se3::GConvSE3Partial random_gconv(const model::se3::Fiber& f_in, const model::se3::Fiber& f_out, int feat_dim,
                                         uint32_t seed) {
  model::Weights w;
  const int mid = 32;
  const float a0 = 1.0f / std::sqrt(float(feat_dim)), a1 = 1.0f / std::sqrt(float(mid));
  const float a6 = a1 / std::sqrt(float(model::se3::fiber_features(f_in)));
  for (auto [di, mi] : f_in)
    for (auto [dout, mo] : f_out) {
      const std::string p = "c.kernel_unary.(" + std::to_string(di) + "," + std::to_string(dout) + ").rp.net.";
      const int out = mo * mi * model::se3::num_freq(di, dout);
      w.tensors[p + "0.weight"] = random_tensor({mid, feat_dim}, seed++, -a0, a0);
      w.tensors[p + "0.bias"] = random_tensor({mid}, seed++, -a0, a0);
      w.tensors[p + "1.bn.weight"] = random_tensor({mid}, seed++, 0.5f, 1.5f);
      w.tensors[p + "1.bn.bias"] = random_tensor({mid}, seed++, -0.1f, 0.1f);
      w.tensors[p + "3.weight"] = random_tensor({mid, mid}, seed++, -a1, a1);
      w.tensors[p + "3.bias"] = random_tensor({mid}, seed++, -a1, a1);
      w.tensors[p + "4.bn.weight"] = random_tensor({mid}, seed++, 0.5f, 1.5f);
      w.tensors[p + "4.bn.bias"] = random_tensor({mid}, seed++, -0.1f, 0.1f);
      w.tensors[p + "6.weight"] = random_tensor({out, mid}, seed++, -a6, a6);
      w.tensors[p + "6.bias"] = random_tensor({out}, seed++, -a6, a6);
    }
  return model::se3::GConvSE3Partial(w, "c.", f_in, f_out);
}

}  // namespace

int run_bench_gpu(const std::vector<std::string>& args) {
  po::options_description opts("bench gpu options");
  opts.add_options()
      ("device", po::value<std::string>()->default_value("cuda:0"), "CUDA device (cuda or cuda:N)")
      ("lengths", po::value<std::string>()->default_value("100,300,600,1000"), "comma-separated lengths L")
      ("msa-depth", po::value<int>()->default_value(1000), "MSA rows N for the MSA ops")
      ("d-msa", po::value<int>()->default_value(384), "MSA channels (12 heads)")
      ("d-pair", po::value<int>()->default_value(128), "pair channels (8 heads)")
      ("top-k", po::value<int>()->default_value(64), "SE(3) graph top_k (refinement: 64)")
      ("reps", po::value<int>()->default_value(3), "timed repetitions after one warm-up")
      ("check-cpu-max-l", po::value<int>()->default_value(100),
       "also run the CPU op and print the relative L2 difference for L up to this (0: never)")
      ("precision", po::value<std::string>()->default_value("fp32"),
       "matrix products: fp32 (true fp32), tf32 or bf16 (tensor cores, fp32 accumulation; the CPU check then "
       "reports the rounding, not an error)")
      ("sync-launches", po::bool_switch()->default_value(false),
       "synchronise after every kernel launch (slow; names the kernel of an asynchronous fault)");
  po::variables_map vm;
  if (!parse("bench gpu", "[options]", args, opts, {}, vm)) return 0;
  if (model::cuda_device_count() == 0)
    throw InputError("bench gpu: no CUDA device is visible on this machine (" + model::cuda_unavailable_reason() +
                     "); the GPU benchmark needs one");
  const model::Device dev = model::parse_device(vm["device"].as<std::string>());
  if (dev.kind != model::DeviceKind::Cuda) throw InputError("bench gpu: --device must be cuda or cuda:N");
  const int N = vm["msa-depth"].as<int>(), dm = vm["d-msa"].as<int>(), dp = vm["d-pair"].as<int>();
  const int reps = vm["reps"].as<int>(), top_k = vm["top-k"].as<int>(), check_max = vm["check-cpu-max-l"].as<int>();
  const model::MatmulPrecision precision = model::parse_matmul_precision(vm["precision"].as<std::string>());
  if (N < 1 || reps < 1 || top_k < 1 || dm % 12 != 0 || dp % 8 != 0)
    throw InputError("bench gpu: --msa-depth, --reps, --top-k must be >= 1; --d-msa a multiple of 12, --d-pair of 8");
  const std::vector<int> lengths = parse_int_list("bench gpu: --lengths", vm["lengths"].as<std::string>(), 10);
  gpu::Context ctx(dev.index, precision);
  ctx.set_sync_after_launch(vm["sync-launches"].as<bool>());
  std::printf("bench gpu: commit %s, %s, %s, %d timed reps after 1 warm-up (median [min, max]); MSA N = %d, "
              "d_msa = %d, d_pair = %d, SE(3) top_k = %d\n",
              TRIFOLD_GIT_COMMIT, model::cuda_device_description(dev.index).c_str(),
              precision == model::MatmulPrecision::Fp32 ? "fp32 (no TF32)" : model::matmul_precision_name(precision), reps, N, dm, dp, top_k);
  std::printf("op MiB: this op's device allocations (outputs + temporaries) above what was live before it\n\n");
  Printer out;
  // Under bf16/TF32 the CPU check emulates the same operand rounding (cpu::gemm), so it still measures the GPU's
  // own error: the tensor cores accumulate with truncation (up to ~K·2⁻²⁴ ≈ 2e-5 relative for K ~ 300, vs
  // 1e-6 for fp32), hence 1e-4 for bf16; TF32's hardware input rounding may not be the emulated
  // round-to-nearest-even (≤ 2⁻¹¹ per operand), hence 1e-3.
  model::cpu::MatmulPrecisionScope cpu_precision(precision);
  out.tol = precision == model::MatmulPrecision::Fp32 ? 1e-5 : precision == model::MatmulPrecision::Bf16 ? 1e-4 : 1e-3;
  out.header();
  const int heads_msa = 12, heads_pair = 8, nb_feat = 64, p_coev = 32;
  Wb wb;
  // Pair Performer (axial attn_L), tied row attention (MSA2MSA), direct attention (Pair2MSA): full-size layers.
  for (const char* l : {"to_query", "to_key", "to_value", "to_out"}) wb.linear(std::string("perf.") + l, dp, dp);
  wb.w.tensors["perf.fast_attention.projection_matrix"] = random_tensor({nb_feat, dp / heads_pair}, 7);
  for (const char* l : {"to_query", "to_key", "to_value", "to_out"}) wb.linear(std::string("tied.") + l, dm, dm);
  for (const char* l : {"to_query", "to_key"}) wb.linear(std::string("tied.seq_weight.") + l, dm, dm);
  wb.linear("dir.proj_pair", dp, 4);
  wb.linear("dir.proj_msa", dm, dm);
  wb.linear("dir.proj_out", dm, dm);
  gpu::DeviceWeights dw(ctx, wb.w.tensors);
  const model::se3::Fiber f_hidden{{0, 32}, {1, 32}, {2, 32}}, f_v{{0, 8}, {1, 8}, {2, 8}};
  const model::se3::GConvSE3Partial conv_cpu = random_gconv(f_hidden, f_v, 33, 99);
  const gpu::GConvSE3PartialGpu conv = gpu::make_gconv_gpu(ctx, conv_cpu);
  // One full-size two-track IterBlock (d_msa 384, d_pair 288, official heads), random weights.
  const model::ModelConfig full = model::preset_config("full");
  const std::string blk = "feat_extractor.iter_block_1.0";
  const model::Weights full_w = model::random_weights(full, 3);
  gpu::DeviceWeights dw_blk(ctx, full_w.tensors, blk + ".");
  // The refinement SE3Transformer (REF_param: 3 layers, 32 channels, degrees 0-2, 4 heads).
  const model::se3::SE3Transformer ref_cpu(full_w, "refine.refine_net.0.se3.", full.ref);
  const gpu::Se3TransformerGpu ref_gpu = gpu::make_se3_transformer_gpu(ctx, ref_cpu);

  for (int L : lengths) {
    const bool check = L <= check_max;
    const int64_t l = L, n = N;
    {  // GEMM: a pair-track linear layer, [L·L, d_pair] x [d_pair, d_pair]
      Tensor x = random_tensor({l, l, dp}, 1), w = random_tensor({dp, dp}, 2), b = random_tensor({dp}, 3);
      gpu::DeviceTensor dx = gpu::DeviceTensor::upload(ctx, x), dW = gpu::DeviceTensor::upload(ctx, w),
                        db = gpu::DeviceTensor::upload(ctx, b);
      gpu::DeviceTensor y;
      Timing t = time_op(ctx, reps, [&] { y = gpu::linear(ctx, dx, dW, &db); });
      out.row("gemm (linear)", L, shp({l * l, dp}) + "x" + std::to_string(dp), t, 2.0 * l * l * dp * dp * 1e-9,
              check ? rel_l2(y.download(), model::cpu::linear(x, w, &b)) : -1);
      // conv2d 3x3 (ResNet) and InstanceNorm on the same map
      Tensor cw = random_tensor({dp, dp, 3, 3}, 4, -0.03f, 0.03f);
      gpu::DeviceTensor dcw = gpu::DeviceTensor::upload(ctx, cw);
      t = time_op(ctx, reps, [&] { y = gpu::conv2d(ctx, dx, dcw, &db); });
      out.row("conv2d 3x3", L, shp({l, l, dp}), t, 2.0 * 9 * l * l * dp * dp * 1e-9,
              check ? rel_l2(y.download(), model::cpu::conv2d(x, cw, &b)) : -1);
      Tensor g = random_tensor({dp}, 5, 0.5f, 1.5f);
      gpu::DeviceTensor dg = gpu::DeviceTensor::upload(ctx, g);
      t = time_op(ctx, reps, [&] { y = gpu::instance_norm(ctx, dx, dg, db); });
      out.row("instance_norm", L, shp({l, l, dp}), t, 0, check ? rel_l2(y.download(), model::cpu::instance_norm(x, g, b)) : -1);
      t = time_op(ctx, reps, [&] { y = gpu::layer_norm(ctx, dx, dg, db); });
      out.row("layer_norm", L, shp({l, l, dp}), t, 0, check ? rel_l2(y.download(), model::cpu::layer_norm(x, g, b)) : -1);
      // Performer along rows of the pair map (axial attn_L: B = L, n = L)
      t = time_op(ctx, reps, [&] { y = gpu::performer(ctx, dw, "perf", dx); });
      out.row("performer", L, shp({l, l, dp}), t, 0, check ? rel_l2(y.download(), model::rf1::performer(wb.w, "perf", x)) : -1);
      // Direct attention (Pair2MSA): pair [L, L, d_pair] and MSA [N, L, d_msa]
      Tensor msa = random_tensor({n, l, dm}, 6);
      gpu::DeviceTensor dmsa = gpu::DeviceTensor::upload(ctx, msa);
      t = time_op(ctx, reps, [&] { y = gpu::direct_attention(ctx, dw, "dir", dx, dmsa); });
      out.row("direct attn", L, shp({n, l, dm}), t, 0,
              check ? rel_l2(y.download(), model::rf1::direct_attention(wb.w, "dir", x, msa)) : -1);
      dx = gpu::DeviceTensor();
      // Tied row attention (MSA2MSA encoder_1): MSA [N, L, d_msa], 12 heads
      gpu::DeviceTensor att;
      t = time_op(ctx, reps, [&] { y = gpu::soft_tied_attention(ctx, dw, "tied", dmsa, heads_msa, &att); });
      out.row("tied attn", L, shp({n, l, dm}), t, 2.0 * 2 * heads_msa * l * l * n * (dm / heads_msa) * 1e-9,
              check ? rel_l2(y.download(), model::rf1::soft_tied_attention(wb.w, "tied", msa, heads_msa, nullptr)) : -1);
      att = gpu::DeviceTensor();
      y = gpu::DeviceTensor();
      dmsa = gpu::DeviceTensor();
      // Outer product (MSA2Pair coevolution): [N, L, 32] x [N, L, 32] -> [L, L, 1024]
      Tensor xd = random_tensor({n, l, p_coev}, 8), xw = random_tensor({n, l, p_coev}, 9);
      gpu::DeviceTensor dxd = gpu::DeviceTensor::upload(ctx, xd), dxw = gpu::DeviceTensor::upload(ctx, xw);
      t = time_op(ctx, reps, [&] { y = gpu::outer_product(ctx, dxd, dxw); });
      double err = -1;
      if (check) {
        Tensor ref({l, l, p_coev * p_coev});
        std::vector<float> tmp(static_cast<size_t>(l * p_coev * l * p_coev));
        model::cpu::gemm(true, false, l * p_coev, l * p_coev, n, 1.0f, xd.data(), l * p_coev, xw.data(), l * p_coev,
                         0.0f, tmp.data(), l * p_coev);
        for (int64_t i = 0; i < l; ++i)
          for (int64_t j = 0; j < l; ++j)
            for (int64_t a = 0; a < p_coev; ++a)
              for (int64_t b2 = 0; b2 < p_coev; ++b2)
                ref[((i * l + j) * p_coev + a) * p_coev + b2] =
                    tmp[static_cast<size_t>((i * p_coev + a) * l * p_coev + j * p_coev + b2)];
        err = rel_l2(y.download(), ref);
      }
      out.row("outer product", L, shp({n, l, p_coev}), t, 2.0 * l * l * p_coev * p_coev * n * 1e-9, err);
    }
    {  // Fused SE(3) convolution: refinement hidden layer (degrees 0-2 x 32 -> 0-2 x 8), top-k graph on L nodes
      model::se3::Graph g = chain_graph(L, top_k, 32, 11);
      model::se3::EdgeGeometry geo = model::se3::edge_geometry(g, 2);
      model::se3::Features h;
      uint32_t seed = 20;
      for (auto [d, m] : f_hidden) h.emplace(d, random_tensor({l, m, 2 * d + 1}, seed++));
      gpu::DeviceGraph dg = gpu::upload_graph(ctx, g);
      gpu::DeviceEdgeGeometry dgeo = gpu::upload_geometry(ctx, geo);
      gpu::DeviceFeatures dh = gpu::upload_features(ctx, h);
      gpu::DeviceFeatures msg;
      Timing t = time_op(ctx, reps, [&] { msg = conv.forward(ctx, dh, dg, dgeo); });
      double err = -1;
      if (check) {
        model::se3::Features ref = conv_cpu.forward(h, g, geo);
        double worst = 0;
        for (auto& [d, r] : ref) worst = std::max(worst, rel_l2(msg.at(d).download(), r));
        err = worst;
      }
      out.row("se3 conv fused", L, "E=" + std::to_string(g.num_edges()) + " 3x32->3x8", t, 0, err);
      // The whole refinement SE3Transformer on the same graph (edge geometry computed on the host, not timed).
      gpu::DeviceFeatures in;
      in.emplace(0, gpu::DeviceTensor::upload(ctx, random_tensor({l, full.ref.l0_in_features, 1}, 40)));
      in.emplace(1, gpu::DeviceTensor::upload(ctx, random_tensor({l, full.ref.l1_in_features, 3}, 41)));
      gpu::DeviceFeatures o;
      t = time_op(ctx, reps, [&] { o = ref_gpu.forward_features(ctx, dg, dgeo, in); });
      err = -1;
      if (check) {
        model::se3::Features hin;
        for (auto& [d, x] : in) hin.emplace(d, x.download());
        model::se3::Features ref = ref_cpu.forward_features(g, geo, hin);
        double worst = 0;
        for (auto& [d, r] : ref) worst = std::max(worst, rel_l2(o.at(d).download(), r));
        err = worst;
      }
      out.row("se3 transformer", L, "E=" + std::to_string(g.num_edges()) + " refine", t, 0, err);
    }
    {  // The whole IterBlock (MSA2MSA, MSA2Pair, Pair2Pair, Pair2MSA) at full size, N = --msa-depth
      gpu::DeviceTensor m0 = gpu::DeviceTensor::upload(ctx, random_tensor({n, l, full.d_msa}, 30));
      gpu::DeviceTensor p0 = gpu::DeviceTensor::upload(ctx, random_tensor({l, l, full.d_pair}, 31));
      gpu::DeviceTensor m, p;
      Timing t = time_op(ctx, reps, [&] {
        m = m0.clone();
        p = p0.clone();
        gpu::iter_block(ctx, dw_blk, blk, full.n_head_msa, m, p);
      });
      out.row("iter_block full", L, shp({n, l, full.d_msa}), t, 0, -1);
    }
    auto [free_b, total_b] = ctx.device_memory();
    std::printf("|   device memory after L = %d: %.0f MiB used of %.0f MiB (cudaMemGetInfo; includes the pool's cache)\n",
                L, (total_b - free_b) / 1048576.0, total_b / 1048576.0);
  }
  if (out.failed) std::printf("\nFAILED: a GPU result differs from the CPU by more than %.0e relative L2\n", out.tol);
  return out.failed ? 1 : 0;
}

#endif  // TRIFOLD_WITH_CUDA

}  // namespace trifold::cli
