// Test helpers that run the reference scorers (TMscore from tm-align, lddt from OpenStructure) and parse them.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace trifold::test {

struct TmScoreRef {
  double tm = 0, gdt_ts = 0, gdt_ha = 0;  // TM in [0,1]; GDT in points (0-100), as printed (4 decimals of fraction)
  int common = 0;
};

// Runs `TMscore model native`; nothing when the program fails or prints no scores (no common residues).
std::optional<TmScoreRef> run_tmscore(const std::filesystem::path& model, const std::filesystem::path& native);

struct LddtRef {
  double global = 0;                  // printed with 4 significant digits
  std::map<int, double> per_residue;  // residue number -> local lDDT (6 significant digits), assessed residues
};

// Runs OpenStructure's `lddt -x -l <compound lib> [-c] model native` and parses global and local scores.
std::optional<LddtRef> run_lddt(const std::filesystem::path& model, const std::filesystem::path& native, bool ca_only);

// The OpenStructure compound library lddt needs, or "" when not found.
std::string lddt_compound_lib();

}  // namespace trifold::test
