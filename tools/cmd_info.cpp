// `trifold info`: what a TriFold weight file holds (architecture, hyper-parameters, parameter count).
#include <iostream>

#include "model/weight_table.hpp"
#include "model/weights_h5.hpp"
#include "tools/command.hpp"

namespace trifold::cli {

namespace {

std::string grouped(int64_t v) {  // 136819383 → "136,819,383"
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

}  // namespace

int run_info(const std::vector<std::string>& args) {
  po::options_description o("info options");
  o.add_options()("weights", po::value<std::string>()->required(), "TriFold weight file (.h5)");
  po::positional_options_description pos;
  pos.add("weights", 1);
  po::variables_map vm;
  if (!parse("info", "WEIGHTS.h5", args, o, pos, vm)) return 0;

  const std::string path = vm["weights"].as<std::string>();
  std::string source;
  // Validates header, key set, shapes and dtypes (not the values), so the counts below describe this file.
  model::ModelConfig c = model::check_weights_h5(path, &source);
  std::cout << "file            " << path << "\n"
            << "architecture    " << c.architecture << "\n"
            << "format_version  " << model::kWeightFormatVersion << "\n"
            << "source          " << source << "\n"
            << "tensors         " << model::expected_tensors(c).size() << "\n"
            << "parameters      " << grouped(model::parameter_count(c)) << " (buffers excluded)\n"
            << "buffer values   " << grouped(model::buffer_value_count(c))
            << " (PE tables, div_terms, Performer projection matrices)\n"
            << "hyper-parameters\n";
  for (const auto& [name, v] : model::hyper_parameters(c)) std::cout << "  " << name << " = " << v << "\n";
  return 0;
}

}  // namespace trifold::cli
