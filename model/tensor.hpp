// A dense fp32 host tensor: row-major (C order), owning its data. The currency of the CPU op layer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace trifold::model {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s);  // "[12, 20, 64]"
int64_t shape_numel(const Shape& s);
// Size of dimension i of `s` (negative i counts from the end); InternalError when out of range.
int64_t shape_dim(const Shape& s, int i);
// `to` with its one -1 entry (if any) inferred so that it holds `numel` elements; InternalError when it cannot
// (more than one -1, or another element count). `from` names the original shape in the message.
Shape resolve_reshape(const Shape& from, int64_t numel, Shape to);

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, float fill = 0.0f);
  Tensor(Shape shape, std::vector<float> data);  // data.size() must equal the shape's element count

  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  // Size of dimension i; negative i counts from the end (dim(-1) = last).
  int64_t dim(int i) const;
  int64_t numel() const { return static_cast<int64_t>(data_.size()); }
  bool empty() const { return data_.empty(); }

  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  std::vector<float>& vec() { return data_; }
  const std::vector<float>& vec() const { return data_; }
  float& operator[](int64_t i) { return data_[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return data_[static_cast<size_t>(i)]; }

  // Same data, new shape (one entry may be -1). Throws InternalError when the element count differs.
  Tensor reshaped(Shape shape) const&;
  Tensor reshaped(Shape shape) &&;
  void reshape(Shape shape);

 private:
  Shape shape_;
  std::vector<float> data_;
};

}  // namespace trifold::model
