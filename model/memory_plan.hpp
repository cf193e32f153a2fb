// Device-memory planner of the GPU network (model/cuda/network.cpp): an allocation-by-allocation replay of what
// NetworkGpu::trunk()/refine() allocate on the device for a given model config, length L, MSA rows N, number
// of templates and block decomposition (model/chunking.hpp), and the choice of the largest blocks that keep the
// peak under a byte budget. Pure C++20, no CUDA: builds and is tested in the CPU-only library.
//
// What is counted: exactly what Context::peak_bytes() counts — every DeviceTensor, DeviceInts and Scratch
// allocation (the weights, activations, temporaries, cuBLAS pointer arrays), in the order the GPU code makes
// and frees them (C++ temporaries live to the end of their full expression). Not counted (they come on top and
// are what the caller's reserve is for): the CUDA context, cuBLAS workspaces, cudaMallocAsync pool rounding and
// fragmentation. Approximate on purpose: the SE(3) stacks (edge-level features of the fused convolution and
// attention are summarised per edge, see memory_plan.cpp) and small host-shaped uploads ([L, 3]-sized). The
// dominant L²- and N·L-sized tensors are replayed exactly: on an H200 the estimate equalled the measured peak to
// 0.01 GiB at L = 100…2450, N = 1000 (`trifold bench e2e --device cuda` prints both; docs/cuda.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/chunking.hpp"
#include "model/weights.hpp"

namespace trifold::model {

// What the replay needs to know about the network.
struct MemoryModel {
  ModelConfig config;
  // Bytes of the device copies of the weights (DeviceWeights: every tensor; the SE(3) stacks upload their own
  // copies of the ".se3." tensors). From the config's tensor table (weight_table.hpp) or from loaded weights.
  size_t weight_bytes = 0;
  static MemoryModel from_config(const ModelConfig& c);
  static MemoryModel from_weights(const Weights& w);
};

// The problem: sequence length, MSA rows after any cap (TriFold keeps the first 1000), templates (0 = the
// blank template the no-template inputs carry), refinement top-k.
struct MemoryProblem {
  int64_t length = 0;
  int64_t rows = 0;
  int64_t templates = 1;
  int refine_top_k = 64;
  bool bf16_operands = false;  // --precision bf16: the GEMMs' bf16 operand copies (+15 % of the activations)
};

struct StagePeak {
  std::string stage;  // e.g. "iter_block msa2msa", "distance heads", "refine"
  size_t bytes = 0;   // the highest live total reached while in this stage (weights included)
};

struct MemoryEstimate {
  size_t peak_bytes = 0;          // highest live total of the whole forward (trunk + refinement)
  std::string peak_stage;         // the stage where it is reached
  size_t weight_bytes = 0;
  std::vector<StagePeak> stages;  // in execution order
};

// Replays the forward pass. Throws InputError for L < 1 or N < 1.
MemoryEstimate estimate_memory(const MemoryModel& m, const MemoryProblem& p, const Chunking& ck);

struct MemoryPlan {
  bool fits = false;        // the estimate with `chunking` is ≤ limit
  Chunking chunking;        // the largest blocks found that fit (or the smallest tried, when none fits)
  MemoryEstimate estimate;  // with `chunking`
  MemoryEstimate unchunked; // with no blocks at all, for reference
  size_t limit_bytes = 0;
  std::string summary() const;  // one line: fits or not, the chunking, estimated peak and its stage
};

// The chunking the GPU should use for `limit_bytes` of device memory: no blocks if that fits, else a greedy
// search that, step by step, doubles the block count (or halves the head group / coevolution rows) of the knob
// that lowers the estimated peak most, until the estimate fits or no knob lowers it further (then fits = false:
// the caller falls back to crops). Largest blocks = fewest, biggest GEMMs = fastest.
MemoryPlan plan_memory(const MemoryModel& m, const MemoryProblem& p, size_t limit_bytes);

// "1.23 GiB"
std::string format_gib(size_t bytes);
// "msa_blocks=4 pair_blocks=2 tied_heads=3 coevol_rows=auto" ("none" for the default).
std::string describe(const Chunking& ck);

}  // namespace trifold::model
