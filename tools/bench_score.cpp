// `trifold bench score`: scores every prediction of a CASP-style set (domains.tsv + one folder per domain)
// against the domain natives; writes per-domain TSV/JSON, a Markdown summary and SVG plots, compares with a
// published-scores table and with the TMscore program when it is installed; --timing measures speed.
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/json.hpp"
#include "io/log.hpp"
#include "io/pdb.hpp"
#include "structure/score.hpp"
#include "tools/command.hpp"
#include "tools/score_output.hpp"
#include "tools/svg_plot.hpp"

#ifndef TRIFOLD_GIT_COMMIT
#define TRIFOLD_GIT_COMMIT "unknown"
#endif

namespace fs = std::filesystem;

namespace trifold::cli {

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> f;
  size_t start = 0;
  for (;;) {
    size_t t = line.find('\t', start);
    f.push_back(line.substr(start, t == std::string::npos ? std::string::npos : t - start));
    if (t == std::string::npos) break;
    start = t + 1;
  }
  return f;
}

// A TSV with a header line: rows as maps from column name to value.
std::vector<std::map<std::string, std::string>> read_tsv(const fs::path& path, const std::vector<std::string>& required) {
  std::istringstream in(read_file(path));
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  long lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto f = split_tabs(line);
    if (header.empty()) {
      header = f;
      for (const auto& r : required)
        if (std::find(header.begin(), header.end(), r) == header.end())
          throw InputError(located(path.string(), lineno, "header lacks column '" + r + "'"));
      continue;
    }
    if (f.size() != header.size())
      throw InputError(located(path.string(), lineno, "expected " + std::to_string(header.size()) + " columns, got " +
                                                          std::to_string(f.size())));
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < f.size(); ++i) row[header[i]] = f[i];
    rows.push_back(std::move(row));
  }
  if (header.empty()) throw InputError(path.string() + ": empty table");
  return rows;
}

struct Domain {
  std::string name, target;
  fs::path native;
};

struct Job {
  const Domain* domain;
  fs::path model_path;
  std::string model;  // file stem
  structure::PairScore score;
  std::string error;
  // Reference numbers.
  std::optional<std::array<double, 4>> published;  // GDT_TS, GDT_HA, TMscore, LDDT (GDT in points)
  std::optional<std::array<double, 3>> tmscore;    // TMscore program: TM, GDT-TS, GDT-HA (points)
};

bool is_pdb(const fs::path& p) {
  auto e = p.extension().string();
  return e == ".pdb" || e == ".ent" || p.string().ends_with(".pdb.gz");
}

std::string stem_of(const fs::path& p) {
  std::string s = p.filename().string();
  for (const char* ext : {".pdb.gz", ".pdb", ".ent"})
    if (s.ends_with(ext)) return s.substr(0, s.size() - std::string(ext).size());
  return s;
}

// Model files for a domain: PRED/<domain>/models/*.pdb, else PRED/<domain>/*.pdb (not native.pdb), else files
// in PRED named after the domain or its target (T1034TS427_1.pdb, T1034-D1.pdb; never T10345...). Models
// cut to another domain ("-D2" for domain D1) are skipped.
std::vector<fs::path> find_models(const fs::path& pred, const Domain& d) {
  std::vector<fs::path> out;
  auto scan = [&](const fs::path& dir, bool by_name) {
    if (!fs::is_directory(dir)) return;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file() || !is_pdb(e.path())) continue;
      const std::string st = stem_of(e.path());
      if (st == "native") continue;
      if (by_name) {
        if (!st.starts_with(d.target)) continue;
        if (st.size() > d.target.size() && std::isalnum(static_cast<unsigned char>(st[d.target.size()])) &&
            st.compare(d.target.size(), 2, "TS") != 0)
          continue;
      }
      auto dpos = st.rfind("-D");
      const std::string dsuffix = d.name.substr(d.name.rfind('-') + 1);
      if (dpos != std::string::npos && dpos + 2 < st.size() && std::isdigit(static_cast<unsigned char>(st[dpos + 2]))) {
        std::string suf = st.substr(dpos + 1);
        auto end = suf.find_first_not_of("D0123456789");
        if (end != std::string::npos) suf = suf.substr(0, end);
        if (suf != dsuffix) continue;
      }
      out.push_back(e.path());
    }
  };
  scan(pred / d.name / "models", false);
  if (out.empty()) scan(pred / d.name, false);
  if (out.empty()) scan(pred, true);
  std::sort(out.begin(), out.end());
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'') o += "'\\''";
    else o += c;
  }
  return o + "'";
}

