// Target validation and naming.
#include "pipeline/target.hpp"

#include <cctype>

#include "io/error.hpp"

namespace trifold::pipeline {

std::string resolved_method(const Settings& s) {
  if (!s.method.empty()) return s.method;
  return s.weights.empty() ? "coevolution" : "network";
}

void validate_target(const Target& t, const Settings& s) {
  const std::string where = t.source.empty() ? t.id : t.source;
  if (!t.error.empty()) throw InputError(where + ": " + t.error);
  if (t.sequence.empty()) throw InputError(where + ": target '" + t.id + "' has an empty sequence");
  static const std::string allowed = "ACDEFGHIKLMNPQRSTVWYX";
  for (size_t i = 0; i < t.sequence.size(); ++i)
    if (allowed.find(t.sequence[i]) == std::string::npos) {
      const long line = line_of(t.sequence_lines, i);
      const std::string at = line > 0 ? t.file + ":" + std::to_string(line) : where;
      throw InputError(at + ": target '" + t.id + "': residue " + std::to_string(i + 1) + " is '" +
                       std::string(1, t.sequence[i]) + "', not one of the 20 amino acids or X");
    }
  if (s.max_length > 0 && t.sequence.size() > s.max_length)
    throw InputError(where + ": target '" + t.id + "' has " + std::to_string(t.sequence.size()) +
                     " residues, more than --max-length " + std::to_string(s.max_length));
}

std::string safe_id(const std::string& name) {
  std::string out;
  for (char c : name)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (out.empty()) out = "target";
  if (out[0] == '.') out[0] = '_';
  return out;
}

}  // namespace trifold::pipeline
