// The v1 SE(3)-Transformer layers on CPU: radial MLPs, fused per-edge convolution, attention, norms.
#include "model/se3/layers.hpp"

#include <algorithm>
#include <cmath>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"

namespace trifold::model::se3 {
namespace {

const Tensor& need(const Weights& w, const std::string& name, const Shape& shape) {
  const Tensor& t = w.get(name);
  if (t.shape() != shape)
    throw InputError("tensor '" + name + "': expected " + shape_str(shape) + ", got " + shape_str(t.shape()));
  return t;
}

// Parallel loops carry `if` clauses: below a few thousand elements a parallel region costs more than it
// saves (and on oversubscribed nodes each barrier can cost milliseconds); results do not depend on it.

// nn.LayerNorm over rows of width n, in place; statistics accumulated in double.
void layer_norm_rows(float* x, int64_t rows, int n, const float* g, const float* b, float eps = 1e-5f) {
#pragma omp parallel for schedule(static) if (rows > 4096)
  for (int64_t r = 0; r < rows; ++r) {
    float* v = x + r * n;
    double mean = 0.0;
    for (int i = 0; i < n; ++i) mean += v[i];
    mean /= n;
    double var = 0.0;
    for (int i = 0; i < n; ++i) var += (v[i] - mean) * (v[i] - mean);
    var /= n;
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int i = 0; i < n; ++i) v[i] = static_cast<float>((v[i] - mean) * inv) * g[i] + b[i];
  }
}

void relu_rows(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] : 0.f;
}

int degree_of(const Features& f, int d) {
  auto it = f.find(d);
  TRIFOLD_CHECK(it != f.end(), "SE(3): missing degree " + std::to_string(d));
  return static_cast<int>(it->second.dim(1));
}

}  // namespace

int fiber_features(const Fiber& f) {
  int n = 0;
  for (auto [d, m] : f) n += m * (2 * d + 1);
  return n;
}

// ------------------------------------------------------------------------------------------ RadialFunc
RadialFunc::RadialFunc(const Weights& w, const std::string& p, int d_in_, int d_out_, int m_in_, int m_out_)
    : d_in(d_in_), d_out(d_out_), m_in(m_in_), m_out(m_out_), nf(num_freq(d_in_, d_out_)) {
  const Tensor& t0 = w.get(p + "net.0.weight");
  TRIFOLD_CHECK(t0.ndim() == 2, "radial weight must be 2-D");
  const int64_t mid = t0.dim(0);
  feat_dim = static_cast<int>(t0.dim(1));
  w0 = t0;
  b0 = need(w, p + "net.0.bias", {mid});
  g1 = need(w, p + "net.1.bn.weight", {mid});
  be1 = need(w, p + "net.1.bn.bias", {mid});
  w3 = need(w, p + "net.3.weight", {mid, mid});
  b3 = need(w, p + "net.3.bias", {mid});
  g4 = need(w, p + "net.4.bn.weight", {mid});
  be4 = need(w, p + "net.4.bn.bias", {mid});
  w6 = need(w, p + "net.6.weight", {int64_t(out_dim()), mid});
  b6 = need(w, p + "net.6.bias", {int64_t(out_dim())});
}

void RadialFunc::forward(const float* feat, int64_t rows, float* R) const {
  const int mid = static_cast<int>(w0.dim(0));
  std::vector<float> h1(static_cast<size_t>(rows * mid)), h2(static_cast<size_t>(rows * mid));
  cpu::linear_into(feat, rows, feat_dim, w0, &b0, h1.data());
  layer_norm_rows(h1.data(), rows, mid, g1.data(), be1.data());
  relu_rows(h1.data(), rows * mid);
  cpu::linear_into(h1.data(), rows, mid, w3, &b3, h2.data());
  layer_norm_rows(h2.data(), rows, mid, g4.data(), be4.data());
  relu_rows(h2.data(), rows * mid);
  cpu::linear_into(h2.data(), rows, mid, w6, &b6, R);
}