// Runs the TMscore program; returns TM-score, GDT-TS, GDT-HA (points), or nothing when it fails.
std::optional<std::array<double, 3>> run_tmscore_program(const fs::path& model, const fs::path& native) {
  // exec: the shell becomes TMscore, so the timing does not pay for an extra process.
  std::string cmd = "exec TMscore " + shell_quote(model.string()) + " " + shell_quote(native.string()) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) return std::nullopt;
  std::array<double, 3> v{};
  int found = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    double x;
    if (std::sscanf(line.c_str(), "TM-score = %lf", &x) == 1 || std::sscanf(line.c_str(), "TM-score    = %lf", &x) == 1)
      v[0] = x, found |= 1;
    else if (std::sscanf(line.c_str(), "GDT-TS-score= %lf", &x) == 1)
      v[1] = 100 * x, found |= 2;
    else if (std::sscanf(line.c_str(), "GDT-HA-score= %lf", &x) == 1)
      v[2] = 100 * x, found |= 4;
  }
  if (found != 7) return std::nullopt;
  return v;
}

bool have_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::istringstream in(path);
  std::string dir;
  while (std::getline(in, dir, ':'))
    if (!dir.empty() && fs::exists(fs::path(dir) / name)) return true;
  return false;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

double mean(const std::vector<double>& v) { return v.empty() ? NAN : std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }
double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Published rows keyed by (domain, model name); the model name is matched with and without the domain suffix
// ("T1034TS427_1" vs "T1034TS427_1-D1") and without "-trimmed".
struct Published {
  std::map<std::pair<std::string, std::string>, std::array<double, 4>> rows;
  std::optional<std::array<double, 4>> find(const std::string& domain, std::string model) const {
    auto pos = model.find("-trimmed");
    if (pos != std::string::npos) model.erase(pos, 8);
    const std::string dsuf = domain.substr(domain.rfind('-') + 1);
    for (const auto& name : {model, model + "-" + dsuf}) {
      auto it = rows.find({domain, name});
      if (it != rows.end()) return it->second;
    }
    return std::nullopt;
  }
};

Published read_published(const fs::path& path) {
  Published p;
  for (auto& r : read_tsv(path, {"domain", "Model", "GDT_TS", "GDT_HA", "TMscore", "LDDT"})) {
    auto num = [&](const std::string& k) {
      try {
        return std::stod(r[k]);
      } catch (...) {
        throw InputError(path.string() + ": bad number '" + r[k] + "' in column " + k);
      }
    };
    p.rows[{r["domain"], r["Model"]}] = {num("GDT_TS"), num("GDT_HA"), num("TMscore"), num("LDDT")};
  }
  return p;
}

