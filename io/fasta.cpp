// FASTA and A3M readers and writers.
#include "io/fasta.hpp"

#include <cctype>
#include <set>
#include <vector>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/lines.hpp"
#include "io/residue_constants.hpp"

namespace trifold {
namespace {

// Splits into records and, when `seq_lines` is given, notes where each sequence line starts. Shared by FASTA and
// A3M.
std::vector<SequenceRecord> split_records(std::string_view text, const std::string& source, bool skip_hash,
                                          std::vector<LineStarts>* seq_lines) {
  std::vector<SequenceRecord> recs;
  if (text.empty()) throw InputError(located(source, 0, "file is empty"));
  if (text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x1f && static_cast<unsigned char>(text[1]) == 0x8b)
    throw InputError(located(source, 0, "corrupt gzip data"));
  LineReader lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const long lineno = lines.number();
    // '\r' too: LineReader drops one, and a name ending in a second one ("\r\r\n" files) would not survive
    // write -> read.
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (skip_hash && line[0] == '#') continue;
    if (line[0] == '>') {
      SequenceRecord r;
      std::string_view h = line.substr(1);
      size_t b = h.find_first_not_of(" \t");
      h = b == std::string_view::npos ? std::string_view{} : h.substr(b);
      size_t sp = h.find_first_of(" \t");
      r.name = std::string(h.substr(0, sp));
      if (sp != std::string_view::npos) {
        std::string_view d = h.substr(sp);
        size_t db = d.find_first_not_of(" \t");
        if (db != std::string_view::npos) r.description = std::string(d.substr(db));
      }
      if (r.name.empty()) throw InputError(located(source, lineno, "record header without a name"));
      r.line = lineno;
      recs.push_back(std::move(r));
      if (seq_lines) seq_lines->emplace_back();
      continue;
    }
    if (recs.empty()) {
      bool binary = false;
      for (char c : line.substr(0, 200))
        if (c != '\t' && (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) == 127)) binary = true;
      throw InputError(located(source, lineno, binary ? "binary data, expected FASTA text"
                                                      : "expected a '>' header line: not a FASTA/A3M file?"));
    }
    if (seq_lines) seq_lines->back().emplace_back(recs.back().sequence.size(), lineno);
    recs.back().sequence.append(line);
  }
  if (recs.empty()) throw InputError(located(source, 0, "no sequence records"));
  return recs;
}

}  // namespace

std::vector<SequenceRecord> parse_fasta(std::string_view text, const std::string& source, const FastaOptions& opt) {
  std::vector<LineStarts> lines;
  auto recs = split_records(text, source, false, &lines);
  std::set<std::string> names;
  for (size_t k = 0; k < recs.size(); ++k) {
    auto& r = recs[k];
    if (r.sequence.empty()) throw InputError(located(source, r.line, "sequence '" + r.name + "' is empty"));
    for (size_t i = 0; i < r.sequence.size(); ++i) {
      char c = static_cast<char>(std::toupper(static_cast<unsigned char>(r.sequence[i])));
      if (c == '*' && i + 1 == r.sequence.size()) {  // a terminal stop codon is common; drop it
        r.sequence.pop_back();
        break;
      }
      bool ok = is_standard_aa(c) || (c == 'X' && opt.allow_x) || (c == '-' && opt.allow_gaps);
      if (!ok) {
        std::string what = std::isprint(static_cast<unsigned char>(r.sequence[i]))
                               ? std::string("'") + r.sequence[i] + "'"
                               : "byte " + std::to_string(static_cast<unsigned char>(r.sequence[i]));
        std::string hint;
        if (c == 'B' || c == 'Z' || c == 'J' || c == 'U' || c == 'O')
          hint = opt.allow_x ? " (ambiguous or non-standard amino acid; replace it with X)"
                             : " (ambiguous or non-standard amino acid)";
        else if (c == 'X')
          hint = " (unknown residues are not accepted here)";
        throw InputError(located(source, line_of(lines[k], i), "sequence '" + r.name + "': residue " + std::to_string(i + 1) +
                                                          " is " + what + ", not an amino acid" + hint));
      }
      r.sequence[i] = c;
    }
    if (r.sequence.empty()) throw InputError(located(source, r.line, "sequence '" + r.name + "' is empty"));
    if (opt.max_length && r.sequence.size() > opt.max_length)
      throw InputError(located(source, r.line, "sequence '" + r.name + "' has " + std::to_string(r.sequence.size()) +
                                                   " residues, more than the limit of " +
                                                   std::to_string(opt.max_length)));
    if (!opt.allow_duplicate_names && !names.insert(r.name).second)
      throw InputError(located(source, r.line, "duplicate sequence name '" + r.name + "'"));
  }
  return recs;
}

