// In-memory macromolecular structure: chains of residues of atoms, as read from PDB files.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace trifold {

// A point or displacement in Å. Double precision: the scorers must match reference programs closely.
struct Vec3 {
  double x = 0, y = 0, z = 0;
  Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  double dot(const Vec3& o) const { return x * o.x + y * o.y + z * o.z; }
  Vec3 cross(const Vec3& o) const { return {y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x}; }
  double norm() const { return std::sqrt(dot(*this)); }
};
inline double distance(const Vec3& a, const Vec3& b) { return (a - b).norm(); }

struct Atom {
  std::string name;     // PDB atom name without padding, e.g. "CA", "OXT"
  std::string element;  // upper-case element symbol, e.g. "C", "SE"
  Vec3 pos;             // Å
  double occupancy = 1.0;
  double bfactor = 0.0;  // B-factor, or per-residue confidence in predicted models
  int serial = 0;
};

struct Residue {
  std::string name;  // three-letter code as in the file ("MSE" is stored as "MET")
  int seqnum = 0;    // author residue number
  char icode = ' ';  // insertion code, ' ' when none
  bool het = false;  // came from HETATM records
  std::vector<Atom> atoms;

  const Atom* find(const std::string& atom_name) const {
    for (const auto& a : atoms)
      if (a.name == atom_name) return &a;
    return nullptr;
  }
  char one_letter() const;
};

struct Chain {
  std::string id;  // chain identifier; may be "" (CASP natives have a blank chain ID)
  std::vector<Residue> residues;
};

struct Structure {
  std::string name;  // usually the file name
  std::vector<Chain> chains;

  size_t residue_count() const;
  size_t atom_count() const;
  // One-letter sequence of all chains in order ('X' for non-standard residues).
  std::string sequence() const;
};

// Assembles a Structure atom by atom, the rules both coordinate readers (PDB, mmCIF) share: residues keyed by
// (chain, number, insertion code) in order of first appearance; MSE read as MET with its SE atom as SD; on
// microheterogeneity the first residue type is kept; among alternate locations the highest-occupancy atom wins
// (the first on ties).
class StructureBuilder {
 public:
  explicit StructureBuilder(std::string name) { s_.name = std::move(name); }
  // `altloc` says the record carried an alternate-location indicator.
  void add_atom(Atom atom, std::string resname, const std::string& chain, int seqnum, char icode, bool het,
                bool altloc);
  Structure& structure() { return s_; }

 private:
  Structure s_;
  std::map<std::tuple<std::string, int, char>, std::pair<size_t, size_t>> residue_at_;  // -> (chain, residue)
};

}  // namespace trifold
