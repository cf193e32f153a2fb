// FASTA sequence database loading and validation for the built-in search.
#include "msa/database.hpp"

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/lines.hpp"
#include "msa/alphabet.hpp"

namespace trifold::msa {

uint64_t fnv1a64(const void* data, size_t n, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = seed;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string SequenceDb::letters(size_t k) const {
  std::string s(length(k), 'X');
  const uint8_t* a = sequence(k);
  for (size_t i = 0; i < s.size(); ++i) s[i] = kAaLetters[a[i]];
  return s;
}

SequenceDb parse_sequence_db(const std::string& text, const std::string& source) {
  SequenceDb db;
  db.path = source;
  db.fingerprint = fnv1a64(text.data(), text.size());
  if (text.empty()) throw InputError(located(source, 0, "sequence database is empty"));
  db.residues.reserve(text.size());
  long header_line = 0;
  auto close_record = [&]() {
    if (db.names.empty()) return;
    if (db.residues.size() == db.offsets.back())
      throw InputError(located(source, header_line, "database sequence '" + db.names.back() + "' is empty"));
  };
  LineReader lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const long lineno = lines.number();
    if (line.empty()) continue;
    if (line[0] == '>') {
      close_record();
      std::string_view h = line.substr(1);
      size_t sp = h.find_first_of(" \t");
      std::string name(h.substr(0, sp));
      if (name.empty()) throw InputError(located(source, lineno, "database record header without a name"));
      db.names.push_back(std::move(name));
      db.descriptions.emplace_back(sp == std::string_view::npos ? std::string_view{} : h.substr(sp + 1));
      db.offsets.push_back(db.residues.size());
      header_line = lineno;
      continue;
    }
    if (db.names.empty()) {
      bool binary = false;
      for (char c : line.substr(0, 200))
        if (c != '\t' && (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) == 127)) binary = true;
      throw InputError(located(source, lineno, binary ? "corrupt sequence database: binary data, expected FASTA"
                                                      : "corrupt sequence database: text before the first '>' header"));
    }
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (c == ' ' || c == '\t') continue;
      if (c == '*' && i + 1 == line.size()) continue;
      const uint8_t a = encode_aa(c);
      if (a > kUnknown)
        throw InputError(located(source, lineno, std::string("corrupt sequence database: character '") + c +
                                                     "' in sequence '" + db.names.back() + "' is not an amino acid"));
      db.residues.push_back(a);
    }
  }
  close_record();
  if (db.names.empty()) throw InputError(located(source, 0, "sequence database has no '>' records"));
  db.offsets.push_back(db.residues.size());
  db.word_codes.assign(db.residues.size(), SequenceDb::kNoWord);
  for (size_t k = 0; k < db.size(); ++k) {
    const uint8_t* r = db.sequence(k);
    const size_t n = db.length(k);
    for (size_t j = 0; j + 2 < n; ++j)
      if (r[j] < kNumAa && r[j + 1] < kNumAa && r[j + 2] < kNumAa)
        db.word_codes[db.offsets[k] + j] = static_cast<uint16_t>(400 * r[j] + 20 * r[j + 1] + r[j + 2]);
  }
  return db;
}

SequenceDb load_sequence_db(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw InputError(path.string() + ": sequence database not found");
  if (std::filesystem::is_directory(path))
    throw InputError(path.string() + ": is a directory, expected a FASTA sequence database");
  SequenceDb db = parse_sequence_db(read_file(path), path.string());
  db.path = path;
  return db;
}

}  // namespace trifold::msa
