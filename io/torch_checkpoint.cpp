// torch.save reader: finds the pickled object tree (zip: <archive>/data.pkl; legacy: the 4th of 5 pickles),
// turns every torch._utils._rebuild_tensor_v2(...) into (storage, offset, size, stride) and copies the raw
// little-endian storage bytes (zip: <archive>/data/<key>; legacy: appended after the pickles) into fp32.
#include "io/torch_checkpoint.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_set>

#include "io/error.hpp"
#include "io/pickle.hpp"
#include "io/zip_reader.hpp"

namespace trifold::torch {

namespace fs = std::filesystem;
using pickle::Object;
using pickle::Ref;
using K = Object::Kind;

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::Int16: return "int16";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
  }
  return "?";
}

namespace {

static_assert(std::endian::native == std::endian::little, "checkpoint storages are read as little-endian");

// The whole file mapped read-only; pages are loaded on demand, so a 550 MB checkpoint costs no heap.
class MappedFile {
 public:
  explicit MappedFile(const fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDONLY);
    if (fd_ < 0) throw IoError(located(path.string(), 0, std::string("cannot open: ") + std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw IoError(located(path.string(), 0, "not a regular file"));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p == MAP_FAILED) {
        ::close(fd_);
        throw IoError(located(path.string(), 0, std::string("cannot map: ") + std::strerror(errno)));
      }
      data_ = static_cast<const char*>(p);
    }
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view view() const { return {data_ ? data_ : "", size_}; }

 private:
  int fd_ = -1;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

struct StorageType {
  DType dtype;
  int elem_size;
};

bool storage_type(const Object& g, StorageType& out) {
  static const std::map<std::string, StorageType> table = {
      {"FloatStorage", {DType::Float32, 4}}, {"DoubleStorage", {DType::Float64, 8}},
      {"HalfStorage", {DType::Float16, 2}},  {"BFloat16Storage", {DType::BFloat16, 2}},
      {"LongStorage", {DType::Int64, 8}},    {"IntStorage", {DType::Int32, 4}},
      {"ShortStorage", {DType::Int16, 2}},   {"CharStorage", {DType::Int8, 1}},
      {"ByteStorage", {DType::UInt8, 1}},    {"BoolStorage", {DType::Bool, 1}},
  };
  if (!g.is(K::Global) || g.module != "torch") return false;
  auto it = table.find(g.name);
  if (it == table.end()) return false;
  out = it->second;
  return true;
}

// A tensor as the pickle describes it, before its storage bytes are read.
struct TensorSpec {
  std::string key;        // storage key (root storage for legacy views)
  StorageType type{};
  int64_t offset = 0;     // elements
  int64_t declared = -1;  // storage element count from the persistent id (zip: must match the entry size)
  std::vector<int64_t> size, stride;
};

class Reader {
 public:
  explicit Reader(std::string what) : what_(std::move(what)) {}

  [[noreturn]] void fail(const std::string& msg) const { throw InputError(what_ + ": " + msg); }

  // ('storage', type, key, location, numel[, view_metadata]) → key, type, view offset.
  void storage_of(const Object& pid, TensorSpec& t, const std::string& name) const {
    const Ref& a = pid.args;
    if (!a || !a->is(K::Tuple) || a->items.size() < 5 || !a->items[0]->is(K::Str) || a->items[0]->s != "storage")
      fail("tensor '" + name + "': unsupported persistent id " + (a ? a->describe() : "?"));
    if (!storage_type(*a->items[1], t.type))
      fail("tensor '" + name + "': unsupported storage type " + a->items[1]->describe());
    if (!a->items[2]->is(K::Str)) fail("tensor '" + name + "': storage key is " + a->items[2]->describe());
    t.key = a->items[2]->s;
    if (a->items[4]->is(K::Int)) t.declared = a->items[4]->i;
    // Legacy views: (view_key, offset, size) into the root storage.
    if (a->items.size() >= 6 && a->items[5]->is(K::Tuple) && a->items[5]->items.size() == 3 &&
        a->items[5]->items[1]->is(K::Int))
      t.offset += a->items[5]->items[1]->i;
  }

  static bool int_tuple(const Ref& r, std::vector<int64_t>& out) {
    if (!r || !r->is(K::Tuple)) return false;
    out.clear();
    for (const auto& x : r->items) {
      if (!x->is(K::Int)) return false;
      out.push_back(x->i);
    }
    return true;
  }

