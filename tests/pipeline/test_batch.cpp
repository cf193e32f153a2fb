// Batch inputs, sharding, failure isolation, retries, the index, and the generated sbatch scripts.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "io/error.hpp"
#include "io/fasta.hpp"
#include "io/file_util.hpp"
#include "pipeline/batch.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/targets.hpp"
#include "tests/common/test_data.hpp"
#include "tests/pipeline/batch_fixture.hpp"

namespace trifold::pipeline {
namespace {

Settings msa_only() {
  Settings s;
  s.version = "test";
  s.stop_after = "msa";
  return s;
}

TEST(BatchInput, MultiFastaKeepsBadRecordsAsFailures) {
  test::ScratchDir d("batch_fasta");
  write_file_atomic(d / "in.fasta", ">a first\nACDEF\nGHIK\n>b\nAC1DE\n>a\nMMM\n>c/x y\nmkl\n>d\nACDEF\n\nGHBK\n");
  testing::internal::CaptureStderr();
  auto t = read_targets(d / "in.fasta");
  const std::string warnings = testing::internal::GetCapturedStderr();
  ASSERT_EQ(t.size(), 5u);
  // One warning for the input (not one per target) when names had to change to be folder names.
  EXPECT_NE(warnings.find("1 target name was changed to be folder names (letters, digits, '.', '-', '_'), e.g. "
                          "'c/x' -> 'c_x' (" + (d / "in.fasta").string() + ":8)"), std::string::npos) << warnings;
  EXPECT_EQ(t[3].name, "c/x");
  EXPECT_EQ(t[0].id, "a");
  EXPECT_EQ(t[0].sequence, "ACDEFGHIK");
  EXPECT_TRUE(t[0].error.empty());
  Settings s;
  EXPECT_THROW(validate_target(t[1], s), InputError);  // '1' is not an amino acid
  try {
    validate_target(t[1], s);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("in.fasta:5: target 'b': residue 3 is '1'"), std::string::npos) << e.what();
  }
  // A bad residue is reported at its own line (was the header's line), in a record over several lines.
  try {
    validate_target(t[4], s);
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("in.fasta:13: target 'd': residue 8 is 'B'"), std::string::npos) << e.what();
  }
  EXPECT_NE(t[2].error.find("duplicate"), std::string::npos);
  EXPECT_NE(t[2].id, "a") << "a duplicate must not share the first one's work directory";
  EXPECT_EQ(t[3].id, "c_x");
  EXPECT_EQ(t[3].sequence, "MKL");
  s.max_length = 5;
  EXPECT_THROW(validate_target(t[0], s), InputError);
}

TEST(BatchInput, ManifestAndFolder) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  test::ScratchDir d("batch_manifest");
  auto ids = test::write_a3m_inputs(d / "a3m", 3, 20);
  test::write_manifest(d / "m.csv", d / "a3m", ids);
  auto t = read_targets(d / "m.csv");
  ASSERT_EQ(t.size(), ids.size());
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i].id, ids[i]);
    EXPECT_FALSE(t[i].a3m.empty());
    EXPECT_TRUE(t[i].error.empty()) << t[i].error;
  }
  // TSV with a fasta column, relative to the manifest's folder.
  write_file_atomic(d / "x.fasta", ">x\nMKV\n");
  write_file_atomic(d / "m.tsv", "# comment\nname\tfasta\nx1\tx.fasta\nx2\tmissing.fasta\n");
  auto u = read_targets(d / "m.tsv");
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].sequence, "MKV");
  EXPECT_FALSE(u[1].error.empty());
  write_file_atomic(d / "bad.csv", "foo,bar\n1,2\n");
  EXPECT_THROW(read_targets(d / "bad.csv"), InputError);
  // Folder: ids from file names, sorted.
  auto f = read_targets(d / "a3m");
  ASSERT_EQ(f.size(), ids.size());
  std::set<std::string> a(ids.begin(), ids.end()), b;
  for (auto& x : f) b.insert(x.id);
  EXPECT_EQ(a, b);
}

TEST(Sharding, DisjointCoveringDeterministic) {
  for (size_t total : {1u, 6u, 7u, 100u})
    for (int n = 1; n <= 8; ++n) {
      std::vector<int> owner(total, -1);
      for (int s = 0; s < n; ++s)
        for (size_t k = 0; k < total; ++k)
          if (in_shard(k, s, n)) {
            EXPECT_EQ(owner[k], -1) << "target " << k << " in two shards";
            owner[k] = s;
          }
      for (size_t k = 0; k < total; ++k) EXPECT_EQ(owner[k], static_cast<int>(k % n));
    }
}

