// `trifold predict` end to end: built-in MSA search + coevolution method; outputs, confidence in B-factors,
// config/timings/done marker, --stop-after msa then resume, up-to-date rerun, clear errors.
#include <gtest/gtest.h>

#include <sstream>

#include "io/file_util.hpp"
#include "io/hdf5.hpp"
#include "io/mmcif.hpp"
#include "io/pdb.hpp"
#include "pipeline/method.hpp"
#include "pipeline/stages.hpp"
#include "tests/common/test_data.hpp"
#include "tests/pipeline/batch_fixture.hpp"

namespace trifold {
namespace {

namespace fs = std::filesystem;

std::vector<double> per_residue(const std::string& json) {
  std::vector<double> v;
  size_t b = json.find("\"per_residue\": [");
  if (b == std::string::npos) return v;
  std::istringstream is(json.substr(b + 16, json.find(']', b) - b - 16));
  std::string tok;
  while (std::getline(is, tok, ',')) v.push_back(std::stod(tok));
  return v;
}

TEST(Predict, BuiltinSearchAndCoevolutionEndToEnd) {
  bool have = false;
  for (const auto& m : pipeline::methods()) have = have || std::string(m.name) == "coevolution";
  if (!have) GTEST_SKIP() << "the coevolution method is not part of this build";
  if (!fs::exists(test::mmseqs_example("DB.fasta.gz"))) GTEST_SKIP() << "Debian mmseqs2-examples not installed";
  test::ScratchDir d("predict_e2e");
  auto ids = test::write_example_queries(d / "all.fasta", 3, 36);
  auto recs = read_fasta(d / "all.fasta");
  write_file_atomic(d / "q.fasta", format_fasta({recs[2]}));
  std::string bin = test::trifold_binary().string();
  std::string db = test::mmseqs_example("DB.fasta.gz").string();
  fs::path out = d / "out";
  std::string base = bin + " predict --fasta " + (d / "q.fasta").string() + " --db " + db + " --out " + out.string();

  auto r = test::run_command(base + " --stop-after msa");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(out / pipeline::kMsaFile));
  EXPECT_FALSE(fs::exists(out / pipeline::kModelPdb));
  EXPECT_FALSE(fs::exists(out / pipeline::kDoneMarker));

  // --stop-after predict (the last stage) is a whole run and gets its DONE marker (it had none before).
  r = test::run_command(base + " --stop-after predict");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find("stage msa started"), std::string::npos) << "the MSA must not be searched again:\n" << r.output;
  ASSERT_TRUE(fs::exists(out / pipeline::kDoneMarker));
  Structure pdb = read_pdb(out / pipeline::kModelPdb);
  Structure cif = read_mmcif(out / pipeline::kModelCif);
  EXPECT_EQ(pdb.sequence(), recs[2].sequence);
  ASSERT_EQ(pdb.atom_count(), 4 * recs[2].sequence.size());  // backbone-only: N, CA, C, O
  std::vector<double> conf = per_residue(read_file(out / pipeline::kConfidenceJson));
  ASSERT_EQ(conf.size(), recs[2].sequence.size());
  size_t k = 0;
  for (size_t c = 0; c < pdb.chains.size(); ++c)
    for (size_t i = 0; i < pdb.chains[c].residues.size(); ++i, ++k) {
      const auto& rp = pdb.chains[c].residues[i];
      const auto& rc = cif.chains[c].residues[i];
      for (size_t a = 0; a < rp.atoms.size(); ++a) {
        EXPECT_NEAR(rp.atoms[a].bfactor, conf[k], 0.005 + 1e-9);  // both printed with 2 decimals
        EXPECT_EQ(rp.atoms[a].pos.x, rc.atoms[a].pos.x);
        EXPECT_EQ(rp.atoms[a].bfactor, rc.atoms[a].bfactor);
      }
    }
  std::string config = read_file(out / pipeline::kConfigJson);
  EXPECT_NE(config.find("\"method\": \"coevolution\""), std::string::npos) << config;
  EXPECT_NE(config.find("\"msa_source\": \"builtin-search\""), std::string::npos) << config;
  EXPECT_NE(config.find("\"trifold_version\""), std::string::npos);
  EXPECT_NE(read_file(out / pipeline::kTimings).find("\"predict\""), std::string::npos);
  {
    h5::File f(out / pipeline::kDistogramH5);
    auto dist = f.read<float>("dist");
    const int64_t L = static_cast<int64_t>(recs[2].sequence.size());
    ASSERT_EQ(dist.shape, (h5::Shape{L, L, 37}));
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < L; ++j) {
        if (i == j) continue;
        double sum = 0;
        for (int b = 0; b < 37; ++b) sum += dist.data[(i * L + j) * 37 + b];
        ASSERT_NEAR(sum, 1.0, 1e-4) << i << "," << j;  // probabilities; float sums of 37 bins
      }
  }

  // Up-to-date rerun: nothing recomputed, outputs untouched.
  auto t = fs::last_write_time(out / pipeline::kModelPdb);
  r = test::run_command(base);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("nothing recomputed"), std::string::npos) << r.output;
  EXPECT_EQ(fs::last_write_time(out / pipeline::kModelPdb), t);
  // A changed method setting reruns only the prediction.
  r = test::run_command(base + " --method-option restarts=3");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("stage predict started"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("stage msa started"), std::string::npos) << r.output;
}

