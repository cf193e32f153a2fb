// PDB format reader and writer (fixed-column ATOM/HETATM records).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "io/structure.hpp"

namespace trifold {

struct PdbReadOptions {
  int model = 1;              // 1-based index of the MODEL to read, in order of appearance
  bool include_hetatm = true; // HETATM records (MSE is always read, as MET)
  bool include_water = false; // HOH/WAT/DOD residues
  bool include_hydrogens = false;
};

// Parses PDB text. `source` names the file in error messages. Altlocs: for each atom the highest-occupancy
// alternative is kept (the first on ties). MSE becomes MET and its SE atom SD. Throws InputError naming
// source and line for malformed records, a missing model, or a file without atoms.
Structure parse_pdb(std::string_view text, const std::string& source, const PdbReadOptions& opt = {});
Structure read_pdb(const std::filesystem::path& path, const PdbReadOptions& opt = {});

// Writes ATOM records (HETATM for het residues), TER after each chain and END. Atom serials are renumbered
// from 1. B-factors are written as given (callers put per-residue confidence there).
std::string format_pdb(const Structure& s, const std::vector<std::string>& remarks = {});
// Atomic write (temporary name, rename on success).
void write_pdb(const std::filesystem::path& path, const Structure& s, const std::vector<std::string>& remarks = {});

}  // namespace trifold
