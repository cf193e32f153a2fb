// Amino-acid encoding shared by the MSA code (order ARNDCQEGHILKMFPSTWYV, 20 = unknown) and BLOSUM62.
#pragma once

#include <array>
#include <cstdint>

namespace trifold::msa {

inline constexpr int kNumAa = 20;       // the 20 standard amino acids, codes 0..19
inline constexpr uint8_t kUnknown = 20;  // X and every other letter a sequence may carry (B, Z, J, U, O)
inline constexpr uint8_t kGapCode = 21;  // '-' or '.' in an alignment row
inline constexpr uint8_t kInvalid = 255; // not a residue letter at all
inline constexpr char kAaLetters[] = "ARNDCQEGHILKMFPSTWYVX";

// Maps a letter (either case) to 0..19, kUnknown for X/B/Z/J/U/O, kGapCode for '-' and '.', and kInvalid
// for anything else (digits, punctuation, control bytes).
uint8_t encode_aa(char c);

// BLOSUM62 in half-bit units (the NCBI integer matrix), indexed by the codes above; row/column 20 (unknown)
// scores -1 against everything.
extern const std::array<std::array<int8_t, 21>, 21> kBlosum62;

}  // namespace trifold::msa
