// libFuzzer harness for the FASTA reader (io/fasta.hpp parse_fasta) and its writer round trip.
#include "io/fasta.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trifold;
  if (size == 0) return 0;
  // The first byte picks the options, the rest is the file.
  FastaOptions opt;
  opt.allow_x = data[0] & 1;
  opt.allow_gaps = data[0] & 2;
  opt.allow_duplicate_names = data[0] & 4;
  opt.max_length = (data[0] & 8) ? (data[0] >> 4) : 0;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  fuzz::expect_clean("fuzz.fasta", [&] {
    std::vector<SequenceRecord> recs = parse_fasta(text, "fuzz.fasta", opt);
    // What the writer makes of an accepted file must read back the same.
    std::vector<SequenceRecord> again = parse_fasta(format_fasta(recs), "fuzz.fasta", opt);
    if (again.size() != recs.size()) std::abort();
    for (size_t i = 0; i < recs.size(); ++i)
      if (again[i].name != recs[i].name || again[i].sequence != recs[i].sequence) std::abort();
  });
  return 0;
}
