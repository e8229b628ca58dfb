// 256-entry byte tables applied 64 bytes at a time with AVX-512 VBMI: QLut, QConcat's
// requantized inputs and ChannelShuffle's share this one lookup.
//
//   __m512i t[4];  load_table(table.data(), t);
//   __m512i y = lookup64(x, t);   // y[i] = table[x[i]]
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace edgeq::runtime::detail {

// The CPU has AVX-512 F, BW and VBMI.
bool has_avx512_vbmi();

__attribute__((target("avx512f"))) inline void load_table(const uint8_t* table, __m512i t[4]) {
  for (int i = 0; i < 4; ++i) t[i] = _mm512_loadu_si512(table + 64 * i);
}

// Two 128-entry byte permutes; the index's top bit picks between them.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) inline __m512i lookup64(__m512i v, const __m512i t[4]) {
  const __m512i lo = _mm512_permutex2var_epi8(t[0], v, t[1]);
  const __m512i hi = _mm512_permutex2var_epi8(t[2], v, t[3]);
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi);
}

}  // namespace edgeq::runtime::detail
