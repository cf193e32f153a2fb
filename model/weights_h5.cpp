// HDF5 weight file writer/reader and the key/shape validation shared by the converter and the loader.
#include "model/weights_h5.hpp"

#include <fstream>
#include <map>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/hdf5.hpp"
#include "io/log.hpp"
#include "model/weight_table.hpp"
#include "model/weights_infer.hpp"
#include "model/weights_io.hpp"

namespace trifold::model {

namespace fs = std::filesystem;

namespace {

// Validates names and shapes given as a map name → shape (so that the loader can check before reading data).
void check_shapes(const ModelConfig& config, const std::map<std::string, Shape>& got, const std::string& what) {
  std::vector<TensorSpec> want;
  try {
    want = expected_tensors(config);
  } catch (const InputError& e) {
    throw InputError(what + ": " + e.what());
  }
  std::vector<std::string> missing, unexpected;
  std::map<std::string, const TensorSpec*> by_name;
  for (const auto& t : want) {
    by_name[t.name] = &t;
    if (!got.count(t.name)) missing.push_back(t.name);
  }
  for (const auto& [name, s] : got)
    if (!by_name.count(name)) unexpected.push_back(name);
  if (!missing.empty())
    throw InputError(what + ": missing tensor '" + missing.front() + "' (" + std::to_string(missing.size()) +
                     " missing in total)");
  if (!unexpected.empty())
    throw InputError(what + ": unexpected tensor '" + unexpected.front() + "' (" +
                     std::to_string(unexpected.size()) + " unexpected in total)");
  for (const auto& t : want) {
    const Shape& s = got.at(t.name);
    if (s != t.shape)
      throw InputError(what + ": tensor '" + t.name + "': expected " + shape_str(t.shape) + ", got " + shape_str(s));
  }
}

void check_header(const h5::File& f, const std::string& what) {
  if (!f.has_attr("/", "format_version") || !f.has_attr("/", "architecture"))
    throw InputError(what + ": not a TriFold weight file (no format_version/architecture attributes)");
  const std::string arch = f.attr_string("/", "architecture");
  if (arch != "rosettafold_v1_e2e")
    throw InputError(what + ": architecture '" + arch + "' is not supported (expected 'rosettafold_v1_e2e')");
  const int64_t version = f.attr_int("/", "format_version");
  if (version != kWeightFormatVersion)
    throw InputError(what + ": weight format version " + std::to_string(version) + " is not supported (this TriFold reads version " +
                     std::to_string(kWeightFormatVersion) + ")");
}

ModelConfig read_config(const h5::File& f, const std::string& what) {
  check_header(f, what);
  ModelConfig c;
  for (const auto& [name, dflt] : hyper_parameters(c)) {
    if (!f.has_attr("/", name)) throw InputError(what + ": hyper-parameter attribute '" + name + "' is missing");
    set_hyper_parameter(c, name, f.attr_int("/", name));
  }
  return c;
}

}  // namespace

void check_weights(const Weights& w, const std::string& what) {
  std::map<std::string, Shape> got;
  for (const auto& [name, t] : w.tensors) got.emplace(name, t.shape());
  check_shapes(w.config, got, what);
}

void save_weights_h5(const Weights& w, const fs::path& path, const std::string& source) {
  check_weights(w, "weights for " + path.string());
  const fs::path tmp = temp_path_for(path);
  try {
    h5::File f(tmp, h5::File::Mode::Create);
    f.set_attr("/", "format_version", kWeightFormatVersion);
    f.set_attr("/", "architecture", w.config.architecture);
    for (const auto& [name, v] : hyper_parameters(w.config)) f.set_attr("/", name, v);
    f.set_attr("/", "parameter_count", parameter_count(w.config));
    f.set_attr("/", "source", source);
    f.create_group(kWeightGroup);
    // Uncompressed, contiguous: trained weights do not compress (~7 %) and this keeps loading at disk speed.
    for (const auto& [name, t] : w.tensors)
      f.write<float>(std::string(kWeightGroup) + "/" + name, t.shape(), t.data(), false);
    f.flush();
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(path.string() + ": cannot rename the temporary file into place: " + ec.message());
  }
}

namespace {

// The official checkpoint (a torch zip, or a legacy pickle starting with 0x80) given where TriFold's HDF5 weights
// are expected gets the command that converts it, not HDF5's bare "not an HDF5 file".
void refuse_torch_checkpoint(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[4] = {};
  if (!in.read(head, sizeof head)) return;  // missing or tiny: h5::File says what is wrong
  const bool zip = head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
  const bool pickle = static_cast<unsigned char>(head[0]) == 0x80 && head[1] >= 2 && head[1] <= 5;
  if (zip || pickle)
    throw InputError(path.string() + ": this is a PyTorch checkpoint, not TriFold's HDF5 weights; convert it once "
                     "with: trifold convert '" + path.string() + "' weights.h5   (docs/weights.md)");
}

}  // namespace

ModelConfig read_weights_config(const fs::path& path) {
  refuse_torch_checkpoint(path);
  h5::File f(path);
  return read_config(f, path.string());
}

namespace {

// Header, key set, shapes and dtypes; returns the dataset shapes by name.
std::map<std::string, Shape> validate_file(const h5::File& f, const ModelConfig& config, const std::string& what) {
  if (!f.is_group(kWeightGroup)) throw InputError(what + ": no '" + std::string(kWeightGroup) + "' group");
  std::map<std::string, Shape> shapes;
  const std::string g = std::string(kWeightGroup) + "/";
  for (const auto& name : f.list(kWeightGroup)) {
    if (!f.is_dataset(g + name)) throw InputError(what + ": unexpected object '" + g + name + "' (not a dataset)");
    shapes.emplace(name, f.shape(g + name));
  }
  check_shapes(config, shapes, what);
  for (const auto& [name, shape] : shapes) {
    const std::string dt = f.dtype(g + name);
    if (dt != "float32") throw InputError(what + ": tensor '" + name + "': expected float32, got " + dt);
  }
  return shapes;
}

}  // namespace

ModelConfig check_weights_h5(const fs::path& path, std::string* source) {
  refuse_torch_checkpoint(path);
  h5::File f(path);
  ModelConfig c = read_config(f, path.string());
  validate_file(f, c, path.string());
  if (source) *source = f.has_attr("/", "source") ? f.attr_string("/", "source") : "";
  return c;
}

Weights load_weights_h5(const fs::path& path) {
  const std::string what = path.string();
  refuse_torch_checkpoint(path);
  h5::File f(path);
  Weights w;
  w.config = read_config(f, what);
  for (const auto& [name, shape] : validate_file(f, w.config, what)) {
    h5::Array<float> a = f.read<float>(std::string(kWeightGroup) + "/" + name);
    w.tensors.emplace(name, Tensor(shape, std::move(a.data)));
  }
  return w;
}

Weights convert_checkpoint(const fs::path& checkpoint, const ModelConfig& base) {
  Weights raw = load_checkpoint(checkpoint);
  int dropped = 0;
  for (auto it = raw.tensors.begin(); it != raw.tensors.end();) {
    if (it->first.ends_with(".calls_since_last_redraw")) {
      it = raw.tensors.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  log::debug("dropped ", dropped, " calls_since_last_redraw counters");
  raw.config = infer_config(raw, base);
  check_weights(raw, checkpoint.string());
  return raw;
}

}  // namespace trifold::model
