// End to end from the raw inputs (query.a3m [+ templates] + checkpoint): logits, prob_s, trunk node/xyz/lDDT,
// and the refined structure with the iteration count forced to the reference's.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_golden.hpp"

using namespace trifold;
using namespace trifold::model;
namespace eg = trifold::test::e2eg;

namespace {

class E2eNetwork : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  static void TearDownTestSuite() {
    test::print_report("e2e from raw inputs");
    test::clear_report();
  }
};

TEST_P(E2eNetwork, FromRawInputs) {
  const auto [cfg, cas] = GetParam();
  eg::check_golden_case<e2e::Network>(cfg, cas, "", [](e2e::Network&) {});
}

INSTANTIATE_TEST_SUITE_P(Cases, E2eNetwork,
                         ::testing::Combine(::testing::Values("tiny", "small"),
                                            ::testing::Values("L20_N16_notempl", "L48_N64_templ")));

}  // namespace
