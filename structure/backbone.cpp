// Protein backbone helpers: ideal motif, virtual Cβ, O placement, conversion to io Structure.
#include "structure/backbone.hpp"

#include <algorithm>
#include <cmath>

#include "io/error.hpp"
#include "io/residue_constants.hpp"

namespace trifold::structure {

namespace {
// Ideal N/CA/C coordinates (Å), CA at the origin, as in the reference's folding parameters.
const Vec3 kMotif[3] = {{-0.676, -1.294, 0.0}, {0.0, 0.0, 0.0}, {1.5, -0.174, 0.0}};

Vec3 normalized(const Vec3& v) {
  double n = std::sqrt(v.dot(v) + 1e-8);  // the reference adds 1e-8 under the root as well
  return v * (1.0 / n);
}
}  // namespace

const Vec3* ideal_ncac_motif() { return kMotif; }

Vec3 virtual_cb(const Vec3& n, const Vec3& ca, const Vec3& c) {
  Vec3 b = ca - n, cc = c - ca;
  Vec3 a = b.cross(cc);
  return a * -0.58273431 + b * 0.56802827 + cc * -0.54067466 + ca;
}

Vec3 place_atom(const Vec3& a, const Vec3& b, const Vec3& c, double bond, double angle, double dih) {
  Vec3 bc = normalized(b - c);
  Vec3 n = normalized((b - a).cross(bc));
  Vec3 m1 = n.cross(bc);
  return c + bc * (bond * std::cos(angle)) + m1 * (bond * std::sin(angle) * std::cos(dih)) +
         n * (-bond * std::sin(angle) * std::sin(dih));
}

double dihedral(const Vec3& a, const Vec3& b, const Vec3& c, const Vec3& d) {
  Vec3 b0 = a - b, b1 = c - b, b2 = d - c;
  b1 = b1 * (1.0 / b1.norm());
  Vec3 v = b0 - b1 * b0.dot(b1);
  Vec3 w = b2 - b1 * b2.dot(b1);
  return std::atan2(b1.cross(v).dot(w), v.dot(w));
}

double planar_angle(const Vec3& a, const Vec3& b, const Vec3& c) {
  Vec3 v = a - b, w = c - b;
  double cs = v.dot(w) / (v.norm() * w.norm());
  return std::acos(std::clamp(cs, -1.0, 1.0));
}

std::vector<Vec3> place_oxygens(const Backbone& bb, OxygenPlacement mode, double last_psi) {
  const size_t L = bb.size();
  std::vector<Vec3> o(L);
  for (size_t i = 0; i < L; ++i) {
    Vec3 next_n;
    if (i + 1 < L) {
      next_n = bb.n[i + 1];
    } else if (mode == OxygenPlacement::kReference) {
      next_n = bb.n[0];  // np.roll wrap-around quirk of the reference
    } else {
      next_n = place_atom(bb.n[i], bb.ca[i], bb.c[i], 1.329, 2.028, last_psi);
    }
    o[i] = place_atom(next_n, bb.ca[i], bb.c[i], 1.231, 2.108, -3.142);
  }
  return o;
}

Structure to_structure(const Backbone& bb, const std::string& sequence, const std::vector<double>& confidence,
                       const ToStructureOptions& opt) {
  const size_t L = bb.size();
  if (sequence.size() != L)
    throw InputError("to_structure: sequence has " + std::to_string(sequence.size()) + " residues, backbone " +
                     std::to_string(L));
  if (!confidence.empty() && confidence.size() != L)
    throw InputError("to_structure: confidence has " + std::to_string(confidence.size()) + " values, backbone " +
                     std::to_string(L));
  std::vector<Vec3> o = place_oxygens(bb, opt.oxygen, opt.last_psi);
  Structure s;
  Chain ch;
  ch.id = opt.chain_id;
  for (size_t i = 0; i < L; ++i) {
    Residue r;
    r.name = std::string(three_letter_code(sequence[i]));
    r.seqnum = opt.first_residue_number + static_cast<int>(i);
    double conf = confidence.empty() ? 0.0 : std::clamp(confidence[i], 0.0, 1.0);
    const Vec3* pos[4] = {&bb.n[i], &bb.ca[i], &bb.c[i], &o[i]};
    const char* names[4] = {"N", "CA", "C", "O"};
    const char* elements[4] = {"N", "C", "C", "O"};
    for (int k = 0; k < 4; ++k) {
      Atom a;
      a.name = names[k];
      a.element = elements[k];
      a.pos = *pos[k];
      a.bfactor = conf * opt.bfactor_scale;
      r.atoms.push_back(a);
    }
    ch.residues.push_back(std::move(r));
  }
  s.chains.push_back(std::move(ch));
  return s;
}

Backbone backbone_from_structure(const Structure& s, int first, int last, std::vector<bool>* present) {
  TRIFOLD_CHECK(last >= first, "empty residue range");
  const size_t L = static_cast<size_t>(last - first + 1);
  Backbone bb;
  bb.n.assign(L, {});
  bb.ca.assign(L, {});
  bb.c.assign(L, {});
  std::vector<bool> have(L, false);
  size_t count = 0;
  for (const Chain& ch : s.chains) {
    for (const Residue& r : ch.residues) {
      if (r.seqnum < first || r.seqnum > last || r.icode != ' ') continue;
      size_t i = static_cast<size_t>(r.seqnum - first);
      if (have[i]) continue;
      const Atom *n = r.find("N"), *ca = r.find("CA"), *c = r.find("C");
      if (!n || !ca || !c) continue;
      bb.n[i] = n->pos;
      bb.ca[i] = ca->pos;
      bb.c[i] = c->pos;
      have[i] = true;
      ++count;
    }
    if (count > 0) break;  // first chain that has residues in the range
  }
  if (count == 0)
    throw InputError(s.name + ": no residue numbered " + std::to_string(first) + ".." + std::to_string(last) +
                     " with N, CA and C");
  if (present) *present = have;
  return bb;
}

}  // namespace trifold::structure
