// Real Slurm (tests/slurm/slurm-up.sh): `trifold batch --submit slurm` runs the MSA and prediction arrays for
// real; a killed array task is completed by a resubmission that recomputes only the missing targets.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "io/file_util.hpp"
#include "io/mmcif.hpp"
#include "io/pdb.hpp"
#include "pipeline/method.hpp"
#include "pipeline/stages.hpp"
#include "tests/common/test_data.hpp"
#include "tests/pipeline/batch_fixture.hpp"

namespace trifold {
namespace {

namespace fs = std::filesystem;

// One private cluster per test: started in SetUp, stopped in TearDown (visible skip when it cannot start).
class SlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
    bool have = false;
    for (const auto& m : pipeline::methods()) have = have || std::string(m.name) == "coevolution";
    if (!have) GTEST_SKIP() << "the coevolution method is not part of this build";
    scratch_ = std::make_unique<test::ScratchDir>("slurm");
    cluster_ = scratch_->path() / "cluster";
    auto up = test::run_command("bash " + (test::source_dir() / "tests/slurm/slurm-up.sh").string() + " " +
                                cluster_.string());
    started_ = true;
    if (up.status != 0) GTEST_SKIP() << "Slurm daemons could not start (slurm-up.sh exit " << up.status << "): " << up.output;
    env_ = "SLURM_CONF=" + (cluster_ / "slurm.conf").string() + " ";
  }
  void TearDown() override {
    if (started_)
      test::run_command("bash " + (test::source_dir() / "tests/slurm/slurm-down.sh").string() + " " + cluster_.string());
  }

  test::CommandResult sh(const std::string& cmd) { return test::run_command(env_ + cmd, false); }

  // Submits the batch and returns {msa job, net job}.
  std::pair<std::string, std::string> submit(const fs::path& manifest, const fs::path& out, const std::string& extra = "") {
    auto r = sh(test::trifold_binary().string() + " batch " + manifest.string() + " --out " + out.string() + extra +
                " --submit slurm --cpu-partition cpu --gpu-partition gpu --gpus 0 --msa-cpus 1 --net-cpus 1"
                " --msa-mem 500M --net-mem 1000M --msa-time 10 --net-time 10");
    EXPECT_EQ(r.status, 0) << r.output;
    std::map<std::string, std::string> kv;
    std::istringstream is(r.output);
    std::string k, v;
    while (is >> k >> v) kv[k] = v;
    return {kv["msa_job"], kv["net_job"]};
  }

