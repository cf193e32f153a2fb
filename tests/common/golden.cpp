// Golden dump reader and tensor comparison for parity tests.
#include "golden.hpp"

#include <cmath>
#include <cstdio>
#include <mutex>
#include <sstream>

#include "io/error.hpp"

namespace trifold::test {
namespace {

std::map<std::string, CompareResult>& report() {
  static std::map<std::string, CompareResult> r;
  return r;
}

// Parses "(1, 20, 3, 3)" or "[1, 20, 3, 3]".
model::Shape parse_shape_string(const std::string& s) {
  model::Shape out;
  std::string num;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      num += c;
    } else if (!num.empty()) {
      out.push_back(std::stoll(num));
      num.clear();
    }
  }
  if (!num.empty()) out.push_back(std::stoll(num));
  return out;
}

std::string with_slash(const std::string& name) { return name.empty() || name[0] == '/' ? name : "/" + name; }

}  // namespace

Golden::Golden(const std::string& path) : path_(path), file_(path, h5::File::Mode::Read) {}

bool Golden::has(const std::string& name) const { return file_.exists(with_slash(name)); }

std::string Golden::resolve(const std::string& name, model::Shape* alias_shape) const {
  std::string cur = with_slash(name);
  for (int hop = 0; hop < 8; ++hop) {
    if (!file_.exists(cur)) throw InputError(path_ + ": no dataset '" + cur + "'");
    if (!file_.has_attr(cur, "alias_of")) return cur;
    if (alias_shape && alias_shape->empty()) {
      try {
        *alias_shape = file_.attr_ints(cur, "shape");
      } catch (const std::exception&) {
        *alias_shape = parse_shape_string(file_.attr_string(cur, "shape"));
      }
    }
    cur = with_slash(file_.attr_string(cur, "alias_of"));
  }
  throw InputError(path_ + ": alias chain too long at '" + name + "'");
}

model::Shape Golden::shape(const std::string& name) const {
  model::Shape s;
  std::string target = resolve(name, &s);
  if (!s.empty()) return s;
  return file_.shape(target);
}

model::Tensor Golden::tensor(const std::string& name) const {
  model::Shape s;
  std::string target = resolve(name, &s);
  h5::Array<float> a = file_.read<float>(target);
  model::Shape shp = s.empty() ? model::Shape(a.shape.begin(), a.shape.end()) : s;
  return model::Tensor(shp, std::move(a.data));
}

std::vector<int32_t> Golden::ints(const std::string& name) const {
  std::string target = resolve(name, nullptr);
  return file_.read<int32_t>(target).data;
}

std::string Golden::root_attr(const std::string& name) const { return file_.attr_string("/", name); }

std::optional<Golden::Subsample> Golden::subsample(const std::string& name) const {
  const std::string p = with_slash(name);
  if (!file_.exists(p) || !file_.has_attr(p, "subsample_axis")) return std::nullopt;
  Subsample s;
  s.axis = static_cast<int>(file_.attr_int(p, "subsample_axis"));
  s.index = file_.attr_ints(p, "subsample_index");
  return s;
}

CompareResult compare(const model::Tensor& got, const model::Tensor& ref) {
  CompareResult r;
  r.shape_ok = got.shape() == ref.shape();
  TRIFOLD_CHECK(got.numel() == ref.numel(),
                "compare: element count " + model::shape_str(got.shape()) + " vs " + model::shape_str(ref.shape()));
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double g = got[i], f = ref[i];
    if (!std::isfinite(g)) {
      ++r.n_nan;
      continue;
    }
    const double d = g - f;
    num += d * d;
    den += f * f;
    if (std::fabs(d) > r.max_abs) {
      r.max_abs = std::fabs(d);
      r.worst_index = i;
    }
  }
  r.rel_l2 = den > 0.0 ? std::sqrt(num / den) : std::sqrt(num);
  return r;
}

CompareResult compare(const std::string& module, const model::Tensor& got, const model::Tensor& ref) {
  CompareResult r = compare(got, ref);
  std::printf("  %-70s rel_l2 %.3e  max_abs %.3e%s\n", module.c_str(), r.rel_l2, r.max_abs,
              r.n_nan ? "  NaN!" : "");
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto& rep = report();
  auto it = rep.find(module);
  if (it == rep.end() || r.rel_l2 > it->second.rel_l2 || r.n_nan) rep[module] = r;
  return r;
}

model::Tensor take(const model::Tensor& full, int axis, const std::vector<int64_t>& index) {
  const int nd = full.ndim();
  const int a = axis < 0 ? axis + nd : axis;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= full.dim(i);
  for (int i = a + 1; i < nd; ++i) inner *= full.dim(i);
  model::Shape s = full.shape();
  const int64_t n = full.dim(a);
  s[static_cast<size_t>(a)] = static_cast<int64_t>(index.size());
  model::Tensor out(s);
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < index.size(); ++k)
      for (int64_t in = 0; in < inner; ++in)
        out[(o * static_cast<int64_t>(index.size()) + static_cast<int64_t>(k)) * inner + in] =
            full[(o * n + index[k]) * inner + in];
  return out;
}

void print_report(const std::string& title) {
  std::printf("\n== worst relative L2 error per module: %s ==\n", title.c_str());
  for (const auto& [m, r] : report())
    std::printf("  %-70s %.3e (max_abs %.3e)%s\n", m.c_str(), r.rel_l2, r.max_abs, r.n_nan ? " NaN!" : "");
  std::fflush(stdout);
}

void clear_report() { report().clear(); }

}  // namespace trifold::test