void edge_kernel(const float* R, const float* K, int d_in, int d_out, int m_in, int m_out, float* W) {
  const int po = 2 * d_out + 1, pi = 2 * d_in + 1, nf = num_freq(d_in, d_out);
  for (int o = 0; o < m_out; ++o)
    for (int p = 0; p < po; ++p)
      for (int i = 0; i < m_in; ++i)
        for (int a = 0; a < pi; ++a) {
          float s = 0.f;
          for (int f = 0; f < nf; ++f) s += R[(o * m_in + i) * nf + f] * K[(p * pi + a) * nf + f];
          W[(o * po + p) * (m_in * pi) + i * pi + a] = s;
        }
}

// ------------------------------------------------------------------------------------------ GConvSE3Partial
GConvSE3Partial::GConvSE3Partial(const Weights& w, const std::string& prefix, Fiber fi, Fiber fo)
    : f_in(std::move(fi)), f_out(std::move(fo)) {
  for (auto [di, mi] : f_in)
    for (auto [dout, mo] : f_out) {
      const std::string p =
          prefix + "kernel_unary.(" + std::to_string(di) + "," + std::to_string(dout) + ").rp.";
      kernels.emplace(std::make_pair(di, dout), RadialFunc(w, p, di, dout, mi, mo));
    }
}

