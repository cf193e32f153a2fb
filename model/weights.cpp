// Weights container accessors.
#include "model/weights.hpp"

#include "io/error.hpp"

namespace trifold::model {

const Tensor& Weights::get(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw InputError("weights: no tensor '" + name + "'");
  return it->second;
}

int64_t Weights::parameter_count() const {
  int64_t n = 0;
  for (const auto& [k, t] : tensors) n += t.numel();
  return n;
}

}  // namespace trifold::model
