// PDB reader/writer: records, altlocs, models, MSE, blank chains, errors, round trip on real files.
#include <gtest/gtest.h>

#include <cmath>

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

// "nan" and "inf" parse as doubles; a coordinate must be a finite number (scoring a NaN model hung before).
TEST(Pdb, NonFiniteCoordinateIsAnErrorNamingTheLine) {
  for (const char* value : {"     nan", "     inf", "    -inf"}) {
    const std::string text = std::string("ATOM      1  N   ALA A   1      11.104   6.134  -6.504\n") +
                             "ATOM      2  CA  ALA A   1      11.639" + value + "  -5.147\n";
    try {
      parse_pdb(text, "nan.pdb");
      FAIL() << "expected InputError for '" << value << "'";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("nan.pdb:2: y coordinate"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("not a finite number"), std::string::npos) << e.what();
    }
  }
}

namespace {
Structure one_atom(double x, double b, int seqnum) {
  Structure s;
  Residue r;
  r.name = "ALA";
  r.seqnum = seqnum;
  Atom a;
  a.name = "CA";
  a.element = "C";
  a.pos = {x, 2.0, 3.0};
  a.bfactor = b;
  r.atoms.push_back(a);
  s.chains.push_back(Chain{"A", {r}});
  return s;
}

std::string format_error(const Structure& s) {
  try {
    format_pdb(s);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

// PDB columns are fixed: x = 12345.678 printed 9 characters and pushed y and z one column right, which a reader
// then misread (before: a corrupt file and exit 0). Values at the edges of each field still write and read back.
TEST(Pdb, WriterRefusesValuesWiderThanTheirColumns) {
  for (double x : {-999.999, 9999.999}) {
    Structure back = parse_pdb(format_pdb(one_atom(x, 999.99, 9999)), "edge.pdb");
    const Residue& r = back.chains.at(0).residues.at(0);
    EXPECT_DOUBLE_EQ(r.atoms.at(0).pos.x, x);
    EXPECT_DOUBLE_EQ(r.atoms.at(0).pos.y, 2.0);
    EXPECT_DOUBLE_EQ(r.atoms.at(0).bfactor, 999.99);
    EXPECT_EQ(r.seqnum, 9999);
  }
  std::string msg = format_error(one_atom(12345.678, 50, 1));
  EXPECT_NE(msg.find("x coordinate 12345.7 of atom CA of residue ALA 1 chain 'A'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mmCIF"), std::string::npos) << msg;
  EXPECT_NE(format_error(one_atom(-1000.5, 50, 1)).find("x coordinate"), std::string::npos);
  EXPECT_NE(format_error(one_atom(std::nan(""), 50, 1)).find("x coordinate nan"), std::string::npos);
  EXPECT_NE(format_error(one_atom(1, 1000.0, 1)).find("B-factor 1000"), std::string::npos);
  EXPECT_NE(format_error(one_atom(1, 50, 10000)).find("residue number 10000"), std::string::npos);
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
