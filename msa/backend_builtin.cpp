// Built-in back-end: every FASTA database searched with builtin_search, hits appended in database order.
#include <omp.h>

#include "io/log.hpp"
#include "msa/backends.hpp"

namespace trifold::msa::detail {

A3m run_builtin(const SequenceRecord& query, const MsaOptions& opt) {
  const std::vector<uint8_t> codes = encode_query(query);
  A3m out;
  out.rows.push_back(query);
  const int saved = omp_get_max_threads();
  if (opt.cpu > 0) omp_set_num_threads(opt.cpu);
  try {
    for (const auto& path : opt.databases) {
      report(opt, "builtin: loading " + path.string());
      const SequenceDb db = load_sequence_db(path);
      report(opt, log::cat("builtin: searching ", db.size(), " sequences (", db.total_residues(), " residues) of ",
                           path.string()));
      const std::vector<Hit> hits = builtin_search(codes, db, opt.builtin);
      A3m part = hits_to_a3m(query, db, hits);
      out.rows.insert(out.rows.end(), part.rows.begin() + 1, part.rows.end());
    }
  } catch (...) {
    omp_set_num_threads(saved);
    throw;
  }
  omp_set_num_threads(saved);
  return out;
}

}  // namespace trifold::msa::detail
