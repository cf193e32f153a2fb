// TM-score/GDT/lDDT properties on a real native: identity, rigid invariance, symmetric renaming, missing
// residues, residue matching by sequence. (Agreement with the reference programs: test_scores_vs_reference.)
#include <gtest/gtest.h>

#include <cmath>

#include "io/error.hpp"
#include "io/pdb.hpp"
#include "structure/score.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;
using namespace trifold::structure;

namespace {

const char* kNative = "data/casp14/T1034-D1/native.pdb";

Structure rotated(Structure s) {
  const double c = std::cos(0.7), sn = std::sin(0.7);
  for (auto& ch : s.chains)
    for (auto& r : ch.residues)
      for (auto& a : r.atoms) a.pos = {c * a.pos.x - sn * a.pos.y + 5, sn * a.pos.x + c * a.pos.y - 3, a.pos.z + 12};
  return s;
}

}  // namespace

TEST(Scores, IdentityAndRigidMotion) {
  TRIFOLD_REQUIRE_SHARED(kNative);
  Structure n = read_pdb(test::shared_path(kNative));
  PairScore s = score_pair(rotated(n), n);
  // A rigidly moved copy is a perfect model; only floating-point rounding remains.
  EXPECT_NEAR(s.tm.tm_score, 1.0, 1e-12);
  EXPECT_NEAR(s.tm.gdt_ts, 1.0, 1e-12);
  EXPECT_NEAR(s.tm.gdt_ha, 1.0, 1e-12);
  EXPECT_NEAR(s.tm.rmsd_common, 0.0, 1e-6);
  EXPECT_NEAR(s.lddt.score, 1.0, 1e-12);
  EXPECT_NEAR(s.lddt_ca.score, 1.0, 1e-12);
  const int L = s.tm.native_length;
  EXPECT_EQ(L, 156);
  EXPECT_NEAR(s.tm.d0, 1.24 * std::cbrt(L - 15.0) - 1.8, 1e-12);
  EXPECT_EQ(s.lddt.covered_residues, s.lddt.native_residues);
}

TEST(Scores, SymmetricSideChainNamesDoNotMatterOthersDo) {
  TRIFOLD_REQUIRE_SHARED(kNative);
  Structure n = read_pdb(test::shared_path(kNative));
  Structure m = n;
  int swapped = 0;
  for (auto& r : m.chains[0].residues) {
    for (auto& a : r.atoms) {
      if (r.name == "ASP" && (a.name == "OD1" || a.name == "OD2")) a.name = a.name == "OD1" ? "OD2" : "OD1", ++swapped;
      // The ring flips as a whole: both CD and CE pairs.
      if (r.name == "PHE" && (a.name == "CD1" || a.name == "CD2")) a.name = a.name == "CD1" ? "CD2" : "CD1", ++swapped;
      if (r.name == "PHE" && (a.name == "CE1" || a.name == "CE2")) a.name = a.name == "CE1" ? "CE2" : "CE1", ++swapped;
    }
  }
  ASSERT_GT(swapped, 0);
  EXPECT_NEAR(score_pair(m, n).lddt.score, 1.0, 1e-12);  // renamed symmetric atoms are renamed back
  // Moving a non-symmetric atom (the CB of one ASP) by 3 Å must cost distances.
  Structure m2 = n;
  for (auto& r : m2.chains[0].residues)
    if (r.name == "ASP") {
      for (auto& a : r.atoms)
        if (a.name == "CB") a.pos = a.pos + Vec3{3, 0, 0};
      break;
    }
  EXPECT_LT(score_pair(m2, n).lddt.score, 1.0);
}

TEST(Scores, MissingResiduesLowerScoresNotLength) {
  TRIFOLD_REQUIRE_SHARED(kNative);
  Structure n = read_pdb(test::shared_path(kNative));
  Structure m = n;
  auto& res = m.chains[0].residues;
  res.erase(res.begin() + 20, res.begin() + 40);
  PairScore s = score_pair(m, n);
  EXPECT_EQ(s.tm.native_length, 156);  // normalised by the native, not by what the model covers
  EXPECT_EQ(s.tm.aligned, 136);
  EXPECT_NEAR(s.tm.gdt_ts, 136.0 / 156.0, 1e-12);
  EXPECT_LT(s.tm.tm_score, 136.0 / 156.0 + 1e-12);
  EXPECT_EQ(s.lddt.covered_residues, 136);
  EXPECT_LT(s.lddt.score, 1.0);
  const int first = n.chains[0].residues.front().seqnum;
  for (const auto& r : s.lddt.residues) {
    if (r.seqnum >= first + 20 && r.seqnum < first + 40) {
      EXPECT_FALSE(r.in_model) << r.seqnum;
    }
  }
}

TEST(Scores, BySequenceUndoesRenumbering) {
  TRIFOLD_REQUIRE_SHARED(kNative);
  Structure n = read_pdb(test::shared_path(kNative));
  Structure m = rotated(n);
  for (auto& r : m.chains[0].residues) r.seqnum += 500;
  EXPECT_THROW(score_pair(m, n), InputError);  // by number: nothing in common
  ScoreOptions o;
  o.match = MatchMode::Sequence;
  PairScore s = score_pair(m, n, o);
  EXPECT_EQ(s.tm.aligned, 156);
  EXPECT_NEAR(s.tm.tm_score, 1.0, 1e-12);
  EXPECT_NEAR(s.lddt.score, 1.0, 1e-12);
}

TEST(Scores, SequenceAlignmentPairsIdenticalStretches) {
  auto p = align_sequences("MKTAYIAKQR", "TAYIAKQ");
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p.front(), std::make_pair(2, 0));
  EXPECT_EQ(p.back(), std::make_pair(8, 6));
}

TEST(Scores, InsertionCodesAreMatched) {
  // Native residues 10, 10A, 11, 12, 13 and a rigidly moved copy as the model. Only when 10A pairs with 10A
  // (not with 10, as matching by number alone would do) are the scores perfect.
  const char* native =
      "ATOM      1  CA  ALA A  10       0.000   0.000   0.000  1.00  0.00           C\n"
      "ATOM      2  CA  GLY A  10A      3.800   0.000   0.000  1.00  0.00           C\n"
      "ATOM      3  CA  SER A  11       7.600   0.000   0.000  1.00  0.00           C\n"
      "ATOM      4  CA  THR A  12       7.600   3.800   0.000  1.00  0.00           C\n"
      "ATOM      5  CA  VAL A  13       3.800   3.800   1.000  1.00  0.00           C\n";
  Structure n = parse_pdb(native, "native.pdb");
  Structure m = rotated(n);
  PairScore s = score_pair(m, n);
  EXPECT_EQ(s.tm.aligned, 5);
  EXPECT_NEAR(s.tm.tm_score, 1.0, 1e-12);
  EXPECT_EQ(s.tm.gdt_counts[0], 5);
  ASSERT_EQ(s.lddt.residues.size(), 5u);
  EXPECT_EQ(s.lddt.residues[1].icode, 'A');
  EXPECT_NEAR(s.lddt.score, 1.0, 1e-12);
  // Drop the insertion code in the model: 10A no longer has a partner.
  Structure m2 = m;
  m2.chains[0].residues[1].icode = ' ';
  PairScore s2 = score_pair(m2, n);
  EXPECT_EQ(s2.tm.aligned, 4);
  EXPECT_FALSE(s2.lddt.residues[1].in_model);
}
