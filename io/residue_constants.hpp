// Amino-acid tables: one/three-letter codes and the RoseTTAFold token alphabet.
#pragma once

#include <string>
#include <string_view>

namespace trifold {

// The 20 standard amino acids in RoseTTAFold token order; token 20 is the gap '-'.
inline constexpr std::string_view kRfAlphabet = "ARNDCQEGHILKMFPSTWYV-";
inline constexpr int kGapToken = 20;

// Token index (0..20) of a one-letter code in kRfAlphabet; any other letter maps to kGapToken, as the
// reference's parse_a3m does.
int rf_token(char one_letter);

// 'A' for "ALA", ... ; MSE maps to 'M'. Returns 'X' for anything else.
char one_letter_code(std::string_view three_letter);

// "ALA" for 'A'; "UNK" for anything that is not one of the 20 standard letters.
std::string_view three_letter_code(char one_letter);

// True for the 20 standard one-letter codes (upper case).
bool is_standard_aa(char one_letter);

}  // namespace trifold
