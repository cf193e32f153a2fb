// `trifold msa` through the binary: results, cache reruns, and clear errors for bad input without any output
// file left behind.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "io/fasta.hpp"
#include "io/file_util.hpp"
#include "tests/common/test_data.hpp"

namespace trifold {
namespace {

const char* kGlobins = "/usr/share/doc/hmmer/tutorial/globins45.fa";
const char* kHbb = "/usr/share/doc/hmmer/tutorial/HBB_HUMAN";

std::string raw_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

test::CommandResult trifold_msa(const std::string& args) {
  return test::run_command("'" + test::trifold_binary().string() + "' msa " + args + " 2>&1");
}

TEST(MsaCli, BuildsAlignmentPrintsNeffAndReusesCache) {
  if (!std::filesystem::exists(kGlobins)) GTEST_SKIP() << "hmmer-doc not installed";
  test::ScratchDir dir("msa_cli");
  const auto out = dir / "out.a3m";
  const std::string args = std::string("--query ") + kHbb + " --db " + kGlobins + " --out '" + out.string() +
                           "' --cache '" + (dir / "cache").string() + "'";
  auto r = trifold_msa(args);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Neff"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[msa] builtin: searching"), std::string::npos) << r.output;  // progress line
  auto a3m = read_a3m(out);
  EXPECT_GT(a3m.rows.size(), 10u);
  auto again = trifold_msa(args);
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("[from cache]"), std::string::npos) << again.output;
  EXPECT_EQ(read_a3m(out).rows.size(), a3m.rows.size());
}

// Several queries: one <id>.a3m per query in the --out folder, each the alignment a one-query run writes.
TEST(MsaCli, SeveralQueriesWriteOneA3mEachIntoAFolder) {
  if (!std::filesystem::exists(kGlobins)) GTEST_SKIP() << "hmmer-doc not installed";
  test::ScratchDir dir("msa_cli_multi");
  std::vector<SequenceRecord> globins = read_fasta(kGlobins);
  std::string fasta;
  for (size_t i = 0; i < 3; ++i) fasta += ">" + globins[i].name + "\n" + globins[i].sequence + "\n";
  write_file_atomic(dir / "q.fa", fasta);
  const auto out = dir / "msas";
  auto r = trifold_msa("--query '" + (dir / "q.fa").string() + "' --db " + kGlobins + " --out '" + out.string() + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("for 3 queries"), std::string::npos) << r.output;  // one batched scan
  for (size_t i = 0; i < 3; ++i) {
    const auto file = out / (globins[i].name + ".a3m");
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    const A3m a3m = read_a3m(file);
    EXPECT_EQ(a3m.rows.at(0).sequence, globins[i].sequence);
    // The same as a run with that query alone.
    write_file_atomic(dir / "one.fa", ">" + globins[i].name + "\n" + globins[i].sequence + "\n");
    auto one = trifold_msa("--query '" + (dir / "one.fa").string() + "' --db " + kGlobins + " --out '" +
                           (dir / "one.a3m").string() + "'");
    ASSERT_EQ(one.status, 0) << one.output;
    const A3m ref = read_a3m(dir / "one.a3m");
    ASSERT_EQ(a3m.rows.size(), ref.rows.size()) << file;
    for (size_t k = 0; k < ref.rows.size(); ++k) EXPECT_EQ(a3m.rows[k].sequence, ref.rows[k].sequence);
  }
  // Two names that map to one file name ("x/1" and "x_1" -> x_1.a3m): refused, nothing written. (The FASTA
  // reader already refuses two identical names.)
  write_file_atomic(dir / "dup.fa", ">x/1\nMKTAYIAKQRQISFVKSHFSRQ\n>x_1\nMKVLAAGIVGLLLAA\n");
  r = trifold_msa("--query '" + (dir / "dup.fa").string() + "' --db " + kGlobins + " --out '" + (dir / "d").string() + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("both named 'x_1'"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "d"));
}

struct BadCase {
  const char* what;
  std::string query_text;  // empty: use HBB_HUMAN
  std::string db_text;     // empty: use the globins; "MISSING": a path that does not exist
  std::string extra;
  std::string expect;      // part of the error message
};

