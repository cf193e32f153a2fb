// Template featurisation (hhr + atab + ffindex -> xyz/t1d/t0d -> t2d) against the reference read_templates()
// and xyz_to_t2d() outputs stored in the L48 golden file, plus malformed-input errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "../common/golden.hpp"
#include "../common/test_data.hpp"
#include "io/error.hpp"
#include "model/templates.hpp"

namespace trifold::model {
namespace {

const char* kCase = "golden/rf1/inputs/L48_N64_templ/";

Tensor drop_batch(Tensor t) {
  Shape s = t.shape();
  s.erase(s.begin());
  t.reshape(s);
  return t;
}

TEST(Templates, MatchReferenceReadTemplatesAndT2d) {
  TRIFOLD_REQUIRE_SHARED(std::string(kCase) + "templ.hhr");
  TRIFOLD_REQUIRE_SHARED("golden/rf1/outputs/tiny_L48_N64_templ.h5");
  test::Golden g(test::shared_path("golden/rf1/outputs/tiny_L48_N64_templ.h5").string());
  const std::string dir = test::shared_path(kCase).string();
  TemplateFeatures f = read_templates(48, dir + "tmpl_db", dir + "templ.hhr", dir + "templ.atab");
  EXPECT_EQ(f.ids, (std::vector<std::string>{"T1078nat_A", "T1078rf_A", "T1031nat_A"}));

  // xyz: the NaN pattern (unaligned query positions) must be identical; finite coordinates are parsed from
  // "%8.3f" text into fp32 on both sides, so they must agree to fp32 rounding (1e-6 relative).
  Tensor want_xyz = g.tensor("inputs/templ_xyz_t");
  ASSERT_EQ(f.xyz.shape(), want_xyz.shape());
  Tensor got_f(f.xyz.shape()), want_f(want_xyz.shape());
  int64_t nan_mismatch = 0, n_nan = 0;
  for (int64_t i = 0; i < want_xyz.numel(); ++i) {
    const bool a = std::isnan(f.xyz[i]), b = std::isnan(want_xyz[i]);
    nan_mismatch += a != b;
    n_nan += b;
    got_f[i] = a ? 0.0f : f.xyz[i];
    want_f[i] = b ? 0.0f : want_xyz[i];
  }
  EXPECT_EQ(nan_mismatch, 0);
  EXPECT_GT(n_nan, 0);  // templates 2 and 3 leave query positions unaligned
  EXPECT_LE(test::compare("templ_xyz_t", got_f, want_f).rel_l2, 1e-6);
  EXPECT_LE(test::compare("templ_t1d", f.t1d, g.tensor("inputs/templ_t1d")).rel_l2, 1e-6);
  EXPECT_LE(test::compare("templ_t0d", f.t0d, g.tensor("inputs/templ_t0d")).rel_l2, 1e-6);
  EXPECT_LE(test::compare("t1d", f.t1d, drop_batch(g.tensor("inputs/t1d"))).rel_l2, 1e-6);

  // t2d: we evaluate distances and angles in double, the reference in fp32 (torch.cdist via |a|²+|b|²−2a·b
  // on ~100 Å coordinates): that costs ~1e-5 relative, so 1e-4 bounds it with margin. The distance mask
  // (d < 20 Å) must also agree: a flipped pair would show as an O(1) error in its 7 channels.
  Tensor t2d = xyz_to_t2d(f.xyz, f.t0d);
  test::CompareResult r = test::compare("t2d", t2d, drop_batch(g.tensor("inputs/t2d")));
  EXPECT_EQ(r.n_nan, 0);
  EXPECT_LE(r.rel_l2, 1e-4);
  EXPECT_LE(r.max_abs, 1e-3);
}

TEST(Templates, NoTemplateT2dIsZeroExceptT0d) {
  Tensor xyz({1, 5, 3, 3}, std::nanf(""));
  Tensor t0d({1, 3});
  Tensor t2d = xyz_to_t2d(xyz, t0d);
  for (int64_t i = 0; i < t2d.numel(); ++i) ASSERT_EQ(t2d[i], 0.0f);
}

TEST(Templates, MalformedAtabNamesFileAndLine) {
  test::ScratchDir dir("templates_bad");
  {
    std::ofstream(dir / "x.atab") << ">hit\n    i     j  score     SS  probab  dssp\n    1    oops\n";
    std::ofstream(dir / "x.hhr") << "\n>hit\nProbab=50.0 E-value=1 Score=1 Aligned_cols=1 Identities=5% Similarity=0.1 "
                                   "Sum_probs=1 Template_Neff=1\n";
    std::ofstream(dir / "db_pdb.ffindex") << "";
    std::ofstream(dir / "db_pdb.ffdata") << "";
  }
  try {
    read_templates(10, (dir / "db").string(), (dir / "x.hhr").string(), (dir / "x.atab").string());
    FAIL() << "expected InputError";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("x.atab:3"), std::string::npos) << e.what();
  }
}

// An .hhr statistic must be a whole finite number: std::stod read "50.0abc" as 50 and accepted "nan".
TEST(Templates, HhrStatisticWithTrailingTextOrNanNamesFileAndLine) {
  for (const char* probab : {"50.0abc", "nan", "inf"}) {
    SCOPED_TRACE(probab);
    test::ScratchDir dir("templates_bad_hhr");
    std::ofstream(dir / "x.atab") << ">hit\n    i     j  score     SS  probab  dssp\n    1     1  1.0  0.1  0.9\n";
    std::ofstream(dir / "x.hhr") << "\n>hit\nProbab=" << probab
                                 << " E-value=1 Score=1 Aligned_cols=1 Identities=5% Similarity=0.1 Sum_probs=1\n";
    std::ofstream(dir / "db_pdb.ffindex") << "";
    std::ofstream(dir / "db_pdb.ffdata") << "";
    try {
      read_templates(10, (dir / "db").string(), (dir / "x.hhr").string(), (dir / "x.atab").string());
      FAIL() << "expected InputError";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("x.hhr:3: bad number '" + std::string(probab) + "'"), std::string::npos)
          << e.what();
    }
  }
}

