// Running and parsing TMscore and lddt for the reference comparisons.
#include "tests/structure/reference_tools.hpp"

#include <cstdio>
#include <sstream>

#include "tests/common/test_data.hpp"

namespace trifold::test {

namespace {
std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }
}  // namespace

std::optional<TmScoreRef> run_tmscore(const std::filesystem::path& model, const std::filesystem::path& native) {
  auto r = run_command("TMscore " + q(model) + " " + q(native), true);
  if (r.status != 0) return std::nullopt;
  TmScoreRef t;
  int found = 0;
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line)) {
    double x;
    int n;
    if (std::sscanf(line.c_str(), "TM-score = %lf", &x) == 1) t.tm = x, found |= 1;
    else if (std::sscanf(line.c_str(), "GDT-TS-score= %lf", &x) == 1) t.gdt_ts = 100 * x, found |= 2;
    else if (std::sscanf(line.c_str(), "GDT-HA-score= %lf", &x) == 1) t.gdt_ha = 100 * x, found |= 4;
    else if (std::sscanf(line.c_str(), "Number of residues in common= %d", &n) == 1) t.common = n;
  }
  if (found != 7) return std::nullopt;
  return t;
}

std::string lddt_compound_lib() {
  for (const char* p : {"/var/cache/openstructure/compounds.chemlib", "/usr/share/openstructure/compounds.chemlib"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

std::optional<LddtRef> run_lddt(const std::filesystem::path& model, const std::filesystem::path& native, bool ca_only) {
  const std::string lib = lddt_compound_lib();
  if (lib.empty()) return std::nullopt;
  // -x: residue-name consistency is not lDDT's business (renumbered synthetic models pair unlike residues).
  auto r = run_command("lddt -x -l " + lib + (ca_only ? " -c " : " ") + q(model) + " " + q(native), true);
  std::istringstream in(r.output);
  std::string line;
  LddtRef out;
  bool found = false;
  while (std::getline(in, line)) {
    double x;
    if (std::sscanf(line.c_str(), "Global LDDT score: %lf", &x) == 1) out.global = x, found = true;
    // Local rows: chain \t resname \t resnum \t Yes|No \t score \t (conserved/total)
    std::istringstream f(line);
    std::string chain, rname, rnum, assessed, score;
    if (std::getline(f, chain, '\t') && std::getline(f, rname, '\t') && std::getline(f, rnum, '\t') &&
        std::getline(f, assessed, '\t') && std::getline(f, score, '\t') && assessed == "Yes") {
      try {
        out.per_residue[std::stoi(rnum)] = std::stod(score);
      } catch (...) {
      }
    }
  }
  if (!found) return std::nullopt;
  return out;
}

}  // namespace trifold::test
