// mmCIF writer and minimal atom_site reader (see mmcif.hpp for the chain-ID mapping).
#include "io/mmcif.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "io/error.hpp"
#include "io/file_util.hpp"

namespace trifold {
namespace {

// ---------- writing ----------

bool needs_quotes(const std::string& v) {
  if (v.empty()) return true;
  char c0 = v[0];
  if (c0 == '_' || c0 == '#' || c0 == '$' || c0 == '\'' || c0 == '"' || c0 == '[' || c0 == ']' || c0 == ';')
    return true;
  if (v == "." || v == "?") return true;  // a literal dot/question mark must not read as null
  for (char c : v)
    if (c == ' ' || c == '\t') return true;
  std::string low;
  for (char c : v) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Prefixes, as the reader's is_keyword() tests them: a bare "stop_x" would end the loop there.
  return low.starts_with("data_") || low.starts_with("loop_") || low.starts_with("save_") || low.starts_with("stop_") ||
         low.starts_with("global_");
}

// A CIF value: bare when possible, else quoted with a quote character the value does not contain followed
// by a blank (CIF 1.1 lets a quote inside a value stand when not followed by whitespace).
std::string cif_value(const std::string& v) {
  if (!needs_quotes(v)) return v;
  if (v.find('\'') == std::string::npos) return "'" + v + "'";
  if (v.find('"') == std::string::npos) return "\"" + v + "\"";
  return "\n;" + v + "\n;\n";
}

// "%.*f" of v, however long.
std::string fixed(double v, int decimals) {
  const int n = std::snprintf(nullptr, 0, "%.*f", decimals, v);
  std::string out(static_cast<size_t>(n), '\0');
  std::snprintf(out.data(), out.size() + 1, "%.*f", decimals, v);
  return out;
}

std::string block_name(const std::string& id) {
  std::string out;
  for (char c : id) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out.empty() ? "trifold" : out;
}

std::string generated_asym_id(size_t k) {  // A..Z, a..z, 0..9, then AA, AB, ...
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  if (k < alphabet.size()) return std::string(1, alphabet[k]);
  k -= alphabet.size();
  return std::string(1, alphabet[(k / 26) % 26]) + std::string(1, alphabet[k % 26]);
}

// label_asym_id per chain (see the mapping in mmcif.hpp).
std::vector<std::string> label_asym_ids(const Structure& s) {
  std::set<std::string> used;
  std::map<std::string, int> count;
  for (const auto& c : s.chains) ++count[c.id];
  std::vector<std::string> ids(s.chains.size());
  for (size_t i = 0; i < s.chains.size(); ++i)
    if (!s.chains[i].id.empty() && count[s.chains[i].id] == 1 && !needs_quotes(s.chains[i].id)) {
      ids[i] = s.chains[i].id;
      used.insert(ids[i]);
    }
  size_t next = 0;
  for (auto& id : ids) {
    if (!id.empty()) continue;
    while (used.count(generated_asym_id(next))) ++next;
    id = generated_asym_id(next++);
    used.insert(id);
  }
  return ids;
}

// ---------- reading ----------

struct Token {
  std::string_view text;
  bool quoted = false;  // a quoted '.' or '?' is a value, not a null
  long line = 0;
};

class Tokenizer {
 public:
  Tokenizer(std::string_view text, const std::string& source) : t_(text), source_(source) {}

  bool next(Token& tok) {
    for (;;) {
      if (pos_ >= t_.size()) return false;
      char c = t_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
        at_line_start_ = true;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
        at_line_start_ = false;
        continue;
      }
      if (c == '#') {
        while (pos_ < t_.size() && t_[pos_] != '\n') ++pos_;
        continue;
      }
      break;
    }
    tok.line = line_;
    char c = t_[pos_];
    if (c == ';' && at_line_start_) {  // text field: up to a line that starts with ';'
      size_t begin = pos_ + 1;
      size_t p = begin;
      for (;;) {
        size_t nl = t_.find('\n', p);
        if (nl == std::string_view::npos)
          throw InputError(located(source_, tok.line, "unterminated ;-delimited text field"));
        ++line_;
        if (nl + 1 < t_.size() && t_[nl + 1] == ';') {
          tok.text = t_.substr(begin, nl - begin);
          if (!tok.text.empty() && tok.text.back() == '\r') tok.text.remove_suffix(1);
          tok.quoted = true;
          pos_ = nl + 2;
          at_line_start_ = false;
          return true;
        }
        p = nl + 1;
      }
    }
    at_line_start_ = false;
    if (c == '\'' || c == '"') {
      size_t p = pos_ + 1;
      for (;;) {
        size_t q = t_.find(c, p);
        if (q == std::string_view::npos || t_.substr(pos_, q - pos_).find('\n') != std::string_view::npos)
          throw InputError(located(source_, tok.line, "unterminated quoted value"));
        if (q + 1 >= t_.size() || t_[q + 1] == ' ' || t_[q + 1] == '\t' || t_[q + 1] == '\n' || t_[q + 1] == '\r') {
          tok.text = t_.substr(pos_ + 1, q - pos_ - 1);
          tok.quoted = true;
          pos_ = q + 1;
          return true;
        }
        p = q + 1;
      }
    }
    size_t b = pos_;
    while (pos_ < t_.size() && t_[pos_] != ' ' && t_[pos_] != '\t' && t_[pos_] != '\n' && t_[pos_] != '\r') ++pos_;
    tok.text = t_.substr(b, pos_ - b);
    tok.quoted = false;
    return true;
  }

