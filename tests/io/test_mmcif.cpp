// mmCIF writer/reader round trips on real natives and AlphaFold2 models, and a load check in OpenStructure.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/mmcif.hpp"
#include "io/pdb.hpp"
#include "tests/common/test_data.hpp"

namespace trifold {
namespace {

// Real files: CASP14/15 natives (blank chain IDs) and AF2 CASP14 models (chain IDs, full targets).
const char* kNatives[] = {"data/casp14/T1025-D1/native.pdb", "data/casp14/T1034-D1/native.pdb",
                          "data/casp14/T1078-D1/native.pdb", "data/casp14/T1091-D2/native.pdb",
                          "data/casp15/T1104-D1/native.pdb", "data/casp15/T1119-D1/native.pdb"};
const char* kModels[] = {"data/casp14/T1034-D1/models/T1034TS427_1.pdb",
                         "data/casp14/T1049-D1/models/T1049TS427_1.pdb",
                         "data/casp14/T1091-D2/models/T1091TS427_1-trimmed.pdb",
                         "data/casp14/T1078-D1/models/RoseTTAFold_t000_.e2e.pdb"};

// Exact equality: both formats carry 3 decimals for coordinates and 2 for occupancy/B, and each value is
// printed from the double parsed from the same text, so no tolerance is needed.
void expect_same(const Structure& a, const Structure& b, const std::string& what) {
  ASSERT_EQ(a.chains.size(), b.chains.size()) << what;
  for (size_t c = 0; c < a.chains.size(); ++c) {
    const Chain& ca = a.chains[c];
    const Chain& cb = b.chains[c];
    EXPECT_EQ(ca.id, cb.id) << what << " chain " << c;
    ASSERT_EQ(ca.residues.size(), cb.residues.size()) << what << " chain " << c;
    for (size_t r = 0; r < ca.residues.size(); ++r) {
      const Residue& ra = ca.residues[r];
      const Residue& rb = cb.residues[r];
      ASSERT_EQ(ra.name, rb.name) << what << " residue " << ra.seqnum;
      ASSERT_EQ(ra.seqnum, rb.seqnum) << what;
      ASSERT_EQ(ra.icode, rb.icode) << what << " residue " << ra.seqnum;
      ASSERT_EQ(ra.het, rb.het) << what << " residue " << ra.seqnum;
      ASSERT_EQ(ra.atoms.size(), rb.atoms.size()) << what << " residue " << ra.seqnum;
      for (size_t i = 0; i < ra.atoms.size(); ++i) {
        const Atom& x = ra.atoms[i];
        const Atom& y = rb.atoms[i];
        ASSERT_EQ(x.name, y.name) << what << " residue " << ra.seqnum;
        ASSERT_EQ(x.element, y.element) << what << " " << x.name;
        ASSERT_EQ(x.pos.x, y.pos.x) << what << " " << ra.seqnum << " " << x.name;
        ASSERT_EQ(x.pos.y, y.pos.y) << what << " " << ra.seqnum << " " << x.name;
        ASSERT_EQ(x.pos.z, y.pos.z) << what << " " << ra.seqnum << " " << x.name;
        ASSERT_EQ(x.occupancy, y.occupancy) << what;
        ASSERT_EQ(x.bfactor, y.bfactor) << what;
      }
    }
  }
}

TEST(Mmcif, RoundTripRealNatives) {
  for (const char* rel : kNatives) {
    TRIFOLD_REQUIRE_SHARED(rel);
    Structure pdb = read_pdb(test::shared_path(rel));
    ASSERT_GT(pdb.atom_count(), 100u) << rel;
    std::string cif = format_mmcif(pdb, "T");
    Structure back = parse_mmcif(cif, rel);
    expect_same(pdb, back, rel);
  }
}

TEST(Mmcif, RoundTripAf2Models) {
  for (const char* rel : kModels) {
    TRIFOLD_REQUIRE_SHARED(rel);
    Structure pdb = read_pdb(test::shared_path(rel));
    Structure back = parse_mmcif(format_mmcif(pdb, "model"), rel);
    expect_same(pdb, back, rel);
  }
}

TEST(Mmcif, BlankChainGetsLabelAsymIdAndDotAuthAsymId) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1025-D1/native.pdb");
  Structure pdb = read_pdb(test::shared_path("data/casp14/T1025-D1/native.pdb"));
  ASSERT_EQ(pdb.chains.size(), 1u);
  ASSERT_EQ(pdb.chains[0].id, "");  // CASP natives have a blank chain ID
  std::string cif = format_mmcif(pdb, "T1025");
  // First atom row: label_asym_id 'A' (7th column), auth_asym_id '.' (17th column).
  size_t p = cif.find("\nATOM ");
  ASSERT_NE(p, std::string::npos);
  std::string row = cif.substr(p + 1, cif.find('\n', p + 1) - p - 1);
  std::vector<std::string> f;
  for (size_t b = 0, e; b < row.size(); b = e + 1) {
    e = row.find(' ', b);
    if (e == std::string::npos) e = row.size();
    f.push_back(row.substr(b, e - b));
  }
  ASSERT_EQ(f.size(), 18u) << row;
  EXPECT_EQ(f[6], "A");
  EXPECT_EQ(f[16], ".");
  EXPECT_EQ(f[8], "1");  // label_seq_id is the position in the chain
  EXPECT_EQ(f[15], std::to_string(pdb.chains[0].residues[0].seqnum));  // auth_seq_id keeps the numbering
}

TEST(Mmcif, ChainIdCollisionsGetDistinctLabelAsymIds) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1025-D1/native.pdb");
  Structure pdb = read_pdb(test::shared_path("data/casp14/T1025-D1/native.pdb"));
  // Two chains: one blank and one "A": the blank one must not reuse "A" as label_asym_id.
  Structure two = pdb;
  two.chains.push_back(pdb.chains[0]);
  two.chains[1].id = "A";
  std::string cif = format_mmcif(two, "two");
  EXPECT_NE(cif.find("\nB 1\n"), std::string::npos) << "blank chain should map to label_asym_id B";
  Structure back = parse_mmcif(cif, "two");
  expect_same(two, back, "two chains");
}

