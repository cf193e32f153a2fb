// Small tensor helpers shared by the CPU and GPU tests: seeded random tensors and the relative L2 difference.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "model/tensor.hpp"

namespace trifold::test {

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

// A tensor of N(0, scale²) values from std::mt19937(seed).
inline model::Tensor random_normal_tensor(model::Shape s, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, scale);
  model::Tensor t(std::move(s));
  for (auto& v : t.vec()) v = nd(rng);
  return t;
}

}  // namespace trifold::test
