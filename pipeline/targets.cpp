// Reading batch inputs into targets (lenient per record: problems are recorded, not thrown).
#include "pipeline/targets.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "io/error.hpp"
#include "io/fasta.hpp"
#include "io/file_util.hpp"
#include "io/log.hpp"

namespace trifold::pipeline {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string clean_sequence(const std::string& raw) {
  std::string out;
  for (char c : raw)
    if (!std::isspace(static_cast<unsigned char>(c)) && c != '*')
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// FASTA records without validation (validation happens per target, so one bad record fails only itself).
std::vector<Target> read_multi_fasta(const fs::path& path) {
  std::string text = read_file(path);
  std::vector<Target> out;
  std::istringstream in(text);
  std::string line;
  long lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == ';') continue;
    if (line[0] == '>') {
      Target t;
      std::string name = trim(line.substr(1));
      name = name.substr(0, name.find_first_of(" \t"));
      t.id = safe_id(name);
      t.name = name;
      t.source = path.string() + ":" + std::to_string(lineno);
      t.file = path.string();
      if (name.empty()) t.error = "empty FASTA header";
      out.push_back(std::move(t));
    } else if (out.empty()) {
      throw InputError(located(path.string(), lineno, "sequence before the first '>' header: not a FASTA file?"));
    } else {
      out.back().sequence_lines.emplace_back(out.back().sequence.size(), lineno);
      out.back().sequence += clean_sequence(line);
    }
  }
  if (out.empty()) throw InputError(located(path.string(), 0, "no FASTA records"));
  return out;
}

Target target_from_file(const fs::path& file, const std::string& id) {
  Target t;
  t.id = safe_id(id);
  t.name = id;
  t.source = file.string();
  try {
    std::string ext = lower(file.extension().string());
    if (ext == ".a3m") {
      A3m a = read_a3m(file);
      t.sequence = a.aligned(0);
      t.a3m = file;
    } else {
      auto recs = read_multi_fasta(file);
      if (recs.size() != 1)
        t.error = "expected one FASTA record per file, found " + std::to_string(recs.size());
      else
        t.sequence = recs[0].sequence;
    }
  } catch (const Error& e) {
    t.error = e.what();
  }
  return t;
}

std::vector<Target> read_folder(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string ext = lower(e.path().extension().string());
    if (e.is_regular_file() && (ext == ".fa" || ext == ".fasta" || ext == ".faa" || ext == ".fas" || ext == ".a3m"))
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InputError(dir.string() + ": no FASTA (.fa .fasta .faa .fas) or .a3m files in this folder");
  std::vector<Target> out;
  for (const auto& f : files) out.push_back(target_from_file(f, f.stem().string()));
  return out;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> f;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == sep && !quoted) {
      f.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  f.push_back(trim(cur));
  return f;
}

std::vector<Target> read_manifest(const fs::path& path, char sep) {
  std::string text = read_file(path);
  std::istringstream in(text);
  std::string line;
  long lineno = 0;
  std::vector<std::string> header;
  int c_id = -1, c_seq = -1, c_fasta = -1, c_a3m = -1;
  std::vector<Target> out;
  fs::path base = path.parent_path();
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty() || line[0] == '#') continue;
    auto f = split(line, sep);
    if (header.empty()) {
      header = f;
      for (size_t i = 0; i < f.size(); ++i) {
        std::string h = lower(f[i]);
        if (h == "id" || h == "name" || h == "target") c_id = static_cast<int>(i);
        if (h == "sequence" || h == "seq") c_seq = static_cast<int>(i);
        if (h == "fasta") c_fasta = static_cast<int>(i);
        if (h == "a3m" || h == "msa") c_a3m = static_cast<int>(i);
      }
      if (c_id < 0)
        throw InputError(located(path.string(), lineno, "manifest header needs an 'id' (or 'name'/'target') column"));
      if (c_seq < 0 && c_fasta < 0 && c_a3m < 0)
        throw InputError(located(path.string(), lineno, "manifest header needs a 'sequence', 'fasta' or 'a3m' column"));
      continue;
    }
    auto get = [&](int c) { return c >= 0 && c < static_cast<int>(f.size()) ? f[c] : std::string(); };
    auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() ? fs::path(p) : base / p; };
    Target t;
    std::string where = path.string() + ":" + std::to_string(lineno);
    if (!get(c_fasta).empty()) {
      t = target_from_file(resolve(get(c_fasta)), get(c_id));
    } else if (!get(c_a3m).empty() && get(c_seq).empty()) {
      t = target_from_file(resolve(get(c_a3m)), get(c_id));
    } else {
      t.id = safe_id(get(c_id));
      t.name = get(c_id);
      t.sequence = clean_sequence(get(c_seq));
    }
    if (!get(c_a3m).empty()) t.a3m = resolve(get(c_a3m));
    t.source = where;
    if (f.size() != header.size() && t.error.empty())
      t.error = std::to_string(f.size()) + " fields, the header has " + std::to_string(header.size());
    if (get(c_id).empty() && t.error.empty()) t.error = "empty id";
    out.push_back(std::move(t));
  }
  if (out.empty()) throw InputError(located(path.string(), 0, "manifest has no targets"));
  return out;
}

}  // namespace

std::vector<Target> read_targets(const fs::path& input) {
  if (!fs::exists(input)) throw InputError("batch input not found: " + input.string());
  std::vector<Target> targets;
  std::string ext = lower(input.extension().string());
  if (fs::is_directory(input))
    targets = read_folder(input);
  else if (ext == ".csv")
    targets = read_manifest(input, ',');
  else if (ext == ".tsv")
    targets = read_manifest(input, '\t');
  else
    targets = read_multi_fasta(input);
  std::map<std::string, std::string> seen;  // id -> source of first occurrence
  size_t renamed = 0;
  const Target* first_renamed = nullptr;
  for (auto& t : targets) {
    if (!t.name.empty() && t.name != t.id && renamed++ == 0) first_renamed = &t;
    auto [it, inserted] = seen.emplace(t.id, t.source);
    if (!inserted && t.error.empty()) {
      t.error = "duplicate target id '" + t.id + "'" + (t.name != t.id ? " (from name '" + t.name + "')" : "") +
                " (first at " + it->second + ")";
      t.id += ".dup" + std::to_string(&t - &targets[0]);  // its own folder, so the first one's stays intact
    }
  }
  // Once per input, not per target: a UniProt FASTA ("sp|P69905|HBA_HUMAN") renames every record.
  if (first_renamed)
    log::warn(input.string(), ": ", renamed, " target name", renamed == 1 ? " was" : "s were",
              " changed to be folder names (letters, digits, '.', '-', '_'), e.g. '", first_renamed->name, "' -> '",
              first_renamed->id, "' (", first_renamed->source, "); batch_index.tsv lists targets by these ids");
  return targets;
}

}  // namespace trifold::pipeline
