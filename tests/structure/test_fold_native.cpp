// Folding from a native's own restraints must recover the native (TM-score >= 0.9, Debian TMscore program).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <regex>

#include "io/pdb.hpp"
#include "structure/fold.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;
using namespace trifold::structure;

namespace {

struct Domain {
  const char* name;
  int first, last;
};

double tmscore_of(const std::filesystem::path& model, const std::filesystem::path& native) {
  auto res = test::run_command("TMscore '" + model.string() + "' '" + native.string() + "'");
  EXPECT_EQ(res.status, 0) << res.output;
  std::smatch m;
  std::regex re("TM-score\\s*=\\s*([0-9.]+)");
  if (!std::regex_search(res.output, m, re)) {
    ADD_FAILURE() << "no TM-score in TMscore output:\n" << res.output;
    return 0.0;
  }
  return std::stod(m[1]);
}

}  // namespace

class FoldNative : public ::testing::TestWithParam<Domain> {};

// Restraints: the native's own Cβ distances and ω/θ/φ as Gaussians of width 1 bin (lightly smoothed).
// Test schedule: 4 restarts × 200 steps (the reference default is 15 restarts; fewer keep the test short).
TEST_P(FoldNative, RecoversNative) {
  const Domain d = GetParam();
  const std::string rel = std::string("data/casp14/") + d.name + "/native.pdb";
  TRIFOLD_REQUIRE_SHARED(rel);
  TRIFOLD_REQUIRE_PROGRAM("TMscore");
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
  test::ScratchDir dir(std::string("fold_native_") + d.name);
  const auto model = dir / "model.pdb";
  write_pdb(model, to_structure(res.backbone, seq, restraint_confidence(r, res.backbone), so));
  double tm = tmscore_of(model, native_path);
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
