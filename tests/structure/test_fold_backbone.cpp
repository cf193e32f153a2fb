// Backbone helpers: atom placement geometry, virtual Cβ, O placement (reference quirk and geometric option).
#include <gtest/gtest.h>

#include <cmath>

#include "io/error.hpp"
#include "io/pdb.hpp"
#include "structure/backbone.hpp"
#include "structure/restraints.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;
using namespace trifold::structure;

TEST(Backbone, PlaceAtomHitsRequestedGeometry) {
  Vec3 a{1.0, 2.0, 0.5}, b{2.2, 1.1, 0.0}, c{3.0, 2.3, 0.4};
  for (double dih : {-3.0, -1.0, 0.0, 0.7, 2.5}) {
    Vec3 d = place_atom(a, b, c, 1.231, 2.108, dih);
    // 1e-6: place_atom normalises with a 1e-8 guard under the square root, as the reference.
    EXPECT_NEAR(distance(c, d), 1.231, 1e-6);
    EXPECT_NEAR(planar_angle(b, c, d), 2.108, 1e-6);
    EXPECT_NEAR(dihedral(a, b, c, d), dih, 1e-6);
  }
}

TEST(Backbone, VirtualCbOfIdealMotifHasTetrahedralGeometry) {
  const Vec3* m = ideal_ncac_motif();
  Vec3 cb = virtual_cb(m[0], m[1], m[2]);
  // The ideal-Cβ coefficients put Cβ ~1.52 Å from CA at ~110° to N and C (0.02 Å / 3° tolerance: the
  // coefficients were fitted to real structures, not derived from exact ideal values).
  EXPECT_NEAR(distance(cb, m[1]), 1.52, 0.02);
  EXPECT_NEAR(planar_angle(m[0], m[1], cb) * 180 / M_PI, 110.5, 3.0);
  EXPECT_NEAR(planar_angle(m[2], m[1], cb) * 180 / M_PI, 110.5, 3.0);
}

TEST(Backbone, OxygenPlacementReferenceQuirkAndGeometricOption) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1082-D1/native.pdb");
  Structure nat = read_pdb(test::shared_path("data/casp14/T1082-D1/native.pdb"));
  std::vector<bool> present;
  Backbone bb = backbone_from_structure(nat, 23, 97, &present);
  ASSERT_EQ(bb.size(), 75u);
  std::vector<Vec3> ref = place_oxygens(bb, OxygenPlacement::kReference);
  std::vector<Vec3> geo = place_oxygens(bb, OxygenPlacement::kGeometric);
  // Residues before the last: both modes agree and match the native's O within 0.25 Å (ideal vs real peptide).
  double worst = 0;
  for (size_t i = 0; i + 1 < bb.size(); ++i) {
    EXPECT_NEAR(distance(ref[i], geo[i]), 0.0, 1e-12);
    const Atom* o = nullptr;
    for (const auto& r : nat.chains[0].residues)
      if (r.seqnum == 23 + static_cast<int>(i)) o = r.find("O");
    ASSERT_NE(o, nullptr);
    worst = std::max(worst, distance(o->pos, ref[i]));
  }
  EXPECT_LT(worst, 0.25);
  // The reference's quirk: the last O is placed trans to residue 1's N, i.e. dihedral(N_1, CA_L, C_L, O_L) ≈ π.
  const size_t last = bb.size() - 1;
  EXPECT_NEAR(std::abs(dihedral(bb.n[0], bb.ca[last], bb.c[last], ref[last])), 3.142, 1e-3);
  // The geometric option keeps the O in the peptide plane of its own residue: bonded 1.231 Å to C, and at
  // ~2.1 rad from CA like every other O.
  EXPECT_NEAR(distance(geo[last], bb.c[last]), 1.231, 1e-6);
  EXPECT_NEAR(planar_angle(bb.ca[last], bb.c[last], geo[last]), 2.108, 1e-6);
  EXPECT_GT(distance(geo[last], ref[last]), 0.1);  // the two modes really differ for the last residue
}

TEST(Backbone, ToStructureWritesFourAtomsAndConfidence) {
  Backbone bb;
  const Vec3* m = ideal_ncac_motif();
  for (int i = 0; i < 3; ++i) {
    Vec3 off{3.8 * i, 0, 0};
    bb.n.push_back(m[0] + off);
    bb.ca.push_back(m[1] + off);
    bb.c.push_back(m[2] + off);
  }
  ToStructureOptions opt;
  opt.first_residue_number = 10;
  Structure s = to_structure(bb, "AGW", {0.5, 1.5, -1.0}, opt);
  ASSERT_EQ(s.chains.size(), 1u);
  ASSERT_EQ(s.chains[0].residues.size(), 3u);
  EXPECT_EQ(s.chains[0].residues[0].name, "ALA");
  EXPECT_EQ(s.chains[0].residues[2].name, "TRP");
  EXPECT_EQ(s.chains[0].residues[1].seqnum, 11);
  EXPECT_EQ(s.atom_count(), 12u);
  EXPECT_DOUBLE_EQ(s.chains[0].residues[0].atoms[3].bfactor, 50.0);   // 0.5 × 100
  EXPECT_DOUBLE_EQ(s.chains[0].residues[1].atoms[0].bfactor, 100.0);  // clamped to 1
  EXPECT_DOUBLE_EQ(s.chains[0].residues[2].atoms[0].bfactor, 0.0);    // clamped to 0
  EXPECT_THROW(to_structure(bb, "AG", {}), InputError);
}

TEST(Restraints, NativeBinsRoundTrip) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1082-D1/native.pdb");
  Structure nat = read_pdb(test::shared_path("data/casp14/T1082-D1/native.pdb"));
  Backbone bb = backbone_from_structure(nat, 23, 97, nullptr);
  Restraints r = restraints_from_backbone(bb, {}, 0.0);
  // One-hot: the argmax bin of each contact pair is the bin of the native's own value.
  for (int i = 0; i < 75; i += 7)
    for (int j = 0; j < 75; j += 5) {
      if (i == j) continue;
      PairGeometry g = pair_geometry(bb, i, j);
      if (g.d >= kDistMax) {
        EXPECT_FLOAT_EQ(r.d(i, j)[kDistBins - 1], 1.0f);
        continue;
      }
      EXPECT_FLOAT_EQ(r.d(i, j)[dist_bin(g.d)], 1.0f);
      EXPECT_FLOAT_EQ(r.o(i, j)[dihedral_bin(g.omega)], 1.0f);
      EXPECT_FLOAT_EQ(r.t(i, j)[dihedral_bin(g.theta)], 1.0f);
      EXPECT_FLOAT_EQ(r.p(i, j)[planar_bin(g.phi)], 1.0f);
    }
}
