// RoseTTAFold v1 input featurisation: A3M tokens exactly like the reference parse_a3m, residue indices,
// one-hot query, and the empty no-template t1d/t2d inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/tensor.hpp"

namespace trifold::model {

// Tokenised MSA: tokens [n_rows, length] row-major, row 0 = query.
struct MsaTokens {
  int64_t n_rows = 0;
  int64_t length = 0;
  std::vector<int32_t> tokens;
};

// parse_a3m semantics: '>' lines skipped, trailing whitespace stripped, empty lines skipped, every lower-case
// letter a–z deleted, "ARNDCQEGHILKMFPSTWYV-" -> 0..20, any other character -> 20 (gap). All rows must have
// the query's length (InputError naming `source` and the line otherwise).
MsaTokens parse_a3m_tokens(const std::string& text, const std::string& source = "<a3m>");
MsaTokens read_a3m_tokens(const std::string& path);
// The first `max_rows` rows (the reference feeds msa[:, :1000] for L <= 300).
MsaTokens first_rows(const MsaTokens& msa, int64_t max_rows = 1000);

// Network inputs for one (uncropped) target.
struct TrunkInputs {
  MsaTokens msa;
  std::vector<int32_t> seq;  // [L] = msa row 0
  std::vector<int32_t> idx;  // [L] 0-based residue numbers
  Tensor t1d;                // [T, L, 3]
  Tensor t2d;                // [T, L, L, 10]
};
// seq1hot [L, 21].
Tensor one_hot_21(const std::vector<int32_t>& seq);
// The no-template case: T = 1, t1d = 0, t2d = 0 (xyz all NaN makes every t2d channel 0 in the reference).
TrunkInputs make_inputs_without_templates(const MsaTokens& msa);

}  // namespace trifold::model