TEST(Batch, FailuresAreIsolatedRecordedAndRetried) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  test::ScratchDir d("batch_isolation");
  auto ids = test::write_a3m_inputs(d / "a3m", 4, 50);
  test::write_manifest(d / "m.csv", d / "a3m", ids);
  // Three broken targets between good ones: a bad letter, a missing alignment, an alignment of another protein.
  {
    std::ofstream m(d / "m.csv", std::ios::app);
    m << "badletter,ACDBZ," << (d / "a3m" / "T1078.a3m").string() << "\n";
    m << "noalign,MKV," << (d / "nope.a3m").string() << "\n";
    m << "mismatch,MKVLA," << (d / "a3m" / "T1078.a3m").string() << "\n";
  }
  BatchOptions b;
  b.input = d / "m.csv";
  b.out = d / "out";
  b.settings = msa_only();
  auto sum = run_batch(b, nullptr);
  EXPECT_EQ(sum.total, ids.size() + 3);
  EXPECT_EQ(sum.stage_done, ids.size());
  EXPECT_EQ(sum.failed, 3u);
  for (const auto& id : ids) EXPECT_TRUE(fs::exists(b.out / id / kMsaFile)) << id;
  for (const auto& r : sum.rows)
    if (r.id == "badletter") {
      EXPECT_NE(r.reason.find("residue 4"), std::string::npos) << r.reason;
    }
  EXPECT_FALSE(fs::exists(b.out / "mismatch" / kMsaFile));
  // Index: every target with its state.
  std::string tsv = read_file(b.out / "batch_index.tsv");
  EXPECT_NE(tsv.find("noalign\tfailed"), std::string::npos) << tsv;
  EXPECT_NE(tsv.find("T1078\tmsa-done"), std::string::npos) << tsv;
  std::string json = read_file(b.out / "batch_index.json");
  EXPECT_NE(json.find("\"failed\": 3"), std::string::npos) << json;

  // Rerun: the failures are kept (not retried), nothing good is recomputed.
  sum = run_batch(b, nullptr);
  EXPECT_EQ(sum.skipped_failed, 3u);
  EXPECT_EQ(sum.ran, 0u);
  // Fix one input, retry the failed ones.
  fs::copy_file(d / "a3m" / "T1025-D1.a3m", d / "nope.a3m");
  std::string m = read_file(d / "m.csv");
  m.replace(m.find("noalign,MKV,"), 12, "noalign," + read_a3m(d / "nope.a3m").aligned(0) + ",");
  write_file_atomic(d / "m.csv", m);
  b.retry_failed = true;
  sum = run_batch(b, nullptr);
  EXPECT_EQ(sum.failed, 2u);
  EXPECT_EQ(sum.ran, 3u);  // the three failures were retried, one now succeeds
  EXPECT_TRUE(fs::exists(b.out / "noalign" / kMsaFile));
}

TEST(Batch, ShardsSplitTheWorkWithoutOverlap) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  test::ScratchDir d("batch_shards");
  auto ids = test::write_a3m_inputs(d / "a3m", 6, 10);
  test::write_manifest(d / "m.csv", d / "a3m", ids);
  std::multiset<std::string> processed;
  for (int s = 0; s < 3; ++s) {
    BatchOptions b;
    b.input = d / "m.csv";
    b.out = d / "out";
    b.settings = msa_only();
    b.shard = s;
    b.nshards = 3;
    auto sum = run_batch(b, nullptr);
    for (const auto& r : sum.rows) processed.insert(r.id);
    EXPECT_EQ(sum.selected, (ids.size() + 2 - s) / 3);
  }
  EXPECT_EQ(processed.size(), ids.size());
  EXPECT_EQ(std::set<std::string>(processed.begin(), processed.end()).size(), ids.size());
  std::string tsv = read_file(d / "out" / "batch_index.tsv");
  EXPECT_EQ(tsv.find("pending"), std::string::npos) << "after all shards nothing is pending:\n" << tsv;
}

