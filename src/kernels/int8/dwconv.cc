// Int8 depthwise convolution with AVX-512 VNNI (see dwconv.h).
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_*.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "kernels/int8/dwconv.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace edgeq::kernels::int8 {

namespace {

constexpr int64_t kBlock = 64;   // channels per block (one 64-byte row load)
constexpr int kOxBlock = 16;     // output columns interleaved at once
constexpr int kMaxStrideW = 2;

struct Job {
  const DwConvShape* s;
  const int8_t* wpack;
  const int32_t* bias;
  const float* mult;
  bool clamp_high;
};

#define EDGEQ_DW_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

// One output row `oy` of one 64-channel block `b` of one image.
template <int KH, int KW>
EDGEQ_DW_TARGET void dw_row_block(const Job& j, const uint8_t* x, uint8_t* y, int64_t oy, int64_t b) {
  constexpr int G = (KH + 3) / 4;
  constexpr int kCols = (kOxBlock - 1) * kMaxStrideW + KW;
  const DwConvShape& s = *j.s;
  const int64_t C = s.c, c0 = b * kBlock;
  const int64_t rem = std::min<int64_t>(kBlock, C - c0);
  const __mmask64 mask = rem == kBlock ? ~__mmask64{0} : ((__mmask64{1} << rem) - 1);
  const __m512i zx = _mm512_set1_epi8(static_cast<char>(s.x_zero_point));
  const __m512i zero = _mm512_setzero_si512();
  const __m512i zy = _mm512_set1_epi16(static_cast<int16_t>(s.y_zero_point));
  const __m512 high = _mm512_set1_ps(1073741824.0f);  // 2^30: rounds to a value packs saturate

  // Input rows of the window; nullptr = padding row (reads zx).
  const uint8_t* rows[G * 4];
  for (int k = 0; k < G * 4; ++k) {
    const int64_t iy = oy * s.stride_h - s.pad_top + k;
    rows[k] = (k < KH && iy >= 0 && iy < s.h) ? x + iy * s.w * C + c0 : nullptr;
  }
  __m512i wv[G][KW][4];
  const auto* wp = reinterpret_cast<const __m512i*>(j.wpack + b * G * KW * 4 * kBlock);
  for (int g = 0; g < G; ++g)
    for (int kx = 0; kx < KW; ++kx)
      for (int q = 0; q < 4; ++q) wv[g][kx][q] = _mm512_loadu_si512(wp + (g * KW + kx) * 4 + q);
  __m512i bias[4];
  __m512 mult[4];
  for (int q = 0; q < 4; ++q) {
    bias[q] = _mm512_loadu_si512(j.bias + b * kBlock + q * 16);
    mult[q] = _mm512_loadu_ps(j.mult + b * kBlock + q * 16);
  }

  alignas(64) __m512i buf[kCols][G][4];
  uint8_t* yrow = y + oy * s.ow * C + c0;
  for (int64_t ox0 = 0; ox0 < s.ow; ox0 += kOxBlock) {
    const int nox = static_cast<int>(std::min<int64_t>(kOxBlock, s.ow - ox0));
    const int64_t ix0 = ox0 * s.stride_w - s.pad_left;
    const int ncol = (nox - 1) * static_cast<int>(s.stride_w) + KW;
    for (int col = 0; col < ncol; ++col) {
      const int64_t ix = ix0 + col;
      if (ix < 0 || ix >= s.w) {
        for (int g = 0; g < G; ++g)
          for (int q = 0; q < 4; ++q) buf[col][g][q] = zx;
        continue;
      }
      for (int g = 0; g < G; ++g) {
        __m512i a[4];
        for (int k = 0; k < 4; ++k) {
          const int r = g * 4 + k;
          a[k] = rows[r] ? _mm512_maskz_loadu_epi8(mask, rows[r] + ix * C) : (r < KH ? zx : zero);
        }
        const __m512i lo01 = _mm512_unpacklo_epi8(a[0], a[1]), hi01 = _mm512_unpackhi_epi8(a[0], a[1]);
        const __m512i lo23 = _mm512_unpacklo_epi8(a[2], a[3]), hi23 = _mm512_unpackhi_epi8(a[2], a[3]);
        buf[col][g][0] = _mm512_unpacklo_epi16(lo01, lo23);
        buf[col][g][1] = _mm512_unpackhi_epi16(lo01, lo23);
        buf[col][g][2] = _mm512_unpacklo_epi16(hi01, hi23);
        buf[col][g][3] = _mm512_unpackhi_epi16(hi01, hi23);
      }
    }
    for (int o = 0; o < nox; ++o) {
      __m512i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      const int base = o * static_cast<int>(s.stride_w);
      for (int g = 0; g < G; ++g)
        for (int kx = 0; kx < KW; ++kx)
          for (int q = 0; q < 4; ++q) acc[q] = _mm512_dpbusd_epi32(acc[q], buf[base + kx][g][q], wv[g][kx][q]);
      __m512i r[4];
      for (int q = 0; q < 4; ++q) {
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[q]), mult[q]);
        if (j.clamp_high) f = _mm512_min_ps(f, high);
        r[q] = _mm512_cvtps_epi32(f);
      }
      // Per 128-bit lane: packs(r0, r1) holds channels L*16 + 0..7, packs(r2, r3) 8..15.
      const __m512i p01 = _mm512_adds_epi16(_mm512_packs_epi32(r[0], r[1]), zy);
      const __m512i p23 = _mm512_adds_epi16(_mm512_packs_epi32(r[2], r[3]), zy);
      _mm512_mask_storeu_epi8(yrow + (ox0 + o) * C, mask, _mm512_packus_epi16(p01, p23));
    }
  }
}