TEST(Predict, ClearErrorsBeforeAnyWork) {
  test::ScratchDir d("predict_errors");
  std::string bin = test::trifold_binary().string();
  write_file_atomic(d / "q.fasta", ">q\nMKVLAAGIVG\n");
  auto r = test::run_command(bin + " predict --fasta " + (d / "q.fasta").string() + " --out " + (d / "o").string() +
                             " --db " + (d / "q.fasta").string() + " --method network");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("the network method needs weights"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "o")) << "nothing may be written before validation";
  r = test::run_command(bin + " predict --fasta " + (d / "q.fasta").string() + " --out " + (d / "o").string() +
                        " --db " + (d / "missing.fasta").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("sequence database not found"), std::string::npos) << r.output;
  r = test::run_command(bin + " predict --fasta " + (d / "q.fasta").string() + " --out " + (d / "o").string() +
                        " --db " + d.path().string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("sequence database is a folder: " + d.path().string()), std::string::npos) << r.output;
  write_file_atomic(d / "bad.fasta", ">q\nMKVLA1GIVG\n");
  r = test::run_command(bin + " predict --fasta " + (d / "bad.fasta").string() + " --out " + (d / "o").string() +
                        " --db " + (d / "q.fasta").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("bad.fasta:2"), std::string::npos) << r.output;
  r = test::run_command(bin + " predict --fasta " + (d / "q.fasta").string() + " --out " + (d / "o").string() +
                        " --db " + (d / "q.fasta").string() + " --stop-after fold");
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(fs::exists(d / "o" / pipeline::kDoneMarker));
}

// Out-of-range option values are input errors (exit 2) naming the option, before anything is written. Before:
// --max-length -5 wrapped to 2^64 - 5 (no limit; a 1200-residue query ran), --refine-iters -3 was ignored,
// --threads 100000 crashed with SIGSEGV inside libgomp, --max-memory inf was accepted, and the coevolution
// method took pairs_per_residue=nan, steps=1.5 (as 1) and seed=-1 (an undefined double -> uint64 cast).
TEST(Predict, BadOptionValuesAreRefusedBeforeAnyWork) {
  test::ScratchDir d("predict_bad_options");
  const std::string bin = "timeout 120 '" + test::trifold_binary().string() + "'";
  write_file_atomic(d / "q.fasta", ">q\nMKVLAAGIVGLLLAAGCSSHKEETKPEEVKPATTEAAPAA\n");
  const std::string base = bin + " predict --fasta '" + (d / "q.fasta").string() + "' --out '" +
                           (d / "o").string() + "' --db '" + (d / "q.fasta").string() +
                           "' --method coevolution --method-option steps=20 --method-option restarts=1 ";
  struct Bad {
    const char* option;
    const char* expect;  // part of the message
  } bad[] = {{"--max-length -5", "--max-length -5"},
             {"--refine-iters -3", "--refine-iters -3"},
             {"--threads 100000", "--threads 100000"},
             {"--max-memory inf", "--max-memory"},
             {"--method-option pairs_per_residue=nan", "pairs_per_residue=nan"},
             {"--method-option steps=1.5", "steps=1.5"},
             {"--method-option seed=-1", "seed=-1"},
             {"--method-option identity=5", "identity=5"}};
  for (const auto& b : bad) {
    SCOPED_TRACE(b.option);
    auto r = test::run_command(base + b.option);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(b.expect), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(d / "o")) << "nothing may be written before the options are checked";
    fs::remove_all(d / "o");
  }
}

// An --out that exists as a file is an I/O error naming the option and the path (it was std::filesystem's
// "unexpected failure: filesystem error: cannot create directories"), for predict and batch alike.
TEST(Predict, OutThatIsAFileIsAClearError) {
  test::ScratchDir d("predict_out_file");
  const std::string bin = test::quoted(test::trifold_binary());
  write_file_atomic(d / "q.fasta", ">q\nMKVLAAGIVG\n");
  write_file_atomic(d / "taken", "a file, not a folder\n");
  const std::string opts = " --db '" + (d / "q.fasta").string() + "' --method coevolution --stop-after input";
  for (const std::string& cmd : std::vector<std::string>{bin + " predict --fasta '" + (d / "q.fasta").string() + "' --out '" +
                                    (d / "taken").string() + "'" + opts,
                                bin + " batch '" + (d / "q.fasta").string() + "' --out '" + (d / "taken").string() +
                                    "'" + opts}) {
    SCOPED_TRACE(cmd);
    auto r = test::run_command(cmd);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("--out " + (d / "taken").string() + ": exists and is not a directory"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("unexpected failure"), std::string::npos) << r.output;
  }
  auto r = test::run_command(bin + " predict --fasta '" + (d / "q.fasta").string() + "' --out '" +
                             (d / "taken" / "sub").string() + "'" + opts);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("cannot create the directory"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(d / "taken"), "a file, not a folder\n");
}