TEST(Mmcif, ReaderHandlesQuotesTextFieldsAndAltlocs) {
  const char* text =
      "data_x\n"
      "_entry.id x\n"
      "_struct.title\n;A multi-line\ntitle with 'quotes'\n;\n"
      "loop_\n"
      "_atom_site.group_PDB\n_atom_site.id\n_atom_site.type_symbol\n_atom_site.label_atom_id\n"
      "_atom_site.label_alt_id\n_atom_site.label_comp_id\n_atom_site.label_asym_id\n_atom_site.label_seq_id\n"
      "_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n_atom_site.occupancy\n"
      "_atom_site.B_iso_or_equiv\n_atom_site.auth_seq_id\n_atom_site.auth_asym_id\n"
      "ATOM 1 C \"C1'\" . DA B 1 1.0 2.0 3.0 1.00 10.0 5 B\n"
      "ATOM 2 O \"O5'\" A DA B 1 1.5 2.5 3.5 0.40 11.0 5 B\n"
      "ATOM 3 O 'O5'' B DA B 1 9.5 9.5 9.5 0.60 12.0 5 B\n"
      "HETATM 4 O O . HOH C . 0 0 0 1 1 100 C\n"
      "#\n";
  Structure s = parse_mmcif(text, "inline");
  ASSERT_EQ(s.chains.size(), 1u);  // water skipped by default
  EXPECT_EQ(s.chains[0].id, "B");
  ASSERT_EQ(s.chains[0].residues.size(), 1u);
  const Residue& r = s.chains[0].residues[0];
  EXPECT_EQ(r.seqnum, 5);
  ASSERT_EQ(r.atoms.size(), 2u);
  EXPECT_EQ(r.atoms[0].name, "C1'");
  EXPECT_EQ(r.atoms[1].name, "O5'");
  EXPECT_EQ(r.atoms[1].pos.x, 9.5);  // altloc B has the higher occupancy
}