// With --db, the shard's targets are searched together (one batched database scan, MsaSource::prefetch), and
// every msa.a3m is byte-identical to the one a batch of that target alone writes (one-query search).
TEST(Batch, BuiltinSearchScansTheDatabaseOnceForManyTargets) {
  if (!std::filesystem::exists(test::mmseqs_example("DB.fasta.gz"))) GTEST_SKIP() << "mmseqs2-examples not installed";
  test::ScratchDir d("batch_prefetch");
  const auto ids = test::write_example_queries(d / "all.fasta", 6, 60);
  const std::string db = test::mmseqs_example("DB.fasta.gz").string();
  auto r = test::run_command("'" + test::trifold_binary().string() + "' batch '" + (d / "all.fasta").string() +
                             "' --out '" + (d / "together").string() + "' --db " + db + " --stop-after msa");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("6 targets in one batched database scan"), std::string::npos) << r.output;
  const auto recs = read_fasta(d / "all.fasta");
  size_t with_hits = 0;  // the comparison must not be between query-only alignments
  for (const auto& rec : recs) {
    write_file_atomic(d / "one.fasta", format_fasta({rec}));
    auto one = test::run_command("'" + test::trifold_binary().string() + "' batch '" + (d / "one.fasta").string() +
                                 "' --out '" + (d / "alone").string() + "' --db " + db + " --stop-after msa");
    ASSERT_EQ(one.status, 0) << one.output;
    EXPECT_EQ(one.output.find("batched database scan"), std::string::npos) << one.output;
    const std::string together = read_file(d / "together" / rec.name / kMsaFile);
    with_hits += std::count(together.begin(), together.end(), '>') > 1;
    EXPECT_EQ(together, read_file(d / "alone" / rec.name / kMsaFile)) << rec.name;
  }
  EXPECT_EQ(recs.size(), ids.size());
  EXPECT_GE(with_hits, 4u);
}

TEST(Batch, BatchLevelProblemsFailFast) {
  TRIFOLD_REQUIRE_SHARED("data/casp14/T1078-D1/msa.a3m");
  test::ScratchDir d("batch_failfast");
  write_file_atomic(d / "in.fasta", ">a\nMKV\n");
  BatchOptions b;
  b.input = d / "in.fasta";
  b.out = d / "out";
  b.settings = msa_only();
  EXPECT_THROW(run_batch(b, nullptr), InputError);  // no --db and no alignments
  b.settings.db = d / "missing_db";
  EXPECT_THROW(run_batch(b, nullptr), InputError);
  EXPECT_FALSE(fs::exists(d / "out" / "a")) << "nothing may be started before the inputs are validated";
  b.input = d / "nothing.fasta";
  EXPECT_THROW(run_batch(b, nullptr), InputError);
}

// --shard and --max-length values that do not fit are input errors naming the option: "--shard 0/99999999999"
// wrapped to another int (the shard silently took other targets) and "--max-length -1" to 2^64 - 1.
TEST(Batch, OutOfRangeShardAndMaxLengthAreInputErrors) {
  test::ScratchDir d("batch_bad_numbers");
  write_file_atomic(d / "in.fasta", ">a\nMKVLAAGIVG\n>b\nMKVLAAGIVG\n");
  const std::string base = "'" + test::trifold_binary().string() + "' batch '" + (d / "in.fasta").string() +
                           "' --out '" + (d / "out").string() + "' --db '" + (d / "in.fasta").string() +
                           "' --method coevolution --stop-after msa ";
  struct Bad {
    const char* option;
    const char* expect;
  } bad[] = {{"--shard 0/99999999999", "--shard count '99999999999' is out of range"},
             {"--shard 99999999999/2", "--shard index '99999999999' is out of range"},
             {"--max-length -1", "--max-length -1"}};
  for (const auto& b : bad) {
    SCOPED_TRACE(b.option);
    auto r = test::run_command(base + b.option);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find(b.expect), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(d / "out" / "a"));
  }
}

// An unknown --stop-after is a batch-level error before any target starts. It was a per-target failure: every
// target was written as failed (status, index), and rerunning with the corrected option kept them failed.
TEST(Batch, UnknownStopAfterFailsBeforeAnyTarget) {
  test::ScratchDir d("batch_bad_stop_after");
  write_file_atomic(d / "in.fasta", ">a\nMKVLAAGIVG\n>b\nMKVLAAGIVG\n");
  const std::string base = "'" + test::trifold_binary().string() + "' batch '" + (d / "in.fasta").string() +
                           "' --out '" + (d / "out").string() + "' --db '" + (d / "in.fasta").string() +
                           "' --method coevolution --stop-after ";
  auto r = test::run_command(base + "msaa");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("error: --stop-after msaa: no such stage"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "out" / "a"));
  EXPECT_FALSE(fs::exists(d / "out" / "batch_index.tsv"));
  r = test::run_command(base + "msa");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(d / "out" / "a" / kMsaFile)) << r.output;
}

}  // namespace
}  // namespace trifold::pipeline
