// libFuzzer harness for the HHsearch template readers (model/templates.hpp read_templates: .atab, .hhr,
// ffindex/ffdata with PDB text inside).
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "model/templates.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {

// The input is "<qlen byte><atab>\n====\n<hhr>\n====\n<ffindex>\n====\n<ffdata>"; missing parts are empty.
constexpr std::string_view kSep = "\n====\n";

const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("trifold_fuzz_templates." + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

void put(const std::filesystem::path& p, std::string_view text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trifold;
  if (size == 0) return 0;
  const int64_t qlen = 1 + data[0] % 64;
  std::string_view rest = fuzz::as_text(data + 1, size - 1);
  std::string_view part[4];
  for (int k = 0; k < 4; ++k) {
    size_t s = k < 3 ? rest.find(kSep) : std::string_view::npos;
    part[k] = rest.substr(0, s);
    rest = s == std::string_view::npos ? std::string_view{} : rest.substr(s + kSep.size());
  }
  const auto& d = scratch();
  put(d / "t.atab", part[0]);
  put(d / "t.hhr", part[1]);
  put(d / "db_pdb.ffindex", part[2]);
  put(d / "db_pdb.ffdata", part[3]);
  fuzz::expect_clean(d.string(), [&] {
    model::TemplateFeatures f = model::read_templates(qlen, (d / "db").string(), (d / "t.hhr").string(),
                                                      (d / "t.atab").string(), 4);
    (void)model::xyz_to_t2d(f.xyz, f.t0d);
  });
  return 0;
}