TEST(Mmcif, BadInputNamesLine) {
  const char* text = "data_x\nloop_\n_atom_site.id\n_atom_site.label_atom_id\n_atom_site.label_comp_id\n"
                     "_atom_site.auth_seq_id\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n"
                     "1 CA ALA 1 1.0 2.0 3.0\n2 CB ALA 1 1.0 zz 3.0\n";
  try {
    parse_mmcif(text, "bad.cif");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.cif:11"), std::string::npos) << e.what();
  }
  // A row missing a value in the middle of the loop takes the next line's first value: the error (a row later,
  // where the misfit shows) also names the line where rows stopped matching lines.
  const char* short_row = "data_x\nloop_\n_atom_site.id\n_atom_site.label_atom_id\n_atom_site.label_comp_id\n"
                          "_atom_site.auth_seq_id\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n"
                          "1 CA ALA 1 1.0 2.0 3.0\n2 CB ALA 1 1.0 2.0\n3 CB ALA 1 1.0 2.0 3.0\n4 CB ALA 1 1.0 2.0 3.0\n";
  try {
    parse_mmcif(short_row, "short.cif");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("short.cif:12: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rows stopped matching lines at the row that starts on line 11: is a value "
                                         "missing there?"),
              std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_mmcif("data_x\n_entry.id x\n", "empty.cif"), InputError);
  EXPECT_THROW(parse_mmcif("ATOM 1\n", "notcif"), InputError);
}

// "nan"/"inf" parse as doubles but are no coordinates; the writer refuses them too (it printed "nan").
TEST(Mmcif, NonFiniteCoordinateIsAnError) {
  const char* text = "data_x\nloop_\n_atom_site.id\n_atom_site.label_atom_id\n_atom_site.label_comp_id\n"
                     "_atom_site.auth_seq_id\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n"
                     "1 CA ALA 1 1.0 2.0 3.0\n2 CB ALA 1 1.0 2.0 -inf\n";
  try {
    parse_mmcif(text, "inf.cif");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("inf.cif:11: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'-inf' is not a finite number"), std::string::npos) << e.what();
  }
  Structure s = parse_mmcif(std::string(text).replace(std::string(text).find("-inf"), 4, "4.0"), "ok.cif");
  s.chains.at(0).residues.at(0).atoms.at(1).pos.y = std::nan("");
  try {
    format_mmcif(s, "x");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("atom CB of residue ALA 1"), std::string::npos) << e.what();
  }
}

// Found by tests/fuzz/fuzz_mmcif: a NUL byte or a newline (from a ;-text field) in an _atom_site value was
// accepted, and the writer then cut the row at the NUL or split it at the newline (write -> read lost atoms).
TEST(Mmcif, ControlCharacterInValueIsInputError) {
  const std::string head = "data_x\nloop_\n_atom_site.label_atom_id\n_atom_site.label_comp_id\n_atom_site.auth_seq_id\n"
                           "_atom_site.auth_asym_id\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n"
                           "CA ALA 1 A 1.0 2.0 3.0\n";
  try {
    parse_mmcif(head + "CB ALA 1 'A" + std::string(1, '\0') + "B' 1.0 2.0 3.0\n", "nul.cif");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("nul.cif:11: _atom_site.auth_asym_id value contains a control character "
                                         "(byte 0)"), std::string::npos) << e.what();
  }
  try {
    parse_mmcif(head + "\n;C\nB\n;\nALA 1 A 1.0 2.0 3.0\n", "text.cif");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("text.cif:12: _atom_site.label_atom_id value contains a control character "
                                         "(byte 10)"), std::string::npos) << e.what();
  }
  // A tab inside a quoted value is text: the writer quotes it again.
  Structure s = parse_mmcif(head + "'C\tB' ALA 1 A 1.0 2.0 3.0\n", "tab.cif");
  Structure again = parse_mmcif(format_mmcif(s), "tab.cif");
  EXPECT_EQ(again.chains.at(0).residues.at(0).atoms.at(1).name, "C\tB");
}

// The writer printed each row into a 160-byte buffer: a long chain ID or a huge coordinate cut the row short.
// And a bare value starting with "stop_" or "global_" (which the reader takes for a keyword) was not quoted.
TEST(Mmcif, WriterRoundTripsLongNamesHugeNumbersAndKeywordPrefixes) {
  Structure s;
  Residue r;
  r.name = "stop_x";
  r.seqnum = 7;
  for (const char* name : {"N", "CA", "global_y"}) {
    Atom a;
    a.name = name;
    a.element = "C";
    a.pos = {1e200, -2.5, 3.25};
    r.atoms.push_back(a);
  }
  s.chains.push_back(Chain{std::string(150, 'L'), {r}});
  s.chains.push_back(Chain{"B", {r}});
  Structure again = parse_mmcif(format_mmcif(s, "long"), "long.cif");
  ASSERT_EQ(again.atom_count(), 6u);
  EXPECT_EQ(again.chains.at(0).id, std::string(150, 'L'));
  EXPECT_EQ(again.chains.at(1).residues.at(0).name, "stop_x");
  EXPECT_EQ(again.chains.at(1).residues.at(0).atoms.at(2).name, "global_y");
  EXPECT_EQ(again.chains.at(1).residues.at(0).atoms.at(2).pos.x, 1e200);
}

