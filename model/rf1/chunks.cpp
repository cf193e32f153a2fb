// Row blocks on host tensors (model/chunking.hpp): the CPU mirror of the GPU's memory-bounded decomposition.
#include <algorithm>
#include <cstring>

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {
namespace {
int64_t row_size(const Tensor& x) { return x.dim(0) ? x.numel() / x.dim(0) : 0; }
}  // namespace

Tensor slice_rows(const Tensor& x, int64_t r0, int64_t n) {
  TRIFOLD_CHECK(x.ndim() >= 1 && r0 >= 0 && n >= 0 && r0 + n <= x.dim(0),
                "slice_rows: rows [" + std::to_string(r0) + ", " + std::to_string(r0 + n) + ") of " +
                    shape_str(x.shape()));
  Shape s = x.shape();
  s[0] = n;
  const int64_t rs = row_size(x);
  return Tensor(std::move(s), std::vector<float>(x.data() + r0 * rs, x.data() + (r0 + n) * rs));
}

Tensor map_row_blocks(int64_t rows, int64_t blocks, const std::function<Tensor(int64_t, int64_t)>& fn) {
  const int64_t per = rows_per_block(rows, blocks);
  if (per >= rows) return fn(0, rows);
  Tensor out;
  int64_t rs = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += per) {
    const int64_t nr = std::min(per, rows - r0);
    Tensor b = fn(r0, nr);
    TRIFOLD_CHECK(b.ndim() >= 1 && b.dim(0) == nr, "map_row_blocks: block of " + std::to_string(nr) + " rows gave " +
                                                       shape_str(b.shape()));
    if (r0 == 0) {
      Shape s = b.shape();
      s[0] = rows;
      out = Tensor(std::move(s));
      rs = row_size(b);
    }
    TRIFOLD_CHECK(row_size(b) == rs, "map_row_blocks: blocks of different widths");
    std::memcpy(out.data() + r0 * rs, b.data(), sizeof(float) * static_cast<size_t>(b.numel()));
  }
  return out;
}

void update_row_blocks(Tensor& x, int64_t blocks, const std::function<Tensor(const Tensor&)>& fn) {
  const int64_t rows = x.dim(0), per = rows_per_block(rows, blocks);
  if (per >= rows) {
    cpu::add_(x, fn(x));
    return;
  }
  const int64_t rs = row_size(x);
  for (int64_t r0 = 0; r0 < rows; r0 += per) {
    const int64_t nr = std::min(per, rows - r0);
    const Tensor d = fn(slice_rows(x, r0, nr));
    TRIFOLD_CHECK(d.numel() == nr * rs, "update_row_blocks: update of shape " + shape_str(d.shape()));
    float* dst = x.data() + r0 * rs;
    const float* src = d.data();
    const int64_t n = nr * rs;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
  }
}

Tensor conv3x3_rows(const Tensor& x, const Tensor& weight, const Tensor* bias, int64_t blocks) {
  TRIFOLD_CHECK(x.ndim() == 3, "conv3x3_rows: input must be [H, W, C], got " + shape_str(x.shape()));
  const int64_t h = x.dim(0);
  if (rows_per_block(h, blocks) >= h) return cpu::conv2d(x, weight, bias);
  return map_row_blocks(h, blocks, [&](int64_t r0, int64_t nr) {
    // Rows [r0 − 1, r0 + nr + 1) ∩ [0, H): the zero padding at the map's edges is cpu::conv2d's own; a block's
    // halo rows are real rows, and the outputs computed on the halo (wrongly padded) are dropped.
    const int64_t lo = std::max<int64_t>(0, r0 - 1), hi = std::min<int64_t>(h, r0 + nr + 1);
    const Tensor y = cpu::conv2d(slice_rows(x, lo, hi - lo), weight, bias);
    return slice_rows(y, r0 - lo, nr);
  });
}

}  // namespace trifold::model::rf1
