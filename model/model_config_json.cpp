// MODEL_PARAM JSON reader (Boost.PropertyTree, header-only): flattens nested keys with '.' and maps them onto
// the hyper-parameter names of model/weight_table.hpp.
#include "model/model_config_json.hpp"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "io/error.hpp"
#include "model/weight_table.hpp"

namespace trifold::model {

namespace pt = boost::property_tree;

namespace {

void apply(const pt::ptree& node, const std::string& prefix, ModelConfig& c, const std::string& what,
           std::vector<std::string>& names) {
  for (const auto& [key, child] : node) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (!child.empty()) {
      apply(child, name, c, what, names);
      continue;
    }
    if (name == "p_drop") continue;
    const std::string v = child.data();
    int64_t value = 0;
    if (v == "true" || v == "false") {
      value = v == "true";
    } else {
      size_t used = 0;
      try {
        value = std::stoll(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != v.size() || v.empty())
        throw InputError(what + ": '" + name + "' = '" + v + "' is not an integer");
    }
    if (!set_hyper_parameter(c, name, value)) throw InputError(what + ": unknown hyper-parameter '" + name + "'");
    names.push_back(name);
  }
}

}  // namespace

ModelConfig read_model_config_json(const std::filesystem::path& path, const ModelConfig& base,
                                   std::vector<std::string>* names_set) {
  const std::string what = path.string();
  pt::ptree tree;
  try {
    pt::read_json(path.string(), tree);
  } catch (const pt::json_parser_error& e) {
    throw InputError(located(what, static_cast<long>(e.line()), e.message()));
  }
  ModelConfig c = base;
  std::vector<std::string> names;
  if (auto mp = tree.get_child_optional("MODEL_PARAM"))
    apply(*mp, "", c, what, names);
  else
    apply(tree, "", c, what, names);
  if (names_set) *names_set = std::move(names);
  return c;
}

}  // namespace trifold::model
