// The MSA stage's public API: build an A3M for one query with the built-in search or the field's tools
// (hhblits with the RoseTTAFold ladder, jackhmmer, MMseqs2), cached by (query, databases, settings).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/fasta.hpp"
#include "msa/builtin_search.hpp"
#include "msa/filter.hpp"
#include "msa/stats.hpp"

namespace trifold::msa {

enum class MsaTool { Builtin, Hhblits, Jackhmmer, Mmseqs2 };
const char* tool_name(MsaTool tool);
// "builtin", "hhblits", "jackhmmer", "mmseqs2" (also "mmseqs"); InputError otherwise.
MsaTool parse_tool(const std::string& name);

// RoseTTAFold v1 make_msa.sh: for each database in order and each E-value, hhblits seeded with the previous
// round's id90/cov50 alignment; stop when the id90/cov75 filter keeps more than stop_cov75 rows (use it) or the
// id90/cov50 filter keeps more than stop_cov50 rows (use it); otherwise the last id90/cov50 alignment.
// Row counts include the query, as the reference's `grep -c '^>'` does.
struct HhblitsOptions {
  std::vector<double> evalues = {1e-30, 1e-10, 1e-6, 1e-3};
  size_t stop_cov75 = 2000;
  size_t stop_cov50 = 4000;
  int iterations = 4;     // -n
  double mact = 0.35;     // -mact
  int cov = 25;           // -cov (hhblits' own minimum coverage)
  int neffmax = 20;       // -neffmax
  std::string program = "hhblits";
};

struct JackhmmerOptions {
  int iterations = 3;        // -N
  double evalue = 1e-3;      // -E and --incE (sequence reporting and inclusion thresholds)
  std::string program = "jackhmmer";
};

struct MmseqsOptions {
  double sensitivity = 5.7;  // -s
  double evalue = 1e-3;      // -e
  int max_seqs = 1000;       // --max-seqs (prefilter hits per query)
  std::string program = "mmseqs";
};

struct MsaOptions {
  MsaTool tool = MsaTool::Builtin;
  // builtin, jackhmmer: FASTA files; mmseqs2: FASTA files or MMseqs2 databases; hhblits: HH-suite database
  // prefixes (<prefix>_a3m.ffdata/.ffindex and <prefix>_cs219.ffdata/.ffindex). Searched in this order.
  std::vector<std::filesystem::path> databases;
  int cpu = 0;                     // threads for the search (0 = OpenMP's default)
  int maxmem_gb = 64;              // hhblits -maxmem
  double timeout_s = 0;            // per external program run (0 = no limit)
  std::filesystem::path cache_dir; // empty: no cache
  std::filesystem::path work_dir;  // where temporary files go (empty: the system temporary directory)
  bool keep_work = false;          // keep the temporary files (debugging)
  BuiltinOptions builtin;
  HhblitsOptions hhblits;
  JackhmmerOptions jackhmmer;
  MmseqsOptions mmseqs;
  // Called with one line of progress for long steps (each external run, each database); may be empty.
  std::function<void(const std::string&)> progress;
};

struct MsaResult {
  A3m a3m;             // the query first, then the homologs, relative to the query
  MsaStats stats;      // depth and Neff of a3m
  bool from_cache = false;
  std::string cache_key;  // 16 hex digits, empty without a cache
};

// Builds the MSA of `query` (a protein sequence: upper-case amino-acid letters, X allowed). Throws InputError
// for an empty or non-protein query, no database, or a database that is missing or corrupt; Error when an
// external program fails (its command line and stderr in the message).
MsaResult build_msa(const SequenceRecord& query, const MsaOptions& opt);

// build_msa for many queries, result[i] for queries[i] (the same alignments, tested). Every query is checked
// before any search. The built-in search loads each database once and runs the queries the cache does not hold
// through builtin_search_batch (up to 32 queries share one prefilter pass over the database: docs/msa.md); the
// external tools run one query at a time.
std::vector<MsaResult> build_msas(const std::vector<SequenceRecord>& queries, const MsaOptions& opt);

// The cache key of a request: FNV-1a over the tool, the query sequence, each database's fingerprint (path,
// size and modification time of its files) and every setting that changes the result.
std::string msa_cache_key(const SequenceRecord& query, const MsaOptions& opt);

// Builds a small HH-suite database <prefix>_a3m / <prefix>_cs219 (ffindex pairs) from a FASTA file, one
// single-sequence alignment per entry, with Debian hhsuite's ffindex_build and cstranslate (the cstranslate
// binary is looked up on PATH, then in /usr/libexec/hhsuite/ by instruction set). Returns the prefix.
std::filesystem::path build_hhsuite_db(const std::filesystem::path& fasta, const std::filesystem::path& prefix,
                                       double timeout_s = 600);

}  // namespace trifold::msa
