// A protein sequence database held in memory (FASTA, optionally gzip), encoded for the built-in search.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trifold::msa {

struct SequenceDb {
  std::filesystem::path path;
  std::vector<std::string> names;         // first word of each header
  std::vector<std::string> descriptions;  // rest of each header
  std::vector<uint64_t> offsets;          // [size()+1] start of sequence k in `residues`
  std::vector<uint8_t> residues;          // all sequences concatenated, codes 0..20 (msa/alphabet.hpp)
  uint64_t fingerprint = 0;               // FNV-1a of the file bytes: changes whenever the content does
  // [residues.size()] code of the 3-residue word starting at each position (400a + 20b + c), or kNoWord when
  // the word runs past the sequence end or holds an unknown residue; the prefilter's scan input.
  std::vector<uint16_t> word_codes;
  static constexpr uint16_t kNoWord = 0xFFFF;

  size_t size() const { return names.size(); }
  size_t length(size_t k) const { return offsets[k + 1] - offsets[k]; }
  const uint8_t* sequence(size_t k) const { return residues.data() + offsets[k]; }
  uint64_t total_residues() const { return residues.size(); }
  std::string letters(size_t k) const;  // sequence k as upper-case letters (unknowns as 'X')
};

// Reads a FASTA database. Letters A-Z in either case are accepted (B, Z, J, U, O and X become "unknown"), a
// trailing '*' is dropped. Throws InputError naming the file and line for a missing file, a file that is not
// FASTA (binary data, text before the first '>'), an empty record or a character that is not a residue.
SequenceDb load_sequence_db(const std::filesystem::path& path);

// Same, from text already in memory (`source` names it in messages).
SequenceDb parse_sequence_db(const std::string& text, const std::string& source);

// FNV-1a 64-bit hash of bytes (used for database fingerprints and cache keys).
uint64_t fnv1a64(const void* data, size_t n, uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace trifold::msa
