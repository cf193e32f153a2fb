// A3M tokenisation like the reference parse_a3m (insertions dropped, unknown letters as gap), idx/one-hot,
// empty no-template inputs, and the errors for malformed alignments.
#include <gtest/gtest.h>

#include "model/features.hpp"

namespace trifold::model {
namespace {

TEST(Features, ParseA3mLikeReference) {
  // Row 2 has insertions (lower case) that must vanish; X, B, '.', '*' and U are all gap (20).
  const std::string text = ">query\nARND-\n>hit1 description\nAxxRN.D\n>hit2\nXBUZ*  \n\n";
  MsaTokens m = parse_a3m_tokens(text, "t.a3m");
  ASSERT_EQ(m.n_rows, 3);
  ASSERT_EQ(m.length, 5);
  EXPECT_EQ(m.tokens, (std::vector<int32_t>{0, 1, 2, 3, 20, 0, 1, 2, 20, 3, 20, 20, 20, 20, 20}));
}

TEST(Features, RowLengthMismatchNamesFileAndLine) {
  try {
    parse_a3m_tokens(">q\nARND\n>h\nARN\n", "bad.a3m");
    FAIL() << "expected InputError";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("bad.a3m:4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_a3m_tokens(">q\n\n", "empty.a3m"), std::exception);
}

TEST(Features, FirstThousandRowsAndEmptyTemplates) {
  MsaTokens m;
  m.length = 3;
  m.n_rows = 1200;
  m.tokens.assign(3600, 5);
  m.tokens[0] = 7;
  TrunkInputs in = make_inputs_without_templates(m);
  EXPECT_EQ(in.msa.n_rows, 1000);
  EXPECT_EQ(static_cast<int64_t>(in.msa.tokens.size()), 3000);
  EXPECT_EQ(in.seq, (std::vector<int32_t>{7, 5, 5}));
  EXPECT_EQ(in.idx, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(in.t1d.shape(), (Shape{1, 3, 3}));
  EXPECT_EQ(in.t2d.shape(), (Shape{1, 3, 3, 10}));
  Tensor oh = one_hot_21(in.seq);
  EXPECT_EQ(oh[0 * 21 + 7], 1.0f);
  EXPECT_EQ(oh[1 * 21 + 5], 1.0f);
  float s = 0;
  for (float v : oh.vec()) s += v;
  EXPECT_EQ(s, 3.0f);
}

}  // namespace
}  // namespace trifold::model
