// Shared helpers of the e2e network tests: golden weights/config loading, batch-axis handling, RMSD.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "../common/golden.hpp"
#include "../common/test_data.hpp"
#include "model/model_config_json.hpp"
#include "model/weights_io.hpp"

namespace trifold::test::e2eg {

// Checkpoint + its config.json (the SE(3) head counts are not visible in the tensor shapes), loaded once.
inline const model::Weights& weights(const std::string& cfg) {
  static std::map<std::string, std::unique_ptr<model::Weights>> cache;
  auto& p = cache[cfg];
  if (!p) {
    p = std::make_unique<model::Weights>(
        model::load_checkpoint(test::shared_path("golden/rf1/weights/" + cfg + "/RoseTTAFold_e2e.pt")));
    p->config = model::read_model_config_json(test::shared_path("golden/rf1/weights/" + cfg + "/config.json"),
                                              p->config);
  }
  return *p;
}

// Reference tensor with a leading batch axis of size 1 dropped.
inline model::Tensor ref(const Golden& g, const std::string& name) {
  model::Tensor t = g.tensor(name);
  model::Shape s = t.shape();
  if (s.size() > 1 && s[0] == 1) s.erase(s.begin());
  t.reshape(s);
  return t;
}

// Plain coordinate RMSD (no superposition) over all atoms of two [.., 3] tensors, Å.
inline double rmsd(const model::Tensor& a, const model::Tensor& b) {
  EXPECT_EQ(a.numel(), b.numel());
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = double(a[i]) - b[i];
    s += d * d;
  }
  return std::sqrt(s / static_cast<double>(a.numel() / 3));
}

// Elements [from, from + n) of a tensor, reshaped.
inline model::Tensor slice(const model::Tensor& t, int64_t from, int64_t n, model::Shape shape) {
  return model::Tensor(std::move(shape), std::vector<float>(t.data() + from, t.data() + from + n));
}

}  // namespace trifold::test::e2eg
