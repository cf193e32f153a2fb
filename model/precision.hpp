// Precision of the network's matrix products: fp32 (the default and the reference's), or reduced-precision
// operands with fp32 accumulation (TF32 or bf16 tensor cores on the GPU; emulated on the CPU to measure them).
#pragma once

#include <string>

namespace trifold::model {

enum class MatmulPrecision {
  Fp32,  // true fp32 products and sums (the reference; every parity test)
  Tf32,  // operands rounded to TF32 (10-bit mantissa, fp32 range), fp32 accumulation
  Bf16,  // operands rounded to bfloat16 (7-bit mantissa, fp32 range), fp32 accumulation
};

// "fp32", "tf32" or "bf16" (InputError naming the accepted values otherwise).
MatmulPrecision parse_matmul_precision(const std::string& s);
const char* matmul_precision_name(MatmulPrecision p);

// Round-to-nearest-even to bfloat16 / TF32, returned as the float it represents (what __float2bfloat16_rn and
// the TF32 conversion give; infinities and NaN are kept, a finite value that rounds past the range becomes ±inf).
// The product of two rounded values is exact in fp32 (8 + 8 or 11 + 11 significant bits ≤ 24).
float round_to_bf16(float x);
float round_to_tf32(float x);

}  // namespace trifold::model