// `trifold plan` and `trifold msa` check every numeric option before printing or searching: a bad --lengths
// left plan's header on stdout without rows, --max-memory inf reached an undefined double -> size_t cast, and
// msa took --evalue nan (every candidate passed), negative E-values, --timeout -1 and --maxmem 0 silently.
TEST(Predict, PlanAndMsaNumericOptionsAreChecked) {
  test::ScratchDir d("plan_msa_bad_options");
  const std::string bin = "timeout 120 '" + test::trifold_binary().string() + "'";
  for (const char* bad : {"--lengths abc", "--lengths 300,", "--lengths 1x0", "--lengths 0", "--lengths 99999999999",
                          "--max-memory inf", "--max-memory 1e300"}) {
    SCOPED_TRACE(bad);
    auto r = test::run_command(bin + " plan " + bad + " 2>/dev/null", false);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.output, "") << "nothing on stdout for a refused plan";
  }
  // The benchmarks share the list parser: "1x0" was std::stoi's 1 (bench e2e timed L = 1 and failed later) and
  // "x" ended as "unexpected failure: stoi" with exit 1.
  for (const char* bench : {"e2e", "se3"}) {
    SCOPED_TRACE(bench);
    auto r = test::run_command(bin + " bench " + bench + " --lengths 40,1x0");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("--lengths '40,1x0': expected integers >= 2 separated by commas, got '1x0'"),
              std::string::npos) << r.output;
  }
  write_file_atomic(d / "q.fasta", ">q\nMKVLAAGIVGLLLAAGCSSH\n");
  write_file_atomic(d / "db.fasta", ">q\nMKVLAAGIVGLLLAAGCSSH\n>h\nMKVLAAGIVGLLLAAGCSSH\n");
  const std::string base = bin + " msa --query '" + (d / "q.fasta").string() + "' --db '" +
                           (d / "db.fasta").string() + "' --out '" + (d / "q.a3m").string() + "' ";
  for (const char* bad : {"--evalue nan", "--evalue -1", "--timeout -1", "--maxmem 0", "--jackhmmer-iterations 0",
                          "--mmseqs-evalue 0", "--mmseqs-sensitivity nan"}) {
    SCOPED_TRACE(bad);
    auto r = test::run_command(base + bad);
    EXPECT_EQ(r.status, 2) << r.output;
    const std::string name = std::string(bad).substr(0, std::string(bad).find(' '));
    EXPECT_NE(r.output.find("error: " + name), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(d / "q.a3m"));
  }
}

// A huge OMP_NUM_THREADS (no --threads) crashed with SIGSEGV inside libgomp, like --threads 100000 did.
TEST(Predict, HugeOmpNumThreadsIsAnInputError) {
  test::ScratchDir d("predict_omp_threads");
  write_file_atomic(d / "q.fasta", ">q\nMKVLAAGIVG\n");
  auto r = test::run_command("OMP_NUM_THREADS=100000 timeout 120 '" + test::trifold_binary().string() +
                             "' predict --fasta '" + (d / "q.fasta").string() + "' --out '" + (d / "o").string() +
                             "' --db '" + (d / "q.fasta").string() + "' --method coevolution");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("error: OMP_NUM_THREADS=100000: at most"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "o"));
}

// An alignment whose first row is not the FASTA sequence: the message names the first differing residue (it
// only gave both lengths, equal here), and nothing that looks complete is left.
TEST(Predict, MismatchedAlignmentNamesTheFirstDifference) {
  test::ScratchDir d("predict_a3m_mismatch");
  write_file_atomic(d / "q.fasta", ">q\nMKVLAAGIVGLLLAAGCSSH\n");
  write_file_atomic(d / "q.a3m", ">q\nMKVLAAGIVGLLKAAGCSSH\n>h\nMKVLAAGIVGLLKAAGCSS-\n");
  auto r = test::run_command(test::quoted(test::trifold_binary()) + " predict --fasta '" +
                             (d / "q.fasta").string() + "' --a3m '" + (d / "q.a3m").string() + "' --out '" +
                             (d / "o").string() + "' --method coevolution");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("first difference at residue 13: 'K' in the alignment, 'L' in the sequence"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(d / "o" / pipeline::kDoneMarker));
  EXPECT_FALSE(fs::exists(d / "o" / pipeline::kModelPdb));
}

}  // namespace
}  // namespace trifold
