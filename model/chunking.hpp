// Block decomposition of the memory-bounded network modules, shared by the CPU reference (model/rf1) and the
// GPU backend (model/cuda), chosen by the memory planner (model/memory_plan.hpp). C++17-clean, no CUDA types.
//
// Every chunked step is row-independent along the blocked axis (or, for soft-tied attention, head-independent),
// so a chunked module computes the same numbers as the unchunked one up to fp32 summation order (the blocks'
// GEMMs have other M/N sizes, which may change the BLAS kernel and so the rounding of each dot product).
#pragma once

#include <algorithm>
#include <cstdint>

namespace trifold::model {

struct Chunking {
  // Row-wise work on MSA-shaped tensors ([N, L, d] along N, and its [L, N, d] transpose along L) runs in this
  // many blocks of leading-axis rows: the MSA feed-forwards, MSA2MSA's column Performer, MSA2Pair's input
  // projection, Pair2MSA's direct attention and Str2MSA's masked attention (GPU) per block of MSA rows.
  int64_t msa_blocks = 1;
  // Row-wise work on pair maps ([L, L, c] along the first axis) runs in this many row blocks: the axial
  // Performers (rows, then columns after a transpose) and feed-forward of Pair2Pair and the template encoder,
  // MSA2Pair's concatenation + first 1×1 convolution, Pair2MSA's attention logits, every 3×3 convolution of
  // the ResNets (a one-row halo from the full input; InstanceNorm statistics stay over the whole map).
  int64_t pair_blocks = 1;
  // Soft-tied attention (MSA2MSA): heads per group; q, k, v, the sequence weights and the head-major copies
  // exist for one group at a time (0 = all heads at once).
  int64_t tied_heads = 0;
  // MSA2Pair coevolution tensor [L, L, P²]: query rows per block (0 = automatic, ≤ 1 GiB per block; GPU only,
  // the CPU always builds it whole).
  int64_t coevol_rows = 0;

  bool operator==(const Chunking& o) const {
    return msa_blocks == o.msa_blocks && pair_blocks == o.pair_blocks && tied_heads == o.tied_heads &&
           coevol_rows == o.coevol_rows;
  }
  bool operator!=(const Chunking& o) const { return !(*this == o); }
};

// Rows per block when `rows` rows are split into `blocks` blocks: ceil(rows / blocks), at least 1.
inline int64_t rows_per_block(int64_t rows, int64_t blocks) {
  const int64_t b = std::max<int64_t>(1, std::min<int64_t>(blocks, std::max<int64_t>(1, rows)));
  return std::max<int64_t>(1, (rows + b - 1) / b);
}

// Heads per soft-tied attention group: tied_heads clamped to [1, heads] (0 = heads).
inline int64_t tied_group(int64_t heads, int64_t tied_heads) {
  return tied_heads <= 0 ? heads : std::min(heads, tied_heads);
}

}  // namespace trifold::model
