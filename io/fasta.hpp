// FASTA and A3M readers with input validation (errors name the file, line and residue).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace trifold {

struct SequenceRecord {
  std::string name;         // first word of the header, without '>'
  std::string description;  // rest of the header line
  std::string sequence;     // as stored (FASTA: upper-cased; A3M: raw row with insertions and gaps)
  long line = 0;            // line number of the header, for messages
};

struct FastaOptions {
  bool allow_x = true;             // accept 'X' (unknown residue)
  bool allow_gaps = false;         // accept '-' (aligned FASTA)
  bool allow_duplicate_names = false;
  size_t max_length = 0;           // 0 = no limit; longer sequences are an InputError
};

// Reads one or more FASTA records. Lowercase letters are accepted and upper-cased; CRLF line ends and gzip
// files are accepted. Throws InputError naming file and line for: no '>' header, an empty sequence, a letter
// that is not one of the 20 amino acids (or X / '-' where allowed; the residue number and letter are named),
// a duplicate name, or a sequence over max_length.
std::vector<SequenceRecord> parse_fasta(std::string_view text, const std::string& source, const FastaOptions& opt = {});
std::vector<SequenceRecord> read_fasta(const std::filesystem::path& path, const FastaOptions& opt = {});

// An A3M alignment: the first row is the query. Upper-case letters and '-' are match columns, lower-case
// letters are insertions relative to the query, '.' is ignored.
struct A3m {
  std::vector<SequenceRecord> rows;
  size_t length() const;  // number of match columns (= query length)
  // Row i with insertions removed: exactly length() characters, upper-case letters and '-'.
  std::string aligned(size_t i) const;
  // Number of inserted residues before each match column of row i, plus one trailing entry: length()+1 values.
  std::vector<int> insertions(size_t i) const;
};

// Validates that every row has the query's number of match columns; comment lines starting with '#' are
// skipped. Unknown letters in rows are kept (the featuriser maps them to gap, like the reference); the
// query itself must consist of amino-acid letters (X allowed).
A3m parse_a3m(std::string_view text, const std::string& source);
A3m read_a3m(const std::filesystem::path& path);

// Writes records as FASTA (60 columns per line) / A3M (one line per sequence), atomically.
std::string format_fasta(const std::vector<SequenceRecord>& records, size_t width = 60);
void write_a3m(const std::filesystem::path& path, const A3m& a3m);

}  // namespace trifold
