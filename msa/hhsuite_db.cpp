// Building a small HH-suite database from a FASTA file with Debian hhsuite's ffindex_build and cstranslate.
#include <unistd.h>

#include <cstdio>
#include <utility>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "msa/database.hpp"
#include "msa/external.hpp"
#include "msa/msa.hpp"

namespace trifold::msa {
namespace fs = std::filesystem;

namespace {

// Debian's /usr/libexec/hhsuite/bin/cstranslate wrapper resolves its own path wrongly (hhsuite 3.3.0+ds-8), so
// the per-instruction-set binaries it would dispatch to are used directly when cstranslate is not on PATH.
std::string find_cstranslate() {
  if (program_available("cstranslate")) return "cstranslate";
  // Same choice as hhsuite's simd-dispatch script: the widest instruction set the CPU has.
  const std::pair<const char*, bool> sets[] = {{"avx2", __builtin_cpu_supports("avx2")},
                                               {"avx", __builtin_cpu_supports("avx")},
                                               {"sse4.1", __builtin_cpu_supports("sse4.1")},
                                               {"ssse3", __builtin_cpu_supports("ssse3")},
                                               {"sse3", __builtin_cpu_supports("sse3")}};
  for (const auto& [set, supported] : sets) {
    const std::string bin = std::string("/usr/libexec/hhsuite/cstranslate-") + set;
    if (supported && access(bin.c_str(), X_OK) == 0) return bin;
  }
  if (access("/usr/libexec/hhsuite/cstranslate-plain", X_OK) == 0) return "/usr/libexec/hhsuite/cstranslate-plain";
  throw InputError("cstranslate (HH-suite) not found: install hhsuite");
}

fs::path find_hhsuite_data(const std::string& name) {
  for (const char* dir : {"/usr/lib/hhsuite/data", "/usr/share/hhsuite/data"})
    if (fs::exists(fs::path(dir) / name)) return fs::path(dir) / name;
  throw InputError("HH-suite data file " + name + " not found (expected in /usr/lib/hhsuite/data)");
}

}  // namespace

fs::path build_hhsuite_db(const fs::path& fasta, const fs::path& prefix, double timeout_s) {
  const SequenceDb db = load_sequence_db(fasta);
  fs::create_directories(prefix.parent_path().empty() ? fs::path(".") : prefix.parent_path());
  TempDir work(prefix.parent_path().empty() ? fs::path(".") : prefix.parent_path(), "hhdb");
  const fs::path dir = work / "a3m";
  fs::create_directories(dir);
  for (size_t k = 0; k < db.size(); ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "%07zu", k);
    write_file_atomic(dir / name, ">" + db.names[k] + " " + db.descriptions[k] + "\n" + db.letters(k) + "\n");
  }
  const std::string p = prefix.string();
  for (const char* part : {"_a3m", "_cs219"})
    for (const char* ext : {".ffindex", ".ffdata"}) fs::remove(p + part + ext);
  run_checked({"ffindex_build", "-s", p + "_a3m.ffdata", p + "_a3m.ffindex", dir.string()}, timeout_s);
  // Column-state sequences for hhblits' prefilter, as hhsuitedb.py computes them.
  run_checked({find_cstranslate(), "-f", "-x", "0.3", "-c", "4", "-I", "a3m", "-b", "-i", p + "_a3m", "-o",
               p + "_cs219", "-A", find_hhsuite_data("cs219.lib").string(), "-D",
               find_hhsuite_data("context_data.lib").string()},
              timeout_s);
  return prefix;
}

}  // namespace trifold::msa
