// libFuzzer harness for the mmCIF atom_site reader (io/mmcif.hpp parse_mmcif) and the writer round trip.
#include "io/mmcif.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trifold;
  if (size == 0) return 0;
  MmcifReadOptions opt;  // the first byte picks the options, the rest is the file
  opt.model = 1 + (data[0] & 3);
  opt.include_hetatm = data[0] & 4;
  opt.include_water = data[0] & 8;
  opt.include_hydrogens = data[0] & 16;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  fuzz::expect_clean("fuzz.cif", [&] {
    Structure s = parse_mmcif(text, "fuzz.cif", opt);
    // The writer's output of an accepted structure must read back with the same atoms.
    MmcifReadOptions all;
    all.include_water = all.include_hydrogens = true;
    Structure again = parse_mmcif(format_mmcif(s, "fuzz"), "fuzz.cif", all);
    if (again.atom_count() != s.atom_count()) {
      std::fprintf(stderr, "mmCIF round trip: %zu atoms -> %zu\n", s.atom_count(), again.atom_count());
      std::abort();
    }
  });
  return 0;
}
