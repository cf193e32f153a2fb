// PDB reader/writer: records, altlocs, models, MSE, blank chains, errors, round trip on real files.
#include <gtest/gtest.h>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/pdb.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;

namespace {
const char* kTwoModels =
    "MODEL        1\n"
    "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\n"
    "ATOM      2  CA AALA A   1      11.639   6.071  -5.147  0.40  0.00           C\n"
    "ATOM      3  CA BALA A   1      12.000   6.000  -5.000  0.60  0.00           C\n"
    "HETATM    4 SE   MSE A   2       1.000   2.000   3.000  1.00  9.00          SE\n"
    "ATOM      5  CA  GLY A   2A      4.000   5.000   6.000  1.00  0.00           C\n"
    "HETATM    6  O   HOH A 101       0.000   0.000   0.000  1.00  0.00           O\n"
    "ENDMDL\n"
    "MODEL        2\n"
    "ATOM      1  CA  ALA A   1       0.000   0.000   0.000  1.00  0.00           C\n"
    "ENDMDL\n";
}

TEST(Pdb, AltlocsMseInsertionCodesWaters) {
  Structure s = parse_pdb(kTwoModels, "t.pdb");
  ASSERT_EQ(s.chains.size(), 1u);
  const auto& res = s.chains[0].residues;
  ASSERT_EQ(res.size(), 3u);
  ASSERT_NE(res[0].find("CA"), nullptr);
  EXPECT_DOUBLE_EQ(res[0].find("CA")->pos.x, 12.0);  // occupancy 0.6 wins over 0.4
  EXPECT_EQ(res[1].name, "MET");
  ASSERT_NE(res[1].find("SD"), nullptr);
  EXPECT_EQ(res[2].icode, 'A');
  EXPECT_EQ(s.sequence(), "AMG");
}

TEST(Pdb, SecondModel) {
  PdbReadOptions o;
  o.model = 2;
  Structure s = parse_pdb(kTwoModels, "t.pdb", o);
  EXPECT_EQ(s.atom_count(), 1u);
  o.model = 3;
  EXPECT_THROW(parse_pdb(kTwoModels, "t.pdb", o), InputError);
}

TEST(Pdb, TruncatedRecordNamesLine) {
  try {
    parse_pdb("ATOM      1  N   ALA A   1      11.104   6.134\n", "bad.pdb");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pdb:1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_pdb("HEADER nothing here\n", "empty.pdb"), InputError);
  EXPECT_THROW(parse_pdb("ATOM      1  N   ALA A   1      1x.104   6.134  -6.504\n", "bad.pdb"), InputError);
}

TEST(Pdb, RoundTripRealNative) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1034-D1/native.pdb");
  Structure a = read_pdb(test::shared_path("data/casp14/T1034-D1/native.pdb"));
  ASSERT_GT(a.residue_count(), 100u);
  EXPECT_EQ(a.chains[0].id, "");  // CASP natives have a blank chain ID
  Structure b = parse_pdb(format_pdb(a), "roundtrip");
  ASSERT_EQ(a.sequence(), b.sequence());
  ASSERT_EQ(a.atom_count(), b.atom_count());
  for (size_t i = 0; i < a.chains[0].residues.size(); ++i) {
    const auto& ra = a.chains[0].residues[i];
    const auto& rb = b.chains[0].residues[i];
    EXPECT_EQ(ra.seqnum, rb.seqnum);
    for (size_t k = 0; k < ra.atoms.size(); ++k) {
      EXPECT_EQ(ra.atoms[k].name, rb.atoms[k].name);
      EXPECT_NEAR(ra.atoms[k].pos.x, rb.atoms[k].pos.x, 5e-4);  // %8.3f
    }
  }
}

TEST(AtomicFile, UncommittedLeavesNothing) {
  test::ScratchDir dir("atomic");
  auto target = dir / "out.pdb";
  {
    AtomicFile f(target);
    f.stream() << "partial";
  }
  EXPECT_FALSE(std::filesystem::exists(target));
  write_file_atomic(target, "complete");
  EXPECT_EQ(read_file(target), "complete");
}
