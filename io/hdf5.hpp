// A thin RAII layer over the HDF5 C API: typed N-d datasets, attributes and groups, with errors naming the
// file and the object.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trifold::h5 {

using Shape = std::vector<int64_t>;

// An N-d array read from a dataset: row-major (C order) data and its shape.
template <class T>
struct Array {
  Shape shape;
  std::vector<T> data;
  int64_t numel() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

std::string shape_str(const Shape& s);  // "[1, 37, 20, 20]"

class File {
 public:
  enum class Mode { Read, ReadWrite, Create };
  // Create truncates; for crash safety create under a temporary name and rename (io/file_util.hpp).
  File(const std::filesystem::path& path, Mode mode = Mode::Read);
  ~File();
  File(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // True if the path (dataset or group, soft links resolved) exists.
  bool exists(const std::string& name) const;
  bool is_dataset(const std::string& name) const;
  bool is_group(const std::string& name) const;
  // Names of the direct children of a group ("/" for the root), sorted.
  std::vector<std::string> list(const std::string& group) const;
  Shape shape(const std::string& dataset) const;
  // Stored element type: "float32", "float64", "int8".."int64", "uint8".."uint64", "string" or "other".
  std::string dtype(const std::string& dataset) const;

  // Reads a whole dataset, converting the stored type to T (float, double, int8_t, int32_t, int64_t).
  template <class T>
  Array<T> read(const std::string& dataset) const;

  // Writes a dataset, creating intermediate groups; gzip+shuffle compressed when compress and >= 256 values.
  template <class T>
  void write(const std::string& dataset, const Shape& shape, const T* data, bool compress = true);

  // Attributes on an object (dataset or group; "/" is the root).
  bool has_attr(const std::string& object, const std::string& name) const;
  std::string attr_string(const std::string& object, const std::string& name) const;
  double attr_double(const std::string& object, const std::string& name) const;
  int64_t attr_int(const std::string& object, const std::string& name) const;
  std::vector<int64_t> attr_ints(const std::string& object, const std::string& name) const;
  void set_attr(const std::string& object, const std::string& name, const std::string& value);
  void set_attr(const std::string& object, const std::string& name, double value);
  void set_attr(const std::string& object, const std::string& name, int64_t value);
  void create_group(const std::string& group);
  void flush();

 private:
  std::filesystem::path path_;
  int64_t id_ = -1;  // hid_t
};

}  // namespace trifold::h5
