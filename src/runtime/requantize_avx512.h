// qops' requantize (kernels/int8/qops.h) for 16 int32 accumulators at a time:
// float(acc) · multiplier, clamped to [-zy, 255 - zy], rounded to nearest even, + zy,
// stored as u8 in the lanes of mask `m`. The same float operations in the same order, so
// every byte is the one qops gives. Call only from functions compiled for AVX-512 BW.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace edgeq::runtime::detail {

// The mask of the first min(n, 16) lanes.
inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1);
}

__attribute__((target("avx512f,avx512bw"), always_inline)) inline void requantize16(__m512i acc, __m512 multiplier,
                                                                                    int32_t zy, __mmask16 m,
                                                                                    uint8_t* y) {
  const __m512 lo = _mm512_set1_ps(static_cast<float>(0 - zy)), hi = _mm512_set1_ps(static_cast<float>(255 - zy));
  __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), multiplier);
  v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  _mm512_mask_cvtusepi32_storeu_epi8(y, m, _mm512_add_epi32(_mm512_cvtps_epi32(v), _mm512_set1_epi32(zy)));
}

}  // namespace edgeq::runtime::detail