std::string all_cores_note() {
  return std::to_string(omp_get_num_procs()) + " cores visible, up to " + std::to_string(omp_get_max_threads()) +
         " threads";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Timing {
  std::string what;
  int threads;
  std::vector<double> runs;  // wall seconds
  std::vector<double> cpu;   // CPU seconds (user + system) of this process's threads, or of the child processes
};

// User + system CPU seconds of this process (who = RUSAGE_SELF) or of its waited-for children.
double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace

int run_bench_score(const std::vector<std::string>& args) {
  po::options_description opts("trifold bench score options");
  opts.add_options()
      ("set", po::value<std::string>()->required(), "set folder: domains.tsv + <domain>/native.pdb")
      ("predictions", po::value<std::string>()->required(),
       "predictions folder: <domain>/models/*.pdb, <domain>/*.pdb or <target>*.pdb")
      ("published", po::value<std::string>(), "published scores TSV (domain, Model, GDT_TS, GDT_HA, TMscore, LDDT)")
      ("out,o", po::value<std::string>()->required(), "output folder (created)")
      ("by-sequence", po::bool_switch(), "pair residues by sequence alignment instead of residue number")
      ("reference", po::value<std::string>()->default_value("auto"),
       "also run the TMscore program for comparison: auto (when installed), on, off")
      ("timing", po::value<int>()->default_value(0),
       "repetitions of a speed benchmark (trifold 1 thread, all threads, TMscore program); 0 = off");
  po::variables_map vm;
  if (!parse("bench score", "--set DIR --predictions DIR [--published TSV] --out DIR", args, opts, {}, vm)) return 0;

  const fs::path set = vm["set"].as<std::string>(), pred = vm["predictions"].as<std::string>();
  const fs::path outdir = vm["out"].as<std::string>();
  structure::ScoreOptions so;
  so.extended_gdt = true;  // report the per-cutoff GDT search beside TMscore's
  so.match = vm["by-sequence"].as<bool>() ? structure::MatchMode::Sequence : structure::MatchMode::ResidueNumber;
  const std::string ref_mode = vm["reference"].as<std::string>();
  if (ref_mode != "auto" && ref_mode != "on" && ref_mode != "off")
    throw InputError("--reference must be auto, on or off");
  bool use_ref = ref_mode != "off" && have_program("TMscore");
  if (ref_mode == "on" && !use_ref) throw InputError("--reference on: the TMscore program is not on PATH");
  if (!fs::is_directory(pred)) throw InputError(pred.string() + ": predictions folder not found");
  if (!fs::is_regular_file(set / "domains.tsv"))
    throw InputError("--set " + set.string() + ": " + (fs::is_directory(set) ? "no domains.tsv in this folder" :
                                                                           "folder not found") +
                     "; a set is a folder with domains.tsv and <domain>/native.pdb, e.g. ../shared/data/casp14");

  // Domains and their models.
  std::vector<Domain> domains;
  for (auto& r : read_tsv(set / "domains.tsv", {"domain"})) {
    Domain d;
    d.name = r["domain"];
    d.target = r.count("target") && !r["target"].empty() ? r["target"] : d.name.substr(0, d.name.rfind('-'));
    d.native = set / d.name / "native.pdb";
    domains.push_back(std::move(d));
  }
  std::vector<Job> jobs;
  std::vector<std::string> no_model;
  for (const auto& d : domains) {
    auto models = find_models(pred, d);
    if (models.empty()) {
      no_model.push_back(d.name);
      continue;
    }
    for (const auto& m : models) {
      Job j;
      j.domain = &d;
      j.model_path = m;
      j.model = stem_of(m);
      jobs.push_back(std::move(j));
    }
  }
  if (jobs.empty()) throw InputError("no predictions found under " + pred.string() + " for the domains of " + set.string());
  log::info("bench score: ", jobs.size(), " models for ", domains.size() - no_model.size(), " of ", domains.size(),
            " domains");

  std::optional<Published> published;
  if (vm.count("published")) published = read_published(vm["published"].as<std::string>());

  // Scoring (parallel over pairs; each result in its own slot).
  auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(dynamic, 1)
  for (long i = 0; i < static_cast<long>(jobs.size()); ++i) {
    auto& j = jobs[i];
    try {
      Structure m = read_pdb(j.model_path);
      Structure n = read_pdb(j.domain->native);
      j.score = structure::score_pair(m, n, so);
    } catch (const Error& e) {
      j.error = e.what();
    }
  }
  const double score_seconds = seconds_since(t0);
  if (use_ref) {
#pragma omp parallel for schedule(dynamic, 1)
    for (long i = 0; i < static_cast<long>(jobs.size()); ++i) jobs[i].tmscore = run_tmscore_program(jobs[i].model_path, jobs[i].domain->native);
  }
  for (auto& j : jobs)
    if (published) j.published = published->find(j.domain->name, j.model);

  // Per-domain TSV.
  fs::create_directories(outdir / "plots");
  std::ostringstream tsv;
  tsv << "domain\t" << score_tsv_header() << "\tpublished_tm\tpublished_gdt_ts\tpublished_gdt_ha\tpublished_lddt"
      << "\ttmscore_prog_tm\ttmscore_prog_gdt_ts\ttmscore_prog_gdt_ha\tgdt_ts_ext\tgdt_ha_ext\n";
  auto opt_num = [](bool have, double v, const char* f) { return have ? fmt(f, v) : std::string(); };
  size_t failed = 0;
  for (const auto& j : jobs) {
    std::string m = j.model_path.string(), n = j.domain->native.string();
    if (!j.error.empty()) {
      ++failed;
      log::warn(j.domain->name, " ", j.model, ": ", j.error);
      std::string e = j.error;
      std::replace(e.begin(), e.end(), '\t', ' ');
      tsv << j.domain->name << '\t' << m << '\t' << n << std::string(12, '\t') << e;
    } else {
      tsv << j.domain->name << '\t' << score_tsv_row(m, n, j.score);
    }
    const bool hp = j.published.has_value(), ht = j.tmscore.has_value();
    tsv << '\t' << opt_num(hp, hp ? (*j.published)[2] : 0, "%.2f") << '\t' << opt_num(hp, hp ? (*j.published)[0] : 0, "%.2f")
        << '\t' << opt_num(hp, hp ? (*j.published)[1] : 0, "%.2f") << '\t' << opt_num(hp, hp ? (*j.published)[3] : 0, "%.2f")
        << '\t' << opt_num(ht, ht ? (*j.tmscore)[0] : 0, "%.4f") << '\t' << opt_num(ht, ht ? (*j.tmscore)[1] : 0, "%.2f")
        << '\t' << opt_num(ht, ht ? (*j.tmscore)[2] : 0, "%.2f") << '\t'
        << opt_num(j.error.empty(), 100 * j.score.tm.gdt_ts_ext, "%.2f") << '\t'
        << opt_num(j.error.empty(), 100 * j.score.tm.gdt_ha_ext, "%.2f") << '\n';
  }
  write_file_atomic(outdir / "scores.tsv", tsv.str());

  // Statistics over the scored rows.
  std::vector<const Job*> ok;
  for (const auto& j : jobs)
    if (j.error.empty()) ok.push_back(&j);
  std::vector<double> tm, gts, gha, ld, ldca;
  for (auto* j : ok) {
    tm.push_back(j->score.tm.tm_score);
    gts.push_back(100 * j->score.tm.gdt_ts);
    gha.push_back(100 * j->score.tm.gdt_ha);
    ld.push_back(j->score.lddt.score);
    ldca.push_back(j->score.lddt_ca.score);
  }
  const long n_tm05 = std::count_if(tm.begin(), tm.end(), [](double v) { return v > 0.5; });
  const long n_gdt90 = std::count_if(gts.begin(), gts.end(), [](double v) { return v > 90; });
  // Differences to the published table (and the TMscore program's to the same table, on the same rows).
  struct Diff {
    std::vector<double> tm, gts, gha, lddt, ref_tm, ref_gts, ref_gha, vs_ref_tm, vs_ref_gts, vs_ref_gha, ext_gts, ext_gha;
  } diff;
  for (auto* j : ok) {
    if (j->tmscore) {
      diff.vs_ref_tm.push_back(std::abs(j->score.tm.tm_score - (*j->tmscore)[0]));
      diff.vs_ref_gts.push_back(std::abs(100 * j->score.tm.gdt_ts - (*j->tmscore)[1]));
      diff.vs_ref_gha.push_back(std::abs(100 * j->score.tm.gdt_ha - (*j->tmscore)[2]));
    }
    if (!j->published) continue;
    const auto& p = *j->published;
    diff.gts.push_back(std::abs(100 * j->score.tm.gdt_ts - p[0]));
    diff.gha.push_back(std::abs(100 * j->score.tm.gdt_ha - p[1]));
    diff.tm.push_back(std::abs(j->score.tm.tm_score - p[2]));
    diff.ext_gts.push_back(std::abs(100 * j->score.tm.gdt_ts_ext - p[0]));
    diff.ext_gha.push_back(std::abs(100 * j->score.tm.gdt_ha_ext - p[1]));
    diff.lddt.push_back(std::abs(j->score.lddt.score - p[3]));
    if (j->tmscore) {
      diff.ref_tm.push_back(std::abs((*j->tmscore)[0] - p[2]));
      diff.ref_gts.push_back(std::abs((*j->tmscore)[1] - p[0]));
      diff.ref_gha.push_back(std::abs((*j->tmscore)[2] - p[1]));
    }
  }
  auto maxv = [](const std::vector<double>& v) { return v.empty() ? NAN : *std::max_element(v.begin(), v.end()); };

  // JSON.
  {
    std::ostringstream js;
    JsonWriter w(js);
    w.begin_object();
    w.key("set").string(set.string());
    w.key("predictions").string(pred.string());
    w.key("match").string(match_mode_name(so.match));
    w.key("rows").begin_array();
    for (const auto& j : jobs) {
      w.begin_object();
      w.key("domain").string(j.domain->name);
      w.key("model_name").string(j.model);
      if (j.error.empty()) {
        w.key("scores");
        write_score_json(w, j.model_path.string(), j.domain->native.string(), j.score, false, true);
      } else {
        w.key("error").string(j.error);
      }
      if (j.published) {
        w.key("published").begin_object();
        w.key("gdt_ts").number((*j.published)[0], 2).key("gdt_ha").number((*j.published)[1], 2);
        w.key("tm_score").number((*j.published)[2], 2).key("lddt").number((*j.published)[3], 2);
        w.end_object();
      }
      if (j.tmscore) {
        w.key("tmscore_program").begin_object();
        w.key("tm_score").number((*j.tmscore)[0], 4).key("gdt_ts").number((*j.tmscore)[1], 2);
        w.key("gdt_ha").number((*j.tmscore)[2], 2).end_object();
      }
      w.end_object();
    }
    w.end_array();
    w.key("summary").begin_object();
    w.key("models_scored").integer(static_cast<int64_t>(ok.size()));
    w.key("models_failed").integer(static_cast<int64_t>(failed));
    w.key("domains_without_model").integer(static_cast<int64_t>(no_model.size()));
    w.key("mean_tm_score").number(mean(tm), 4).key("median_tm_score").number(median(tm), 4);
    w.key("mean_gdt_ts").number(mean(gts), 2).key("median_gdt_ts").number(median(gts), 2);
    w.key("mean_gdt_ha").number(mean(gha), 2).key("median_gdt_ha").number(median(gha), 2);
    w.key("mean_lddt").number(mean(ld), 4).key("median_lddt").number(median(ld), 4);
    w.key("count_tm_gt_0.5").integer(n_tm05).key("count_gdt_ts_gt_90").integer(n_gdt90);
    if (!diff.gts.empty()) {
      w.key("published_rows").integer(static_cast<int64_t>(diff.gts.size()));
      w.key("mad_vs_published_gdt_ts").number(mean(diff.gts), 3).key("mad_vs_published_tm").number(mean(diff.tm), 4);
      w.key("mad_vs_published_gdt_ha").number(mean(diff.gha), 3).key("mad_vs_published_lddt").number(mean(diff.lddt), 4);
      w.key("mad_vs_published_gdt_ts_ext").number(mean(diff.ext_gts), 3);
      w.key("mad_vs_published_gdt_ha_ext").number(mean(diff.ext_gha), 3);
      w.key("max_diff_published_gdt_ts").number(maxv(diff.gts), 2).key("max_diff_published_tm").number(maxv(diff.tm), 4);
    }
    if (!diff.ref_gts.empty()) {
      w.key("tmscore_program_mad_vs_published_gdt_ts").number(mean(diff.ref_gts), 3);
      w.key("tmscore_program_mad_vs_published_tm").number(mean(diff.ref_tm), 4);
      w.key("tmscore_program_mad_vs_published_gdt_ha").number(mean(diff.ref_gha), 3);
    }
    if (!diff.vs_ref_tm.empty()) {
      w.key("max_diff_vs_tmscore_program_tm").number(maxv(diff.vs_ref_tm), 4);
      w.key("max_diff_vs_tmscore_program_gdt_ts").number(maxv(diff.vs_ref_gts), 2);
      w.key("max_diff_vs_tmscore_program_gdt_ha").number(maxv(diff.vs_ref_gha), 2);
    }
    w.key("score_seconds").number(score_seconds, 3);
    w.key("threads").integer(omp_get_max_threads());
    w.end_object();
    w.end_object();
    write_file_atomic(outdir / "scores.json", js.str());
  }

  // Plots.
  {
    std::vector<const Job*> sorted = ok;
    std::sort(sorted.begin(), sorted.end(), [](const Job* a, const Job* b) {
      return a->score.tm.tm_score != b->score.tm.tm_score ? a->score.tm.tm_score < b->score.tm.tm_score
                                                          : a->domain->name < b->domain->name;
    });
    svg::Chart c;
    c.title = "Per-domain scores (sorted by TM-score)";
    c.xlabel = "domain";
    c.ylabel = "score";
    c.xmin = -0.5;
    c.xmax = std::max<double>(1, sorted.size()) - 0.5;
    c.lines = true;
    svg::Series s_tm{"TM-score", "#1f77b4", {}, {}}, s_gdt{"GDT-TS / 100", "#ff7f0e", {}, {}},
        s_ha{"GDT-HA / 100", "#9467bd", {}, {}}, s_ld{"lDDT", "#2ca02c", {}, {}};
    for (size_t i = 0; i < sorted.size(); ++i) {
      const auto& sc = sorted[i]->score;
      c.xtick_labels.push_back(sorted[i]->domain->name);
      s_tm.x.push_back(i), s_tm.y.push_back(sc.tm.tm_score);
      s_gdt.x.push_back(i), s_gdt.y.push_back(sc.tm.gdt_ts);
      s_ha.x.push_back(i), s_ha.y.push_back(sc.tm.gdt_ha);
      s_ld.x.push_back(i), s_ld.y.push_back(sc.lddt.score);
    }
    c.series = {s_tm, s_gdt, s_ha, s_ld};
    write_file_atomic(outdir / "plots" / "scores_sorted.svg", svg::render(c));
    if (!diff.gts.empty()) {
      svg::Chart g;
      g.title = "GDT-TS: TriFold vs published (CASP official)";
      g.xlabel = "published GDT-TS";
      g.ylabel = "GDT-TS";
      g.xmin = g.ymin = 0;
      g.xmax = g.ymax = 100;
      g.diagonal = true;
      svg::Series a{"TriFold", "#1f77b4", {}, {}, 5.5, true}, b{"TMscore program", "#d62728", {}, {}, 2.5, false},
          e{"TriFold GDT-TS*", "#2ca02c", {}, {}, 3, false};
      svg::Chart t = g;
      t.title = "TM-score: TriFold vs published (CASP official)";
      t.xlabel = "published TM-score";
      t.ylabel = "TM-score";
      t.xmax = t.ymax = 1;
      svg::Series ta = a, tb = b;
      for (auto* j : ok) {
        if (!j->published) continue;
        a.x.push_back((*j->published)[0]), a.y.push_back(100 * j->score.tm.gdt_ts);
        e.x.push_back((*j->published)[0]), e.y.push_back(100 * j->score.tm.gdt_ts_ext);
        ta.x.push_back((*j->published)[2]), ta.y.push_back(j->score.tm.tm_score);
        if (j->tmscore) {
          b.x.push_back((*j->published)[0]), b.y.push_back((*j->tmscore)[1]);
          tb.x.push_back((*j->published)[2]), tb.y.push_back((*j->tmscore)[0]);
        }
      }
      g.series = {a, e};
      t.series = {ta};
      if (!b.x.empty()) g.series.push_back(b), t.series.push_back(tb);
      svg::fit_square_range(g, 1.0, 5.0, 0.0, 100.0);
      svg::fit_square_range(t, 0.01, 0.05, 0.0, 1.0);
      write_file_atomic(outdir / "plots" / "gdt_ts_vs_published.svg", svg::render(g));
      write_file_atomic(outdir / "plots" / "tm_vs_published.svg", svg::render(t));
    }
  }

  // Speed benchmark.
  std::vector<Timing> timings;
  const int reps = vm["timing"].as<int>();
  if (reps < 0) throw InputError("--timing must be >= 0");
  if (reps > 0) {
    const int all_threads = omp_get_max_threads();
    // What `trifold score` computes by default (no extended GDT search), and the TMscore program's share.
    structure::ScoreOptions so_t = so;
    so_t.extended_gdt = false;
    so_t.per_residue = false;
    auto time_trifold = [&](int threads, bool lddt_too) {
      Timing t{lddt_too ? "trifold: parse + TM/GDT + lDDT (all-atom, CA)" : "trifold: parse + TM/GDT", threads, {}, {}};
      omp_set_num_threads(threads);
      for (int r = 0; r <= reps; ++r) {  // r == 0 is the warm-up
        auto s0 = std::chrono::steady_clock::now();
        const double c0 = cpu_seconds(RUSAGE_SELF);
#pragma omp parallel for schedule(dynamic, 1)
        for (long i = 0; i < static_cast<long>(ok.size()); ++i) {
          Structure m = read_pdb(ok[i]->model_path);
          Structure n = read_pdb(ok[i]->domain->native);
          if (lddt_too) {
            structure::score_pair(m, n, so_t);
          } else {
            Chain mc = structure::match_to_native(m, n, so_t.match);
            structure::tm_score(mc, structure::scored_chain(n));
          }
        }
        if (r > 0) t.runs.push_back(seconds_since(s0)), t.cpu.push_back(cpu_seconds(RUSAGE_SELF) - c0);
      }
      omp_set_num_threads(all_threads);
      return t;
    };
    timings.push_back(time_trifold(1, false));
    timings.push_back(time_trifold(1, true));
    if (all_threads > 1) {
      timings.push_back(time_trifold(all_threads, false));
      timings.push_back(time_trifold(all_threads, true));
    }
    if (use_ref) {
      Timing t{"TMscore program (one process per pair, sequential; CPU includes sh -c startup)", 1, {}, {}};
      for (int r = 0; r <= reps; ++r) {
        auto s0 = std::chrono::steady_clock::now();
        const double c0 = cpu_seconds(RUSAGE_CHILDREN);
        for (auto* j : ok) run_tmscore_program(j->model_path, j->domain->native);
        if (r > 0) t.runs.push_back(seconds_since(s0)), t.cpu.push_back(cpu_seconds(RUSAGE_CHILDREN) - c0);
      }
      timings.push_back(t);
    }
  }

  // Markdown summary.
  std::ostringstream md;
  md << "# trifold bench score\n\n"
     << "- set: `" << set.string() << "`, predictions: `" << pred.string() << "`\n"
     << "- residues matched by " << match_mode_name(so.match) << "; every score is normalised by the native "
     << "(domain) length; GDT in points (0-100)\n"
     << "- models scored: " << ok.size() << ", failed: " << failed << ", domains without a model: " << no_model.size()
     << "\n\n";
  md << "| score | mean | median |\n|---|---|---|\n"
     << "| TM-score | " << fmt("%.4f", mean(tm)) << " | " << fmt("%.4f", median(tm)) << " |\n"
     << "| GDT-TS | " << fmt("%.2f", mean(gts)) << " | " << fmt("%.2f", median(gts)) << " |\n"
     << "| GDT-HA | " << fmt("%.2f", mean(gha)) << " | " << fmt("%.2f", median(gha)) << " |\n"
     << "| lDDT (all atom) | " << fmt("%.4f", mean(ld)) << " | " << fmt("%.4f", median(ld)) << " |\n"
     << "| lDDT (CA) | " << fmt("%.4f", mean(ldca)) << " | " << fmt("%.4f", median(ldca)) << " |\n\n"
     << "- TM-score > 0.5: " << n_tm05 << " of " << ok.size() << "\n"
     << "- GDT-TS > 90: " << n_gdt90 << " of " << ok.size() << "\n\n";
  if (!diff.gts.empty()) {
    md << "## Against the published scores (" << diff.gts.size() << " models)\n\n"
       << "Mean absolute difference (max in brackets). Published TM-score and lDDT have 2 decimals.\n\n"
       << "| scorer | GDT-TS | GDT-HA | TM-score | lDDT |\n|---|---|---|---|---|\n"
       << "| trifold | " << fmt("%.3f", mean(diff.gts)) << " (" << fmt("%.2f", maxv(diff.gts)) << ") | "
       << fmt("%.3f", mean(diff.gha)) << " (" << fmt("%.2f", maxv(diff.gha)) << ") | " << fmt("%.4f", mean(diff.tm))
       << " (" << fmt("%.4f", maxv(diff.tm)) << ") | " << fmt("%.4f", mean(diff.lddt)) << " ("
       << fmt("%.4f", maxv(diff.lddt)) << ") |\n"
       << "| trifold, extended GDT search (GDT-TS*, GDT-HA*) | " << fmt("%.3f", mean(diff.ext_gts)) << " ("
       << fmt("%.2f", maxv(diff.ext_gts)) << ") | " << fmt("%.3f", mean(diff.ext_gha)) << " ("
       << fmt("%.2f", maxv(diff.ext_gha)) << ") | - | - |\n";
    if (!diff.ref_gts.empty())
      md << "| TMscore program | " << fmt("%.3f", mean(diff.ref_gts)) << " (" << fmt("%.2f", maxv(diff.ref_gts))
         << ") | " << fmt("%.3f", mean(diff.ref_gha)) << " (" << fmt("%.2f", maxv(diff.ref_gha)) << ") | "
         << fmt("%.4f", mean(diff.ref_tm)) << " (" << fmt("%.4f", maxv(diff.ref_tm)) << ") | - |\n";
    md << "\n";
  }
  if (!diff.vs_ref_tm.empty())
    md << "Largest difference to the TMscore program over " << diff.vs_ref_tm.size() << " models: TM-score "
       << fmt("%.4f", maxv(diff.vs_ref_tm)) << ", GDT-TS " << fmt("%.2f", maxv(diff.vs_ref_gts)) << ", GDT-HA "
       << fmt("%.2f", maxv(diff.vs_ref_gha)) << " points.\n\n";
  if (!timings.empty()) {
    md << "## Speed (" << ok.size() << " pairs, " << reps << " repetitions after one warm-up; commit "
       << TRIFOLD_GIT_COMMIT << "; " << all_cores_note() << ")\n\n"
       << "Wall time, and CPU time (user + system), which a busy shared machine disturbs less.\n\n"
       << "| what | threads | median wall s | min s | max s | pairs/s | median CPU s |\n|---|---|---|---|---|---|---|\n";
    for (const auto& t : timings) {
      double med = median(t.runs);
      md << "| " << t.what << " | " << t.threads << " | " << fmt("%.4f", med) << " | "
         << fmt("%.4f", *std::min_element(t.runs.begin(), t.runs.end())) << " | "
         << fmt("%.4f", *std::max_element(t.runs.begin(), t.runs.end())) << " | " << fmt("%.1f", ok.size() / med)
         << " | " << fmt("%.4f", median(t.cpu)) << " |\n";
    }
    md << "\n";
  }
  md << "Files: `scores.tsv`, `scores.json`, `plots/scores_sorted.svg`"
     << (diff.gts.empty() ? "" : ", `plots/gdt_ts_vs_published.svg`, `plots/tm_vs_published.svg`") << "\n";
  write_file_atomic(outdir / "summary.md", md.str());
  std::cout << md.str();
  log::info("summary written to ", (outdir / "summary.md").string());
  return failed ? 1 : 0;
}

}  // namespace trifold::cli
