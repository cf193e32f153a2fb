// `trifold score` and `trifold bench score` through the binary: bad input gives a clear error and a non-zero
// exit, --pairs output does not depend on the thread count, bench reproduces the published CASP14 table.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "io/file_util.hpp"
#include "io/mmcif.hpp"
#include "io/pdb.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;
namespace fs = std::filesystem;

namespace {

const char* kModel = "data/casp14/T1034-D1/models/T1034TS427_1.pdb";
const char* kNative = "data/casp14/T1034-D1/native.pdb";

std::string bin() { return "'" + test::trifold_binary().string() + "'"; }
std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

}  // namespace

TEST(ScoreCli, SinglePairTextAndJson) {
  TRIFOLD_REQUIRE_SHARED(kModel);
  auto r = test::run_command(bin() + " score " + q(test::shared_path(kModel)) + " " + q(test::shared_path(kNative)));
  ASSERT_EQ(r.status, 0) << r.output;
  // Every score is printed with its normalisation.
  EXPECT_NE(r.output.find("TM-score = 0.9"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("d0 = 4.65"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("L = 156"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("156 residues in common (by residue number)\n"), std::string::npos) << r.output;
  auto j = test::run_command(bin() + " score --json " + q(test::shared_path(kModel)) + " " +
                             q(test::shared_path(kNative)), false);
  ASSERT_EQ(j.status, 0);
  EXPECT_NE(j.output.find("\"native_length\": 156"), std::string::npos);
  EXPECT_NE(j.output.find("\"per_residue\": ["), std::string::npos);
  EXPECT_NE(j.output.find("\"differing_residues\": 0"), std::string::npos) << j.output;
}

// Two different proteins scored by residue number gave low scores with no hint why; the Matched line now counts
// the residues in common whose amino acids differ and suggests --by-sequence.
TEST(ScoreCli, DifferentProteinsAreNamedAsSuch) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1026-D1/native.pdb");
  const std::string a = q(test::shared_path("data/casp14/T1025-D1/native.pdb")),
                    b = q(test::shared_path("data/casp14/T1026-D1/native.pdb"));
  auto r = test::run_command(bin() + " score " + a + " " + b);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(" of them differ in amino acid (different proteins, or shifted numbering? --by-sequence "
                          "pairs residues by alignment)"), std::string::npos) << r.output;
  auto j = test::run_command(bin() + " score --json " + a + " " + b, false);
  ASSERT_EQ(j.status, 0);
  EXPECT_EQ(j.output.find("\"differing_residues\": 0"), std::string::npos) << j.output;
  EXPECT_NE(j.output.find("\"differing_residues\": "), std::string::npos) << j.output;
}

TEST(ScoreCli, BadInputIsAClearErrorWithNonZeroExit) {
  TRIFOLD_REQUIRE_SHARED(kNative);
  test::ScratchDir dir("score_cli_bad");
  const std::string native_text = read_file(test::shared_path(kNative));
  // Truncated in the middle of an ATOM record's coordinates.
  size_t cut = native_text.find("ATOM", native_text.size() / 2);
  write(dir / "truncated.pdb", native_text.substr(0, cut + 40));
  write(dir / "empty.pdb", "");
  write(dir / "fasta.pdb", ">seq\nMKTAYIAKQRQISFVKSHFSRQ\n");
  // All residues renumbered by +1000: no residue in common with the native.
  std::string renum;
  std::istringstream in(native_text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("ATOM", 0) == 0 && line.size() > 26) {
      int n = std::stoi(line.substr(22, 4)) + 1000;
      char buf[16];
      std::snprintf(buf, sizeof buf, "%4d", n);
      line.replace(22, 4, buf);
    }
    renum += line + "\n";
  }
  write(dir / "renumbered.pdb", renum);
  struct Bad {
    const char* file;
    const char* expect;  // part of the message
  } bad[] = {{"truncated.pdb", "truncated"},
             {"empty.pdb", "empty.pdb"},
             {"fasta.pdb", "not a PDB file"},
             {"renumbered.pdb", "no residue in common"},
             {"missing.pdb", "missing.pdb"}};
  for (const auto& b : bad) {
    SCOPED_TRACE(b.file);
    auto r = test::run_command(bin() + " score " + q(dir / b.file) + " " + q(test::shared_path(kNative)));
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("error:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(b.expect), std::string::npos) << r.output;
  }
  // Wrong usage is an error too.
  EXPECT_NE(test::run_command(bin() + " score").status, 0);
  EXPECT_NE(test::run_command(bin() + " bench nosuchbench").status, 0);
  // A pairs file with one bad pair: the good ones are still scored, the exit status says something failed.
  write(dir / "pairs.tsv", test::shared_path(kModel).string() + "\t" + test::shared_path(kNative).string() + "\n" +
                               (dir / "empty.pdb").string() + "\t" + test::shared_path(kNative).string() + "\n");
  auto p = test::run_command(bin() + " score -q --pairs " + q(dir / "pairs.tsv"), false);
  EXPECT_NE(p.status, 0);
  auto lines = split(p.output, '\n');
  ASSERT_GE(lines.size(), 3u) << p.output;
  EXPECT_NE(lines[1].find("0.9586"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("no ATOM/HETATM records"), std::string::npos) << lines[2];
}

// A coordinate that reads "nan" made the TM-score search loop forever; a model without CA atoms was reported
// as "no residue in common". Both are now errors that say what is wrong (the timeout keeps the old hang finite).
TEST(ScoreCli, NonFiniteCoordinatesAndMissingCaAreClearErrors) {
  TRIFOLD_REQUIRE_SHARED(kNative);
  test::ScratchDir dir("score_cli_nan");
  const std::string native_text = read_file(test::shared_path(kNative));
  std::string nan_ca, no_ca;
  bool first_ca = true;
  std::istringstream in(native_text);
  for (std::string line; std::getline(in, line);) {
    const bool atom = line.rfind("ATOM", 0) == 0 && line.size() > 54;
    const bool ca = atom && line.substr(12, 4) == " CA ";
    if (ca && first_ca) {
      line.replace(30, 8, "     nan");
      first_ca = false;
    }
    nan_ca += line + "\n";
    if (!ca) no_ca += line + "\n";
  }
  write(dir / "nan.pdb", nan_ca);
  write(dir / "noca.pdb", no_ca);
  const std::string native = q(test::shared_path(kNative));
  auto r = test::run_command("timeout 60 " + bin() + " score " + q(dir / "nan.pdb") + " " + native);
  EXPECT_EQ(r.status, 2) << r.output;
  // The PDB reader refuses it, naming the line (score's own check covers structures from elsewhere).
  EXPECT_NE(r.output.find("nan.pdb:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(": x coordinate 'nan' is not a finite number"), std::string::npos) << r.output;
  r = test::run_command("timeout 60 " + bin() + " score " + native + " " + q(dir / "nan.pdb"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("not a finite number"), std::string::npos) << r.output;
  r = test::run_command(bin() + " score " + q(dir / "noca.pdb") + " " + native);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("the model has no CA atoms"), std::string::npos) << r.output;
}

// Files named .cif are read as mmCIF (predict writes model.cif; it was refused as "not a PDB file?"): the same
// scores as the PDB, and an mmCIF without a coordinate column is an error naming the file, line and column.
TEST(ScoreCli, MmcifModelsAreReadAndMalformedOnesNamed) {
  TRIFOLD_REQUIRE_SHARED(kModel);
  test::ScratchDir dir("score_cli_mmcif");
  write_mmcif(dir / "model.cif", read_pdb(test::shared_path(kModel)));
  const std::string native = q(test::shared_path(kNative));
  auto pdb = test::run_command(bin() + " score --json " + q(test::shared_path(kModel)) + " " + native, false);
  auto cif = test::run_command(bin() + " score --json " + q(dir / "model.cif") + " " + native, false);
  ASSERT_EQ(pdb.status, 0);
  ASSERT_EQ(cif.status, 0) << cif.output;
  auto tm = [](const std::string& json) {
    size_t p = json.find("\"tm_score\": ");
    return p == std::string::npos ? std::string() : json.substr(p, 22);
  };
  EXPECT_FALSE(tm(pdb.output).empty()) << pdb.output;
  EXPECT_EQ(tm(cif.output), tm(pdb.output));
  // Drop the _atom_site.Cartn_x column (header line and the field of every row).
  std::string text = read_file(dir / "model.cif"), out;
  std::istringstream in(text);
  int col = -1, n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("_atom_site.", 0) == 0) {
      if (line.rfind("_atom_site.Cartn_x", 0) == 0) {
        col = n;
        continue;
      }
      ++n;
    } else if (col >= 0 && (line.rfind("ATOM", 0) == 0 || line.rfind("HETATM", 0) == 0)) {
      std::istringstream f(line);
      std::string tok, kept;
      for (int i = 0; f >> tok; ++i)
        if (i != col) kept += (kept.empty() ? "" : " ") + tok;
      line = kept;
    }
    out += line + "\n";
  }
  ASSERT_GE(col, 0);
  write(dir / "nox.cif", out);
  auto r = test::run_command(bin() + " score " + q(dir / "nox.cif") + " " + native);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("nox.cif:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("lacks column Cartn_x"), std::string::npos) << r.output;
}

TEST(ScoreCli, PairsOutputIndependentOfThreadCount) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/domains.tsv");
  test::ScratchDir dir("score_cli_pairs");
  std::string pairs;
  int n = 0;
  for (const auto& d : fs::directory_iterator(test::shared_path("data/casp14"))) {
    if (!fs::is_directory(d.path() / "models")) continue;
    for (const auto& m : fs::directory_iterator(d.path() / "models"))
      if (m.path().extension() == ".pdb") pairs += m.path().string() + "\t" + (d.path() / "native.pdb").string() + "\n", ++n;
  }
  ASSERT_GT(n, 10);
  write(dir / "pairs.tsv", pairs);
  auto one = test::run_command(bin() + " score -t 1 --pairs " + q(dir / "pairs.tsv"), false);
  auto two = test::run_command(bin() + " score -t 2 --pairs " + q(dir / "pairs.tsv"), false);
  auto js1 = test::run_command(bin() + " score -t 1 --json --pairs " + q(dir / "pairs.tsv"), false);
  auto js2 = test::run_command(bin() + " score -t 2 --json --pairs " + q(dir / "pairs.tsv"), false);
  ASSERT_EQ(one.status, 0);
  ASSERT_EQ(two.status, 0);
  EXPECT_EQ(one.output, two.output);
  EXPECT_EQ(js1.output, js2.output);
  EXPECT_EQ(split(one.output, '\n').size(), static_cast<size_t>(n + 2));  // header + n rows + final ""
}

TEST(ScoreCli, BenchReproducesPublishedCasp14Table) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/published_scores_casp14_AF2_TS427.tsv");
  test::ScratchDir dir("bench_score");
  const fs::path set = test::shared_path("data/casp14");
  auto r = test::run_command(bin() + " bench score -q --reference off --set " + q(set) + " --predictions " + q(set) +
                             " --published " + q(set / "published_scores_casp14_AF2_TS427.tsv") + " --out " +
                             q(dir.path()));
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* f : {"scores.tsv", "scores.json", "summary.md", "plots/scores_sorted.svg",
                        "plots/gdt_ts_vs_published.svg", "plots/tm_vs_published.svg"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  auto rows = split(read_file(dir / "scores.tsv"), '\n');
  auto header = split(rows[0], '\t');
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  int compared = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].empty()) continue;
    auto f = split(rows[i], '\t');
    ASSERT_EQ(f.size(), header.size()) << rows[i];
    if (f[col["published_tm"]].empty()) continue;
    SCOPED_TRACE(f[col["domain"]]);
    ++compared;
    // Acceptance: published TM-score has 2 decimals (rounding alone is up to 0.005); LGA's GDT search
    // differs from TMscore's by a fraction of a point.
    EXPECT_NEAR(std::stod(f[col["tm_score"]]), std::stod(f[col["published_tm"]]), 0.01);
    EXPECT_NEAR(std::stod(f[col["gdt_ts"]]), std::stod(f[col["published_gdt_ts"]]), 1.0);
  }
  EXPECT_GE(compared, 20);
  EXPECT_NE(read_file(dir / "summary.md").find("Against the published scores"), std::string::npos);
}

// A --set that is not a set folder says what a set is (it was "CASP14/domains.tsv: cannot open", exit 1).
TEST(ScoreCli, BenchSetThatIsNoSetFolderIsAClearError) {
  test::ScratchDir dir("bench_score_bad_set");
  for (const fs::path& set : {dir / "CASP14", dir.path()}) {
    auto r = test::run_command(bin() + " bench score -q --reference off --set " + q(set) + " --predictions " +
                               q(dir.path()) + " --out " + q(dir / "report"));
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("--set " + set.string() + ": "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("a set is a folder with domains.tsv and <domain>/native.pdb"), std::string::npos)
        << r.output;
    EXPECT_FALSE(fs::exists(dir / "report"));
  }
}
