// `trifold score`: TM-score, GDT-TS/HA, RMSD and lDDT of a model against a native, or of many pairs in parallel.
#include <omp.h>

#include <cctype>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/json.hpp"
#include "io/log.hpp"
#include "io/mmcif.hpp"
#include "io/pdb.hpp"
#include "structure/score.hpp"
#include "tools/command.hpp"
#include "tools/score_output.hpp"

namespace fs = std::filesystem;

namespace trifold::cli {

namespace {

struct PairJob {
  std::string model, native;  // as given (resolved paths used for reading)
  fs::path model_path, native_path;
  structure::PairScore score;
  std::string error;
};

// A model or native file: mmCIF when the name ends in .cif or .mmcif (optionally .gz), else PDB. Before, the
// PDB reader was used for everything, so predict's own model.cif was refused as "not a PDB file?".
Structure read_structure_file(const fs::path& path) {
  std::string name = path.filename().string();
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".cif") || ends_with(".mmcif") || ends_with(".cif.gz") || ends_with(".mmcif.gz"))
    return read_mmcif(path);
  return read_pdb(path);
}

// Reads "model<TAB>native" lines; blank lines and lines starting with '#' are skipped. Relative paths are
// taken relative to the pairs file's folder.
std::vector<PairJob> read_pairs(const fs::path& file) {
  std::string text = read_file(file);
  std::vector<PairJob> jobs;
  std::istringstream in(text);
  std::string line;
  long lineno = 0;
  const fs::path base = file.parent_path();
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    if (tab == std::string::npos || line.find('\t', tab + 1) != std::string::npos)
      throw InputError(located(file.string(), lineno, "expected 'model<TAB>native', got '" + line + "'"));
    PairJob j;
    j.model = line.substr(0, tab);
    j.native = line.substr(tab + 1);
    if (j.model.empty() || j.native.empty())
      throw InputError(located(file.string(), lineno, "empty model or native path"));
    j.model_path = fs::path(j.model).is_absolute() ? fs::path(j.model) : base / j.model;
    j.native_path = fs::path(j.native).is_absolute() ? fs::path(j.native) : base / j.native;
    jobs.push_back(std::move(j));
  }
  if (jobs.empty()) throw InputError(file.string() + ": no model/native pairs");
  return jobs;
}

}  // namespace

int run_score(const std::vector<std::string>& args) {
  po::options_description opts("trifold score options");
  opts.add_options()
      ("model", po::value<std::string>(), "model PDB file (mmCIF when named .cif/.mmcif)")
      ("native", po::value<std::string>(), "native (reference) PDB file (mmCIF when named .cif/.mmcif)")
      ("pairs", po::value<std::string>(), "TSV file of model<TAB>native lines to score in parallel")
      ("json", po::bool_switch(), "write JSON instead of text (single pair) or TSV (--pairs)")
      ("by-sequence", po::bool_switch(), "pair residues by global sequence alignment instead of residue number")
      ("per-residue", po::bool_switch(), "with --pairs --json: include per-residue lDDT")
      ("gdt-extended", po::bool_switch(), "also run a per-cutoff (LGA-like) GDT search: GDT-TS*/GDT-HA*")
      ("out,o", po::value<std::string>()->default_value("-"), "output file ('-' = stdout), written atomically");
  po::positional_options_description pos;
  pos.add("model", 1).add("native", 1);
  po::variables_map vm;
  if (!parse("score", "MODEL NATIVE [--json] [--by-sequence] | --pairs FILE [--json]", args, opts, pos, vm)) return 0;

  structure::ScoreOptions so;
  so.match = vm["by-sequence"].as<bool>() ? structure::MatchMode::Sequence : structure::MatchMode::ResidueNumber;
  const bool json = vm["json"].as<bool>();
  so.extended_gdt = vm["gdt-extended"].as<bool>();
  std::ostringstream out;
  int status = 0;

  if (vm.count("pairs")) {
    if (vm.count("model")) throw InputError("trifold score: give either MODEL NATIVE or --pairs FILE, not both");
    std::vector<PairJob> jobs = read_pairs(vm["pairs"].as<std::string>());
    so.per_residue = vm["per-residue"].as<bool>();
    // Each pair is independent; results land in their own slot, so the output order and values do not
    // depend on the thread count.
#pragma omp parallel for schedule(dynamic, 1)
    for (long i = 0; i < static_cast<long>(jobs.size()); ++i) {
      auto& j = jobs[i];
      try {
        Structure m = read_structure_file(j.model_path);
        Structure n = read_structure_file(j.native_path);
        j.score = structure::score_pair(m, n, so);
      } catch (const Error& e) {
        j.error = e.what();
      }
    }
    size_t failed = 0;
    for (const auto& j : jobs)
      if (!j.error.empty()) {
        ++failed;
        log::warn(j.model, " vs ", j.native, ": ", j.error);
      }
    if (json) {
      JsonWriter w(out);
      w.begin_object();
      w.key("match").string(match_mode_name(so.match));
      w.key("pairs").begin_array();
      for (const auto& j : jobs) {
        if (j.error.empty()) {
          write_score_json(w, j.model, j.native, j.score, so.per_residue, so.extended_gdt);
        } else {
          w.begin_object().key("model").string(j.model).key("native").string(j.native);
          w.key("error").string(j.error).end_object();
        }
      }
      w.end_array();
      w.end_object();
    } else {
      out << score_tsv_header() << "\n";
      for (const auto& j : jobs) {
        if (j.error.empty()) {
          out << score_tsv_row(j.model, j.native, j.score) << "\n";
        } else {
          std::string e = j.error;
          for (char& c : e)
            if (c == '\t' || c == '\n') c = ' ';
          out << j.model << '\t' << j.native << std::string(12, '\t') << e << "\n";
        }
      }
    }
    if (failed) {
      log::warn(failed, " of ", jobs.size(), " pairs could not be scored");
      status = 1;
    }
  } else {
    if (!vm.count("model") || !vm.count("native"))
      throw InputError("trifold score: need MODEL and NATIVE (or --pairs FILE); see 'trifold score --help'");
    const std::string mp = vm["model"].as<std::string>(), np = vm["native"].as<std::string>();
    Structure m = read_structure_file(mp);
    Structure n = read_structure_file(np);
    structure::PairScore s = structure::score_pair(m, n, so);
    if (json) {
      JsonWriter w(out);
      write_score_json(w, mp, np, s, true, so.extended_gdt);
    } else {
      print_score_report(out, mp, np, s, so.match, so.extended_gdt);
    }
  }
  const std::string dest = vm["out"].as<std::string>();
  if (dest == "-") {
    std::cout << out.str();
  } else {
    write_file_atomic(dest, out.str());
  }
  return status;
}

}  // namespace trifold::cli