 private:
  std::string_view t_;
  const std::string& source_;
  size_t pos_ = 0;
  long line_ = 1;
  bool at_line_start_ = true;
};

bool is_null(const Token& t) { return !t.quoted && (t.text == "." || t.text == "?"); }

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

bool is_keyword(const Token& t) {
  return !t.quoted && (t.text.starts_with('_') || iequals_prefix(t.text, "loop_") || iequals_prefix(t.text, "data_") ||
                       iequals_prefix(t.text, "save_") || iequals_prefix(t.text, "global_") ||
                       iequals_prefix(t.text, "stop_"));
}

double to_double(const Token& t, const std::string& source, const char* what) {
  double v = 0;
  auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  if (t.text.empty() || ec != std::errc() || p != t.text.data() + t.text.size())
    throw InputError(located(source, t.line, std::string("malformed ") + what + " '" + std::string(t.text) + "'"));
  if (!std::isfinite(v))
    throw InputError(located(source, t.line, std::string(what) + " '" + std::string(t.text) + "' is not a finite number"));
  return v;
}

int to_int(const Token& t, const std::string& source, const char* what) {
  int v = 0;
  auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  if (t.text.empty() || ec != std::errc() || p != t.text.data() + t.text.size())
    throw InputError(located(source, t.line, std::string("malformed ") + what + " '" + std::string(t.text) + "'"));
  return v;
}

bool is_water(const std::string& name) { return name == "HOH" || name == "WAT" || name == "DOD"; }

// An _atom_site value must be printable text (a tab aside), as CIF requires: a NUL or a newline (from a text
// field) in a name cannot be written back and is no name anyway. Returns the offending byte or -1.
int control_byte(std::string_view v) {
  for (unsigned char c : v)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return c;
  return -1;
}

}  // namespace

std::string format_mmcif(const Structure& s, const std::string& entry_id) {
  std::string id = block_name(entry_id.empty() ? "trifold" : entry_id);
  std::vector<std::string> asym = label_asym_ids(s);
  std::string out;
  out.reserve(s.atom_count() * 110 + 1024);
  out += "data_" + id + "\n#\n_entry.id " + cif_value(id) + "\n#\n";

  out += "loop_\n_entity.id\n_entity.type\n";
  for (size_t ci = 0; ci < s.chains.size(); ++ci) out += std::to_string(ci + 1) + " polymer\n";
  out += "#\nloop_\n_entity_poly_seq.entity_id\n_entity_poly_seq.num\n_entity_poly_seq.mon_id\n"
         "_entity_poly_seq.hetero\n";
  for (size_t ci = 0; ci < s.chains.size(); ++ci) {
    int num = 0;
    for (const auto& r : s.chains[ci].residues)
      if (!r.het) out += std::to_string(ci + 1) + " " + std::to_string(++num) + " " + cif_value(r.name) + " n\n";
  }
  out += "#\nloop_\n_struct_asym.id\n_struct_asym.entity_id\n";
  for (size_t ci = 0; ci < s.chains.size(); ++ci) out += asym[ci] + " " + std::to_string(ci + 1) + "\n";

  static const char* columns[] = {"group_PDB",        "id",           "type_symbol",    "label_atom_id",
                                  "label_alt_id",     "label_comp_id", "label_asym_id",  "label_entity_id",
                                  "label_seq_id",     "pdbx_PDB_ins_code", "Cartn_x",   "Cartn_y",
                                  "Cartn_z",          "occupancy",    "B_iso_or_equiv", "auth_seq_id",
                                  "auth_asym_id",     "pdbx_PDB_model_num"};
  out += "#\nloop_\n";
  for (const char* c : columns) out += std::string("_atom_site.") + c + "\n";
  int serial = 1;
  // Appended as strings, not through a fixed-size snprintf buffer: a long name or a huge number cut the row.
  for (size_t ci = 0; ci < s.chains.size(); ++ci) {
    const Chain& c = s.chains[ci];
    std::string auth_asym = c.id.empty() ? "." : cif_value(c.id);
    int label_seq = 0;
    for (const auto& r : c.residues) {
      std::string seq = r.het ? "." : std::to_string(++label_seq);
      std::string icode = (r.icode == ' ' || r.icode == '\0') ? "?" : cif_value(std::string(1, r.icode));
      std::string comp = cif_value(r.name);
      for (const auto& a : r.atoms) {
        for (double v : {a.pos.x, a.pos.y, a.pos.z, a.occupancy, a.bfactor})
          if (!std::isfinite(v))
            throw InputError("cannot write mmCIF: atom " + a.name + " of residue " + r.name + " " +
                             std::to_string(r.seqnum) + " chain '" + c.id +
                             "' has a non-finite coordinate, occupancy or B-factor");
        const std::string fields[] = {std::to_string(serial++), cif_value(a.element.empty() ? "X" : a.element),
                                      cif_value(a.name), ".", comp, asym[ci], std::to_string(ci + 1), seq, icode,
                                      fixed(a.pos.x, 3), fixed(a.pos.y, 3), fixed(a.pos.z, 3), fixed(a.occupancy, 2),
                                      fixed(a.bfactor, 2), std::to_string(r.seqnum), auth_asym, "1"};
        out += r.het ? "HETATM" : "ATOM";
        for (const auto& f : fields) {
          out += ' ';
          out += f;
        }
        out += '\n';
      }
    }
  }
  out += "#\n";
  return out;
}