  // True when `v` is a tensor (rebuild call); fills `t`.
  bool tensor_spec(const Ref& v, TensorSpec& t, const std::string& name) const {
    if (!v || !v->is(K::Call) || !v->callable || !v->callable->is(K::Global)) return false;
    const Object& f = *v->callable;
    const auto& a = v->args->items;
    if (f.is_global("torch._utils", "_rebuild_parameter") ||
        f.is_global("torch._utils", "_rebuild_parameter_with_state")) {
      if (a.empty()) fail("tensor '" + name + "': _rebuild_parameter without data");
      return tensor_spec(a[0], t, name);
    }
    if (!f.is_global("torch._utils", "_rebuild_tensor_v2") && !f.is_global("torch._utils", "_rebuild_tensor"))
      return false;
    if (a.size() < 4 || !a[0]->is(K::PersId) || !a[1]->is(K::Int))
      fail("tensor '" + name + "': malformed " + f.describe() + " arguments");
    t = TensorSpec{};
    t.offset = a[1]->i;
    storage_of(*a[0], t, name);
    if (!int_tuple(a[2], t.size) || !int_tuple(a[3], t.stride) || t.size.size() != t.stride.size())
      fail("tensor '" + name + "': malformed size/stride");
    for (size_t d = 0; d < t.size.size(); ++d)
      if (t.size[d] < 0 || t.stride[d] < 0) fail("tensor '" + name + "': negative size or stride");
    return true;
  }

  // Every storage referenced anywhere in the tree (legacy format needs their types to skip through the data).
  void collect_storages(const Ref& r, std::map<std::string, StorageType>& out,
                        std::unordered_set<const Object*>& seen) const {
    if (!r || !seen.insert(r.get()).second) return;
    if (r->is(K::PersId)) {
      TensorSpec t;
      storage_of(*r, t, "?");
      out[t.key] = t.type;
      return;
    }
    for (const auto& x : r->items) collect_storages(x, out, seen);
    for (const auto& [k, v] : r->pairs) collect_storages(v, out, seen);
    collect_storages(r->args, out, seen);
    collect_storages(r->state, out, seen);
  }

  // The state dict inside the top-level object, as (name, spec) in order.
  std::vector<std::pair<std::string, TensorSpec>> state_dict(const Ref& top) const {
    if (!top->is(K::Dict)) fail("top-level object is " + top->describe() + ", expected a dict (state dict)");
    Ref sd = top->get("model_state_dict");
    if (!sd) sd = top;
    if (!sd->is(K::Dict)) fail("'model_state_dict' is " + sd->describe() + ", expected a dict");
    std::vector<std::pair<std::string, TensorSpec>> out;
    for (const auto& [k, v] : sd->pairs) {
      if (!k->is(K::Str)) fail("state dict key is " + k->describe() + ", expected a string");
      TensorSpec t;
      if (!tensor_spec(v, t, k->s)) {
        std::string keys;
        for (const auto& [tk, tv] : top->pairs) keys += (keys.empty() ? "" : ", ") + tk->describe();
        fail("entry '" + k->s + "' is " + v->describe() + ", not a tensor: no 'model_state_dict' and not a " +
             "bare state dict (top-level keys: " + keys + ")");
      }
      out.emplace_back(k->s, std::move(t));
    }
    if (out.empty()) fail("the state dict is empty");
    return out;
  }

