// Featurisation for the RoseTTAFold v1 network (A3M tokens, idx, one-hot, empty templates).
#include "model/features.hpp"

#include <sstream>

#include "io/error.hpp"
#include "io/file_util.hpp"

namespace trifold::model {

MsaTokens parse_a3m_tokens(const std::string& text, const std::string& source) {
  static const std::string kAlphabet = "ARNDCQEGHILKMFPSTWYV-";
  MsaTokens out;
  std::istringstream in(text);
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line[0] == '>') continue;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty()) continue;
    std::vector<int32_t> row;
    row.reserve(line.size());
    for (char ch : line) {
      if (ch >= 'a' && ch <= 'z') continue;  // insertion
      const size_t k = kAlphabet.find(ch);
      row.push_back(k == std::string::npos ? 20 : static_cast<int32_t>(k));
    }
    if (out.n_rows == 0) {
      out.length = static_cast<int64_t>(row.size());
      if (out.length == 0) throw InputError(source + ":" + std::to_string(lineno) + ": query has no match columns");
    } else if (static_cast<int64_t>(row.size()) != out.length) {
      throw InputError(source + ":" + std::to_string(lineno) + ": row has " + std::to_string(row.size()) +
                       " match columns, the query has " + std::to_string(out.length));
    }
    out.tokens.insert(out.tokens.end(), row.begin(), row.end());
    ++out.n_rows;
  }
  if (out.n_rows == 0) throw InputError(source + ": no sequences");
  return out;
}

MsaTokens read_a3m_tokens(const std::string& path) { return parse_a3m_tokens(read_file(path), path); }

MsaTokens first_rows(const MsaTokens& msa, int64_t max_rows) {
  MsaTokens out = msa;
  if (out.n_rows > max_rows) {
    out.n_rows = max_rows;
    out.tokens.resize(static_cast<size_t>(max_rows * out.length));
  }
  return out;
}

Tensor one_hot_21(const std::vector<int32_t>& seq) {
  Tensor t({static_cast<int64_t>(seq.size()), 21});
  for (size_t i = 0; i < seq.size(); ++i) {
    TRIFOLD_CHECK(seq[i] >= 0 && seq[i] < 21, "one_hot_21: token out of range");
    t[static_cast<int64_t>(i) * 21 + seq[i]] = 1.0f;
  }
  return t;
}

TrunkInputs make_inputs_without_templates(const MsaTokens& msa) {
  TrunkInputs in;
  in.msa = first_rows(msa, 1000);
  const int64_t l = msa.length;
  in.seq.assign(msa.tokens.begin(), msa.tokens.begin() + l);
  in.idx.resize(static_cast<size_t>(l));
  for (int64_t i = 0; i < l; ++i) in.idx[static_cast<size_t>(i)] = static_cast<int32_t>(i);
  in.t1d = Tensor({1, l, 3});
  in.t2d = Tensor({1, l, l, 10});
  return in;
}

}  // namespace trifold::model
