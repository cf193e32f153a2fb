// jackhmmer back-end: iterative search of FASTA databases; its Stockholm alignment becomes A3M rows.
#include <cstdio>

#include "io/file_util.hpp"
#include "msa/a3m_convert.hpp"
#include "msa/backends.hpp"

namespace trifold::msa::detail {
namespace fs = std::filesystem;

A3m run_jackhmmer(const SequenceRecord& query, const MsaOptions& opt, const fs::path& work) {
  const JackhmmerOptions& j = opt.jackhmmer;
  const fs::path qpath = work / "query.fasta";
  write_query_fasta(query, qpath);
  A3m out;
  out.rows.push_back(query);
  char e[32];
  std::snprintf(e, sizeof e, "%g", j.evalue);
  int k = 0;
  for (const auto& db : opt.databases) {
    const fs::path sto = work / ("hits" + std::to_string(++k) + ".sto");
    report(opt, "jackhmmer: " + std::to_string(j.iterations) + " iterations against " + db.string());
    run_checked({j.program, "-N", std::to_string(j.iterations), "-E", e, "--incE", e, "--domE", e, "--incdomE", e,
                 "--cpu", std::to_string(threads_for(opt)), "-o", "/dev/null", "-A", sto.string(), qpath.string(),
                 db.string()},
                opt.timeout_s);
    if (!fs::exists(sto) || fs::file_size(sto) == 0) continue;  // no hits: jackhmmer writes no alignment
    A3m part = stockholm_to_a3m(read_file(sto), query, sto.string());
    out.rows.insert(out.rows.end(), part.rows.begin() + 1, part.rows.end());
  }
  return out;
}

}  // namespace trifold::msa::detail
