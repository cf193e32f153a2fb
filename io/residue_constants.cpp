// Amino-acid code tables.
#include "io/residue_constants.hpp"

#include <array>

namespace trifold {
namespace {
struct Code {
  char one;
  const char* three;
};
constexpr std::array<Code, 20> kCodes{{{'A', "ALA"}, {'R', "ARG"}, {'N', "ASN"}, {'D', "ASP"}, {'C', "CYS"},
                                        {'Q', "GLN"}, {'E', "GLU"}, {'G', "GLY"}, {'H', "HIS"}, {'I', "ILE"},
                                        {'L', "LEU"}, {'K', "LYS"}, {'M', "MET"}, {'F', "PHE"}, {'P', "PRO"},
                                        {'S', "SER"}, {'T', "THR"}, {'W', "TRP"}, {'Y', "TYR"}, {'V', "VAL"}}};
}  // namespace

int rf_token(char c) {
  for (int i = 0; i < 21; ++i)
    if (kRfAlphabet[i] == c) return i;
  return kGapToken;
}

char one_letter_code(std::string_view three) {
  for (const auto& c : kCodes)
    if (three == c.three) return c.one;
  if (three == "MSE") return 'M';
  return 'X';
}

std::string_view three_letter_code(char one) {
  for (const auto& c : kCodes)
    if (c.one == one) return c.three;
  return "UNK";
}

bool is_standard_aa(char one) {
  for (const auto& c : kCodes)
    if (c.one == one) return true;
  return false;
}

}  // namespace trifold
