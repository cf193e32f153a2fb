// The full-size trunk gives the same bits on any thread count (docs/STYLE.md 7): full-config random weights,
// so that its products are large enough for cpu::gemm's blocked path (the golden configs' are not).
#include <gtest/gtest.h>
#include <omp.h>

#include <tuple>

#include "model/features.hpp"
#include "model/rf1/trunk.hpp"
#include "model/weight_table.hpp"
#include "model/weights_random.hpp"

namespace trifold::model {
namespace {

TEST(Rf1Determinism, FullSizeTrunkDoesNotDependOnThreadCount) {
  const Weights w = random_weights(preset_config("full"), 3);
  rf1::Trunk trunk(w);
  const TrunkInputs in = make_inputs_without_templates(random_msa(8, 24, 4));
  const int saved = omp_get_max_threads();
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    rf1::Trunk::State s = trunk.run_to_init_str(in);
    rf1::DistanceOutputs o = trunk.distance(s.pair);
    return std::make_tuple(s.msa, s.pair, s.xyz, o.prob_s);
  };
  const auto one = run(1), two = run(2), three = run(3);
  omp_set_num_threads(saved);
  EXPECT_EQ(std::get<0>(one).vec(), std::get<0>(two).vec()) << "msa";
  EXPECT_EQ(std::get<1>(one).vec(), std::get<1>(two).vec()) << "pair";
  EXPECT_EQ(std::get<2>(one).vec(), std::get<2>(two).vec()) << "xyz";
  EXPECT_EQ(std::get<3>(one).vec(), std::get<3>(two).vec()) << "prob_s";
  EXPECT_EQ(std::get<1>(one).vec(), std::get<1>(three).vec()) << "pair, 3 threads";
  EXPECT_EQ(std::get<3>(one).vec(), std::get<3>(three).vec()) << "prob_s, 3 threads";
}

}  // namespace
}  // namespace trifold::model
