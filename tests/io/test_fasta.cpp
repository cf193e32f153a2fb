// FASTA and A3M readers: parsing, validation messages, real files.
#include <gtest/gtest.h>

#include "io/error.hpp"
#include "io/fasta.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Fasta, MultiRecordCrlfLowercase) {
  auto recs = parse_fasta(">a first one\r\nacdE\r\nFG\r\n\r\n>b\nKLM\n", "x.fa");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].name, "a");
  EXPECT_EQ(recs[0].description, "first one");
  EXPECT_EQ(recs[0].sequence, "ACDEFG");
  EXPECT_EQ(recs[1].sequence, "KLM");
  EXPECT_EQ(recs[1].line, 5);
}

// Found by tests/fuzz/fuzz_fasta: a header ending in "\r\r" kept one '\r' in the name, which the writer then
// wrote and the reader dropped again (write -> read changed the name).
TEST(Fasta, NameDropsAllTrailingCarriageReturns) {
  auto recs = parse_fasta(">a\r\r\nACD\r\r\n>b desc \r\t\r\nEF\n", "x.fasta");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].name, "a");
  EXPECT_EQ(recs[0].sequence, "ACD");
  EXPECT_EQ(recs[1].description, "desc");
  auto again = parse_fasta(format_fasta(recs), "x.fasta");
  EXPECT_EQ(again[0].name, "a");
}

TEST(Fasta, UnknownResidueNamesFileLineResidueAndLetter) {
  std::string msg = error_of([] { parse_fasta(">q\nACDEF\nGHJKL\n", "in.fa"); });
  EXPECT_NE(msg.find("in.fa:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("residue 8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'J'"), std::string::npos) << msg;
  // Line boundaries: the first residue of a line after a blank line, and the first residue of the record.
  msg = error_of([] { parse_fasta(">q\nACDEF\n\nJHIKL\n", "in.fa"); });
  EXPECT_NE(msg.find("in.fa:4: sequence 'q': residue 6 is 'J'"), std::string::npos) << msg;
  msg = error_of([] { parse_fasta(">p\nAC\n>q\nJCDEF\nGHIKL\n", "in.fa"); });
  EXPECT_NE(msg.find("in.fa:4: sequence 'q': residue 1 is 'J'"), std::string::npos) << msg;
}

TEST(Fasta, XOnlyWhereAllowed) {
  EXPECT_NO_THROW(parse_fasta(">q\nACXD\n", "a.fa"));
  FastaOptions strict;
  strict.allow_x = false;
  EXPECT_THROW(parse_fasta(">q\nACXD\n", "a.fa", strict), InputError);
}

TEST(Fasta, RejectsEmptyDuplicateAndNonFasta) {
  EXPECT_NE(error_of([] { parse_fasta(">q\n>r\nAC\n", "e.fa"); }).find("'q' is empty"), std::string::npos);
  EXPECT_NE(error_of([] { parse_fasta(">q\nAC\n>q\nDE\n", "d.fa"); }).find("duplicate"), std::string::npos);
  EXPECT_NE(error_of([] { parse_fasta("ATOM      1  N   MET A   1\n", "p.pdb"); }).find("p.pdb:1"), std::string::npos);
  EXPECT_NE(error_of([] { parse_fasta("", "z.fa"); }).find("empty"), std::string::npos);
}

TEST(Fasta, LengthLimit) {
  FastaOptions o;
  o.max_length = 3;
  EXPECT_NE(error_of([&] { parse_fasta(">q\nACDE\n", "l.fa", o); }).find("limit of 3"), std::string::npos);
}

TEST(A3m, InsertionsAndMatchColumns) {
  A3m a = parse_a3m("#comment\n>query\nACDE\n>hit1\nA-cdDE\n>hit2\nAC..DEkk\n", "m.a3m");
  ASSERT_EQ(a.rows.size(), 3u);
  EXPECT_EQ(a.length(), 4u);
  EXPECT_EQ(a.aligned(1), "A-DE");
  EXPECT_EQ(a.insertions(1), (std::vector<int>{0, 0, 2, 0, 0}));
  EXPECT_EQ(a.insertions(2), (std::vector<int>{0, 0, 0, 0, 2}));
}

TEST(A3m, RowWithWrongLengthNamesRowAndLine) {
  std::string msg = error_of([] { parse_a3m(">q\nACDE\n>h\nACD\n", "m.a3m"); });
  EXPECT_NE(msg.find("m.a3m:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'h' has 3 match columns"), std::string::npos) << msg;
}

TEST(A3m, RealCaspMsa) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  A3m a = read_a3m(test::shared_path("data/casp14/T1078-D1/msa.a3m"));
  EXPECT_EQ(a.length(), 138u);  // golden README: 138 columns, 426 rows
  EXPECT_EQ(a.rows.size(), 426u);
}
