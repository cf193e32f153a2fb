// Small helpers of the in-memory structure types.
#include "io/structure.hpp"

#include "io/residue_constants.hpp"

namespace trifold {

char Residue::one_letter() const { return one_letter_code(name); }

size_t Structure::residue_count() const {
  size_t n = 0;
  for (const auto& c : chains) n += c.residues.size();
  return n;
}

size_t Structure::atom_count() const {
  size_t n = 0;
  for (const auto& c : chains)
    for (const auto& r : c.residues) n += r.atoms.size();
  return n;
}

std::string Structure::sequence() const {
  std::string s;
  for (const auto& c : chains)
    for (const auto& r : c.residues) s += r.one_letter();
  return s;
}

}  // namespace trifold
