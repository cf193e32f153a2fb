// `trifold convert`, `info`, `plan`, `bench precision` and `bench e2e --profile` end to end: real golden checkpoints, random weights
// (tiny and full size), and the exit status / message for bad inputs made in a ScratchDir.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "io/file_util.hpp"
#include "tests/common/test_data.hpp"

namespace trifold {
namespace {

namespace fs = std::filesystem;

test::CommandResult trifold_run(const std::string& args) {
  return test::run_command("'" + test::trifold_binary().string() + "' " + args + " 2>&1");
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

TEST(WeightsCli, ConvertGoldenCheckpointAndInfo) {
  TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/small/RoseTTAFold_e2e.pt");
  test::ScratchDir dir("weights_cli");
  const fs::path g = test::shared_path("golden/rf1/weights/small");
  auto r = trifold_run("convert " + q(g / "RoseTTAFold_e2e.pt") + " " + q(dir / "small.h5") + " --model-config " +
                       q(g / "config.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = trifold_run("info " + q(dir / "small.h5"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("architecture    rosettafold_v1_e2e"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("parameters      1,680,661 "), std::string::npos) << r.output;  // config.json n_parameters
  EXPECT_NE(r.output.find("n_head_pair = 5\n"), std::string::npos) << r.output;           // inferred from shapes
  EXPECT_NE(r.output.find("SE3_param.n_heads = 2\n"), std::string::npos) << r.output;     // from config.json
  // The legacy-format file converts to the same hyper-parameters.
  r = trifold_run("convert " + q(g / "RoseTTAFold_e2e.legacy-format.pt") + " " + q(dir / "legacy.h5") +
                  " --config small");
  ASSERT_EQ(r.status, 0) << r.output;
  auto info2 = trifold_run("info " + q(dir / "legacy.h5"));
  auto strip_header = [](const std::string& s) { return s.substr(s.find("hyper-parameters")); };
  EXPECT_EQ(strip_header(info2.output), strip_header(trifold_run("info " + q(dir / "small.h5")).output));
}

TEST(WeightsCli, BadInputsFailCleanly) {
  TRIFOLD_REQUIRE_SHARED("golden/rf1/weights/tiny/RoseTTAFold_e2e.pt");
  test::ScratchDir dir("weights_cli_bad");
  const fs::path g = test::shared_path("golden/rf1/weights/tiny");
  std::string bytes = read_file(g / "RoseTTAFold_e2e.pt");
  std::ofstream(dir / "cut.pt", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  // Exit codes (tools/main.cpp): 2 = InputError (bad input), 1 = other errors (here: IoError from HDF5).
  struct Case {
    std::string args, message;
    int status;
  } cases[] = {
      {"convert " + q(dir / "cut.pt") + " " + q(dir / "out.h5"), "truncated", 2},
      {"convert " + q(g / "config.json") + " " + q(dir / "out.h5"), "not a PyTorch checkpoint", 2},
      // The output is checked before the checkpoint is read (was "out.h5.tmp.<pid>: cannot create HDF5 file").
      {"convert " + q(g / "RoseTTAFold_e2e.pt") + " " + q(dir / "missing" / "out.h5"),
       "output " + (dir / "missing" / "out.h5").string() + ": the folder " + (dir / "missing").string() +
           " does not exist", 1},
      {"convert " + q(g / "RoseTTAFold_e2e.pt") + " " + q(dir.path()), "is a folder; give the name of the file", 2},
      {"convert " + q(g / "RoseTTAFold_e2e.pt") + " " + q(dir / "out.h5") + " --set d_msa=128",
       "d_msa = 64 in the checkpoint, but 128 was given", 2},
      {"convert " + q(g / "RoseTTAFold_e2e.pt") + " " + q(dir / "out.h5") + " --set no_such=1", "unknown hyper-parameter", 2},
      // The official checkpoint where HDF5 weights belong: the message says how to convert it (was HDF5's bare
      // "not an HDF5 file", exit 1). A file that is neither is still refused by HDF5.
      {"info " + q(g / "RoseTTAFold_e2e.pt"), "this is a PyTorch checkpoint, not TriFold's HDF5 weights; convert it "
                                               "once with: trifold convert", 2},
      {"info " + q(g / ".." / "small" / "RoseTTAFold_e2e.legacy-format.pt"), "this is a PyTorch checkpoint", 2},
      {"info " + q(g / "config.json"), "not an HDF5 file", 1},
  };
  for (const auto& c : cases) {
    auto r = trifold_run(c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(dir / "out.h5")) << "failed convert left an output file";
  }
}

// `trifold plan` (model/memory_plan.hpp) needs no GPU and no weight file: the decision per length for a budget.
TEST(WeightsCli, PlanPrintsTheFullLengthOrCropDecision) {
  // Full-size model, N = 1000: L = 100 fits 8 GiB unchunked (2.1 GiB estimated); L = 1000 cannot go below
  // ~8.8 GiB with any chunking, so an 8 GiB budget means crops; 78 GiB fits L = 1000 whole.
  auto r = trifold_run("plan --lengths 100,1000 --rows 1000 --max-memory 8");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto line = [&](const std::string& l) {
    const size_t at = r.output.find("\n" + std::string(6 - l.size(), ' ') + l + "  ");
    return at == std::string::npos ? std::string() : r.output.substr(at + 1, r.output.find('\n', at + 1) - at - 1);
  };
  EXPECT_NE(line("100").find("full length"), std::string::npos) << r.output;
  EXPECT_NE(line("1000").find("crops"), std::string::npos) << r.output;
  r = trifold_run("plan --lengths 1000 --max-memory 78 --stages");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(line("1000").find("full length"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("msa2pair"), std::string::npos) << r.output;  // --stages lists the stages
  r = trifold_run("plan --max-memory 0");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--max-memory must be positive"), std::string::npos) << r.output;
}

// `trifold bench precision` end to end on the CPU (emulated rounding): both reduced precisions reported, each
// moving the outputs (a non-zero prob_s difference); a bad precision or fp32 as a comparison is refused.
TEST(WeightsCli, BenchPrecisionReportsTheEnvelope) {
  auto r = trifold_run("bench precision --preset tiny --length 16 --rows 8 --refine-iters 1");
  ASSERT_EQ(r.status, 0) << r.output;
  const size_t at = r.output.find("\nprob_s rel L2");
  ASSERT_NE(at, std::string::npos) << r.output;
  std::istringstream row(r.output.substr(at + 1, r.output.find('\n', at + 1) - at - 1));
  std::string a, b, c;
  double bf16 = 0, tf32 = 0;
  row >> a >> b >> c >> bf16 >> tf32;
  EXPECT_GT(bf16, 1e-4) << r.output;
  EXPECT_GT(tf32, 1e-6) << r.output;
  EXPECT_LT(tf32, bf16) << r.output;  // 3 more mantissa bits
  EXPECT_NE(r.output.find("dist top-bin agreement"), std::string::npos) << r.output;
  r = trifold_run("bench precision --preset tiny --length 16 --rows 8 --precisions fp16");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("expected fp32, tf32 or bf16"), std::string::npos) << r.output;
  r = trifold_run("bench precision --preset tiny --length 16 --rows 8 --precisions fp32");
  EXPECT_EQ(r.status, 2) << r.output;
}

// `trifold bench e2e --profile` on the CPU (full-size random weights, L = 12, one forced refinement iteration):
// the stage table counts each stage as often as the network runs it, and the stages cover the forward.
TEST(WeightsCli, BenchE2eProfileCountsTheStages) {
  auto r = trifold_run("bench e2e --lengths 12 --rows 4 --refine-iters 1 --profile");
  ASSERT_EQ(r.status, 0) << r.output;
  auto calls = [&](const std::string& stage) {
    const size_t at = r.output.find(stage);
    if (at == std::string::npos) return -1LL;
    return std::stoll(r.output.substr(at + stage.size()));
  };
  // Each track of 8 IterBlocks before InitStr, then of 4 IterBlock_w_Str and the FinalBlock (the full preset).
  EXPECT_EQ(calls("IterBlock: MSA2MSA (tied attention, Performer)"), 13) << r.output;
  EXPECT_EQ(calls("IterBlock: Pair2MSA (direct attention)"), 13) << r.output;
  // SE(3) stacks: 4 Str2Str + 1 FinalBlock + 4 Refine_Networks in the one refinement iteration.
  EXPECT_EQ(calls("SE(3): transformer layers"), 9) << r.output;
  EXPECT_EQ(calls("SE(3): top-k graph"), 9) << r.output;
  EXPECT_EQ(calls("refine: lDDT head, early stop"), 1) << r.output;
  const size_t out = r.output.find("(outside the stages above)");
  ASSERT_NE(out, std::string::npos) << r.output;
  double rest = 0, share = 0;
  std::istringstream(r.output.substr(out + 26)) >> rest >> share;
  EXPECT_LT(share, 50.0) << "the stages miss most of the forward:\n" << r.output;
  r = trifold_run("bench e2e --lengths 12 --rows 4 --refine-iters 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find("(outside the stages above)"), std::string::npos) << "no table without --profile";
}

TEST(WeightsCli, RandomTinyWeights) {
  test::ScratchDir dir("weights_cli_random");
  auto r = trifold_run("convert --random --config tiny --seed 3 " + q(dir / "tiny.h5"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = trifold_run("info " + q(dir / "tiny.h5"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("parameters      2,964,539 "), std::string::npos) << r.output;  // golden tiny config.json
  EXPECT_NE(r.output.find("random (seed 3"), std::string::npos) << r.output;
}

TEST(WeightsCli, RandomFullSizeWeights) {
  // ~560 MB file, ~4 s on the 2-core dev machine.
  test::ScratchDir dir("weights_cli_full");
  auto r = trifold_run("convert --random --config full " + q(dir / "full.h5"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = trifold_run("info " + q(dir / "full.h5"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("parameters      136,819,383 "), std::string::npos) << r.output;  // spec 4.13
  EXPECT_NE(r.output.find("tensors         5630\n"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace trifold
