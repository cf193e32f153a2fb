// libFuzzer harness for the PDB reader (io/pdb.hpp parse_pdb), with the PDB and mmCIF writers run on what it reads.
#include "io/mmcif.hpp"
#include "io/pdb.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trifold;
  if (size == 0) return 0;
  PdbReadOptions opt;  // the first byte picks the options, the rest is the file
  opt.model = 1 + (data[0] & 3);
  opt.include_hetatm = data[0] & 4;
  opt.include_water = data[0] & 8;
  opt.include_hydrogens = data[0] & 16;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  fuzz::expect_clean("fuzz.pdb", [&] {
    Structure s = parse_pdb(text, "fuzz.pdb", opt);
    (void)format_pdb(s, {"fuzz"});
    (void)format_mmcif(s, "fuzz");
  });
  return 0;
}