Features GConvSE3Partial::forward(const Features& h, const Graph& g, const EdgeGeometry& geo) const {
  const int64_t E = g.num_edges();
  Features out;
  for (auto [dout, mo] : f_out) out.emplace(dout, Tensor({E, mo, 2 * dout + 1}, 0.0f));
  for (auto [di, mi] : f_in) TRIFOLD_CHECK(degree_of(h, di) == mi, "GConvSE3Partial: input channels");
  if (E == 0) return out;
  // Edges are processed in chunks, the chunks in parallel: each thread runs a chunk's radial MLPs (every
  // (d_in, d_out) pair, single-threaded GEMMs) and then contracts basis, radial weights and source features for
  // the chunk's edges. One parallel region per convolution and no OpenBLAS thread hand-offs inside it: on a
  // shared or oversubscribed node every barrier or hand-off waits for a descheduled thread, and the former
  // region-per-chunk with threaded GEMMs ran ~30x slower there. Buffers are per thread and independent of E;
  // every value is computed as before (rows of a GEMM do not depend on the chunk's size).
  struct Pair {
    int di, dout, mi, mo;
    const RadialFunc* rf;
    const float* x;  // source features [N, mi, 2di+1]
    float* o;        // per-edge output [E, mo, 2dout+1]
  };
  std::vector<Pair> pairs;
  size_t kmax = 1, ymax = 1, xmax = 1, mmax = 1;
  for (auto [di, mi] : f_in)
    for (auto [dout, mo] : f_out) {
      const RadialFunc& rf = kernels.at({di, dout});
      TRIFOLD_CHECK(rf.feat_dim == geo.feat_dim, "radial input width does not match edge features");
      pairs.push_back({di, dout, mi, mo, &rf, h.at(di).data(), out.at(dout).data()});
      kmax = std::max(kmax, static_cast<size_t>((2 * dout + 1) * (2 * di + 1) * rf.nf));
      ymax = std::max(ymax, static_cast<size_t>(mi * rf.nf * (2 * dout + 1)));
      xmax = std::max(xmax, static_cast<size_t>(mi * (2 * di + 1)));
      mmax = std::max(mmax, static_cast<size_t>(mi));
    }
  // 64..512 edges per chunk (the GEMMs' rows), at least 64 chunks from 4,096 edges up (balance for up to 16
  // threads). The size depends on E alone: a GEMM's rows depend on its row count, so the results do not depend
  // on the thread count (docs/STYLE.md 7).
  const int64_t chunk = std::clamp<int64_t>((E + 63) / 64, 64, 512);
  const int64_t n_chunks = (E + chunk - 1) / chunk;
  cpu::keep_blas_single_threaded();
#pragma omp parallel if (n_chunks > 1)
  {
    std::vector<std::vector<float>> R(pairs.size());
    std::vector<float> K(kmax), y(ymax), xt(xmax), acc_i(mmax);
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < n_chunks; ++c) {
      const int64_t e0 = c * chunk, rows = std::min(chunk, E - e0);
      for (size_t q = 0; q < pairs.size(); ++q) {
        R[q].resize(static_cast<size_t>(rows * pairs[q].rf->out_dim()));
        pairs[q].rf->forward(&geo.feat[static_cast<size_t>(e0 * geo.feat_dim)], rows, R[q].data());
      }
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t e = e0 + r;
        for (size_t q = 0; q < pairs.size(); ++q) {  // f_in-major: out[d_out] sums d_in in ascending order
          const Pair& pr = pairs[q];
          const int di = pr.di, dout = pr.dout, mi = pr.mi, mo = pr.mo, nf = pr.rf->nf;
          const int pi = 2 * di + 1, po = 2 * dout + 1, nif = mi * nf;
          edge_basis(di, dout, &geo.Y[static_cast<size_t>(e * geo.n_sh)], K.data());
          const float* xs = pr.x + static_cast<int64_t>(g.src[e]) * mi * pi;
          // yT[p][i nf + f] = sum_a K[p][a][f] x[i][a], a ascending from 0 (every sum as a scalar loop would
          // make it), vectorised over the m_in channels of the transposed source features xt[a][i].
          for (int a = 0; a < pi; ++a)
            for (int i = 0; i < mi; ++i) xt[a * mi + i] = xs[i * pi + a];
          for (int p = 0; p < po; ++p)
            for (int f = 0; f < nf; ++f) {
              for (int i = 0; i < mi; ++i) acc_i[i] = 0.f;
              for (int a = 0; a < pi; ++a) {
                const float k = K[(p * pi + a) * nf + f];
                const float* xa = &xt[a * mi];
#pragma omp simd
                for (int i = 0; i < mi; ++i) acc_i[i] += k * xa[i];
              }
              for (int i = 0; i < mi; ++i) y[p * nif + i * nf + f] = acc_i[i];
            }
          // msg[o][p] += R[o][:] . yT[p][:] (contiguous dot products of length m_in nJ)
          const float* Re = &R[q][static_cast<size_t>(r * pr.rf->out_dim())];
          float* msg = pr.o + e * mo * po;
          for (int o = 0; o < mo; ++o) {
            const float* Ro = Re + o * nif;
            for (int p = 0; p < po; ++p) {
              const float* yp = &y[p * nif];
              float acc = 0.f;
#pragma omp simd reduction(+ : acc)
              for (int t = 0; t < nif; ++t) acc += Ro[t] * yp[t];
              msg[o * po + p] += acc;
            }
          }
        }
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------ G1x1SE3
G1x1SE3::G1x1SE3(const Weights& w, const std::string& prefix, const Fiber& f_in, const Fiber& f_out) {
  for (auto [d, mo] : f_out) {
    auto it = f_in.find(d);
    TRIFOLD_CHECK(it != f_in.end(), "G1x1SE3: output degree not in input fiber");
    transform.emplace(d, need(w, prefix + "transform." + std::to_string(d), {mo, it->second}));
  }
}

Features G1x1SE3::forward(const Features& x) const {
  Features out;
  for (const auto& [d, v] : x) {
    auto it = transform.find(d);
    if (it == transform.end()) continue;
    const Tensor& T = it->second;
    const int64_t n = v.dim(0), mi = v.dim(1), p = v.dim(2), mo = T.dim(0);
    TRIFOLD_CHECK(T.dim(1) == mi, "G1x1SE3: channel mismatch for degree " + std::to_string(d));
    Tensor y({n, mo, p});
#pragma omp parallel for schedule(static) if (n >= 1024)
    for (int64_t r = 0; r < n; ++r)
      for (int64_t o = 0; o < mo; ++o)
        for (int64_t c = 0; c < p; ++c) {
          float s = 0.f;
          for (int64_t i = 0; i < mi; ++i) s += T[o * mi + i] * v[(r * mi + i) * p + c];
          y[(r * mo + o) * p + c] = s;
        }
    out.emplace(d, std::move(y));
  }
  return out;
}

// ------------------------------------------------------------------------------------------ GMABSE3
Features gmab_attention(const Features& v, const Features& k, const Features& q, const Fiber& f_value,
                        const Fiber& f_key, int H, const Graph& g, Tensor* logits_out, Tensor* softmax_out) {
  const int64_t E = g.num_edges(), N = g.n_nodes;
  for (auto [d, m] : f_value) TRIFOLD_CHECK(m % H == 0, "GMABSE3: value channels not divisible by heads");
  for (auto [d, m] : f_key) TRIFOLD_CHECK(m % H == 0, "GMABSE3: key channels not divisible by heads");
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fiber_features(f_key))));
  Tensor logits({E, H}), att({E, H});
  // Logits per edge and head: keys of edge e against the query of its destination.
