// PDB reader and writer.
#include "io/pdb.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/lines.hpp"

namespace trifold {
namespace {

std::string_view field(std::string_view line, size_t begin, size_t end) {  // [begin, end), 0-based columns
  if (begin >= line.size()) return {};
  return line.substr(begin, std::min(end, line.size()) - begin);
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(' ');
  return std::string(s.substr(b, e - b + 1));
}

double parse_double(std::string_view s, const std::string& source, long line, const char* what) {
  std::string t = trim(s);
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size())
    throw InputError(located(source, line, std::string("malformed ") + what + " '" + std::string(s) + "'"));
  if (!std::isfinite(v))
    throw InputError(located(source, line, std::string(what) + " '" + t + "' is not a finite number"));
  return v;
}

int parse_int(std::string_view s, const std::string& source, long line, const char* what) {
  std::string t = trim(s);
  int v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size())
    throw InputError(located(source, line, std::string("malformed ") + what + " '" + std::string(s) + "'"));
  return v;
}

bool is_water(const std::string& name) { return name == "HOH" || name == "WAT" || name == "DOD"; }

}  // namespace

Structure parse_pdb(std::string_view text, const std::string& source, const PdbReadOptions& opt) {
  StructureBuilder builder(source);
  Structure& s = builder.structure();
  int model_index = 0;  // MODEL records seen so far
  bool reading = opt.model == 1;  // records before any MODEL record belong to model 1
  bool saw_atom_line = false;
  LineReader lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const long lineno = lines.number();
    if (line.empty()) continue;
    std::string_view rec = field(line, 0, 6);
    if (rec.starts_with("MODEL")) {
      ++model_index;
      reading = (model_index == opt.model);
      continue;
    }
    if (rec.starts_with("ENDMDL")) {
      if (model_index == opt.model) break;  // the wanted model is complete
      reading = false;
      continue;
    }
    bool is_atom = rec == "ATOM  " || rec == "ATOM";
    bool is_het = rec == "HETATM";
    if (!is_atom && !is_het) continue;
    saw_atom_line = true;
    if (!reading) continue;
    if (line.size() < 54)
      throw InputError(located(source, lineno, "truncated " + trim(rec) + " record (" + std::to_string(line.size()) +
                                                   " columns, coordinates need 54)"));
    std::string resname = trim(field(line, 17, 20));
    if (is_het && !opt.include_hetatm && resname != "MSE") continue;
    if (is_water(resname) && !opt.include_water) continue;
    Atom a;
    a.name = trim(field(line, 12, 16));
    char altloc = line.size() > 16 ? line[16] : ' ';
    std::string chain = trim(field(line, 21, 22));
    int seqnum = parse_int(field(line, 22, 26), source, lineno, "residue number");
    char icode = line.size() > 26 ? line[26] : ' ';
    a.pos.x = parse_double(field(line, 30, 38), source, lineno, "x coordinate");
    a.pos.y = parse_double(field(line, 38, 46), source, lineno, "y coordinate");
    a.pos.z = parse_double(field(line, 46, 54), source, lineno, "z coordinate");
    std::string occ = trim(field(line, 54, 60));
    a.occupancy = occ.empty() ? 1.0 : parse_double(occ, source, lineno, "occupancy");
    std::string bf = trim(field(line, 60, 66));
    a.bfactor = bf.empty() ? 0.0 : parse_double(bf, source, lineno, "B-factor");
    a.element = trim(field(line, 76, 78));
    if (a.element.empty()) {  // infer from the name: first letter that is not a digit
      for (char c : a.name)
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          a.element = std::string(1, c);
          break;
        }
    }
    for (auto& c : a.element) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!opt.include_hydrogens && (a.element == "H" || a.element == "D")) continue;
    std::string sn = trim(field(line, 6, 11));
    a.serial = sn.empty() ? 0 : std::atoi(sn.c_str());
    builder.add_atom(std::move(a), resname, chain, seqnum, icode, is_het, altloc != ' ');
  }
  if (opt.model != 1 && model_index < opt.model)
    throw InputError(located(source, 0, "model " + std::to_string(opt.model) + " not found (file has " +
                                            std::to_string(model_index) + ")"));
  if (s.atom_count() == 0)
    throw InputError(located(source, 0, saw_atom_line ? "no usable ATOM/HETATM records" :
                                                        "no ATOM/HETATM records: not a PDB file?"));
  return std::move(s);
}

