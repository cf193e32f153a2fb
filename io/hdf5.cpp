// HDF5 wrapper implementation.
#include "io/hdf5.hpp"

#include <hdf5.h>

#include <algorithm>
#include <mutex>

#include "io/error.hpp"

namespace trifold::h5 {
namespace {

void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

template <class T>
hid_t native_type();
template <> hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }
template <> hid_t native_type<int8_t>() { return H5T_NATIVE_INT8; }
template <> hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t native_type<int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }

// Closes an hid_t with the right function when leaving scope.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~Handle() {
    if (id >= 0) close(id);
  }
  Handle(const Handle&) = delete;
  operator hid_t() const { return id; }
};

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& object, const std::string& what) {
  throw IoError(file.string() + ": " + (object.empty() ? "" : "'" + object + "': ") + what);
}

std::vector<std::string> split_path(const std::string& name) {
  std::vector<std::string> parts;
  size_t p = 0;
  while (p < name.size()) {
    size_t q = name.find('/', p);
    if (q == std::string::npos) q = name.size();
    if (q > p) parts.push_back(name.substr(p, q - p));
    p = q + 1;
  }
  return parts;
}

}  // namespace

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

File::File(const std::filesystem::path& path, Mode mode) : path_(path) {
  silence_hdf5();
  if (mode == Mode::Create) {
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    id_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (id_ < 0) fail(path, "", "cannot create HDF5 file");
    return;
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "", "no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) fail(path, "", "not an HDF5 file");
  id_ = H5Fopen(path.c_str(), mode == Mode::ReadWrite ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id_ < 0) fail(path, "", "cannot open HDF5 file (corrupt or truncated?)");
}

File::~File() {
  if (id_ >= 0) H5Fclose(id_);
}

File::File(File&& o) noexcept : path_(std::move(o.path_)), id_(o.id_) { o.id_ = -1; }

bool File::exists(const std::string& name) const {
  if (name == "/" || name.empty()) return true;
  // Check every prefix: H5Lexists fails on a missing intermediate group.
  std::string prefix;
  for (const auto& part : split_path(name)) {
    prefix += "/" + part;
    if (H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (H5Oexists_by_name(id_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;  // dangling soft link
  }
  return true;
}

bool File::is_dataset(const std::string& name) const {
  if (!exists(name)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(id_, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_DATASET;
}

bool File::is_group(const std::string& name) const {
  if (!exists(name)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(id_, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

std::vector<std::string> File::list(const std::string& group) const {
  Handle g(H5Gopen2(id_, group.c_str(), H5P_DEFAULT), H5Gclose);
  if (g < 0) fail(path_, group, "no such group");
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names);
  std::sort(names.begin(), names.end());
  return names;
}

Shape File::shape(const std::string& dataset) const {
  Handle d(H5Dopen2(id_, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (d < 0) fail(path_, dataset, "no such dataset");
  Handle sp(H5Dget_space(d), H5Sclose);
  int nd = H5Sget_simple_extent_ndims(sp);
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(nd, 0)));
  H5Sget_simple_extent_dims(sp, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

std::string File::dtype(const std::string& dataset) const {
  Handle d(H5Dopen2(id_, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (d < 0) fail(path_, dataset, "no such dataset");
  Handle t(H5Dget_type(d), H5Tclose);
  const std::string bits = std::to_string(8 * H5Tget_size(t));
  switch (H5Tget_class(t)) {
    case H5T_FLOAT: return "float" + bits;
    case H5T_INTEGER: return (H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_STRING: return "string";
    default: return "other";
  }
}

template <class T>
Array<T> File::read(const std::string& dataset) const {
  Handle d(H5Dopen2(id_, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (d < 0) fail(path_, dataset, "no such dataset");
  Array<T> a;
  a.shape = shape(dataset);
  a.data.resize(static_cast<size_t>(a.numel()));
  if (!a.data.empty() && H5Dread(d, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data.data()) < 0)
    fail(path_, dataset, "read failed (corrupt data or unconvertible type)");
  return a;
}

template <class T>
void File::write(const std::string& dataset, const Shape& shape, const T* data, bool compress) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle sp(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl, 1);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  hsize_t n = 1;
  for (auto v : dims) n *= v;
  if (compress && n >= 256 && !dims.empty()) {
    std::vector<hsize_t> chunk(dims);
    // Chunks of at most ~1M values: shrink leading dimensions first.
    hsize_t total = n;
    for (size_t i = 0; i < chunk.size() && total > (1u << 20); ++i) {
      hsize_t keep = std::max<hsize_t>(1, chunk[i] / ((total + (1u << 20) - 1) / (1u << 20)));
      total = total / chunk[i] * keep;
      chunk[i] = keep;
    }
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 4);
  }
  Handle d(H5Dcreate2(id_, dataset.c_str(), native_type<T>(), sp, lcpl, dcpl, H5P_DEFAULT), H5Dclose);
  if (d < 0) fail(path_, dataset, "cannot create dataset (exists already?)");
  if (n > 0 && H5Dwrite(d, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail(path_, dataset, "write failed (disk full?)");
}

#define TRIFOLD_H5_INSTANTIATE(T)                                             \
  template Array<T> File::read<T>(const std::string&) const;                 \
  template void File::write<T>(const std::string&, const Shape&, const T*, bool);
TRIFOLD_H5_INSTANTIATE(float)
TRIFOLD_H5_INSTANTIATE(double)
TRIFOLD_H5_INSTANTIATE(int8_t)
TRIFOLD_H5_INSTANTIATE(uint8_t)
TRIFOLD_H5_INSTANTIATE(int32_t)
TRIFOLD_H5_INSTANTIATE(int64_t)
#undef TRIFOLD_H5_INSTANTIATE

bool File::has_attr(const std::string& object, const std::string& name) const {
  return H5Aexists_by_name(id_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

namespace {
hid_t open_attr(hid_t file, const std::filesystem::path& path, const std::string& object, const std::string& name) {
  hid_t a = H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) fail(path, object, "no attribute '" + name + "'");
  return a;
}
}  // namespace

std::string File::attr_string(const std::string& object, const std::string& name) const {
  Handle a(open_attr(id_, path_, object, name), H5Aclose);
  Handle t(H5Aget_type(a), H5Tclose);
  if (H5Tget_class(t) != H5T_STRING) fail(path_, object, "attribute '" + name + "' is not a string");
  if (H5Tis_variable_str(t) > 0) {
    Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(t));
    char* s = nullptr;
    if (H5Aread(a, mt, &s) < 0) fail(path_, object, "cannot read attribute '" + name + "'");
    std::string out = s ? s : "";
    H5free_memory(s);
    return out;
  }
  size_t n = H5Tget_size(t);
  std::string out(n, '\0');
  if (H5Aread(a, t, out.data()) < 0) fail(path_, object, "cannot read attribute '" + name + "'");
  out.resize(std::min(out.find('\0'), out.size()));
  return out;
}

double File::attr_double(const std::string& object, const std::string& name) const {
  Handle a(open_attr(id_, path_, object, name), H5Aclose);
  double v = 0;
  if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) fail(path_, object, "attribute '" + name + "' is not numeric");
  return v;
}

int64_t File::attr_int(const std::string& object, const std::string& name) const {
  Handle a(open_attr(id_, path_, object, name), H5Aclose);
  int64_t v = 0;
  if (H5Aread(a, H5T_NATIVE_INT64, &v) < 0) fail(path_, object, "attribute '" + name + "' is not an integer");
  return v;
}

std::vector<int64_t> File::attr_ints(const std::string& object, const std::string& name) const {
  Handle a(open_attr(id_, path_, object, name), H5Aclose);
  Handle sp(H5Aget_space(a), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  std::vector<int64_t> v(static_cast<size_t>(std::max<hssize_t>(n, 0)));
  if (!v.empty() && H5Aread(a, H5T_NATIVE_INT64, v.data()) < 0)
    fail(path_, object, "attribute '" + name + "' is not an integer array");
  return v;
}

namespace {
void replace_attr(hid_t file, const std::string& object, const std::string& name) {
  if (H5Aexists_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT) > 0)
    H5Adelete_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT);
}
}  // namespace

void File::set_attr(const std::string& object, const std::string& name, const std::string& value) {
  replace_attr(id_, object, name);
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t, std::max<size_t>(1, value.size()));
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  H5Tset_cset(t, H5T_CSET_UTF8);
  Handle sp(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate_by_name(id_, object.c_str(), name.c_str(), t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  if (a < 0 || H5Awrite(a, t, value.empty() ? "" : value.data()) < 0)
    fail(path_, object, "cannot write attribute '" + name + "'");
}

void File::set_attr(const std::string& object, const std::string& name, double value) {
  replace_attr(id_, object, name);
  Handle sp(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate_by_name(id_, object.c_str(), name.c_str(), H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT),
           H5Aclose);
  if (a < 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, &value) < 0) fail(path_, object, "cannot write attribute '" + name + "'");
}

void File::set_attr(const std::string& object, const std::string& name, int64_t value) {
  replace_attr(id_, object, name);
  Handle sp(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate_by_name(id_, object.c_str(), name.c_str(), H5T_NATIVE_INT64, sp, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT),
           H5Aclose);
  if (a < 0 || H5Awrite(a, H5T_NATIVE_INT64, &value) < 0) fail(path_, object, "cannot write attribute '" + name + "'");
}

void File::create_group(const std::string& group) {
  if (exists(group)) return;
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl, 1);
  Handle g(H5Gcreate2(id_, group.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (g < 0) fail(path_, group, "cannot create group");
}

void File::flush() { H5Fflush(id_, H5F_SCOPE_GLOBAL); }

}  // namespace trifold::h5