#pragma omp parallel for schedule(static) if (E >= 4096)
  for (int64_t e = 0; e < E; ++e) {
    const int64_t j = g.dst[e];
    for (int h = 0; h < H; ++h) {
      float s = 0.f;
      for (auto [d, m] : f_key) {
        const int p = 2 * d + 1, mh = m / H;
        const float* ke = k.at(d).data() + (e * m + h * mh) * p;
        const float* qj = q.at(d).data() + (j * m + h * mh) * p;
        for (int c = 0; c < mh * p; ++c) s += ke[c] * qj[c];
      }
      logits[e * H + h] = s * scale;
    }
  }
  Features out;
  for (auto [d, m] : f_value) out.emplace(d, Tensor({N, m, 2 * d + 1}, 0.0f));
#pragma omp parallel for schedule(dynamic, 16) if (N >= 128)
  for (int64_t j = 0; j < N; ++j) {
    const int64_t b = g.in_ptr[j], en = g.in_ptr[j + 1];
    if (b == en) continue;
    for (int h = 0; h < H; ++h) {  // edge softmax over the incoming edges of j
      float mx = -INFINITY;
      for (int64_t t = b; t < en; ++t) mx = std::max(mx, logits[g.in_edges[t] * int64_t(H) + h]);
      double sum = 0.0;
      for (int64_t t = b; t < en; ++t) {
        const int64_t e = g.in_edges[t];
        const float ex = std::exp(logits[e * H + h] - mx);
        att[e * H + h] = ex;
        sum += ex;
      }
      for (int64_t t = b; t < en; ++t) {
        const int64_t e = g.in_edges[t];
        att[e * H + h] = static_cast<float>(att[e * H + h] / sum);
      }
    }
    for (auto [d, m] : f_value) {
      const int p = 2 * d + 1, mh = m / H;
      float* o = out.at(d).data() + j * m * p;
      const float* vd = v.at(d).data();
      for (int64_t t = b; t < en; ++t) {
        const int64_t e = g.in_edges[t];
        for (int c = 0; c < m; ++c) {
          const float a = att[e * H + c / mh];
          for (int x = 0; x < p; ++x) o[c * p + x] += a * vd[(e * m + c) * p + x];
        }
      }
    }
  }
  if (logits_out) *logits_out = std::move(logits);
  if (softmax_out) *softmax_out = std::move(att);
  return out;
}

// ------------------------------------------------------------------------------------------ GNormBias
GNormBias::GNormBias(const Weights& w, const std::string& prefix, const Fiber& f) {
  for (auto [d, m] : f) bias.emplace(d, need(w, prefix + "bias." + std::to_string(d), {1, m}));
}

