// Golden reference dumps (shared/golden/rf1/outputs/*.h5) for parity tests: reads datasets as model::Tensor
// (soft links resolved by HDF5; `alias_of` int8 scalars resolved to their target and reshaped; `@sub`
// row-subsampled datasets exposed with their axis/index) and compares tensors by relative L2 error.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/hdf5.hpp"
#include "model/tensor.hpp"

namespace trifold::test {

class Golden {
 public:
  explicit Golden(const std::string& path);
  const std::string& path() const { return path_; }
  bool has(const std::string& name) const;
  // Reads a dataset as fp32 (ints converted), following aliases. Throws when absent.
  model::Tensor tensor(const std::string& name) const;
  std::vector<int32_t> ints(const std::string& name) const;
  // The real shape of a dataset (the alias `shape` attribute for aliases).
  model::Shape shape(const std::string& name) const;
  std::string root_attr(const std::string& name) const;
  // For "X@sub" datasets: axis and kept indices (stored = take(full, index, axis)).
  struct Subsample {
    int axis = 0;
    std::vector<int64_t> index;
  };
  std::optional<Subsample> subsample(const std::string& name) const;
  h5::File& file() { return file_; }

 private:
  std::string resolve(const std::string& name, model::Shape* alias_shape) const;
  std::string path_;
  mutable h5::File file_;
};

struct CompareResult {
  double rel_l2 = 0.0;   // ||got − ref||₂ / ||ref||₂ (‖ref‖ = 0: absolute ||got||)
  double max_abs = 0.0;  // max |got − ref|
  int64_t n_nan = 0;     // NaN/inf count in `got`
  int64_t worst_index = -1;
  bool shape_ok = true;
};

// Compares two tensors of equal element count (shapes may differ by reshapes; shape_ok records equality).
CompareResult compare(const model::Tensor& got, const model::Tensor& ref);

// Compares and records the result under `module` in the per-module report; prints one line.
CompareResult compare(const std::string& module, const model::Tensor& got, const model::Tensor& ref);

// Takes rows `index` along `axis` (for comparing full tensors with `@sub` references).
model::Tensor take(const model::Tensor& full, int axis, const std::vector<int64_t>& index);

// Worst recorded relative L2 per module (since the last clear), printed as a table.
void print_report(const std::string& title);
void clear_report();

}  // namespace trifold::test