  // Waits until none of `jobs` is pending or running; false on timeout.
  bool wait_for(const std::vector<std::string>& jobs, int timeout_s) {
    std::string list;
    for (auto& j : jobs) list += (list.empty() ? "" : ",") + j;
    for (int i = 0; i < timeout_s * 2; ++i) {
      auto r = sh("squeue -h -o %i -j " + list + " 2>/dev/null");
      if (r.status == 0 && r.output.find_first_not_of(" \n") == std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }

  std::string sacct_like_states(const std::string& job) {  // scontrol keeps finished jobs for MinJobAge
    return sh("scontrol show job " + job + " 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort | uniq -c").output;
  }

  void check_outputs(const fs::path& out, const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      fs::path d = out / id;
      ASSERT_TRUE(fs::exists(d / pipeline::kDoneMarker)) << id << "\n" << read_file(out / "batch_index.tsv");
      Structure pdb = read_pdb(d / pipeline::kModelPdb);
      Structure cif = read_mmcif(d / pipeline::kModelCif);
      A3m msa = read_a3m(d / pipeline::kMsaFile);
      EXPECT_EQ(pdb.sequence(), msa.aligned(0)) << id;
      EXPECT_EQ(pdb.residue_count(), msa.length()) << id;
      EXPECT_GE(msa.rows.size(), 1u) << id;
      EXPECT_EQ(pdb.atom_count(), cif.atom_count()) << id;
      std::string conf = read_file(d / pipeline::kConfidenceJson);
      EXPECT_NE(conf.find("\"per_residue\""), std::string::npos) << id;
      EXPECT_TRUE(fs::exists(d / pipeline::kConfigJson) && fs::exists(d / pipeline::kTimings)) << id;
      for (const auto& e : fs::directory_iterator(d))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "leftover " << e.path();
    }
    std::string tsv = read_file(out / "batch_index.tsv");
    for (const auto& id : ids) {
      size_t first = tsv.find("\n" + id + "\t");
      ASSERT_NE(first, std::string::npos) << id;
      EXPECT_EQ(tsv.find("\n" + id + "\t", first + 1), std::string::npos) << id << " listed twice";
      EXPECT_EQ(tsv.substr(first + 1 + id.size() + 1, 4), "done") << tsv;
    }
  }

  std::unique_ptr<test::ScratchDir> scratch_;
  fs::path cluster_;
  std::string env_;
  bool started_ = false;
};

// Built-in MSA search over MMseqs2's example UniProt database, then the coevolution method, as job arrays.
TEST_F(SlurmTest, ArraysRunEveryTarget) {
  if (!fs::exists(test::mmseqs_example("DB.fasta.gz")))
    GTEST_SKIP() << "Debian mmseqs2-examples not installed (its database is the search target)";
  fs::path dir = scratch_->path();
  auto ids = test::write_example_queries(dir / "targets.fasta", 6, 36);
  ASSERT_EQ(ids.size(), 6u);
  auto [msa, net] = submit(dir / "targets.fasta", dir / "out", " --db " + test::mmseqs_example("DB.fasta.gz").string());
  ASSERT_FALSE(msa.empty() || net.empty());
  ASSERT_TRUE(wait_for({msa, net}, 600)) << "jobs did not finish in 10 min";
  check_outputs(dir / "out", ids);
  size_t with_homologs = 0;
  for (const auto& id : ids) {
    EXPECT_NE(read_file(dir / "out" / id / pipeline::kConfigJson).find("\"msa_source\": \"builtin-search\""),
              std::string::npos) << id;
    with_homologs += read_a3m(dir / "out" / id / pipeline::kMsaFile).rows.size() > 1;
  }
  EXPECT_GT(with_homologs, 0u) << "the built-in search found no homolog for any example query";
  // Both arrays completed: one task per target, each COMPLETED.
  std::string st = sacct_like_states(net);
  EXPECT_NE(st.find(std::to_string(ids.size()) + " JobState=COMPLETED"), std::string::npos) << st;
  std::string script = read_file(dir / "out" / "slurm" / "net.sbatch");
  EXPECT_NE(script.find("#SBATCH --array=0-" + std::to_string(ids.size() - 1)), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "out" / "slurm" / "logs" / ("net-" + net + "_0.log")));
}

// The network method on the GPU array (run on the CPU partition here): small random weights made by
// `trifold convert --random --config tiny`, built-in MSA search, 6 targets as job arrays. Three forced
// refinement iterations keep each prediction around a second; parity of the network itself is tested in tests/e2e.
TEST_F(SlurmTest, ArraysRunTheNetworkWithTinyWeights) {
  if (!fs::exists(test::mmseqs_example("DB.fasta.gz")))
    GTEST_SKIP() << "Debian mmseqs2-examples not installed (its database is the search target)";
  fs::path dir = scratch_->path();
  fs::path weights = dir / "tiny.h5";
  auto conv = test::run_command(test::trifold_binary().string() + " convert --random --config tiny --seed 7 " +
                                weights.string());
  ASSERT_EQ(conv.status, 0) << conv.output;
  auto ids = test::write_example_queries(dir / "targets.fasta", 6, 36);
  ASSERT_EQ(ids.size(), 6u);
  auto [msa, net] = submit(dir / "targets.fasta", dir / "out",
                           " --db " + test::mmseqs_example("DB.fasta.gz").string() + " --weights " +
                               weights.string() + " --method-option refine_iters=3");
  ASSERT_FALSE(msa.empty() || net.empty());
  ASSERT_TRUE(wait_for({msa, net}, 600)) << "jobs did not finish in 10 min";
  check_outputs(dir / "out", ids);
  for (const auto& id : ids) {
    std::string config = read_file(dir / "out" / id / pipeline::kConfigJson);
    EXPECT_NE(config.find("\"method\": \"network\""), std::string::npos) << id << "\n" << config;
    EXPECT_TRUE(fs::exists(dir / "out" / id / "distogram.h5")) << id;
  }
  std::string st = sacct_like_states(net);
  EXPECT_NE(st.find(std::to_string(ids.size()) + " JobState=COMPLETED"), std::string::npos) << st;
}

