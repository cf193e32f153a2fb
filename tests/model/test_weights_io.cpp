// Tests of Weights loading from the official checkpoint format (golden tiny/small checkpoints).
#include <gtest/gtest.h>

#include <cstring>

#include "model/weight_table.hpp"
#include "model/weights_io.hpp"
#include "tests/common/test_data.hpp"

namespace trifold::model {
namespace {

TEST(WeightsIo, LoadCheckpointKeysAndShapes) {
  TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/tiny/RoseTTAFold_e2e.pt");
  Weights w = load_checkpoint(test::shared_path("golden/rf1/weights/tiny/RoseTTAFold_e2e.pt"));
  EXPECT_EQ(w.tensors.size(), 1884u);  // golden README: tiny has 1,884 state_dict entries
  EXPECT_EQ(w.get("msa_emb.emb.weight").shape(), (Shape{21, 64}));
  EXPECT_EQ(w.get("msa_emb.pos.pe").shape(), (Shape{1, 5000, 64}));
  EXPECT_EQ(w.get("feat_extractor.iter_block_2.0.str2str.se3.Gblock.0.GMAB.v.kernel_unary.(0,1).rp.net.0.weight")
                .shape(),
            (Shape{32, 33}));  // RadialFunc first Linear: edge features 32 + |d|
  // Hyper-parameters inferred from the shapes; tiny's SE(3) head counts equal the official default 4.
  EXPECT_EQ(hyper_parameters(w.config), hyper_parameters(preset_config("tiny")));
}

TEST(WeightsIo, BothFormatsLoadIdentically) {
  TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/small/RoseTTAFold_e2e.legacy-format.pt");
  Weights z = load_checkpoint(test::shared_path("golden/rf1/weights/small/RoseTTAFold_e2e.pt"));
  Weights l = load_checkpoint(test::shared_path("golden/rf1/weights/small/RoseTTAFold_e2e.legacy-format.pt"));
  ASSERT_EQ(z.tensors.size(), 2140u);
  ASSERT_EQ(l.tensors.size(), 2140u);
  for (const auto& [name, t] : z.tensors) {
    ASSERT_TRUE(l.has(name)) << name;
    const Tensor& u = l.get(name);
    ASSERT_EQ(t.shape(), u.shape()) << name;
    EXPECT_EQ(std::memcmp(t.data(), u.data(), static_cast<size_t>(t.numel()) * 4), 0) << name;
  }
}

}  // namespace
}  // namespace trifold::model
