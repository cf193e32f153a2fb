// trifold-msa-bench: the built-in search vs `mmseqs easy-search` vs `phmmer` on a query set and a FASTA
// database: wall time of each (same thread count) and sensitivity / false positives against phmmer.
#include <omp.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/log.hpp"
#include "msa/builtin_search.hpp"
#include "msa/database.hpp"
#include "msa/external.hpp"
#include "msa/hit_tables.hpp"

namespace po = boost::program_options;
using namespace trifold;
using PairSet = std::set<std::pair<std::string, std::string>>;  // (query, target)

namespace {

std::string shell_line(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// UniProt headers "sp|P12345|NAME_HUMAN": MMseqs2 reports only the accession, HMMER the whole word; compare
// by accession.
std::string canonical_id(const std::string& name) {
  const size_t a = name.find('|');
  if (a == std::string::npos) return name;
  const size_t b = name.find('|', a + 1);
  return b == std::string::npos ? name.substr(a + 1) : name.substr(a + 1, b - a - 1);
}

PairSet at_most(const std::vector<msa::TableHit>& hits, double e) {
  PairSet s;
  for (const auto& h : hits)
    if (h.evalue <= e) s.insert({canonical_id(h.query), canonical_id(h.target)});
  return s;
}

struct Score {
  size_t found = 0, truth = 0, reported = 0, false_pos = 0;
};

Score compare(const PairSet& reported, const PairSet& truth, const PairSet& loose_truth) {
  Score s;
  s.truth = truth.size();
  s.reported = reported.size();
  for (const auto& p : truth) s.found += reported.count(p);
  for (const auto& p : reported) s.false_pos += !loose_truth.count(p);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description opt("trifold-msa-bench options");
  opt.add_options()
      ("queries", po::value<std::string>()->default_value("/usr/share/doc/mmseqs2/example-data/QUERY.fasta.gz"), "query FASTA (gzip ok)")
      ("db", po::value<std::string>()->default_value("/usr/share/doc/mmseqs2/example-data/DB.fasta.gz"), "database FASTA (gzip ok)")
      ("threads", po::value<int>()->default_value(2), "threads for every tool")
      ("max-queries", po::value<size_t>()->default_value(0), "use only the first N queries (0 = all)")
      ("evalue", po::value<double>()->default_value(1e-3), "E-value cutoff compared")
      ("fp-evalue", po::value<double>()->default_value(1.0), "a hit is a false positive when phmmer does not report it at this looser E-value")
      ("tools", po::value<std::string>()->default_value("builtin,mmseqs,phmmer"), "which searches to run")
      ("phmmer-tbl", po::value<std::string>()->default_value(""), "reuse this phmmer --tblout (run with -E >= fp-evalue) instead of running phmmer")
      ("work", po::value<std::string>()->default_value("msa-bench-work"), "scratch directory (kept)")
      ("word-threshold", po::value<int>()->default_value(msa::PrefilterOptions{}.word_threshold), "built-in: neighbourhood word score")
      ("min-ungapped", po::value<int>()->default_value(msa::PrefilterOptions{}.min_ungapped_score), "built-in: ungapped score to reach Smith-Waterman")
      ("max-ungapped-evalue", po::value<double>()->default_value(msa::PrefilterOptions{}.max_ungapped_evalue), "built-in: per-target ungapped E-value to reach Smith-Waterman")
      ("mask-trigger", po::value<double>()->default_value(msa::BuiltinOptions{}.mask_low_complexity ? msa::MaskOptions{}.trigger : -1.0), "built-in: low-complexity trigger entropy (bits; < 0 turns masking off)")
      ("mask-extension", po::value<double>()->default_value(msa::MaskOptions{}.extension), "built-in: low-complexity extension entropy (bits)")
      ("bias-pseudocounts", po::value<double>()->default_value(msa::BuiltinOptions{}.bias_pseudocounts), "built-in: composition-bias pseudocounts (< 0 = no correction)")
      ("bias-tolerance", po::value<double>()->default_value(msa::BuiltinOptions{}.bias_tolerance), "built-in: composition-bias tolerance per pair")
      ("reversed-null", po::value<int>()->default_value(msa::BuiltinOptions{}.reversed_null ? 1 : 0), "built-in: reversed-segment null correction (1/0)")
      ("reversed-null-slack", po::value<double>()->default_value(msa::BuiltinOptions{}.reversed_null_slack), "built-in: reversed-segment null slack (nats)")
      ("exhaustive-cells", po::value<double>()->default_value(msa::PrefilterOptions{}.exhaustive_cells), "built-in: searches up to this many query x database cells skip the prefilter")
      ("two-hit-window", po::value<int>()->default_value(msa::PrefilterOptions{}.two_hit_window), "built-in: two-hit window")
      ("length-adjustment", po::value<int>()->default_value(msa::BuiltinOptions{}.length_adjustment ? 1 : 0), "built-in: BLAST length adjustment of E-values (1/0)")
      ("simd", po::value<std::string>()->default_value("auto"), "built-in: SIMD level (auto, avx2, sse4.1, scalar)")
      ("batch", po::value<size_t>()->default_value(0), "built-in: queries per prefilter batch (0 = automatic)")
      ("xdrop", po::value<int>()->default_value(msa::PrefilterOptions{}.xdrop_ungapped), "built-in: ungapped X-drop")
      ("max-candidates", po::value<size_t>()->default_value(msa::PrefilterOptions{}.max_candidates), "built-in: Smith-Waterman candidates per query")
      ("mmseqs-sensitivity", po::value<double>()->default_value(5.7), "mmseqs -s")
      ("decoy", "also search every tool against the reversed database: each hit there at E <= evalue is a false positive (not timed)")
      ("phmmer-decoy-tbl", po::value<std::string>()->default_value(""), "reuse this phmmer --tblout against the reversed database")
      ("verbose", "debug messages (per-query search statistics)")
      ("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opt), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opt << "\n";
    return 0;
  }
  try {
    if (vm.count("verbose")) log::set_level(log::Level::Debug);
    const int threads = vm["threads"].as<int>();
    omp_set_num_threads(threads);
    const double ecut = vm["evalue"].as<double>(), efp = vm["fp-evalue"].as<double>();
    const std::string tools = vm["tools"].as<std::string>();
    std::filesystem::path work = vm["work"].as<std::string>();
    std::filesystem::create_directories(work);

    // Queries (optionally the first N) written out plain so every tool reads the same file.
    msa::SequenceDb queries = msa::load_sequence_db(vm["queries"].as<std::string>());
    size_t nq = queries.size();
    if (vm["max-queries"].as<size_t>() > 0) nq = std::min(nq, vm["max-queries"].as<size_t>());
    std::string qtext;
    for (size_t i = 0; i < nq; ++i) qtext += ">" + queries.names[i] + "\n" + queries.letters(i) + "\n";
    const auto qpath = work / "queries.fa";
    write_file_atomic(qpath, qtext);
    const auto dbpath = work / "db.fa";
    {
      msa::SequenceDb db0 = msa::load_sequence_db(vm["db"].as<std::string>());
      std::string dtext;
      for (size_t i = 0; i < db0.size(); ++i) dtext += ">" + db0.names[i] + "\n" + db0.letters(i) + "\n";
      write_file_atomic(dbpath, dtext);
    }

    const std::string commit = shell_line("git -C '" TRIFOLD_SOURCE_DIR "' rev-parse --short HEAD 2>/dev/null");
    const std::string cpu = shell_line("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    std::printf("# trifold-msa-bench  commit %s  cpu%s  threads %d  simd %s\n", commit.c_str(), cpu.c_str(), threads,
                msa::simd_level_name(msa::best_simd_level()));
    std::printf("# %zu queries vs %s; E <= %g compared; FP = not reported by phmmer at E <= %g\n", nq,
                vm["db"].as<std::string>().c_str(), ecut, efp);
    std::printf("# load before: %s\n", shell_line("uptime").c_str());

    // Runs the selected tools against one database; results: tool -> (seconds, hits at ecut).
    using Results = std::map<std::string, std::pair<double, PairSet>>;
    auto run_tools = [&](const std::filesystem::path& db_fa, const std::string& tag, std::filesystem::path tbl,
                         PairSet* loose_out) {
      Results results;
      if (tools.find("builtin") != std::string::npos) {
        const auto t0 = std::chrono::steady_clock::now();
        msa::SequenceDb db = msa::load_sequence_db(db_fa);
        msa::BuiltinOptions bo;
        bo.max_evalue = ecut;
        bo.prefilter.word_threshold = vm["word-threshold"].as<int>();
        bo.prefilter.min_ungapped_score = vm["min-ungapped"].as<int>();
        bo.prefilter.max_ungapped_evalue = vm["max-ungapped-evalue"].as<double>();
        bo.mask.trigger = vm["mask-trigger"].as<double>();
        bo.mask.extension = vm["mask-extension"].as<double>();
        bo.mask_low_complexity = bo.mask.trigger >= 0;
        bo.bias_pseudocounts = vm["bias-pseudocounts"].as<double>();
        bo.bias_tolerance = vm["bias-tolerance"].as<double>();
        bo.prefilter.xdrop_ungapped = vm["xdrop"].as<int>();
        const std::string simd = vm["simd"].as<std::string>();
        bo.simd = simd == "avx2" ? msa::SimdLevel::Avx2
                  : simd == "sse4.1" ? msa::SimdLevel::Sse41 : simd == "scalar" ? msa::SimdLevel::Scalar
                                                                   : msa::SimdLevel::Auto;
        bo.length_adjustment = vm["length-adjustment"].as<int>() != 0;
        bo.prefilter.exhaustive_cells = vm["exhaustive-cells"].as<double>();
        bo.prefilter.two_hit_window = vm["two-hit-window"].as<int>();
        bo.reversed_null = vm["reversed-null"].as<int>() != 0;
        bo.reversed_null_slack = vm["reversed-null-slack"].as<double>();
        bo.prefilter.max_candidates = vm["max-candidates"].as<size_t>();
        std::vector<std::vector<uint8_t>> qs(nq);
        for (size_t i = 0; i < nq; ++i) qs[i].assign(queries.sequence(i), queries.sequence(i) + queries.length(i));
        const auto all = msa::builtin_search_batch(qs, db, bo, vm["batch"].as<size_t>());
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        PairSet s;
        std::ofstream tsv(work / ("builtin" + tag + ".tsv"));
        for (size_t i = 0; i < nq; ++i)
          for (const auto& h : all[i]) {
            s.insert({canonical_id(queries.names[i]), canonical_id(db.names[h.target])});
            tsv << queries.names[i] << '\t' << db.names[h.target] << '\t' << h.evalue << '\t' << h.score << '\t'
                << h.bits << '\t' << h.aln.identities << '\t' << h.aln.ops.size() << '\n';
          }
        results["builtin"] = {sec, s};
      }
      if (tools.find("mmseqs") != std::string::npos) {
        std::filesystem::remove_all(work / "mmseqs_tmp");
        const auto m8 = work / ("mmseqs" + tag + ".m8");
        auto r = msa::run_checked({"mmseqs", "easy-search", qpath.string(), db_fa.string(), m8.string(),
                                   (work / "mmseqs_tmp").string(), "--threads", std::to_string(threads), "-s",
                                   std::to_string(vm["mmseqs-sensitivity"].as<double>()), "-e",
                                   std::to_string(ecut), "-v", "1"},
                                  0);
        results["mmseqs"] = {r.seconds, at_most(msa::read_m8(m8), ecut)};
      }
      if (tools.find("phmmer") != std::string::npos && tbl.empty()) {
        tbl = work / ("phmmer" + tag + ".tbl");
        auto r = msa::run_checked({"phmmer", "--cpu", std::to_string(threads), "--noali", "-E", std::to_string(efp),
                                   "--tblout", tbl.string(), qpath.string(), db_fa.string()},
                                  0);
        results["phmmer"] = {r.seconds, {}};
      }
      if (!tbl.empty()) {
        // Only the pairs of the queries searched (the table may cover more of them).
        std::set<std::string> searched;
        for (size_t i = 0; i < nq; ++i) searched.insert(canonical_id(queries.names[i]));
        std::vector<msa::TableHit> hits;
        for (auto& h : msa::read_hmmer_tblout(tbl))
          if (searched.count(canonical_id(h.query))) hits.push_back(std::move(h));
        results["phmmer"].second = at_most(hits, ecut);
        if (loose_out) *loose_out = at_most(hits, efp);
      }
      return results;
    };

    PairSet loose;
    Results results = run_tools(dbpath, "", vm["phmmer-tbl"].as<std::string>(), &loose);
    const bool have_truth = results.count("phmmer") > 0;
    const PairSet truth = have_truth ? results["phmmer"].second : PairSet{};
    Results decoys;
    if (vm.count("decoy")) {
      // Reversed sequences keep the length and composition (low-complexity stretches included) of real proteins
      // but are not homologous to anything: every hit to one is a false positive.
      msa::SequenceDb db0 = msa::load_sequence_db(dbpath);
      std::string dtext;
      for (size_t i = 0; i < db0.size(); ++i) {
        std::string seq = db0.letters(i);
        std::reverse(seq.begin(), seq.end());
        dtext += ">rev_" + db0.names[i] + "\n" + seq + "\n";
      }
      const auto rev = work / "db.reversed.fa";
      write_file_atomic(rev, dtext);
      decoys = run_tools(rev, ".reversed", vm["phmmer-decoy-tbl"].as<std::string>(), nullptr);
    }
    std::printf("# load after: %s\n", shell_line("uptime").c_str());
    std::printf("%-8s %10s %10s %12s %12s %10s %12s\n", "tool", "wall_s", "hits", "sensitivity", "found",
                "not_phmmer", "decoy_hits");
    for (const auto& [name, r] : results) {
      const std::string dec = decoys.count(name) ? std::to_string(decoys[name].second.size()) : "-";
      char wall[32];
      std::snprintf(wall, sizeof wall, "%.2f", r.first);
      if (r.first == 0) std::snprintf(wall, sizeof wall, "(table)");
      if (have_truth) {
        Score sc = compare(r.second, truth, loose);
        std::printf("%-8s %10s %10zu %11.2f%% %6zu/%-5zu %10zu %12s\n", name.c_str(), wall, sc.reported,
                    sc.truth ? 100.0 * sc.found / sc.truth : 0.0, sc.found, sc.truth, sc.false_pos, dec.c_str());
      } else {
        std::printf("%-8s %10s %10zu %12s %12s %10s %12s\n", name.c_str(), wall, r.second.size(), "-", "-", "-",
                    dec.c_str());
      }
    }
    std::printf("# not_phmmer: hits at E <= %g that phmmer does not report even at E <= %g; decoy_hits: hits at E <= %g "
                "against the reversed database (false positives by construction)\n", ecut, efp, ecut);
    return 0;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
