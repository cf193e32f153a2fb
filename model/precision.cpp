// Matrix-product precision names and the bf16/TF32 rounding used by the CPU emulation.
#include "model/precision.hpp"

#include <bit>
#include <cstdint>

#include "io/error.hpp"

namespace trifold::model {

MatmulPrecision parse_matmul_precision(const std::string& s) {
  if (s == "fp32") return MatmulPrecision::Fp32;
  if (s == "tf32") return MatmulPrecision::Tf32;
  if (s == "bf16") return MatmulPrecision::Bf16;
  throw InputError("unknown matrix-product precision '" + s + "' (expected fp32, tf32 or bf16)");
}

const char* matmul_precision_name(MatmulPrecision p) {
  switch (p) {
    case MatmulPrecision::Fp32: return "fp32";
    case MatmulPrecision::Tf32: return "tf32";
    case MatmulPrecision::Bf16: return "bf16";
  }
  return "?";
}

namespace {

// Keep the top (32 − drop) bits of the IEEE pattern, rounding to nearest with ties to even. A carry out of the
// mantissa increments the exponent, which is the correct rounding (up to ±inf past the largest finite value).
float round_mantissa(float x, int drop) {
  uint32_t u = std::bit_cast<uint32_t>(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return x;  // inf or NaN: unchanged
  const uint32_t lsb = (u >> drop) & 1u;
  const uint32_t half = (1u << (drop - 1)) - 1u;
  u += half + lsb;
  u &= ~((1u << drop) - 1u);
  return std::bit_cast<float>(u);
}

}  // namespace

float round_to_bf16(float x) { return round_mantissa(x, 16); }
float round_to_tf32(float x) { return round_mantissa(x, 13); }

}  // namespace trifold::model
