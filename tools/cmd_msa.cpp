// `trifold msa`: build multiple sequence alignments (A3M) with the built-in search or an external tool (hhblits
// ladder, jackhmmer, mmseqs2), with an optional result cache. One query: --out is the A3M file; several: --out is a
// folder that receives <id>.a3m per query (the built-in search then scans each database once per 32 queries).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "io/error.hpp"
#include "io/fasta.hpp"
#include "io/log.hpp"
#include "msa/msa.hpp"
#include "pipeline/files.hpp"
#include "pipeline/target.hpp"
#include "tools/command.hpp"

namespace trifold::cli {

int run_msa(const std::vector<std::string>& args) {
  const msa::MsaOptions d;
  po::options_description o("trifold msa options");
  o.add_options()
      ("query", po::value<std::string>()->required(), "query FASTA file (one or more protein sequences)")
      ("db", po::value<std::vector<std::string>>()->required()->composing(),
       "sequence database; repeat for several (builtin/jackhmmer: FASTA; mmseqs2: FASTA or MMseqs2 DB; "
       "hhblits: HH-suite prefix)")
      ("out", po::value<std::string>()->required(),
       "output A3M file (written atomically); with several queries a folder, one <id>.a3m per query")
      ("msa-tool", po::value<std::string>()->default_value("builtin"), "builtin | hhblits | jackhmmer | mmseqs2")
      ("cache", po::value<std::string>()->default_value(""), "cache directory (rerun with same query/db/settings is free)")
      ("cpu", po::value<int>()->default_value(0), "threads for the search tool (0 = --threads / all cores)")
      ("maxmem", po::value<int>()->default_value(d.maxmem_gb), "hhblits -maxmem (GB)")
      ("timeout", po::value<double>()->default_value(86400), "seconds one external program may run (0 = no limit)")
      ("evalue", po::value<double>()->default_value(d.builtin.max_evalue), "builtin: report hits with E <= this")
      ("jackhmmer-iterations", po::value<int>()->default_value(d.jackhmmer.iterations), "jackhmmer -N")
      ("jackhmmer-evalue", po::value<double>()->default_value(d.jackhmmer.evalue), "jackhmmer -E/--incE")
      ("mmseqs-sensitivity", po::value<double>()->default_value(d.mmseqs.sensitivity), "mmseqs -s")
      ("mmseqs-evalue", po::value<double>()->default_value(d.mmseqs.evalue), "mmseqs -e")
      ("work-dir", po::value<std::string>()->default_value(""), "directory for temporary files (default: system temp)")
      ("keep-work", po::bool_switch(), "keep temporary files of external tools");
  po::variables_map vm;
  if (!parse("msa", "--query Q.fasta --db DB [--db DB2 ...] --out OUT.a3m|OUT_DIR [options]", args, o, {}, vm))
    return 0;

  FastaOptions fo;
  const auto records = read_fasta(vm["query"].as<std::string>(), fo);
  if (records.empty()) throw InputError(vm["query"].as<std::string>() + ": no query sequence");
  msa::MsaOptions opt;
  opt.tool = msa::parse_tool(vm["msa-tool"].as<std::string>());
  for (const auto& db : vm["db"].as<std::vector<std::string>>()) opt.databases.emplace_back(db);
  opt.cpu = vm["cpu"].as<int>();
  if (opt.cpu < 0) throw InputError("--cpu must be >= 0");
  opt.maxmem_gb = vm["maxmem"].as<int>();
  opt.timeout_s = vm["timeout"].as<double>();
  opt.cache_dir = vm["cache"].as<std::string>();
  opt.work_dir = vm["work-dir"].as<std::string>();
  opt.keep_work = vm["keep-work"].as<bool>();
  opt.builtin.max_evalue = vm["evalue"].as<double>();
  opt.jackhmmer.iterations = vm["jackhmmer-iterations"].as<int>();
  opt.jackhmmer.evalue = vm["jackhmmer-evalue"].as<double>();
  opt.mmseqs.sensitivity = vm["mmseqs-sensitivity"].as<double>();
  opt.mmseqs.evalue = vm["mmseqs-evalue"].as<double>();
  // Refused before the search: NaN E-values passed every comparison (--evalue nan kept every candidate), and
  // negative ones silently returned the query alone.
  auto text = [](double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  };
  auto positive = [&](const char* name, double v) {
    if (!(v > 0.0) || !std::isfinite(v))
      throw InputError(std::string("--") + name + " " + text(v) + ": must be a finite number > 0");
  };
  positive("evalue", opt.builtin.max_evalue);
  positive("jackhmmer-evalue", opt.jackhmmer.evalue);
  positive("mmseqs-evalue", opt.mmseqs.evalue);
  positive("mmseqs-sensitivity", opt.mmseqs.sensitivity);
  if (!(opt.timeout_s >= 0.0) || !std::isfinite(opt.timeout_s))
    throw InputError("--timeout " + text(opt.timeout_s) + ": must be a finite number >= 0 (0 = no limit)");
  if (opt.maxmem_gb < 1) throw InputError("--maxmem " + std::to_string(opt.maxmem_gb) + ": must be >= 1 (GB)");
  if (opt.jackhmmer.iterations < 1)
    throw InputError("--jackhmmer-iterations " + std::to_string(opt.jackhmmer.iterations) + ": must be >= 1");
  const bool quiet = log::level() > log::Level::Info;
  opt.progress = [quiet](const std::string& line) {
    if (!quiet) std::cerr << "[msa] " << line << std::endl;
  };

  auto summary = [](const std::string& out, const msa::MsaResult& r) {
    std::printf("%s: %zu sequences (depth), query length %zu, Neff %.1f (80%% identity), Neff/sqrt(L) %.2f%s\n",
                out.c_str(), r.stats.depth, r.stats.length, r.stats.neff, r.stats.neff_per_length,
                r.from_cache ? " [from cache]" : "");
  };
  const std::string out = vm["out"].as<std::string>();
  if (records.size() == 1) {
    // Checked before the search, which can take hours: a wrong --out was found only when writing the result.
    check_output_file("--out", out);
    const msa::MsaResult r = msa::build_msa(records[0], opt);
    write_a3m(out, r.a3m);
    summary(out, r);
    return 0;
  }
  // Several queries: file names first (two queries must not write the same file), then one batched search.
  std::vector<std::filesystem::path> files;
  std::set<std::string> seen;
  for (const auto& rec : records) {
    const std::string id = pipeline::safe_id(rec.name);
    if (!seen.insert(id).second)
      throw InputError(vm["query"].as<std::string>() + ": two queries are both named '" + id +
                       "' (their A3M files in " + out + " would collide)");
    files.push_back(std::filesystem::path(out) / (id + ".a3m"));
  }
  if (std::filesystem::exists(out) && !std::filesystem::is_directory(out))
    throw InputError("--out " + out + ": with " + std::to_string(records.size()) + " queries --out must be a folder");
  pipeline::create_output_dir(out);  // before the search: a folder that cannot be made fails now, not after it
  const std::vector<msa::MsaResult> rs = msa::build_msas(records, opt);
  for (size_t i = 0; i < rs.size(); ++i) {
    write_a3m(files[i], rs[i].a3m);
    summary(files[i].string(), rs[i]);
  }
  return 0;
}

}  // namespace trifold::cli
