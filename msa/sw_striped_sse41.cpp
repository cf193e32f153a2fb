// SSE4.1 instance of the striped Smith-Waterman kernel (compiled with -msse4.1; called only when the CPU has it).
#include <smmintrin.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
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

}  // namespace

#define KERNEL_NAME sw_striped_sse41
#include "msa/sw_striped_kernel.inc"
#undef KERNEL_NAME

}  // namespace trifold::msa::detail
