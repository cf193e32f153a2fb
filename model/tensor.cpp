// Tensor basics.
#include "model/tensor.hpp"

#include "io/error.hpp"

namespace trifold::model {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

Tensor::Tensor(Shape shape, float fill) : shape_(std::move(shape)) {
  for (auto d : shape_) TRIFOLD_CHECK(d >= 0, "negative dimension in " + shape_str(shape_));
  data_.assign(static_cast<size_t>(shape_numel(shape_)), fill);
}

Tensor::Tensor(Shape shape, std::vector<float> data) : shape_(std::move(shape)), data_(std::move(data)) {
  TRIFOLD_CHECK(static_cast<int64_t>(data_.size()) == shape_numel(shape_),
                "data size " + std::to_string(data_.size()) + " does not match shape " + shape_str(shape_));
}

int64_t shape_dim(const Shape& s, int i) {
  const int n = static_cast<int>(s.size());
  const int k = i < 0 ? i + n : i;
  TRIFOLD_CHECK(k >= 0 && k < n, "dimension " + std::to_string(i) + " out of range for " + shape_str(s));
  return s[static_cast<size_t>(k)];
}

Shape resolve_reshape(const Shape& from, int64_t numel, Shape to) {
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < to.size(); ++i) {
    if (to[i] == -1) {
      TRIFOLD_CHECK(infer < 0, "more than one -1 in reshape " + shape_str(to));
      infer = static_cast<int>(i);
    } else {
      known *= to[i];
    }
  }
  if (infer >= 0) to[static_cast<size_t>(infer)] = known ? numel / known : 0;
  TRIFOLD_CHECK(shape_numel(to) == numel, "cannot reshape " + shape_str(from) + " to " + shape_str(to));
  return to;
}

int64_t Tensor::dim(int i) const { return shape_dim(shape_, i); }

void Tensor::reshape(Shape shape) { shape_ = resolve_reshape(shape_, numel(), std::move(shape)); }

Tensor Tensor::reshaped(Shape shape) const& {
  Tensor t = *this;
  t.reshape(std::move(shape));
  return t;
}

Tensor Tensor::reshaped(Shape shape) && {
  reshape(std::move(shape));
  return std::move(*this);
}

}  // namespace trifold::model