void write_mmcif(const std::filesystem::path& path, const Structure& s, const std::string& entry_id) {
  write_file_atomic(path, format_mmcif(s, entry_id));
}

Structure parse_mmcif(std::string_view text, const std::string& source, const MmcifReadOptions& opt) {
  Tokenizer tz(text, source);
  Token tok;
  bool have = tz.next(tok);
  if (!have || !iequals_prefix(tok.text, "data_"))
    throw InputError(located(source, have ? tok.line : 0, "no data_ block: not an mmCIF file?"));
  // Find the atom_site loop in the first data block.
  std::vector<std::string> cols;
  long loop_line = 0;
  bool prev_loop = false;
  while ((have = tz.next(tok))) {
    if (!tok.quoted && iequals_prefix(tok.text, "data_")) break;
    if (!tok.quoted && iequals_prefix(tok.text, "loop_")) {
      prev_loop = true;
      loop_line = tok.line;
      continue;
    }
    if (prev_loop && !tok.quoted && iequals_prefix(tok.text, "_atom_site.")) {
      cols.emplace_back(tok.text.substr(11));
      while ((have = tz.next(tok)) && !tok.quoted && iequals_prefix(tok.text, "_atom_site."))
        cols.emplace_back(tok.text.substr(11));
      break;
    }
    prev_loop = false;
  }
  if (cols.empty()) throw InputError(located(source, 0, "no _atom_site loop"));
  auto col = [&](const char* name) -> int {
    for (size_t i = 0; i < cols.size(); ++i)
      if (cols[i] == name) return static_cast<int>(i);
    return -1;
  };
  int c_group = col("group_PDB"), c_id = col("id"), c_type = col("type_symbol"), c_atom = col("label_atom_id"),
      c_auth_atom = col("auth_atom_id"), c_alt = col("label_alt_id"), c_comp = col("label_comp_id"),
      c_auth_comp = col("auth_comp_id"), c_asym = col("label_asym_id"), c_auth_asym = col("auth_asym_id"),
      c_seq = col("label_seq_id"), c_auth_seq = col("auth_seq_id"), c_ins = col("pdbx_PDB_ins_code"),
      c_x = col("Cartn_x"), c_y = col("Cartn_y"), c_z = col("Cartn_z"), c_occ = col("occupancy"),
      c_b = col("B_iso_or_equiv"), c_model = col("pdbx_PDB_model_num");
  if (c_auth_atom >= 0) c_atom = c_auth_atom;  // auth names are what PDB files carry
  if (c_auth_comp >= 0 && c_comp < 0) c_comp = c_auth_comp;
  if (c_auth_seq < 0) c_auth_seq = c_seq;
  if (c_auth_asym < 0) c_auth_asym = c_asym;
  for (auto [idx, name] : {std::pair{c_x, "Cartn_x"}, {c_y, "Cartn_y"}, {c_z, "Cartn_z"}, {c_atom, "label_atom_id"},
                           {c_comp, "label_comp_id"}, {c_auth_seq, "auth_seq_id or label_seq_id"}})
    if (idx < 0) throw InputError(located(source, loop_line, std::string("_atom_site loop lacks column ") + name));

  StructureBuilder builder(source);
  Structure& s = builder.structure();
  std::vector<Token> row;
  row.reserve(cols.size());
  int model_index = 0;
  std::string current_model;
  bool saw_rows = false;
  long first_split_row = 0;  // the first row that runs over more than one line (0: none yet)
  while (have && !is_keyword(tok)) {
    row.clear();
    row.push_back(tok);
    long row_line = tok.line;
    for (size_t i = 1; i < cols.size(); ++i) {
      have = tz.next(tok);
      if (!have || is_keyword(tok))
        throw InputError(located(source, row_line, "_atom_site row has " + std::to_string(i) + " values, expected " +
                                                       std::to_string(cols.size())));
      row.push_back(tok);
    }
    for (size_t i = 0; i < cols.size(); ++i)
      if (int b = control_byte(row[i].text); b >= 0)
        throw InputError(located(source, row[i].line, "_atom_site." + cols[i] + " value contains a control character (byte " +
                                                          std::to_string(b) + ")"));
    if (first_split_row == 0 && row.front().line != row.back().line) first_split_row = row.front().line;
    have = tz.next(tok);
    saw_rows = true;
    auto val = [&](int c) -> std::string {
      if (c < 0 || is_null(row[c])) return {};
      return std::string(row[c].text);
    };
    std::string model = val(c_model);
    if (model_index == 0 || model != current_model) {  // a new model starts
      ++model_index;
      current_model = model;
    }
    if (model_index != opt.model) {
      if (model_index > opt.model) break;
      continue;
    }
    bool het = val(c_group) == "HETATM";
    std::string resname = val(c_comp);
    if (het && !opt.include_hetatm && resname != "MSE") continue;
    if (is_water(resname) && !opt.include_water) continue;
    Atom a;
    a.name = val(c_atom);
    a.element = val(c_type);
    if (a.element.empty())
      for (char ch : a.name)
        if (!std::isdigit(static_cast<unsigned char>(ch))) {
          a.element = std::string(1, ch);
          break;
        }
    for (auto& ch : a.element) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (!opt.include_hydrogens && (a.element == "H" || a.element == "D")) continue;
    int seqnum = 0;
    try {
      a.pos = {to_double(row[c_x], source, "Cartn_x"), to_double(row[c_y], source, "Cartn_y"),
               to_double(row[c_z], source, "Cartn_z")};
      a.occupancy = (c_occ >= 0 && !is_null(row[c_occ])) ? to_double(row[c_occ], source, "occupancy") : 1.0;
      a.bfactor = (c_b >= 0 && !is_null(row[c_b])) ? to_double(row[c_b], source, "B_iso_or_equiv") : 0.0;
      a.serial = (c_id >= 0 && !is_null(row[c_id])) ? to_int(row[c_id], source, "atom id") : 0;
      if (is_null(row[c_auth_seq]))
        throw InputError(located(source, row_line, "atom '" + a.name + "' has no residue number"));
      seqnum = to_int(row[c_auth_seq], source, "residue number");
    } catch (const InputError& e) {
      // CIF lets a row run over several lines, so a row missing a value borrows the next line's first values and
      // the misfit shows up a row later. Say where rows first stopped matching lines.
      if (first_split_row == 0) throw;
      throw InputError(std::string(e.what()) + " (rows stopped matching lines at the row that starts on line " +
                       std::to_string(first_split_row) + ": is a value missing there?)");
    }
    std::string ins = val(c_ins);
    char icode = ins.empty() ? ' ' : ins[0];
    std::string chain = val(c_auth_asym);
    std::string alt = val(c_alt);
    builder.add_atom(std::move(a), resname, chain, seqnum, icode, het, !alt.empty());
  }
  if (!saw_rows) throw InputError(located(source, loop_line, "_atom_site loop has no rows"));
  if (opt.model != 1 && model_index < opt.model)
    throw InputError(located(source, 0, "model " + std::to_string(opt.model) + " not found (file has " +
                                            std::to_string(model_index) + ")"));
  if (s.atom_count() == 0) throw InputError(located(source, 0, "no usable atoms in _atom_site"));
  return std::move(s);
}

Structure read_mmcif(const std::filesystem::path& path, const MmcifReadOptions& opt) {
  return parse_mmcif(read_file(path), path.string(), opt);
}

}  // namespace trifold