TEST(Mmcif, WriteIsAtomicAndReadable) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1034-D1/native.pdb");
  test::ScratchDir dir("mmcif_write");
  Structure pdb = read_pdb(test::shared_path("data/casp14/T1034-D1/native.pdb"));
  write_mmcif(dir / "out.cif", pdb, "T1034");
  int leftovers = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().filename() != "out.cif") ++leftovers;
  EXPECT_EQ(leftovers, 0) << "temporary file left behind";
  expect_same(pdb, read_mmcif(dir / "out.cif"), "file");
}

TEST(Pdb, WriterRoundTripRealFiles) {
  for (const char* rel : kNatives) {
    TRIFOLD_REQUIRE_SHARED(rel);
    Structure a = read_pdb(test::shared_path(rel));
    expect_same(a, parse_pdb(format_pdb(a), rel), rel);
  }
  for (const char* rel : kModels) {
    TRIFOLD_REQUIRE_SHARED(rel);
    Structure a = read_pdb(test::shared_path(rel));
    expect_same(a, parse_pdb(format_pdb(a), rel), rel);
  }
}

// OpenStructure (Debian `openstructure`) must load our mmCIF with the same atoms, residues and coordinates.
// Debian's `ost` wrapper looks for its startup file under python3.11/dist-packages while the package installs
// it under python3/dist-packages, so the module is imported with the system Python instead.
TEST(Mmcif, LoadsInOpenStructure) {
  if (test::run_command("/usr/bin/python3 -c 'import ost.io' 2>&1").status != 0)
    GTEST_SKIP() << "OpenStructure's Python module (Debian openstructure) is not importable by /usr/bin/python3";
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1034-D1/models/T1034TS427_1.pdb");
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1025-D1/native.pdb");
  test::ScratchDir dir("mmcif_ost");
  for (const char* rel : {"data/casp14/T1034-D1/models/T1034TS427_1.pdb", "data/casp14/T1025-D1/native.pdb"}) {
    Structure s = read_pdb(test::shared_path(rel));
    write_mmcif(dir / "m.cif", s, "check");
    {
      std::ofstream py(dir / "check.py");
      py << "import sys\nfrom ost import io\n"
            "ent = io.LoadMMCIF(sys.argv[1], seqres=False, info=False)\n"
            "a = ent.atoms[0]\n"
            "print('OST', ent.chain_count, ent.residue_count, ent.atom_count, a.name, a.residue.number.num,"
            " '%.3f %.3f %.3f' % (a.pos[0], a.pos[1], a.pos[2]), '%.2f' % a.b_factor)\n";
    }
    auto res = test::run_command("/usr/bin/python3 " + (dir / "check.py").string() + " " + (dir / "m.cif").string());
    ASSERT_EQ(res.status, 0) << res.output;
    size_t p = res.output.find("OST ");
    ASSERT_NE(p, std::string::npos) << res.output;
    std::istringstream is(res.output.substr(p + 4));
    size_t chains = 0, residues = 0, atoms = 0;
    std::string name;
    int num = 0;
    double x, y, z, b;
    is >> chains >> residues >> atoms >> name >> num >> x >> y >> z >> b;
    const Atom& a0 = s.chains[0].residues[0].atoms[0];
    EXPECT_EQ(chains, s.chains.size()) << rel;
    EXPECT_EQ(residues, s.residue_count()) << rel;
    EXPECT_EQ(atoms, s.atom_count()) << rel;
    EXPECT_EQ(name, a0.name) << rel;
    // OST numbers residues by label_seq_id (the position in the chain, see mmcif.hpp), not auth_seq_id.
    EXPECT_EQ(num, 1) << rel;
    // OST stores positions in single precision; 3 printed decimals must agree within rounding (1e-3 Å).
    EXPECT_NEAR(x, a0.pos.x, 1e-3);
    EXPECT_NEAR(y, a0.pos.y, 1e-3);
    EXPECT_NEAR(z, a0.pos.z, 1e-3);
    EXPECT_NEAR(b, a0.bfactor, 1e-2);
  }
}

}  // namespace
}  // namespace trifold
