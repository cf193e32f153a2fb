// SSE4.1 instance of the striped Smith-Waterman kernel (compiled with -msse4.1; called only when the CPU has it).
#include <smmintrin.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace trifold::msa::detail {
namespace {

using V = __m128i;
constexpr int kLanes = 8;
inline V vset1(int16_t x) { return _mm_set1_epi16(x); }
inline V vzero() { return _mm_setzero_si128(); }
inline V vadds(V a, V b) { return _mm_adds_epi16(a, b); }
inline V vsubs(V a, V b) { return _mm_subs_epi16(a, b); }
inline V vmax(V a, V b) { return _mm_max_epi16(a, b); }
inline bool vany_gt(V a, V b) { return _mm_movemask_epi8(_mm_cmpgt_epi16(a, b)) != 0; }
inline V vshift_in(V v, int16_t x) { return _mm_insert_epi16(_mm_slli_si128(v, 2), x, 0); }
inline int vhmax(V v) {
  alignas(16) int16_t t[kLanes];
  _mm_store_si128(reinterpret_cast<V*>(t), v);
  return *std::max_element(t, t + kLanes);
}

using V8 = __m128i;
constexpr int kLanes8 = 16;
constexpr int kSaturated8 = 250;  // see sw_striped8_kernel.inc: below this no lane can have saturated
inline V8 v8set1(uint8_t x) { return _mm_set1_epi8(static_cast<char>(x)); }
inline V8 v8zero() { return _mm_setzero_si128(); }
inline V8 v8adds(V8 a, V8 b) { return _mm_adds_epu8(a, b); }
inline V8 v8subs(V8 a, V8 b) { return _mm_subs_epu8(a, b); }
inline V8 v8max(V8 a, V8 b) { return _mm_max_epu8(a, b); }
inline bool v8any_gt(V8 a, V8 b) { return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(a, b), v8zero())) != 0xFFFF; }
inline V8 v8shift(V8 v) { return _mm_slli_si128(v, 1); }
inline int v8hmax(V8 v) {
  alignas(16) uint8_t t[kLanes8];
  _mm_store_si128(reinterpret_cast<V8*>(t), v);
  return *std::max_element(t, t + kLanes8);
}

}  // namespace

#define KERNEL8_NAME sw_striped8_sse41
#include "msa/sw_striped8_kernel.inc"
#undef KERNEL8_NAME

#define KERNEL_NAME sw_striped_sse41
#include "msa/sw_striped_kernel.inc"
#undef KERNEL_NAME

}  // namespace trifold::msa::detail
