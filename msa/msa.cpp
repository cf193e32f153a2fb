// build_msa: input checks, cache lookup, back-end dispatch, atomic cache store, statistics.
#include "msa/msa.hpp"

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <sstream>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/log.hpp"
#include "msa/backends.hpp"
#include "msa/database.hpp"

namespace trifold::msa {
namespace fs = std::filesystem;

const char* tool_name(MsaTool tool) {
  switch (tool) {
    case MsaTool::Builtin: return "builtin";
    case MsaTool::Hhblits: return "hhblits";
    case MsaTool::Jackhmmer: return "jackhmmer";
    case MsaTool::Mmseqs2: return "mmseqs2";
  }
  return "?";
}

MsaTool parse_tool(const std::string& name) {
  if (name == "builtin") return MsaTool::Builtin;
  if (name == "hhblits") return MsaTool::Hhblits;
  if (name == "jackhmmer") return MsaTool::Jackhmmer;
  if (name == "mmseqs2" || name == "mmseqs") return MsaTool::Mmseqs2;
  throw InputError("unknown MSA tool '" + name + "' (expected builtin, hhblits, jackhmmer or mmseqs2)");
}

namespace detail {

int threads_for(const MsaOptions& opt) { return opt.cpu > 0 ? opt.cpu : omp_get_max_threads(); }

void report(const MsaOptions& opt, const std::string& line) {
  log::debug(line);
  if (opt.progress) opt.progress(line);
}

void write_query_fasta(const SequenceRecord& query, const fs::path& path) {
  write_file_atomic(path, ">" + query.name + (query.description.empty() ? "" : " " + query.description) + "\n" +
                              query.sequence + "\n");
}

}  // namespace detail

namespace {

// The files that make up a database, for existence checks and fingerprints.
std::vector<fs::path> database_files(MsaTool tool, const fs::path& db) {
  if (tool == MsaTool::Hhblits) {
    std::vector<fs::path> files;
    for (const char* part : {"_a3m", "_cs219"})
      for (const char* ext : {".ffindex", ".ffdata"}) files.push_back(db.string() + part + ext);
    return files;
  }
  if (tool == MsaTool::Mmseqs2 && !fs::is_regular_file(db) && fs::exists(db.string() + ".dbtype"))
    return {db, fs::path(db.string() + ".dbtype"), fs::path(db.string() + ".index")};
  return {db};
}

void check_databases(const MsaOptions& opt) {
  if (opt.databases.empty()) throw InputError("no sequence database given (--db)");
  for (const auto& db : opt.databases) {
    for (const auto& f : database_files(opt.tool, db)) {
      if (fs::exists(f)) continue;
      if (opt.tool == MsaTool::Hhblits)
        throw InputError("HH-suite database '" + db.string() + "' not found: missing " + f.string() +
                         " (expected <prefix>_a3m.ffdata/.ffindex and <prefix>_cs219.ffdata/.ffindex)");
      if (opt.tool == MsaTool::Mmseqs2)
        throw InputError("database '" + db.string() + "' not found (expected a FASTA file or an MMseqs2 database)");
      throw InputError("sequence database '" + db.string() + "' not found");
    }
    if (opt.tool != MsaTool::Hhblits && fs::is_directory(db))
      throw InputError("sequence database '" + db.string() + "' is a directory, expected a FASTA file");
  }
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string msa_cache_key(const SequenceRecord& query, const MsaOptions& opt) {
  std::ostringstream s;
  s.precision(17);
  // The version names the search's algorithms: bump it whenever results change with the same settings.
  s << "trifold-msa-v2\n" << tool_name(opt.tool) << "\n" << query.sequence << "\n";
  for (const auto& db : opt.databases) {
    s << "db " << fs::weakly_canonical(db).string() << "\n";
    for (const auto& f : database_files(opt.tool, db)) {
      std::error_code ec;
      const auto size = fs::file_size(f, ec);
      const auto mtime = fs::last_write_time(f, ec).time_since_epoch().count();
      s << f.filename().string() << " " << size << " " << mtime << "\n";
    }
  }
  switch (opt.tool) {
    case MsaTool::Builtin: {
      const auto& b = opt.builtin;
      s << b.prefilter.word_threshold << " " << b.prefilter.two_hit_window << " " << b.prefilter.xdrop_ungapped << " "
        << b.prefilter.min_ungapped_score << " " << b.prefilter.max_ungapped_evalue << " " << b.prefilter.max_candidates << " " << b.prefilter.exhaustive_cells
        << " " << b.gaps.open << " " << b.gaps.extend << " " << b.max_evalue << " " << b.max_hits << " "
        << b.mask_low_complexity << " " << b.mask.window << " " << b.mask.trigger << " " << b.mask.extension << " "
        << b.bias_pseudocounts << " " << b.bias_tolerance << " " << b.reversed_null << " " << b.reversed_null_slack
        << " " << b.lambda << " " << b.K << " " << b.length_adjustment << " " << b.alpha << " " << b.beta;
      break;
    }
    case MsaTool::Hhblits: {
      const auto& h = opt.hhblits;
      for (double e : h.evalues) s << e << " ";
      s << h.stop_cov75 << " " << h.stop_cov50 << " " << h.iterations << " " << h.mact << " " << h.cov << " "
        << h.neffmax;
      break;
    }
    case MsaTool::Jackhmmer: s << opt.jackhmmer.iterations << " " << opt.jackhmmer.evalue; break;
    case MsaTool::Mmseqs2:
      s << opt.mmseqs.sensitivity << " " << opt.mmseqs.evalue << " " << opt.mmseqs.max_seqs;
      break;
  }
  const std::string text = s.str();
  return hex64(fnv1a64(text.data(), text.size()));
}

namespace {

// The query as every back-end gets it: named, upper case, checked (InputError for an empty or non-protein one).
SequenceRecord normalised_query(const SequenceRecord& in) {
  SequenceRecord query = in;
  if (query.name.empty()) query.name = "query";
  for (auto& c : query.sequence) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  encode_query(query);
  return query;
}

// With a cache directory: sets result.cache_key and cache_file; true (result filled) on a usable hit.
bool cached(const SequenceRecord& query, const MsaOptions& opt, MsaResult& result, fs::path& cache_file) {
  if (opt.cache_dir.empty()) return false;
  result.cache_key = msa_cache_key(query, opt);
  cache_file = opt.cache_dir / (result.cache_key + ".a3m");
  if (!fs::exists(cache_file)) return false;
  try {
    result.a3m = read_a3m(cache_file);
  } catch (const InputError& e) {
    log::warn("unreadable cache entry (", e.what(), "); recomputing");
    result.a3m = A3m{};
  }
  if (!result.a3m.rows.empty() && result.a3m.rows[0].sequence == query.sequence) {
    result.from_cache = true;
    result.stats = msa_stats(result.a3m);
    detail::report(opt, "cache hit " + cache_file.string());
    return true;
  }
  log::warn("cache entry ", cache_file.string(), " does not start with the query; recomputing");
  return false;
}

// A searched alignment: exactly the query record first, statistics, a progress line, the cache entry.
void finish(const SequenceRecord& query, const MsaOptions& opt, MsaResult& result, const fs::path& cache_file,
            double seconds) {
  // Every back-end puts the query first; make it exactly the query record.
  TRIFOLD_CHECK(!result.a3m.rows.empty() && result.a3m.length() == query.sequence.size(),
                "search back-end returned an alignment that does not match the query");
  result.a3m.rows[0] = query;
  result.stats = msa_stats(result.a3m);
  detail::report(opt, log::cat(tool_name(opt.tool), ": ", result.a3m.rows.size(), " sequences in ", seconds, " s"));
  if (!cache_file.empty()) {
    fs::create_directories(opt.cache_dir);
    write_a3m(cache_file, result.a3m);
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

MsaResult build_msa(const SequenceRecord& query_in, const MsaOptions& opt) {
  const SequenceRecord query = normalised_query(query_in);
  check_databases(opt);
  MsaResult result;
  fs::path cache_file;
  if (cached(query, opt, result, cache_file)) return result;
  const auto t0 = std::chrono::steady_clock::now();
  if (opt.tool == MsaTool::Builtin) {
    result.a3m = detail::run_builtin(query, opt);
  } else {
    const fs::path parent = !opt.work_dir.empty() ? opt.work_dir : fs::temp_directory_path();
    TempDir work(parent, std::string("trifold-msa-") + tool_name(opt.tool));
    work.keep = opt.keep_work;
    if (opt.tool == MsaTool::Hhblits) result.a3m = detail::run_hhblits_ladder(query, opt, work.path());
    if (opt.tool == MsaTool::Jackhmmer) result.a3m = detail::run_jackhmmer(query, opt, work.path());
    if (opt.tool == MsaTool::Mmseqs2) result.a3m = detail::run_mmseqs(query, opt, work.path());
  }
  finish(query, opt, result, cache_file, seconds_since(t0));
  return result;
}

std::vector<MsaResult> build_msas(const std::vector<SequenceRecord>& queries_in, const MsaOptions& opt) {
  if (opt.tool != MsaTool::Builtin) {
    std::vector<MsaResult> out;
    for (const auto& q : queries_in) out.push_back(build_msa(q, opt));
    return out;
  }
  std::vector<SequenceRecord> queries;
  for (const auto& q : queries_in) queries.push_back(normalised_query(q));  // every query checked before any search
  check_databases(opt);
  std::vector<MsaResult> results(queries.size());
  std::vector<fs::path> cache_files(queries.size());
  std::vector<size_t> todo;
  std::vector<SequenceRecord> todo_queries;
  for (size_t i = 0; i < queries.size(); ++i)
    if (!cached(queries[i], opt, results[i], cache_files[i])) todo.push_back(i), todo_queries.push_back(queries[i]);
  if (todo.empty()) return results;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<A3m> a3ms = detail::run_builtin_batch(todo_queries, opt);
  const double per_query = seconds_since(t0) / static_cast<double>(todo.size());
  for (size_t k = 0; k < todo.size(); ++k) {
    results[todo[k]].a3m = std::move(a3ms[k]);
    finish(queries[todo[k]], opt, results[todo[k]], cache_files[todo[k]], per_query);
  }
  return results;
}

}  // namespace trifold::msa
