// Real spherical harmonics in the axis convention of the reference SE(3)-Transformer (Fuchs et al. / se3cnn).
#pragma once

namespace trifold::model::se3 {

constexpr int kMaxJ = 4;  // 2 * max degree (degrees 0..2 in the refine network)

// Real tesseral harmonics Y_J(theta, phi), order m = -J..J written to out[0..2J], double precision:
// Condon-Shortley phase, normalisation sqrt((2J+1)/4pi) * sqrt(2 / (J-|m|+1)_(2|m|)) for m != 0,
// cos(m phi) for m > 0, sin(|m| phi) for m < 0, Legendre functions by the standard recursion in cos(theta).
void real_sh(int J, double theta, double phi, double* out);

// The reference's angles for a displacement d = (d0, d1, d2) (Å; only the direction matters):
// beta = atan2(sqrt(d2^2 + d0^2), d1), alpha = atan2(d0, d2); theta = pi - beta, phi = alpha.
// With this convention Y_1(d) = -sqrt(3/4pi) * d / |d| in (d0, d1, d2) order, so degree-1 features are plain
// Cartesian vectors. d = 0 (self-loops) gives theta = pi, phi = 0, as atan2(0, 0) = 0 in the reference.
void sh_angles(const double d[3], double& theta, double& phi);

// Y_J for J = 0..maxJ of the direction d, concatenated: out has sum_J (2J+1) = (maxJ+1)^2 entries.
void sh_from_vector(int maxJ, const double d[3], double* out);

}  // namespace trifold::model::se3