Features GNormBias::forward(const Features& x) const {
  Features out;
  for (const auto& [d, v] : x) {
    const Tensor& b = bias.at(d);
    const int64_t n = v.dim(0), m = v.dim(1), p = v.dim(2);
    Tensor y(v.shape());
#pragma omp parallel for schedule(static) if (n >= 1024)
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < m; ++c) {
        const float* vv = v.data() + (r * m + c) * p;
        float ss = 0.f;
        for (int64_t i = 0; i < p; ++i) ss += vv[i] * vv[i];
        const float norm = std::max(std::sqrt(ss), 1e-12f);
        const float t = std::max(norm + b[c], 0.0f);
        for (int64_t i = 0; i < p; ++i) y[(r * m + c) * p + i] = t * (vv[i] / norm);
      }
    out.emplace(d, std::move(y));
  }
  return out;
}

// ------------------------------------------------------------------------------------------ GAttentiveSelfInt
GAttentiveSelfInt::GAttentiveSelfInt(const Weights& w, const std::string& prefix, const Fiber& f_in,
                                     const Fiber& f_out) {
  for (auto [d, mi] : f_in) {
    auto it = f_out.find(d);
    TRIFOLD_CHECK(it != f_out.end(), "GAttentiveSelfInt: degree missing in output fiber");
    Net n;
    n.m_in = mi;
    n.m_out = it->second;
    const std::string p = prefix + "transform." + std::to_string(d) + ".";
    n.ln_w = need(w, p + "0.weight", {int64_t(mi) * mi});
    n.ln_b = need(w, p + "0.bias", {int64_t(mi) * mi});
    n.lin_w = need(w, p + "2.weight", {int64_t(n.m_out) * mi, int64_t(mi) * mi});
    n.lin_b = need(w, p + "2.bias", {int64_t(n.m_out) * mi});
    nets.emplace(d, std::move(n));
  }
}

Features GAttentiveSelfInt::forward(const Features& x) const {
  Features out;
  for (const auto& [d, v] : x) {
    const Net& net = nets.at(d);
    const int64_t n = v.dim(0), mi = v.dim(1), p = v.dim(2), mo = net.m_out;
    TRIFOLD_CHECK(mi == net.m_in, "GAttentiveSelfInt: channel mismatch");
    std::vector<float> G(static_cast<size_t>(n * mi * mi)), A(static_cast<size_t>(n * mo * mi));
#pragma omp parallel for schedule(static) if (n >= 256)
    for (int64_t r = 0; r < n; ++r) {
      const float* vr = v.data() + r * mi * p;
      for (int64_t a = 0; a < mi; ++a)
        for (int64_t b = 0; b < mi; ++b) {
          float s = 0.f;
          for (int64_t c = 0; c < p; ++c) s += vr[a * p + c] * vr[b * p + c];
          // sign-preserving clamp |s| >= 1e-12; sign(0) = 0 keeps exact zeros at zero.
          const float sg = s > 0.f ? 1.f : (s < 0.f ? -1.f : 0.f);
          G[(r * mi + a) * mi + b] = sg * std::max(std::fabs(s), 1e-12f);
        }
    }
    layer_norm_rows(G.data(), n, static_cast<int>(mi * mi), net.ln_w.data(), net.ln_b.data());
    for (auto& g : G) g = g > 0.f ? g : 0.01f * g;
    cpu::linear_into(G.data(), n, mi * mi, net.lin_w, &net.lin_b, A.data());
    Tensor y({n, mo, p});
#pragma omp parallel for schedule(static) if (n >= 256)
    for (int64_t r = 0; r < n; ++r)
      for (int64_t o = 0; o < mo; ++o) {
        float* a = &A[(r * mo + o) * mi];
        float mx = -INFINITY;
        for (int64_t i = 0; i < mi; ++i) mx = std::max(mx, a[i]);
        double sum = 0.0;
        for (int64_t i = 0; i < mi; ++i) {
          a[i] = std::exp(a[i] - mx);
          sum += a[i];
        }
        for (int64_t i = 0; i < mi; ++i) a[i] = static_cast<float>(a[i] / sum);
        for (int64_t c = 0; c < p; ++c) {
          float s = 0.f;
          for (int64_t i = 0; i < mi; ++i) s += a[i] * v[(r * mi + i) * p + c];
          y[(r * mo + o) * p + c] = s;
        }
      }
    out.emplace(d, std::move(y));
  }
  return out;
}

