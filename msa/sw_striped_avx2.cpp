// AVX2 instance of the striped Smith-Waterman kernel (compiled with -mavx2; called only when the CPU has it).
#include <immintrin.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace trifold::msa::detail {
namespace {

using V = __m256i;
constexpr int kLanes = 16;
inline V vset1(int16_t x) { return _mm256_set1_epi16(x); }
inline V vzero() { return _mm256_setzero_si256(); }
inline V vadds(V a, V b) { return _mm256_adds_epi16(a, b); }
inline V vsubs(V a, V b) { return _mm256_subs_epi16(a, b); }
inline V vmax(V a, V b) { return _mm256_max_epi16(a, b); }
inline bool vany_gt(V a, V b) { return _mm256_movemask_epi8(_mm256_cmpgt_epi16(a, b)) != 0; }
// Shift the 16 lanes up by one across the 128-bit halves, then put `x` into lane 0.
inline V vshift_in(V v, int16_t x) {
  const V shifted = _mm256_alignr_epi8(v, _mm256_permute2x128_si256(v, v, 0x08), 14);
  return _mm256_insert_epi16(shifted, x, 0);
}
inline int vhmax(V v) {
  alignas(32) int16_t t[kLanes];
  _mm256_store_si256(reinterpret_cast<V*>(t), v);
  return *std::max_element(t, t + kLanes);
}

}  // namespace

#define KERNEL_NAME sw_striped_avx2
#include "msa/sw_striped_kernel.inc"
#undef KERNEL_NAME

}  // namespace trifold::msa::detail
