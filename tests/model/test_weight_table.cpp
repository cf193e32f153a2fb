// The expected-tensor table (model/weight_table) against the official key list (full size) and the golden
// tiny/small checkpoints: same names, same shapes, nothing missing, nothing extra.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "model/weight_table.hpp"
#include "model/weights_io.hpp"
#include "tests/common/test_data.hpp"

namespace trifold::model {
namespace {

using ShapeMap = std::map<std::string, Shape>;

ShapeMap table_map(const ModelConfig& c) {
  ShapeMap m;
  for (const auto& t : expected_tensors(c)) EXPECT_TRUE(m.emplace(t.name, t.shape).second) << "duplicate " << t.name;
  return m;
}

bool is_counter(const std::string& k) { return k.ends_with(".calls_since_last_redraw"); }

// Lists every difference (missing, unexpected, shape) and fails if there is any.
void expect_same(const ShapeMap& want, const ShapeMap& got, const std::string& what) {
  int diffs = 0;
  for (const auto& [k, s] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      if (diffs++ < 20) ADD_FAILURE() << what << ": table has '" << k << "' " << shape_str(s) << ", reference does not";
    } else if (it->second != s) {
      if (diffs++ < 20) ADD_FAILURE() << what << ": '" << k << "' table " << shape_str(s) << " vs reference " << shape_str(it->second);
    }
  }
  for (const auto& [k, s] : got)
    if (!want.count(k) && diffs++ < 20) ADD_FAILURE() << what << ": reference has '" << k << "', table does not";
  EXPECT_EQ(diffs, 0) << what;
}

TEST(WeightTable, FullSizeMatchesOfficialKeyList) {
  TRIFOLD_REQUIRE_SHARED("docs/rosettafold_v1_e2e_state_dict_keys.tsv");
  std::istringstream in(read_file(test::shared_path("docs/rosettafold_v1_e2e_state_dict_keys.tsv")));
  ShapeMap ref;
  std::string line;
  int counters = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string key, shape;
    std::getline(f, key, '\t');
    std::getline(f, shape, '\t');
    if (is_counter(key)) {
      ++counters;
      continue;
    }
    Shape s;
    static const std::regex number("[0-9]+");
    for (std::sregex_iterator it(shape.begin(), shape.end(), number), end; it != end; ++it)
      s.push_back(std::stoll(it->str()));
    ref.emplace(key, s);
  }
  EXPECT_EQ(counters, 43);  // spec 4.13: 43 Performer layers
  EXPECT_EQ(ref.size(), 5673u - 43u);
  expect_same(table_map(preset_config("full")), ref, "full");
}

TEST(WeightTable, FullSizeCounts) {
  // spec 4.13 (instantiating the official class): 136,819,383 parameters; 2,013,315 buffer values of which 43
  // are the int64 counters that TriFold drops.
  EXPECT_EQ(parameter_count(preset_config("full")), 136819383);
  EXPECT_EQ(buffer_value_count(preset_config("full")), 2013315 - 43);
}

int64_t config_int(const std::string& cfg, const std::string& key) {
  std::smatch m;
  std::string text = read_file(test::shared_path("golden/rf1/weights/" + cfg + "/config.json"));
  if (!std::regex_search(text, m, std::regex("\"" + key + "\": ([0-9]+)"))) return -1;
  return std::stoll(m[1]);
}

class GoldenTable : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTable, MatchesCheckpoint) {
  const std::string cfg = GetParam();
  TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/" + cfg + "/RoseTTAFold_e2e.pt");
  Weights w = load_checkpoint(test::shared_path("golden/rf1/weights/" + cfg + "/RoseTTAFold_e2e.pt"));
  ShapeMap ref;
  for (const auto& [k, t] : w.tensors)
    if (!is_counter(k)) ref.emplace(k, t.shape());
  expect_same(table_map(preset_config(cfg)), ref, cfg);
  EXPECT_EQ(parameter_count(preset_config(cfg)), config_int(cfg, "n_parameters"));
}

INSTANTIATE_TEST_SUITE_P(Configs, GoldenTable, ::testing::Values("tiny", "small"));

TEST(WeightTable, RejectsImpossibleConfigs) {
  ModelConfig c = preset_config("tiny");
  c.d_msa = 0;
  EXPECT_THROW(expected_tensors(c), InputError);
  c = preset_config("tiny");
  c.use_templ = false;
  EXPECT_THROW(expected_tensors(c), InputError);
  EXPECT_THROW(preset_config("huge"), InputError);
}

TEST(WeightTable, HyperParameterNamesRoundTrip) {
  ModelConfig a = preset_config("small"), b;
  for (const auto& [name, v] : hyper_parameters(a)) EXPECT_TRUE(set_hyper_parameter(b, name, v)) << name;
  EXPECT_EQ(hyper_parameters(a), hyper_parameters(b));
  EXPECT_FALSE(set_hyper_parameter(b, "no_such_parameter", 1));
}

}  // namespace
}  // namespace trifold::model