// One hit "hit" aligned to template residues 1..n, with the given .atab pair lines, ffindex line and ffdata text;
// returns read_templates' InputError message ("" when it succeeds). Other exceptions escape and fail the test.
std::string template_error(const std::string& tag, const std::string& atab_pairs, const std::string& ffindex,
                           const std::string& ffdata) {
  test::ScratchDir dir(tag);
  {
    std::ofstream(dir / "x.atab") << ">hit\n    i     j  score     SS  probab  dssp\n" << atab_pairs;
    std::ofstream(dir / "x.hhr") << ">hit\nProbab=50.0 E-value=1 Score=1 Aligned_cols=1 Identities=5% Similarity=0.1 "
                                   "Sum_probs=1 Template_Neff=1\n";
    std::ofstream(dir / "db_pdb.ffindex") << ffindex;
    std::ofstream(dir / "db_pdb.ffdata", std::ios::binary) << ffdata;
  }
  try {
    read_templates(10, (dir / "db").string(), (dir / "x.hhr").string(), (dir / "x.atab").string());
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

const char* kCaLine = "ATOM      2  CA  ALA A   1      11.104   6.134  -6.504  1.00  0.00           C\n";

// Found by tests/fuzz/fuzz_templates: a template PDB line whose residue number or coordinate is not a number
// escaped as std::invalid_argument from std::stoi / std::stof (terminate in the pipeline).
TEST(Templates, MalformedNumberInTemplatePdbNamesEntryAndLine) {
  std::string pdb = std::string(kCaLine) + kCaLine;
  pdb.replace(std::string(kCaLine).size() + 22, 4, "  x1");  // second line: residue number
  std::string err = template_error("templates_bad_resno", "1 1 1.0 0.1 0.9\n",
                                   "hit\t0\t" + std::to_string(pdb.size() + 1) + "\n", pdb + '\0');
  EXPECT_NE(err.find("db_pdb.ffdata: entry hit, line 2: malformed residue number '  x1'"), std::string::npos) << err;

  pdb = kCaLine;
  pdb.replace(30, 8, "   1.0.0");  // x coordinate
  err = template_error("templates_bad_x", "1 1 1.0 0.1 0.9\n", "hit\t0\t" + std::to_string(pdb.size() + 1) + "\n",
                       pdb + '\0');
  EXPECT_NE(err.find("entry hit, line 1: malformed x coordinate '   1.0.0'"), std::string::npos) << err;

  pdb = std::string(kCaLine).substr(0, 20) + "\n";  // a CA line cut before the residue number
  err = template_error("templates_short", "1 1 1.0 0.1 0.9\n", "hit\t0\t" + std::to_string(pdb.size() + 1) + "\n",
                       pdb + '\0');
  EXPECT_NE(err.find("entry hit, line 1: malformed residue number"), std::string::npos) << err;
}

// An ffindex offset of -1 (read as SIZE_MAX) made offset + length wrap around the bounds check, and
// ffdata.substr() threw std::out_of_range.
TEST(Templates, FfindexOffsetThatWrapsIsInputError) {
  std::string err = template_error("templates_wrap", "1 1 1.0 0.1 0.9\n", "hit\t-1\t2\n", "ab");
  EXPECT_NE(err.find("db_pdb.ffdata: entry hit outside the data file"), std::string::npos) << err;
  err = template_error("templates_wrap2", "1 1 1.0 0.1 0.9\n", "hit\t18446744073709551615\t2\n", "ab");
  EXPECT_NE(err.find("outside the data file"), std::string::npos) << err;
}

// A query position of INT_MIN in the .atab: `i - 1` overflowed an int (undefined behaviour, seen by UBSan only;
// the error message is the same either way).
TEST(Templates, AtabQueryPositionIntMinIsInputError) {
  std::string err = template_error("templates_intmin", "-2147483648 1 1.0 0.1 0.9\n",
                                   "hit\t0\t" + std::to_string(std::string(kCaLine).size() + 1) + "\n",
                                   std::string(kCaLine) + '\0');
  EXPECT_NE(err.find("x.atab: hit hit aligns query position -2147483648 beyond the query length 10"),
            std::string::npos) << err;
}

}  // namespace
}  // namespace trifold::model