// ------------------------------------------------------------------------------------------ GSE3Res
GSE3Res::GSE3Res(const Weights& w, const std::string& prefix, const Fiber& fi, const Fiber& fo, int div, int heads,
                 bool att)
    : f_in(fi), f_out(fo), n_heads(heads), attentive(att) {
  for (auto [d, m] : f_out) f_mid_out[d] = m / div;
  for (auto [d, m] : f_mid_out)
    if (f_in.count(d)) f_mid_in[d] = m;
  v = GConvSE3Partial(w, prefix + "GMAB.v.", f_in, f_mid_out);
  k = GConvSE3Partial(w, prefix + "GMAB.k.", f_in, f_mid_in);
  q = G1x1SE3(w, prefix + "GMAB.q.", f_in, f_mid_in);
  Fiber f_cat = f_mid_out;
  for (auto& [d, m] : f_cat)
    if (f_in.count(d)) m += f_in.at(d);
  if (attentive)
    project_att = GAttentiveSelfInt(w, prefix + "project.", f_cat, f_out);
  else
    project_1x1 = G1x1SE3(w, prefix + "project.", f_cat, f_out);
}

Features GSE3Res::forward(const Features& h, const Graph& g, const EdgeGeometry& geo, Se3Trace* trace,
                          const std::string& name) const {
  Features vv = v.forward(h, g, geo);
  Features kk = k.forward(h, g, geo);
  Features qq = q.forward(h);
  Tensor logits, soft;
  Features z = gmab_attention(vv, kk, qq, f_mid_out, f_mid_in, n_heads, g, trace ? &logits : nullptr,
                              trace ? &soft : nullptr);
  if (trace) {
    trace->features[name + ".GMAB.v"] = vv;
    trace->features[name + ".GMAB.k"] = kk;
    trace->features[name + ".GMAB.q"] = qq;
    trace->features[name + ".GMAB.attn"] = z;
    trace->tensors[name + ".GMAB.attn.edge_logits"] = std::move(logits);
    trace->tensors[name + ".GMAB.attn.edge_softmax"] = std::move(soft);
  }
  // 'cat' skip: [attention output, input] per degree of the value fiber.
  Features cat;
  for (auto& [d, t] : z) {
    auto it = h.find(d);
    if (it == h.end()) {
      cat.emplace(d, std::move(t));
      continue;
    }
    const Tensor& x = it->second;
    const int64_t n = t.dim(0), m1 = t.dim(1), m2 = x.dim(1), p = t.dim(2);
    Tensor c({n, m1 + m2, p});
    for (int64_t r = 0; r < n; ++r) {
      std::copy(t.data() + r * m1 * p, t.data() + (r + 1) * m1 * p, c.data() + r * (m1 + m2) * p);
      std::copy(x.data() + r * m2 * p, x.data() + (r + 1) * m2 * p, c.data() + (r * (m1 + m2) + m1) * p);
    }
    cat.emplace(d, std::move(c));
  }
  if (trace) trace->features[name + ".cat"] = cat;
  Features out = attentive ? project_att.forward(cat) : project_1x1.forward(cat);
  if (trace) trace->features[name + ".project"] = out;
  return out;
}

}  // namespace trifold::model::se3