std::vector<SequenceRecord> read_fasta(const std::filesystem::path& path, const FastaOptions& opt) {
  return parse_fasta(read_file(path), path.string(), opt);
}

size_t A3m::length() const {
  if (rows.empty()) return 0;
  size_t n = 0;
  for (char c : rows[0].sequence)
    if (std::isupper(static_cast<unsigned char>(c)) || c == '-') ++n;
  return n;
}

std::string A3m::aligned(size_t i) const {
  std::string out;
  for (char c : rows.at(i).sequence)
    if (std::isupper(static_cast<unsigned char>(c)) || c == '-') out += c;
  return out;
}

std::vector<int> A3m::insertions(size_t i) const {
  std::vector<int> ins(length() + 1, 0);
  size_t col = 0;
  for (char c : rows.at(i).sequence) {
    if (std::isupper(static_cast<unsigned char>(c)) || c == '-')
      ++col;
    else if (std::islower(static_cast<unsigned char>(c)))
      ++ins[std::min(col, ins.size() - 1)];
  }
  return ins;
}

A3m parse_a3m(std::string_view text, const std::string& source) {
  A3m a;
  a.rows = split_records(text, source, true, nullptr);
  for (auto& r : a.rows) {  // '.' marks gaps in insert columns (a2m); it carries no information in A3M
    std::string s;
    s.reserve(r.sequence.size());
    for (char c : r.sequence)
      if (c != '.') s += c;
    r.sequence = std::move(s);
  }
  const auto& q = a.rows[0];
  if (q.sequence.empty()) throw InputError(located(source, q.line, "query '" + q.name + "' is empty"));
  size_t pos = 0;
  for (char c : q.sequence) {
    if (std::islower(static_cast<unsigned char>(c)))
      throw InputError(located(source, q.line, "query '" + q.name + "' has an insertion ('" + std::string(1, c) +
                                                   "'): the first A3M row must be the query itself"));
    ++pos;
    if (c != '-' && c != 'X' && !is_standard_aa(c))
      throw InputError(located(source, q.line, "query '" + q.name + "': residue " + std::to_string(pos) + " is '" +
                                                   std::string(1, c) + "', not an amino acid"));
  }
  size_t L = a.length();
  for (size_t i = 1; i < a.rows.size(); ++i) {
    size_t n = 0;
    for (char c : a.rows[i].sequence) {
      unsigned char u = static_cast<unsigned char>(c);
      if (std::isupper(u) || c == '-')
        ++n;
      else if (!std::islower(u) && c != '*')
        throw InputError(located(source, a.rows[i].line, "row '" + a.rows[i].name + "' contains '" +
                                                             std::string(1, c) + "', not an alignment letter"));
    }
    if (n != L)
      throw InputError(located(source, a.rows[i].line, "row '" + a.rows[i].name + "' has " + std::to_string(n) +
                                                           " match columns, the query has " + std::to_string(L)));
  }
  return a;
}

A3m read_a3m(const std::filesystem::path& path) { return parse_a3m(read_file(path), path.string()); }

std::string format_fasta(const std::vector<SequenceRecord>& records, size_t width) {
  std::string out;
  for (const auto& r : records) {
    out += ">" + r.name;
    if (!r.description.empty()) out += " " + r.description;
    out += "\n";
    for (size_t i = 0; i < r.sequence.size(); i += width) out += r.sequence.substr(i, width) + "\n";
  }
  return out;
}

void write_a3m(const std::filesystem::path& path, const A3m& a3m) {
  std::string out;
  for (const auto& r : a3m.rows) {
    out += ">" + r.name;
    if (!r.description.empty()) out += " " + r.description;
    out += "\n" + r.sequence + "\n";
  }
  write_file_atomic(path, out);
}

}  // namespace trifold