Structure read_pdb(const std::filesystem::path& path, const PdbReadOptions& opt) {
  std::string text = read_file(path);
  return parse_pdb(text, path.string(), opt);
}

namespace {

// PDB's columns are fixed: a value wider than its field shifts every column after it, and a reader then takes
// x for y or a B-factor for an element; NaN prints as "nan". Such a structure is refused by name instead.
void check_pdb_field(double v, double lo, double hi, const char* field, const Chain& c, const Residue& r,
                     const Atom* a) {
  if (std::isfinite(v) && v >= lo && v <= hi) return;
  std::ostringstream msg;
  msg << "cannot write PDB: " << field << " " << v << " of " << (a ? "atom " + a->name + " of " : std::string())
      << "residue " << r.name << " " << r.seqnum << " chain '" << c.id << "' does not fit the format's fixed "
      << "columns (" << lo << " to " << hi << ")" << (std::isfinite(v) ? "; mmCIF has no such limit" : "");
  throw InputError(msg.str());
}

}  // namespace

std::string format_pdb(const Structure& s, const std::vector<std::string>& remarks) {
  std::string out;
  char buf[128];
  for (const auto& r : remarks) {
    std::snprintf(buf, sizeof buf, "REMARK %-72.72s\n", r.c_str());
    out += buf;
  }
  int serial = 1;
  for (const auto& c : s.chains) {
    const Residue* last = nullptr;
    for (const auto& r : c.residues) {
      for (const auto& a : r.atoms) {
        // Atom names of fewer than 4 characters start in column 14 unless the element has two letters.
        std::string name = a.name;
        if (name.size() < 4 && a.element.size() < 2) name = " " + name;
        check_pdb_field(r.seqnum, -999, 9999, "residue number", c, r, nullptr);
        check_pdb_field(a.pos.x, -999.999, 9999.999, "x coordinate", c, r, &a);
        check_pdb_field(a.pos.y, -999.999, 9999.999, "y coordinate", c, r, &a);
        check_pdb_field(a.pos.z, -999.999, 9999.999, "z coordinate", c, r, &a);
        check_pdb_field(a.occupancy, -99.99, 999.99, "occupancy", c, r, &a);
        check_pdb_field(a.bfactor, -99.99, 999.99, "B-factor", c, r, &a);
        std::snprintf(buf, sizeof buf, "%-6s%5d %-4.4s %3.3s %1.1s%4d%c   %8.3f%8.3f%8.3f%6.2f%6.2f          %2.2s\n",
                      r.het ? "HETATM" : "ATOM", serial % 100000, name.c_str(), r.name.c_str(),
                      c.id.empty() ? " " : c.id.c_str(), r.seqnum, r.icode, a.pos.x, a.pos.y, a.pos.z,
                      a.occupancy, a.bfactor, a.element.c_str());
        out += buf;
        ++serial;
      }
      last = &r;
    }
    if (last) {
      std::snprintf(buf, sizeof buf, "TER   %5d      %3.3s %1.1s%4d%c\n", serial % 100000, last->name.c_str(),
                    c.id.empty() ? " " : c.id.c_str(), last->seqnum, last->icode);
      out += buf;
      ++serial;
    }
  }
  out += "END\n";
  return out;
}

void write_pdb(const std::filesystem::path& path, const Structure& s, const std::vector<std::string>& remarks) {
  write_file_atomic(path, format_pdb(s, remarks));
}

}  // namespace trifold