TEST(MsaCli, BadInputGivesClearErrorAndNoOutput) {
  if (!std::filesystem::exists(kGlobins)) GTEST_SKIP() << "hmmer-doc not installed";
  test::ScratchDir dir("msa_cli_bad");
  const std::vector<BadCase> cases = {
      {"empty query", ">q\n", "", "", "empty"},
      {"empty query file", "", "", "", "empty"},
      {"nucleotide query", ">q\nACGTACGTTAGCATCGATCGATCGAATTCG\n", "", "", "nucleotide"},
      {"digit in query", ">q\nMKVL1LLAV\n", "", "", "residue"},
      {"missing database", ">q\nMKTAYIAKQRQISFVKSHFSRQ\n", "MISSING", "", "not found"},
      {"corrupt database (binary)", ">q\nMKTAYIAKQRQISFVKSHFSRQ\n", std::string("\x7f\x01\x02\x03garbage\x00\x01", 14), "", "corrupt"},
      {"corrupt database (no header)", ">q\nMKTAYIAKQRQISFVKSHFSRQ\n", "MKTAYIAKQ\nGGGG\n", "", "corrupt"},
      {"corrupt database (bad letter)", ">q\nMKTAYIAKQRQISFVKSHFSRQ\n", ">a\nMKT#AY\n", "", "corrupt"},
      {"unknown tool", ">q\nMKTAYIAKQRQISFVKSHFSRQ\n", "", "--msa-tool blast", "unknown MSA tool"},
      {"missing hhblits database", ">q\nMKTAYIAKQRQISFVKSHFSRQ\n", "MISSING", "--msa-tool hhblits", "HH-suite database"},
  };
  int k = 0;
  for (const auto& c : cases) {
    ++k;
    const auto q = dir / ("q" + std::to_string(k) + ".fa");
    {
      std::ofstream f(q, std::ios::binary);
      f << (c.query_text.empty() && std::string(c.what) != "empty query file" ? read_file(kHbb) : c.query_text);
    }
    std::string db = kGlobins;
    if (c.db_text == "MISSING") {
      db = (dir / "no_such_db.fa").string();
    } else if (!c.db_text.empty()) {
      db = (dir / ("db" + std::to_string(k) + ".fa")).string();
      std::ofstream f(db, std::ios::binary);
      f << c.db_text;
    }
    const auto out = dir / ("out" + std::to_string(k) + ".a3m");
    auto r = trifold_msa("--query '" + q.string() + "' --db '" + db + "' --out '" + out.string() + "' " + c.extra);
    EXPECT_NE(r.status, 0) << c.what;
    EXPECT_NE(r.output.find("error:"), std::string::npos) << c.what << ": " << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.what << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(out)) << c.what << ": output written despite the error";
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
      EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << "temporary left behind: " << e.path();
  }
}

// A wrong --out is refused before the search (which can take hours), and a gzip database cut short is an error
// rather than a search over its first part (it was read partially, with exit status 0).
TEST(MsaCli, BadOutAndTruncatedGzipDatabaseFailBeforeTheSearch) {
  if (!std::filesystem::exists(kGlobins)) GTEST_SKIP() << "hmmer-doc not installed";
  test::ScratchDir dir("msa_cli_out");
  const std::string query = "--query '" + std::string(kHbb) + "' --db '" + kGlobins + "' ";
  std::filesystem::create_directories(dir / "folder");
  auto r = trifold_msa(query + "--out " + test::quoted(dir / "folder"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("is a folder; give the name of the file to write"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("[msa]"), std::string::npos) << "the search must not start:\n" << r.output;
  r = trifold_msa(query + "--out " + test::quoted(dir / "missing" / "q.a3m"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("missing does not exist"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("[msa]"), std::string::npos) << "the search must not start:\n" << r.output;

  const std::filesystem::path gz = "/usr/share/doc/mmseqs2/example-data/DB.fasta.gz";
  if (!std::filesystem::exists(gz)) GTEST_SKIP() << "mmseqs2-examples not installed (truncated database case)";
  const std::string bytes = raw_bytes(gz);
  {
    std::ofstream f(dir / "cut.fasta.gz", std::ios::binary);
    f << bytes.substr(0, bytes.size() / 2);
  }
  r = trifold_msa("--query '" + std::string(kHbb) + "' --db " + test::quoted(dir / "cut.fasta.gz") + " --out " +
                  test::quoted(dir / "q.a3m"));
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("cut.fasta.gz: truncated gzip file"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "q.a3m"));
}

}  // namespace
}  // namespace trifold