TEST_F(SlurmTest, KilledTaskIsCompletedByResubmissionOnly) {
  fs::path dir = scratch_->path();
  // T1078 (first in the manifest, shard 0) has the deepest alignment: the slowest prediction, the one to kill.
  auto ids = test::write_a3m_inputs(dir / "a3m", 5, 2000);
  test::write_manifest(dir / "m.csv", dir / "a3m", ids);
  fs::path out = dir / "out";
  auto [msa, net] = submit(dir / "m.csv", out);
  ASSERT_FALSE(msa.empty() || net.empty());
  // Kill network task 0 while its predict stage runs (its temporary folder exists).
  bool killed = false;
  for (int i = 0; i < 1200 && !killed; ++i) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(out / ids[0], ec))
      if (e.path().filename().string().starts_with(".tmp.predict.")) {
        auto r = sh("scancel --signal=KILL " + net + "_0");
        ASSERT_EQ(r.status, 0) << r.output;
        killed = true;
        break;
      }
    if (fs::exists(out / ids[0] / pipeline::kDoneMarker)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(killed) << "the prediction of " << ids[0] << " finished before it could be killed";
  ASSERT_TRUE(wait_for({msa, net}, 600));
  EXPECT_FALSE(fs::exists(out / ids[0] / pipeline::kDoneMarker)) << "the killed target must not look complete";
  EXPECT_FALSE(fs::exists(out / ids[0] / pipeline::kModelPdb));
  // The other targets finished; remember their outputs to prove they are not recomputed.
  std::map<std::string, fs::file_time_type> done_time;
  for (size_t i = 1; i < ids.size(); ++i) {
    ASSERT_TRUE(fs::exists(out / ids[i] / pipeline::kDoneMarker)) << ids[i];
    done_time[ids[i]] = fs::last_write_time(out / ids[i] / pipeline::kModelPdb);
  }
  std::string index = read_file(out / "batch_index.tsv");
  // Its MSA array task finished, its network task was killed: the index must not say done.
  EXPECT_NE(index.find("\n" + ids[0] + "\tmsa-done"), std::string::npos) << index;

  auto [msa2, net2] = submit(dir / "m.csv", out);
  ASSERT_TRUE(wait_for({msa2, net2}, 600));
  check_outputs(out, ids);
  for (size_t i = 1; i < ids.size(); ++i)
    EXPECT_EQ(fs::last_write_time(out / ids[i] / pipeline::kModelPdb), done_time[ids[i]]) << ids[i] << " was recomputed";
  // The resubmitted tasks say what they recomputed: only shard 0 did any work.
  for (size_t k = 0; k < ids.size(); ++k) {
    std::string log = read_file(out / "slurm" / "logs" / ("net-" + net2 + "_" + std::to_string(k) + ".log"));
    EXPECT_NE(log.find(k == 0 ? "recomputed: 1" : "recomputed: 0"), std::string::npos) << "task " << k << ":\n" << log;
  }
}

}  // namespace
}  // namespace trifold
