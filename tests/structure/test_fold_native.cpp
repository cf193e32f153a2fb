// Folding from a native's own restraints must recover the native (TM-score >= 0.9).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "io/pdb.hpp"
#include "structure/fold.hpp"
#include "structure/tmscore.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;
using namespace trifold::structure;

namespace {

struct Domain {
  const char* name;
  int first, last;
};
void PrintTo(const Domain& d, std::ostream* os) { *os << d.name << " " << d.first << "-" << d.last; }

// TM-score with the in-tree scorer (structure/tmscore.hpp, checked against the TMscore program by the
// scoring tests), on CA atoms matched by residue number, normalised by the native's length.
double tm_of(const Structure& model, const Structure& native) {
  return tm_score(model.chains.at(0), native.chains.at(0)).tm_score;
}

}  // namespace

class FoldNative : public ::testing::TestWithParam<Domain> {};

// Restraints: the native's own Cβ distances and ω/θ/φ as Gaussians of width 1 bin (lightly smoothed).
// Test schedule: 4 restarts × 200 steps (the reference default is 15 restarts; fewer keep the test short).
TEST_P(FoldNative, RecoversNative) {
  const Domain d = GetParam();
  const std::string rel = std::string("data/casp14/") + d.name + "/native.pdb";
  TRIFOLD_REQUIRE_SHARED(rel);
  const auto native_path = test::shared_path(rel);
  Structure nat = read_pdb(native_path);
  std::vector<bool> present;
  Backbone bb = backbone_from_structure(nat, d.first, d.last, &present);
  Restraints r = restraints_from_backbone(bb, present, 1.0);

  FoldOptions opt;
  opt.restarts = 4;
  opt.steps = 200;
  opt.seed = 1;
  auto t0 = std::chrono::steady_clock::now();
  FoldResult res = fold(r, opt);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::string seq;
  for (int k = d.first; k <= d.last; ++k) {
    char c = 'X';
    for (const auto& ch : nat.chains)
      for (const auto& rr : ch.residues)
        if (rr.seqnum == k) c = rr.one_letter();
    seq.push_back(c == 'X' ? 'G' : c);
  }
  ToStructureOptions so;
  so.first_residue_number = d.first;
  const Structure model = to_structure(res.backbone, seq, restraint_confidence(r, res.backbone), so);
  double tm = tm_of(model, nat);
  std::printf("[fold-native] %s L=%zu pairs=%zu loss=%.4f best_restart=%d TM=%.4f time=%.1fs\n", d.name,
              bb.size(), res.restrained_pairs, res.terms.total, res.best_restart, tm, secs);
  EXPECT_GE(tm, 0.9);  // the acceptance bound
}

INSTANTIATE_TEST_SUITE_P(Casp14, FoldNative,
                         ::testing::Values(Domain{"T1082-D1", 23, 97}, Domain{"T1087-D1", 1, 93},
                                           Domain{"T1078-D1", 3, 131}, Domain{"T1034-D1", 1, 156},
                                           Domain{"T1056-D1", 13, 181}, Domain{"T1041-D1", 1, 242}),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// The MDS start already sits close to the native for complete native restraints, so this case starts from the
// native CA trace scrambled by ±4 Å uniform noise per coordinate (seeded): the optimiser must repair it. The
// start's own TM-score is measured too, to show that the optimisation (not the start) reaches the bound.
TEST(FoldNativeNoisyStart, RepairsScrambledStart) {
  const std::string rel = "data/casp14/T1087-D1/native.pdb";
  TRIFOLD_REQUIRE_SHARED(rel);
  const auto native_path = test::shared_path(rel);
  Structure nat = read_pdb(native_path);
  Backbone bb = backbone_from_structure(nat, 1, 93, nullptr);
  Restraints r = restraints_from_backbone(bb, {}, 1.0);
  FoldOptions opt;
  opt.restarts = 4;
  opt.steps = 300;
  opt.seed = 3;
  opt.init_noise = 0.0;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-4.0, 4.0);
  Structure start;
  start.chains.resize(1);
  start.chains[0].id = "A";
  for (size_t i = 0; i < bb.size(); ++i) {
    Vec3 p{bb.ca[i].x + u(rng), bb.ca[i].y + u(rng), bb.ca[i].z + u(rng)};
    opt.init_ca.push_back(p);
    Residue res;
    res.name = "GLY";
    res.seqnum = 1 + static_cast<int>(i);
    res.atoms.push_back(Atom{"CA", "C", p});
    start.chains[0].residues.push_back(res);
  }
  const double tm_start = tm_of(start, nat);
  FoldResult res = fold(r, opt);
  const double tm = tm_of(to_structure(res.backbone, std::string(bb.size(), 'G'), {}), nat);
  std::printf("[fold-native-noisy] T1087-D1 start TM=%.4f final TM=%.4f loss=%.4f\n", tm_start, tm,
              res.terms.total);
  EXPECT_LT(tm_start, 0.75);  // the scrambled start is far from the bound ...
  EXPECT_GE(tm, 0.9);         // ... and the optimiser brings it back
}