  // Copies the strided tensor out of its storage bytes (`numel` elements of the storage's type) into fp32.
  Tensor materialise(const std::string& name, const TensorSpec& t, std::string_view bytes, int64_t numel) const {
    Tensor out;
    out.name = name;
    out.dtype = t.type.dtype;
    out.shape = t.size;
    int64_t n = 1, last = t.offset;
    constexpr int64_t kMax = int64_t{1} << 40;  // guards the products below against overflow on corrupt input
    for (size_t d = 0; d < t.size.size(); ++d) {
      if (t.size[d] > kMax || t.stride[d] > kMax || (t.size[d] > 0 && n > kMax / t.size[d]))
        fail("tensor '" + name + "': implausible size/stride (corrupt file)");
      n *= t.size[d];
      if (t.size[d] > 0) last += (t.size[d] - 1) * t.stride[d];
    }
    if (n > 0 && (t.offset < 0 || last >= numel))
      fail("tensor '" + name + "': elements up to " + std::to_string(last) + " of storage '" + t.key +
           "' with only " + std::to_string(numel) + " elements (truncated or corrupt file)");
    out.data.resize(static_cast<size_t>(n));
    if (n == 0) return out;
    const char* base = bytes.data();
    auto value = [&](int64_t e) -> float {
      const char* p = base + e * t.type.elem_size;
      switch (t.type.dtype) {
        case DType::Float32: { float v; std::memcpy(&v, p, 4); return v; }
        case DType::Float64: { double v; std::memcpy(&v, p, 8); return static_cast<float>(v); }
        case DType::Float16: { uint16_t h; std::memcpy(&h, p, 2); return half_to_float(h); }
        case DType::BFloat16: {
          uint16_t h;
          std::memcpy(&h, p, 2);
          uint32_t bits = static_cast<uint32_t>(h) << 16;
          return std::bit_cast<float>(bits);
        }
        case DType::Int64: { int64_t v; std::memcpy(&v, p, 8); return static_cast<float>(v); }
        case DType::Int32: { int32_t v; std::memcpy(&v, p, 4); return static_cast<float>(v); }
        case DType::Int16: { int16_t v; std::memcpy(&v, p, 2); return static_cast<float>(v); }
        case DType::Int8: return static_cast<float>(static_cast<int8_t>(*p));
        case DType::UInt8: return static_cast<float>(static_cast<uint8_t>(*p));
        case DType::Bool: return *p ? 1.0f : 0.0f;
      }
      return 0.0f;
    };
    // Row-major walk over the logical index; contiguous tensors (the usual case) take the fast path.
    bool contiguous = true;
    int64_t expect = 1;
    for (size_t d = t.size.size(); d-- > 0;) {
      if (t.size[d] != 1 && t.stride[d] != expect) contiguous = false;
      expect *= t.size[d];
    }
    if (contiguous && t.type.dtype == DType::Float32) {
      std::memcpy(out.data.data(), base + t.offset * 4, static_cast<size_t>(n) * 4);
    } else if (contiguous) {
      for (int64_t e = 0; e < n; ++e) out.data[static_cast<size_t>(e)] = value(t.offset + e);
    } else {
      const size_t nd = t.size.size();
      std::vector<int64_t> idx(nd, 0);
      int64_t src = t.offset;
      for (int64_t e = 0; e < n; ++e) {
        out.data[static_cast<size_t>(e)] = value(src);
        for (size_t d = nd; d-- > 0;) {
          if (++idx[d] < t.size[d]) {
            src += t.stride[d];
            break;
          }
          src -= (t.size[d] - 1) * t.stride[d];
          idx[d] = 0;
        }
      }
    }
    return out;
  }

  static float half_to_float(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    float mag;
    if (exp == 0) {
      mag = std::ldexp(static_cast<float>(man), -24);  // zero and subnormals
    } else if (exp == 31) {
      mag = man ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    } else {
      return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (man << 13));
    }
    return sign ? -mag : mag;
  }

 private:
  std::string what_;
};

Checkpoint read_zip(std::string_view data, const std::string& what) {
  Reader rd(what);
  zip::Archive ar(data, what);
  const zip::Entry* pkl = nullptr;
  for (const auto& e : ar.entries()) {
    if (e.name == "data.pkl" || (e.name.size() > 9 && e.name.ends_with("/data.pkl"))) {
      pkl = &e;
      break;
    }
  }
  if (!pkl) rd.fail("ZIP archive without a data.pkl entry: not a PyTorch checkpoint");
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - 8);  // "archive/"
  std::string scratch;
  if (const zip::Entry* bo = ar.find(prefix + "byteorder")) {
    std::string_view order = ar.read(*bo, scratch);
    if (order != "little") rd.fail("storages are in '" + std::string(order) + "' byte order; only little-endian");
  }
  Ref top = pickle::load(ar.read(*pkl, scratch), what + ":" + pkl->name);

