// libFuzzer harness for the A3M readers: io/fasta.hpp parse_a3m (+ aligned/insertions) and
// model/features.hpp parse_a3m_tokens.
#include "io/fasta.hpp"
#include "model/features.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trifold;
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::expect_clean("fuzz.a3m", [&] {
    A3m a = parse_a3m(text, "fuzz.a3m");
    const size_t L = a.length();
    for (size_t i = 0; i < a.rows.size(); ++i) {
      if (a.aligned(i).size() != L) std::abort();  // parse_a3m promised equal match columns
      if (a.insertions(i).size() != L + 1) std::abort();
    }
  });
  fuzz::expect_clean("fuzz.a3m", [&] {
    model::MsaTokens m = model::parse_a3m_tokens(std::string(text), "fuzz.a3m");
    if (m.tokens.size() != static_cast<size_t>(m.n_rows * m.length)) std::abort();
    for (int32_t t : m.tokens)
      if (t < 0 || t > 20) std::abort();
  });
  return 0;
}
