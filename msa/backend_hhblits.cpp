// hhblits back-end: the RoseTTAFold v1 make_msa.sh ladder with the built-in hhfilter equivalent.
#include <cstdio>

#include "io/error.hpp"
#include "io/log.hpp"
#include "msa/backends.hpp"

namespace trifold::msa::detail {
namespace fs = std::filesystem;

namespace {

std::string evalue_text(double e) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", e);
  return buf;
}

}  // namespace

A3m run_hhblits_ladder(const SequenceRecord& query, const MsaOptions& opt, const fs::path& work) {
  const HhblitsOptions& h = opt.hhblits;
  fs::path input = work / "query.fasta";
  write_query_fasta(query, input);
  FilterOptions cov75{90, 75, 0}, cov50{90, 50, 0};
  A3m last;
  bool have_last = false;
  int round = 0;
  for (const auto& db : opt.databases) {
    for (double e : h.evalues) {
      ++round;
      const std::string tag = "round" + std::to_string(round) + "." + evalue_text(e);
      const fs::path out = work / (tag + ".a3m");
      report(opt, "hhblits round " + std::to_string(round) + ": " + db.filename().string() + " E=" + evalue_text(e));
      // The flags of RoseTTAFold's make_msa.sh, with -e from the ladder.
      run_checked({h.program, "-i", input.string(), "-d", db.string(), "-oa3m", out.string(), "-o", "/dev/null",
                   "-mact", std::to_string(h.mact), "-maxfilt", "100000000", "-neffmax", std::to_string(h.neffmax),
                   "-cov", std::to_string(h.cov), "-cpu", std::to_string(threads_for(opt)), "-nodiff",
                   "-realign_max", "100000000", "-maxseq", "1000000", "-maxmem", std::to_string(opt.maxmem_gb),
                   "-n", std::to_string(h.iterations), "-e", evalue_text(e), "-v", "0"},
                  opt.timeout_s);
      if (!fs::exists(out)) throw Error("hhblits finished but wrote no alignment " + out.string());
      const A3m found = read_a3m(out);
      const A3m f75 = hhfilter(found, cov75);
      const A3m f50 = hhfilter(found, cov50);
      report(opt, log::cat("hhblits round ", round, ": ", found.rows.size(), " rows, id90/cov75 ", f75.rows.size(),
                           ", id90/cov50 ", f50.rows.size()));
      if (f75.rows.size() > h.stop_cov75) return f75;
      if (f50.rows.size() > h.stop_cov50) return f50;
      // The next round starts from this round's id90/cov50 alignment.
      input = work / (tag + ".id90cov50.a3m");
      write_a3m(input, f50);
      last = f50;
      have_last = true;
    }
  }
  TRIFOLD_CHECK(have_last, "hhblits ladder ran no round");
  return last;
}

}  // namespace trifold::msa::detail
