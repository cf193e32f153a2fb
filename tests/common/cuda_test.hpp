// Shared pieces of the gpu-labelled tests (include only when TRIFOLD_WITH_CUDA is defined).
#pragma once

#include <cstdlib>
#include <memory>

#include "model/cuda/ops.hpp"
#include "model/tensor.hpp"
#include "tests/common/tensor_test.hpp"

namespace trifold::test {

// A context on device 0. TRIFOLD_CUDA_SYNC=1 synchronises after every kernel launch, so that a fault names its
// kernel (tools/gpu-check.sh reruns a failing test binary this way).
inline std::unique_ptr<model::cuda::Context> make_cuda_context() {
  auto c = std::make_unique<model::cuda::Context>(0);
  c->set_sync_after_launch(std::getenv("TRIFOLD_CUDA_SYNC") != nullptr);
  return c;
}

}  // namespace trifold::test