using RowFn = void (*)(const Job&, const uint8_t*, uint8_t*, int64_t, int64_t);

RowFn row_fn(int64_t kh, int64_t kw) {
  if (kh == 3 && kw == 3) return dw_row_block<3, 3>;
  if (kh == 5 && kw == 5) return dw_row_block<5, 5>;
  return nullptr;
}

}  // namespace

bool DwConv::host_supported() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return yes;
}

std::string DwConv::why_not(const DwConvShape& s) {
  if (!row_fn(s.kh, s.kw)) return "kernel " + std::to_string(s.kh) + "x" + std::to_string(s.kw) + " is not 3x3 or 5x5";
  if (s.stride_h < 1 || s.stride_h > 2 || s.stride_w < 1 || s.stride_w > kMaxStrideW) return "strides are not 1 or 2";
  if (s.n < 1 || s.c < 1 || s.h < 1 || s.w < 1 || s.oh < 1 || s.ow < 1) return "a dimension is empty";
  if (s.x_zero_point < 0 || s.x_zero_point > 255 || s.y_zero_point < 0 || s.y_zero_point > 255)
    return "zero points are outside [0, 255]";
  return {};
}

StatusOr<DwConv> DwConv::create(const DwConvShape& s, const int8_t* w, std::span<const int32_t> bias,
                                std::span<const float> multipliers) {
  if (!host_supported()) return unsupported("depthwise int8 conv needs AVX-512 VNNI on this machine");
  if (const std::string why = why_not(s); !why.empty()) return unsupported("depthwise int8 conv: " + why);
  if (!bias.empty() && static_cast<int64_t>(bias.size()) != s.c)
    return invalid_argument("depthwise int8 conv needs " + std::to_string(s.c) + " bias values");
  if (multipliers.size() != 1 && static_cast<int64_t>(multipliers.size()) != s.c)
    return invalid_argument("depthwise int8 conv needs 1 or " + std::to_string(s.c) + " multipliers");
  DwConv k;
  k.s_ = s;
  k.blocks_ = (s.c + kBlock - 1) / kBlock;
  k.groups_ = (s.kh + 3) / 4;
  const int64_t G = k.groups_, KH = s.kh, KW = s.kw;
  k.wpack_.assign(static_cast<size_t>(k.blocks_ * G * KW * 4 * kBlock), 0);
  k.bias_.assign(static_cast<size_t>(k.blocks_ * kBlock), 0);
  k.mult_.assign(static_cast<size_t>(k.blocks_ * kBlock), 0.0f);
  k.clamp_high_ = false;
  const int64_t zx = s.x_zero_point;
  for (int64_t c = 0; c < s.c; ++c) {
    // Channel c sits in dword d of lane L of vector q: c % 64 = L * 16 + q * 4 + d.
    const int64_t b = c / kBlock, cc = c % kBlock, lane = cc / 16, q = (cc % 16) / 4, d = cc % 4;
    const int64_t dword = lane * 4 + d;
    int64_t sum = 0, abs_sum = 0;
    for (int64_t ky = 0; ky < KH; ++ky)
      for (int64_t kx = 0; kx < KW; ++kx) {
        const int8_t v = w[(c * KH + ky) * KW + kx];
        sum += v;
        abs_sum += std::abs(static_cast<int>(v));
        const int64_t g = ky / 4, byte = ky % 4;
        k.wpack_[static_cast<size_t>(((((b * G + g) * KW + kx) * 4 + q) * 16 + dword) * 4 + byte)] = v;
      }
    const int64_t bc = bias.empty() ? 0 : bias[static_cast<size_t>(c)];
    const float m = multipliers[multipliers.size() == 1 ? 0 : static_cast<size_t>(c)];
    const size_t slot = static_cast<size_t>(b * kBlock + q * 16 + dword);
    // The int32 sum wraps like the reference's: bias - zx * sum(w) modulo 2^32.
    k.bias_[slot] = static_cast<int32_t>(static_cast<uint32_t>(bc - zx * sum));
    k.mult_[slot] = m;
    const double bound = (std::fabs(static_cast<double>(bc)) + static_cast<double>(std::max<int64_t>(zx, 255 - zx)) *
                                                                    static_cast<double>(abs_sum)) *
                         std::fabs(static_cast<double>(m));
    if (!(bound < 1073741824.0)) k.clamp_high_ = true;
  }
  return k;
}

void DwConv::run(const uint8_t* x, uint8_t* y) const {
  const Job job{&s_, wpack_.data(), bias_.data(), mult_.data(), clamp_high_};
  const RowFn fn = row_fn(s_.kh, s_.kw);
  const int64_t per_image = s_.oh * blocks_;
  const int64_t tasks = s_.n * per_image;
  const int64_t work = s_.n * s_.oh * s_.ow * s_.c * s_.kh * s_.kw;
  const int64_t x_image = s_.h * s_.w * s_.c, y_image = s_.oh * s_.ow * s_.c;
#pragma omp parallel for schedule(static) if (tasks > 1 && work >= (int64_t{1} << 16))
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t img = t / per_image, r = t % per_image;
    fn(job, x + img * x_image, y + img * y_image, r / blocks_, r % blocks_);
  }
}

std::string DwConv::describe() const {
  return "edgeq dwconv avx512_vnni " + std::to_string(s_.kh) + "x" + std::to_string(s_.kw) + " stride " +
         std::to_string(s_.stride_h) + (clamp_high_ ? ", high clamp" : "");
}

}  // namespace edgeq::kernels::int8
