// MMseqs2 back-end: `mmseqs easy-search` with query/target alignment strings, turned into A3M rows.
#include <charconv>
#include <cstdio>
#include <sstream>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "msa/a3m_convert.hpp"
#include "msa/backends.hpp"

namespace trifold::msa::detail {
namespace fs = std::filesystem;

A3m run_mmseqs(const SequenceRecord& query, const MsaOptions& opt, const fs::path& work) {
  const MmseqsOptions& m = opt.mmseqs;
  const fs::path qpath = work / "query.fasta";
  write_query_fasta(query, qpath);
  A3m out;
  out.rows.push_back(query);
  char e[32], s[32];
  std::snprintf(e, sizeof e, "%g", m.evalue);
  std::snprintf(s, sizeof s, "%g", m.sensitivity);
  int k = 0;
  for (const auto& db : opt.databases) {
    ++k;
    const fs::path tsv = work / ("hits" + std::to_string(k) + ".tsv");
    report(opt, "mmseqs2: easy-search against " + db.string());
    run_checked({m.program, "easy-search", qpath.string(), db.string(), tsv.string(),
                 (work / ("tmp" + std::to_string(k))).string(), "--format-output",
                 "query,target,evalue,bits,qstart,qend,tstart,tend,qaln,taln", "-s", s, "-e", e, "--max-seqs",
                 std::to_string(m.max_seqs), "--threads", std::to_string(threads_for(opt)), "-v", "1"},
                opt.timeout_s);
    std::istringstream in(read_file(tsv));
    std::string line;
    long lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty()) continue;
      std::vector<std::string> c;
      std::istringstream f(line);
      std::string col;
      while (std::getline(f, col, '\t')) c.push_back(col);
      if (c.size() != 10) throw InputError(located(tsv.string(), lineno, "unexpected mmseqs output row"));
      SequenceRecord r;
      r.name = c[1] + "/" + c[6] + "-" + c[7];
      r.description = "E=" + c[2] + " bits=" + c[3];
      size_t qstart = 0;
      const auto [end, ec] = std::from_chars(c[4].data(), c[4].data() + c[4].size(), qstart);
      if (ec != std::errc() || end != c[4].data() + c[4].size() || qstart < 1)
        throw InputError(located(tsv.string(), lineno, "query start must be an integer >= 1, got '" + c[4] + "'"));
      r.sequence = a3m_row_from_pair(query.sequence.size(), qstart - 1, c[8], c[9]);
      out.rows.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace trifold::msa::detail
