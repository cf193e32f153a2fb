// Least-squares rigid superposition (Kabsch problem, solved with Horn's quaternion method) and RMSD.
#pragma once

#include <span>

#include "io/structure.hpp"

namespace trifold::structure {

// A proper rotation R (det +1) and translation t mapping mobile coordinates onto the target frame:
// y = R x + t, Å.
struct Transform {
  double r[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  Vec3 t;
  Vec3 apply(const Vec3& p) const {
    return {r[0][0] * p.x + r[0][1] * p.y + r[0][2] * p.z + t.x, r[1][0] * p.x + r[1][1] * p.y + r[1][2] * p.z + t.y,
            r[2][0] * p.x + r[2][1] * p.y + r[2][2] * p.z + t.z};
  }
};

struct Superposition {
  Transform transform;  // mobile -> target
  double rmsd = 0.0;    // Å, after superposition, over the n points given
};

// Optimal superposition of mobile[i] onto target[i] (equal weights, double precision). Both spans have the
// same length n; n == 0 gives the identity, n == 1 a pure translation. Throws InternalError on length mismatch.
// with_rmsd: compute the RMSD from the superposed coordinates (exact to rounding; one more pass over the
// points); otherwise rmsd is left 0 (the TM-score search fits thousands of times and needs only the motion).
Superposition superpose(std::span<const Vec3> mobile, std::span<const Vec3> target, bool with_rmsd = true);

// RMSD (Å) between paired points without moving them.
double rmsd_no_fit(std::span<const Vec3> a, std::span<const Vec3> b);

}  // namespace trifold::structure
