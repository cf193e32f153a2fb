// Shared pieces of the gpu-labelled tests (include only when TRIFOLD_WITH_CUDA is defined).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "model/cuda/ops.hpp"
#include "model/tensor.hpp"

namespace trifold::test {

// A context on device 0. TRIFOLD_CUDA_SYNC=1 synchronises after every kernel launch, so that a fault names its
// kernel (tools/gpu-check.sh reruns a failing test binary this way).
inline std::unique_ptr<model::cuda::Context> make_cuda_context() {
  auto c = std::make_unique<model::cuda::Context>(0);
  c->set_sync_after_launch(std::getenv("TRIFOLD_CUDA_SYNC") != nullptr);
  return c;
}

// ||got - ref||_2 / ||ref||_2, accumulated in double (equal element counts).
inline double rel_l2(const model::Tensor& got, const model::Tensor& ref) {
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = static_cast<double>(got[i]) - ref[i];
    num += d * d;
    den += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

}  // namespace trifold::test
