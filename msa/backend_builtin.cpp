// Built-in back-end: every FASTA database searched with builtin_search, hits appended in database order.
#include <omp.h>

#include "io/log.hpp"
#include "msa/backends.hpp"

namespace trifold::msa::detail {

A3m run_builtin(const SequenceRecord& query, const MsaOptions& opt) {
  return std::move(run_builtin_batch({query}, opt).at(0));
}

std::vector<A3m> run_builtin_batch(const std::vector<SequenceRecord>& queries, const MsaOptions& opt) {
  std::vector<std::vector<uint8_t>> codes;
  std::vector<A3m> out(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    codes.push_back(encode_query(queries[i]));
    out[i].rows.push_back(queries[i]);
  }
  const int saved = omp_get_max_threads();
  if (opt.cpu > 0) omp_set_num_threads(opt.cpu);
  try {
    for (const auto& path : opt.databases) {
      report(opt, "builtin: loading " + path.string());
      const SequenceDb db = load_sequence_db(path);
      report(opt, log::cat("builtin: searching ", db.size(), " sequences (", db.total_residues(), " residues) of ",
                           path.string(), queries.size() > 1 ? log::cat(" for ", queries.size(), " queries") : ""));
      const std::vector<std::vector<Hit>> hits = queries.size() == 1
                                                     ? std::vector<std::vector<Hit>>{builtin_search(codes[0], db, opt.builtin)}
                                                     : builtin_search_batch(codes, db, opt.builtin);
      for (size_t i = 0; i < queries.size(); ++i) {
        A3m part = hits_to_a3m(queries[i], db, hits[i]);
        out[i].rows.insert(out[i].rows.end(), part.rows.begin() + 1, part.rows.end());
      }
    }
  } catch (...) {
    omp_set_num_threads(saved);
    throw;
  }
  omp_set_num_threads(saved);
  return out;
}

}  // namespace trifold::msa::detail