  Checkpoint ck;
  ck.format = Checkpoint::Format::Zip;
  std::map<std::string, std::string> inflated;  // storage key → bytes, only for deflated entries
  for (auto& [name, spec] : rd.state_dict(top)) {
    const zip::Entry* e = ar.find(prefix + "data/" + spec.key);
    if (!e) rd.fail("tensor '" + name + "': storage entry '" + prefix + "data/" + spec.key + "' is missing");
    std::string_view bytes;
    if (e->method == 0) {
      bytes = ar.read(*e, scratch);
    } else {
      auto it = inflated.find(spec.key);
      if (it == inflated.end()) {
        std::string buf;
        ar.read(*e, buf);
        it = inflated.emplace(spec.key, std::move(buf)).first;
      }
      bytes = it->second;
    }
    if (bytes.size() % static_cast<size_t>(spec.type.elem_size))
      rd.fail("storage '" + spec.key + "' size is not a multiple of its element size");
    if (spec.declared >= 0 && static_cast<uint64_t>(spec.declared) * static_cast<uint64_t>(spec.type.elem_size) != bytes.size())
      rd.fail("storage '" + spec.key + "': " + std::to_string(bytes.size()) + " bytes, but the pickle declares " +
              std::to_string(spec.declared) + " elements of " + std::to_string(spec.type.elem_size) + " bytes");
    ck.tensors.push_back(rd.materialise(name, spec, bytes, static_cast<int64_t>(bytes.size()) / spec.type.elem_size));
  }
  return ck;
}

// Legacy layout: pickle(magic) pickle(protocol 1001) pickle(sys_info) pickle(object) pickle([storage keys]),
// then for each key in that list: int64 element count, count * element-size raw bytes.
Checkpoint read_legacy(std::string_view data, const std::string& what) {
  Reader rd(what);
  size_t pos = 0;
  auto next = [&](const char* label) {
    size_t used = 0;
    Ref r = pickle::load(data.substr(pos), what + " (" + label + ")", &used, pos);
    pos += used;
    return r;
  };
  Ref magic = next("magic number");
  static const std::string kMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);  // 0x1950a86a20f9469cfc6c
  if (!magic->is(K::BigInt) || magic->s != kMagic) rd.fail("not a PyTorch checkpoint (wrong magic number)");
  Ref proto = next("protocol version");
  if (!proto->is(K::Int) || proto->i != 1001)
    rd.fail("unsupported legacy protocol version " + proto->describe() + " (expected 1001)");
  Ref sys = next("sys_info");
  if (Ref le = sys->get("little_endian"); le && le->is(K::Bool) && !le->b)
    rd.fail("checkpoint was written on a big-endian machine; not supported");
  Ref top = next("state");
  Ref keys = next("storage keys");
  if (!keys->is(K::List)) rd.fail("storage key list is " + keys->describe());

  std::map<std::string, StorageType> types;
  std::unordered_set<const Object*> seen;
  rd.collect_storages(top, types, seen);
  struct Span {
    std::string_view bytes;
    int64_t numel;
  };
  std::map<std::string, Span> storages;
  for (const auto& k : keys->items) {
    if (!k->is(K::Str)) rd.fail("storage key is " + k->describe());
    auto it = types.find(k->s);
    if (it == types.end()) rd.fail("storage '" + k->s + "' is listed but never referenced");
    if (data.size() - pos < 8) rd.fail("file ends before storage '" + k->s + "' (truncated)");
    int64_t count;
    std::memcpy(&count, data.data() + pos, 8);
    pos += 8;
    if (count < 0 || static_cast<uint64_t>(count) > data.size() - pos)
      rd.fail("storage '" + k->s + "' runs past the end of the file (truncated)");
    uint64_t nbytes = static_cast<uint64_t>(count) * static_cast<uint64_t>(it->second.elem_size);
    if (nbytes > data.size() - pos)
      rd.fail("storage '" + k->s + "' runs past the end of the file (truncated)");
    storages[k->s] = {data.substr(pos, nbytes), count};
    pos += nbytes;
  }
  Checkpoint ck;
  ck.format = Checkpoint::Format::Legacy;
  for (auto& [name, spec] : rd.state_dict(top)) {
    auto it = storages.find(spec.key);
    if (it == storages.end()) rd.fail("tensor '" + name + "': storage '" + spec.key + "' not in the file");
    ck.tensors.push_back(rd.materialise(name, spec, it->second.bytes, it->second.numel));
  }
  return ck;
}

}  // namespace

Checkpoint read_checkpoint(const fs::path& path) {
  MappedFile f(path);
  return read_checkpoint_data(f.view(), path.string());
}

Checkpoint read_checkpoint_data(std::string_view d, const std::string& what) {
  if (d.size() >= 4 && d.substr(0, 4) == std::string_view("PK\x03\x04", 4)) return read_zip(d, what);
  if (d.size() >= 2 && static_cast<uint8_t>(d[0]) == 0x80 && static_cast<uint8_t>(d[1]) <= 5)
    return read_legacy(d, what);
  throw InputError(what + ": not a PyTorch checkpoint (neither a ZIP archive nor a pickle stream)");
}

}  // namespace trifold::torch
