// mmCIF (PDBx) writer and a minimal atom_site reader for io::Structure.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "io/pdb.hpp"
#include "io/structure.hpp"

namespace trifold {

// The reader honours the same choices as the PDB reader (model, HETATM, water, hydrogens).
using MmcifReadOptions = PdbReadOptions;

// Chain identifiers. mmCIF needs a non-empty label_asym_id, while CASP natives and many predicted models have
// a blank PDB chain ID. Mapping used by the writer:
//   - label_asym_id: the chain ID when it is non-empty and unique, else the first unused of A..Z, a..z, 0..9,
//     then AA, AB, ... (so a blank chain usually becomes "A");
//   - auth_asym_id: the chain ID as given, or "." (CIF "inapplicable") when it is blank.
// The reader takes the chain ID from auth_asym_id, reading "." and "?" as blank, and falls back to
// label_asym_id when auth_asym_id is absent. So write → read gives back the blank chain ID exactly.
// Other conventions: one polymer entity per chain (label_entity_id = chain index + 1); label_seq_id is the
// 1-based position of the residue in its chain ("." for HETATM residues); auth_seq_id and pdbx_PDB_ins_code
// carry the author numbering; B_iso_or_equiv carries B-factors (per-residue confidence in predicted models);
// coordinates in Å with 3 decimals, occupancy and B with 2 decimals (as in PDB files).

// `entry_id` is used for the data_ block name and _entry.id (defaults to "trifold"; characters that are not
// allowed in a block name are replaced by '_').
std::string format_mmcif(const Structure& s, const std::string& entry_id = "");
// Atomic write (temporary name, rename on success).
void write_mmcif(const std::filesystem::path& path, const Structure& s, const std::string& entry_id = "");

// Parses the first data block's _atom_site loop (first model, or opt.model). Tokens may be bare, '...' or
// "..." quoted, or ;-delimited text fields. Altlocs: the highest-occupancy alternative is kept (first on
// ties); MSE becomes MET, like the PDB reader. Throws InputError naming source and line for a missing
// atom_site loop, a missing required column (Cartn_x/y/z, type_symbol or atom name, residue name, residue
// number), a row with the wrong number of values, or an unparsable number.
Structure parse_mmcif(std::string_view text, const std::string& source, const MmcifReadOptions& opt = {});
Structure read_mmcif(const std::filesystem::path& path, const MmcifReadOptions& opt = {});

}  // namespace trifold
