// AVX2 instance of the striped Smith-Waterman kernel (compiled with -mavx2; called only when the CPU has it).
#include <immintrin.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

using V8 = __m256i;
constexpr int kLanes8 = 32;
constexpr int kSaturated8 = 250;  // see sw_striped8_kernel.inc: below this no lane can have saturated
inline V8 v8set1(uint8_t x) { return _mm256_set1_epi8(static_cast<char>(x)); }
inline V8 v8zero() { return _mm256_setzero_si256(); }
inline V8 v8adds(V8 a, V8 b) { return _mm256_adds_epu8(a, b); }
inline V8 v8subs(V8 a, V8 b) { return _mm256_subs_epu8(a, b); }
inline V8 v8max(V8 a, V8 b) { return _mm256_max_epu8(a, b); }
inline bool v8any_gt(V8 a, V8 b) {
  return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_subs_epu8(a, b), v8zero()))) !=
         0xFFFFFFFFu;
}
inline V8 v8shift(V8 v) { return _mm256_alignr_epi8(v, _mm256_permute2x128_si256(v, v, 0x08), 15); }
inline int v8hmax(V8 v) {
  alignas(32) uint8_t t[kLanes8];
  _mm256_store_si256(reinterpret_cast<V8*>(t), v);
  return *std::max_element(t, t + kLanes8);
}

}  // namespace

#define KERNEL8_NAME sw_striped8_avx2
#include "msa/sw_striped8_kernel.inc"
#undef KERNEL8_NAME

#define KERNEL_NAME sw_striped_avx2
#include "msa/sw_striped_kernel.inc"
#undef KERNEL_NAME

}  // namespace trifold::msa::detail
