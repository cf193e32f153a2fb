// CPU ops: activations, elementwise arithmetic, softmax, permutations, concatenation, embedding lookup.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"

namespace trifold::model::cpu {

void relu_(Tensor& x) {
  float* p = x.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
}

void elu_(Tensor& x) {
  float* p = x.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : std::expm1(p[i]);
}

void leaky_relu_(Tensor& x, float slope) {
  float* p = x.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : p[i] * slope;
}

void sigmoid_(Tensor& x) {
  float* p = x.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) p[i] = 1.0f / (1.0f + std::exp(-p[i]));
}

void add_(Tensor& x, const Tensor& y) {
  TRIFOLD_CHECK(x.numel() == y.numel(), "add: " + shape_str(x.shape()) + " + " + shape_str(y.shape()));
  float* p = x.data();
  const float* q = y.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) p[i] += q[i];
}

Tensor add(const Tensor& x, const Tensor& y) {
  Tensor z = x;
  add_(z, y);
  return z;
}

void scale_(Tensor& x, float s) {
  float* p = x.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) p[i] *= s;
}

Tensor softmax(const Tensor& x, int axis) {
  const int nd = x.ndim();
  const int a = axis < 0 ? axis + nd : axis;
  TRIFOLD_CHECK(a >= 0 && a < nd, "softmax: axis out of range");
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= x.dim(i);
  for (int i = a + 1; i < nd; ++i) inner *= x.dim(i);
  const int64_t n = x.dim(a);
  Tensor y(x.shape());
#pragma omp parallel for schedule(static) collapse(2)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      const float* xp = x.data() + o * n * inner + in;
      float* yp = y.data() + o * n * inner + in;
      float mx = -INFINITY;
      for (int64_t k = 0; k < n; ++k) mx = std::max(mx, xp[k * inner]);
      float s = 0.0f;
      for (int64_t k = 0; k < n; ++k) {
        const float e = std::exp(xp[k * inner] - mx);
        yp[k * inner] = e;
        s += e;
      }
      for (int64_t k = 0; k < n; ++k) yp[k * inner] /= s;
    }
  return y;
}

Tensor permute(const Tensor& x, const std::vector<int>& perm) {
  const int nd = x.ndim();
  TRIFOLD_CHECK(static_cast<int>(perm.size()) == nd, "permute: wrong number of axes");
  std::vector<int64_t> in_stride(static_cast<size_t>(nd), 1);
  for (int i = nd - 2; i >= 0; --i) in_stride[static_cast<size_t>(i)] = in_stride[static_cast<size_t>(i + 1)] * x.dim(i + 1);
  Shape out_shape(static_cast<size_t>(nd));
  std::vector<int64_t> src_stride(static_cast<size_t>(nd));
  std::vector<bool> seen(static_cast<size_t>(nd), false);
  for (int i = 0; i < nd; ++i) {
    const int p = perm[static_cast<size_t>(i)];
    TRIFOLD_CHECK(p >= 0 && p < nd && !seen[static_cast<size_t>(p)], "permute: invalid permutation");
    seen[static_cast<size_t>(p)] = true;
    out_shape[static_cast<size_t>(i)] = x.dim(p);
    src_stride[static_cast<size_t>(i)] = in_stride[static_cast<size_t>(p)];
  }
  Tensor y(out_shape);
  if (y.numel() == 0) return y;
  // Iterate over all output positions except the last axis; the last axis is a strided copy.
  const int64_t last = out_shape.back();
  const int64_t last_stride = src_stride.back();
  const int64_t rows = y.numel() / last;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rem = r, src = 0;
    for (int i = nd - 2; i >= 0; --i) {
      const int64_t d = out_shape[static_cast<size_t>(i)];
      src += (rem % d) * src_stride[static_cast<size_t>(i)];
      rem /= d;
    }
    float* dst = y.data() + r * last;
    const float* s = x.data() + src;
    for (int64_t k = 0; k < last; ++k) dst[k] = s[k * last_stride];
  }
  return y;
}

Tensor transpose01(const Tensor& x) {
  TRIFOLD_CHECK(x.ndim() == 3, "transpose01: expected [A, B, C], got " + shape_str(x.shape()));
  const int64_t a = x.dim(0), b = x.dim(1), c = x.dim(2);
  Tensor y({b, a, c});
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < b; ++j)
    for (int64_t i = 0; i < a; ++i)
      std::memcpy(y.data() + (j * a + i) * c, x.data() + (i * b + j) * c, sizeof(float) * static_cast<size_t>(c));
  return y;
}

Tensor concat(const std::vector<const Tensor*>& parts, int axis) {
  TRIFOLD_CHECK(!parts.empty(), "concat: no inputs");
  const int nd = parts[0]->ndim();
  const int a = axis < 0 ? axis + nd : axis;
  TRIFOLD_CHECK(a >= 0 && a < nd, "concat: axis out of range");
  Shape s = parts[0]->shape();
  int64_t total = 0;
  for (const Tensor* t : parts) {
    TRIFOLD_CHECK(t->ndim() == nd, "concat: rank mismatch");
    for (int i = 0; i < nd; ++i)
      if (i != a) TRIFOLD_CHECK(t->dim(i) == s[static_cast<size_t>(i)], "concat: shape mismatch " + shape_str(t->shape()));
    total += t->dim(a);
  }
  s[static_cast<size_t>(a)] = total;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= s[static_cast<size_t>(i)];
  for (int i = a + 1; i < nd; ++i) inner *= s[static_cast<size_t>(i)];
  Tensor y(s);
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < outer; ++o) {
    int64_t off = 0;
    for (const Tensor* t : parts) {
      const int64_t n = t->dim(a) * inner;
      std::memcpy(y.data() + o * total * inner + off, t->data() + o * n, sizeof(float) * static_cast<size_t>(n));
      off += n;
    }
  }
  return y;
}

Tensor embedding(const Tensor& table, const std::vector<int32_t>& tokens, const Shape& shape) {
  TRIFOLD_CHECK(table.ndim() == 2, "embedding: table must be [V, D]");
  TRIFOLD_CHECK(shape_numel(shape) == static_cast<int64_t>(tokens.size()), "embedding: token count vs shape");
  const int64_t v = table.dim(0), d = table.dim(1);
  Shape s = shape;
  s.push_back(d);
  Tensor y(s);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int32_t t = tokens[i];
    TRIFOLD_CHECK(t >= 0 && t < v, "embedding: token " + std::to_string(t) + " outside [0, " + std::to_string(v) + ")");
    std::memcpy(y.data() + static_cast<int64_t>(i) * d, table.data() + t * d, sizeof(float) * static_cast<size_t>(d));
  }
  return y;
}

}  // namespace trifold::model::cpu
