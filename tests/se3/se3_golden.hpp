// Helpers for the SE(3) parity tests: golden-file reads (aliases resolved), error metrics, config, weights cache.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "io/hdf5.hpp"
#include "model/se3/layers.hpp"
#include "model/tensor.hpp"
#include "model/weights.hpp"
#include "model/model_config_json.hpp"
#include "model/weights_io.hpp"
#include "tests/common/test_data.hpp"

namespace trifold::test::se3g {

inline std::string golden(const std::string& rel) { return "golden/rf1/" + rel; }

// Reads a float tensor; an int8 scalar with attribute alias_of is resolved to its target, reshaped to `shape`.
inline model::Tensor read_tensor(const h5::File& f, const std::string& name) {
  if (f.has_attr(name, "alias_of")) {
    auto target = f.attr_string(name, "alias_of");
    auto shape = f.attr_ints(name, "shape");
    auto a = f.read<float>(target);
    return model::Tensor(model::Shape(shape.begin(), shape.end()), std::move(a.data));
  }
  auto a = f.read<float>(name);
  return model::Tensor(model::Shape(a.shape.begin(), a.shape.end()), std::move(a.data));
}

struct Err {
  double rel_l2 = 0.0, max_abs = 0.0;
  bool nan = false;
};

inline Err compare(const float* got, const float* ref, int64_t n) {
  double num = 0.0, den = 0.0;
  Err e;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(got[i])) e.nan = true;
    const double d = double(got[i]) - ref[i];
    num += d * d;
    den += double(ref[i]) * ref[i];
    e.max_abs = std::max(e.max_abs, std::fabs(d));
  }
  e.rel_l2 = std::sqrt(num / std::max(den, 1e-300));
  return e;
}

// SE3_param / REF_param of a golden config (weights/<cfg>/config.json), read with the project's reader.
inline model::Se3Config se3_config(const std::string& cfg_name, const std::string& block) {
  const model::ModelConfig c = model::read_model_config_json(
      test::shared_path(golden("weights/" + cfg_name + "/config.json")), model::ModelConfig{});
  if (block == "SE3_param") return c.se3;
  if (block == "REF_param") return c.ref;
  throw std::runtime_error("se3_config: unknown block " + block);
}

// Checkpoints are loaded once per test binary.
inline const model::Weights& weights(const std::string& cfg_name) {
  static std::map<std::string, std::unique_ptr<model::Weights>> cache;
  auto& p = cache[cfg_name];
  if (!p)
    p = std::make_unique<model::Weights>(
        model::load_checkpoint(test::shared_path(golden("weights/" + cfg_name + "/RoseTTAFold_e2e.pt"))));
  return *p;
}

// Worst error bookkeeping printed at the end of a test.
struct Report {
  explicit Report(std::string t) : title(std::move(t)) {}
  std::string title;
  double worst = 0.0;
  std::string worst_name;
  void add(const std::string& name, const Err& e) {
    std::printf("  %-72s rel_l2 %.2e  max_abs %.2e%s\n", name.c_str(), e.rel_l2, e.max_abs, e.nan ? "  NaN!" : "");
    if (e.rel_l2 > worst) {
      worst = e.rel_l2;
      worst_name = name;
    }
  }
  ~Report() { std::printf("%s: worst rel_l2 %.2e (%s)\n", title.c_str(), worst, worst_name.c_str()); }
};

}  // namespace trifold::test::se3g
