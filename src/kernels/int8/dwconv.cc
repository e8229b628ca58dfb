// Int8 depthwise convolution with AVX-512 VNNI (see dwconv.h).
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_*.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "kernels/int8/dwconv.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "kernels/isa.h"

namespace edgeq::kernels::int8 {

namespace {

constexpr int64_t kBlock = 64;   // channels per block (one 64-byte row load)
constexpr int kOxBlock = 16;     // output columns interleaved at once
constexpr int kOb = 4;           // output columns accumulated together (kOxBlock % kOb == 0)

struct Job {
  const DwConvShape* s;
  const int8_t* wpack;  // [blocks][R][G][kW][4][64]
  const int32_t* bias;  // [blocks][4][16]
  const float* mult;
};

#define EDGEQ_DW_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

// The vector operations at one width: 64 channels (zmm), 32 (ymm) or 16 (xmm). Every
// operation works per 128-bit lane, so the channel order inside a lane is the same at each
// width and a narrower vector uses the first lanes of the 64-channel prepacked block.
struct V64 {
  using I = __m512i;
  using F = __m512;
  using M = __mmask64;
  static constexpr int kBytes = 64;
  EDGEQ_DW_TARGET static I load(M m, const uint8_t* p) { return _mm512_maskz_loadu_epi8(m, p); }
  EDGEQ_DW_TARGET static I load(const void* p) { return _mm512_loadu_si512(p); }
  EDGEQ_DW_TARGET static F loadf(const float* p) { return _mm512_loadu_ps(p); }
  EDGEQ_DW_TARGET static I set8(int v) { return _mm512_set1_epi8(static_cast<char>(v)); }
  EDGEQ_DW_TARGET static I set16(int v) { return _mm512_set1_epi16(static_cast<int16_t>(v)); }
  EDGEQ_DW_TARGET static F setf(float v) { return _mm512_set1_ps(v); }
  EDGEQ_DW_TARGET static I zero() { return _mm512_setzero_si512(); }
  EDGEQ_DW_TARGET static I lo8(I a, I b) { return _mm512_unpacklo_epi8(a, b); }
  EDGEQ_DW_TARGET static I hi8(I a, I b) { return _mm512_unpackhi_epi8(a, b); }
  EDGEQ_DW_TARGET static I lo16(I a, I b) { return _mm512_unpacklo_epi16(a, b); }
  EDGEQ_DW_TARGET static I hi16(I a, I b) { return _mm512_unpackhi_epi16(a, b); }
  EDGEQ_DW_TARGET static I dp(I acc, I a, I w) { return _mm512_dpbusd_epi32(acc, a, w); }
  EDGEQ_DW_TARGET static F scale(I acc, F m) { return _mm512_mul_ps(_mm512_cvtepi32_ps(acc), m); }
  EDGEQ_DW_TARGET static F min(F a, F b) { return _mm512_min_ps(a, b); }
  EDGEQ_DW_TARGET static I round(F a) { return _mm512_cvtps_epi32(a); }
  EDGEQ_DW_TARGET static I packs32(I a, I b) { return _mm512_packs_epi32(a, b); }
  EDGEQ_DW_TARGET static I adds16(I a, I b) { return _mm512_adds_epi16(a, b); }
  EDGEQ_DW_TARGET static I packus16(I a, I b) { return _mm512_packus_epi16(a, b); }
  EDGEQ_DW_TARGET static void store(uint8_t* p, M m, I v) { _mm512_mask_storeu_epi8(p, m, v); }
};

struct V32 {
  using I = __m256i;
  using F = __m256;
  using M = __mmask32;
  static constexpr int kBytes = 32;
  EDGEQ_DW_TARGET static I load(M m, const uint8_t* p) { return _mm256_maskz_loadu_epi8(m, p); }
  EDGEQ_DW_TARGET static I load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  EDGEQ_DW_TARGET static F loadf(const float* p) { return _mm256_loadu_ps(p); }
  EDGEQ_DW_TARGET static I set8(int v) { return _mm256_set1_epi8(static_cast<char>(v)); }
  EDGEQ_DW_TARGET static I set16(int v) { return _mm256_set1_epi16(static_cast<int16_t>(v)); }
  EDGEQ_DW_TARGET static F setf(float v) { return _mm256_set1_ps(v); }
  EDGEQ_DW_TARGET static I zero() { return _mm256_setzero_si256(); }
  EDGEQ_DW_TARGET static I lo8(I a, I b) { return _mm256_unpacklo_epi8(a, b); }
  EDGEQ_DW_TARGET static I hi8(I a, I b) { return _mm256_unpackhi_epi8(a, b); }
  EDGEQ_DW_TARGET static I lo16(I a, I b) { return _mm256_unpacklo_epi16(a, b); }
  EDGEQ_DW_TARGET static I hi16(I a, I b) { return _mm256_unpackhi_epi16(a, b); }
  EDGEQ_DW_TARGET static I dp(I acc, I a, I w) { return _mm256_dpbusd_epi32(acc, a, w); }
  EDGEQ_DW_TARGET static F scale(I acc, F m) { return _mm256_mul_ps(_mm256_cvtepi32_ps(acc), m); }
  EDGEQ_DW_TARGET static F min(F a, F b) { return _mm256_min_ps(a, b); }
  EDGEQ_DW_TARGET static I round(F a) { return _mm256_cvtps_epi32(a); }
  EDGEQ_DW_TARGET static I packs32(I a, I b) { return _mm256_packs_epi32(a, b); }
  EDGEQ_DW_TARGET static I adds16(I a, I b) { return _mm256_adds_epi16(a, b); }
  EDGEQ_DW_TARGET static I packus16(I a, I b) { return _mm256_packus_epi16(a, b); }
  EDGEQ_DW_TARGET static void store(uint8_t* p, M m, I v) { _mm256_mask_storeu_epi8(p, m, v); }
};

struct V16 {
  using I = __m128i;
  using F = __m128;
  using M = __mmask16;
  static constexpr int kBytes = 16;
  EDGEQ_DW_TARGET static I load(M m, const uint8_t* p) { return _mm_maskz_loadu_epi8(m, p); }
  EDGEQ_DW_TARGET static I load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
  EDGEQ_DW_TARGET static F loadf(const float* p) { return _mm_loadu_ps(p); }
  EDGEQ_DW_TARGET static I set8(int v) { return _mm_set1_epi8(static_cast<char>(v)); }
  EDGEQ_DW_TARGET static I set16(int v) { return _mm_set1_epi16(static_cast<int16_t>(v)); }
  EDGEQ_DW_TARGET static F setf(float v) { return _mm_set1_ps(v); }
  EDGEQ_DW_TARGET static I zero() { return _mm_setzero_si128(); }
  EDGEQ_DW_TARGET static I lo8(I a, I b) { return _mm_unpacklo_epi8(a, b); }
  EDGEQ_DW_TARGET static I hi8(I a, I b) { return _mm_unpackhi_epi8(a, b); }
  EDGEQ_DW_TARGET static I lo16(I a, I b) { return _mm_unpacklo_epi16(a, b); }
  EDGEQ_DW_TARGET static I hi16(I a, I b) { return _mm_unpackhi_epi16(a, b); }
  EDGEQ_DW_TARGET static I dp(I acc, I a, I w) { return _mm_dpbusd_epi32(acc, a, w); }
  EDGEQ_DW_TARGET static F scale(I acc, F m) { return _mm_mul_ps(_mm_cvtepi32_ps(acc), m); }
  EDGEQ_DW_TARGET static F min(F a, F b) { return _mm_min_ps(a, b); }
  EDGEQ_DW_TARGET static I round(F a) { return _mm_cvtps_epi32(a); }
  EDGEQ_DW_TARGET static I packs32(I a, I b) { return _mm_packs_epi32(a, b); }
  EDGEQ_DW_TARGET static I adds16(I a, I b) { return _mm_adds_epi16(a, b); }
  EDGEQ_DW_TARGET static I packus16(I a, I b) { return _mm_packus_epi16(a, b); }
  EDGEQ_DW_TARGET static void store(uint8_t* p, M m, I v) { _mm_mask_storeu_epi8(p, m, v); }
};

// Output rows computed together: they share the interleaved input rows. 3x3 stride 2 would
// need a second group of 4 rows for the second output row, so it keeps one.
constexpr int rows_per_task(int kh, int sh) { return (sh == 1 || kh == 5) ? 2 : 1; }
constexpr int row_groups(int kh, int sh) { return ((rows_per_task(kh, sh) - 1) * sh + kh + 3) / 4; }

// Up to R output rows from `oy0` of one channel block `b` (channels c0 = b * 64 on, `rem`
// of them, rem <= V::kBytes) of one image.
template <class V, int KH, int KW, int SH, bool kClamp>
EDGEQ_DW_TARGET void dw_rows(const Job& j, const uint8_t* x, uint8_t* y, int64_t oy0, int64_t b, int64_t rem) {
  using I = typename V::I;
  using F = typename V::F;
  constexpr int R = rows_per_task(KH, SH);
  constexpr int G = row_groups(KH, SH);
  constexpr int kSpan = (R - 1) * SH + KH;  // input rows the R output rows read
  constexpr int kCols = (kOxBlock - 1) * SH + KW;
  const DwConvShape& s = *j.s;
  const int64_t C = s.c, c0 = b * kBlock;
  const auto mask = static_cast<typename V::M>(rem >= V::kBytes ? ~uint64_t{0} : ((uint64_t{1} << rem) - 1));
  const I zx = V::set8(s.x_zero_point);
  const I zy = V::set16(s.y_zero_point);
  const F high = V::setf(1073741824.0f);  // 2^30: rounds to a value the packs saturate
  const int nrows = static_cast<int>(std::min<int64_t>(R, s.oh - oy0));

  // Input rows of the window; nullptr = padding row (reads zx).
  const uint8_t* rows[G * 4];
  for (int k = 0; k < G * 4; ++k) {
    const int64_t iy = oy0 * SH - s.pad_top + k;
    rows[k] = (k < kSpan && iy >= 0 && iy < s.h) ? x + iy * s.w * C + c0 : nullptr;
  }
  const int8_t* wp = j.wpack + b * R * G * KW * 4 * kBlock;
  I bias[4];
  F mult[4];
  for (int q = 0; q < 4; ++q) {
    bias[q] = V::load(j.bias + b * kBlock + q * 16);
    mult[q] = V::loadf(j.mult + b * kBlock + q * 16);
  }

  alignas(64) I buf[kCols][G][4];
  for (int64_t ox0 = 0; ox0 < s.ow; ox0 += kOxBlock) {
    const int nox = static_cast<int>(std::min<int64_t>(kOxBlock, s.ow - ox0));
    const int64_t ix0 = ox0 * SH - s.pad_left;
    // Columns for whole groups of kOb outputs (the extra outputs are computed, not stored).
    const int ncol = ((nox + kOb - 1) / kOb * kOb - 1) * SH + KW;
    for (int col = 0; col < ncol; ++col) {
      const int64_t ix = ix0 + col;
      if (ix < 0 || ix >= s.w) {
        for (int g = 0; g < G; ++g)
          for (int q = 0; q < 4; ++q) buf[col][g][q] = zx;
        continue;
      }
      for (int g = 0; g < G; ++g) {
        I a[4];
        for (int k = 0; k < 4; ++k) {
          const int r = g * 4 + k;
          a[k] = rows[r] ? V::load(mask, rows[r] + ix * C) : (r < kSpan ? zx : V::zero());
        }
        const I lo01 = V::lo8(a[0], a[1]), hi01 = V::hi8(a[0], a[1]);
        const I lo23 = V::lo8(a[2], a[3]), hi23 = V::hi8(a[2], a[3]);
        buf[col][g][0] = V::lo16(lo01, lo23);
        buf[col][g][1] = V::hi16(lo01, lo23);
        buf[col][g][2] = V::lo16(hi01, hi23);
        buf[col][g][3] = V::hi16(hi01, hi23);
      }
    }
    // Output row r of the task, kOb columns at a time: each weight vector is loaded once
    // for kOb outputs; the interleaved columns come from buf.
    for (int r = 0; r < R && r < nrows; ++r) {
      uint8_t* yrow = y + ((oy0 + r) * s.ow + ox0) * C + c0;
      for (int o0 = 0; o0 < nox; o0 += kOb) {
        I acc[kOb][4];
        for (int ob = 0; ob < kOb; ++ob)
          for (int q = 0; q < 4; ++q) acc[ob][q] = bias[q];
        // q outermost: the kOb + KW - 1 columns of one vector stay in registers across kx.
        for (int g = 0; g < G; ++g) {
          // Group g holds input rows g*4 .. g*4+3; output row r reads r*SH .. r*SH+KH-1.
          if (g * 4 > r * SH + KH - 1 || g * 4 + 3 < r * SH) continue;
          const int8_t* w = wp + ((r * G + g) * KW * 4) * kBlock;
          for (int q = 0; q < 4; ++q) {
            I col[(kOb - 1) * SH + KW];
            for (int i = 0; i < (kOb - 1) * SH + KW; ++i) col[i] = buf[o0 * SH + i][g][q];
            for (int kx = 0; kx < KW; ++kx) {
              const I wq = V::load(w + (kx * 4 + q) * kBlock);
              for (int ob = 0; ob < kOb; ++ob) acc[ob][q] = V::dp(acc[ob][q], col[ob * SH + kx], wq);
            }
          }
        }
        for (int ob = 0; ob < kOb && o0 + ob < nox; ++ob) {
          I v[4];
          for (int q = 0; q < 4; ++q) {
            F f = V::scale(acc[ob][q], mult[q]);
            if constexpr (kClamp) f = V::min(f, high);
            v[q] = V::round(f);
          }
          // Per 128-bit lane: packs(v0, v1) holds channels L*16 + 0..7, packs(v2, v3) 8..15.
          const I p01 = V::adds16(V::packs32(v[0], v[1]), zy);
          const I p23 = V::adds16(V::packs32(v[2], v[3]), zy);
          V::store(yrow + (o0 + ob) * C, mask, V::packus16(p01, p23));
        }
      }
    }
  }
}

using RowFn = void (*)(const Job&, const uint8_t*, uint8_t*, int64_t, int64_t, int64_t);

struct RowFns {
  RowFn w64 = nullptr, w32 = nullptr, w16 = nullptr;
};

template <int KH, int KW, int SH, bool kClamp>
RowFns fns() {
  return {dw_rows<V64, KH, KW, SH, kClamp>, dw_rows<V32, KH, KW, SH, kClamp>, dw_rows<V16, KH, KW, SH, kClamp>};
}

template <bool kClamp>
RowFns select(int64_t kh, int64_t kw, int64_t sh) {
  if (kh == 3 && kw == 3) return sh == 1 ? fns<3, 3, 1, kClamp>() : fns<3, 3, 2, kClamp>();
  if (kh == 5 && kw == 5) return sh == 1 ? fns<5, 5, 1, kClamp>() : fns<5, 5, 2, kClamp>();
  return {};
}

RowFns row_fns(int64_t kh, int64_t kw, int64_t sh, bool clamp) {
  return clamp ? select<true>(kh, kw, sh) : select<false>(kh, kw, sh);
}

int64_t task_rows(int64_t kh, int64_t sh) { return rows_per_task(static_cast<int>(kh), static_cast<int>(sh)); }

}  // namespace

bool DwConv::host_supported() {
  return cpu_has_avx512_vnni();
}

std::string DwConv::why_not(const DwConvShape& s) {
  if (!row_fns(s.kh, s.kw, s.stride_h, true).w64) return "kernel " + std::to_string(s.kh) + "x" + std::to_string(s.kw) + " is not 3x3 or 5x5";
  if (s.stride_h < 1 || s.stride_h > 2 || s.stride_w != s.stride_h) return "strides are not both 1 or both 2";
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
  k.rows_ = task_rows(s.kh, s.stride_h);
  k.groups_ = ((k.rows_ - 1) * s.stride_h + s.kh + 3) / 4;
  const int64_t R = k.rows_, G = k.groups_, KH = s.kh, KW = s.kw;
  k.wpack_.assign(static_cast<size_t>(k.blocks_ * R * G * KW * 4 * kBlock), 0);
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
        // Output row r of a task reads input row t = r * stride + ky: byte t % 4 of group t / 4.
        for (int64_t r = 0; r < R; ++r) {
          const int64_t t = r * s.stride_h + ky, g = t / 4, byte = t % 4;
          k.wpack_[static_cast<size_t>((((((b * R + r) * G + g) * KW + kx) * 4 + q) * 16 + dword) * 4 + byte)] = v;
        }
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
  const Job job{&s_, wpack_.data(), bias_.data(), mult_.data()};
  const RowFns fns = row_fns(s_.kh, s_.kw, s_.stride_h, clamp_high_);
  const int64_t row_tasks = (s_.oh + rows_ - 1) / rows_;
  const int64_t per_image = row_tasks * blocks_;
  const int64_t tasks = s_.n * per_image;
  const int64_t work = s_.n * s_.oh * s_.ow * s_.c * s_.kh * s_.kw;
  const int64_t x_image = s_.h * s_.w * s_.c, y_image = s_.oh * s_.ow * s_.c;
#pragma omp parallel for schedule(static) if (tasks > 1 && work >= (int64_t{1} << 16))
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t img = t / per_image, r = t % per_image, b = r % blocks_;
    const int64_t rem = std::min(kBlock, s_.c - b * kBlock);
    const RowFn fn = rem > 32 ? fns.w64 : (rem > 16 ? fns.w32 : fns.w16);
    fn(job, x + img * x_image, y + img * y_image, (r / blocks_) * rows_, b, rem);
  }
}

std::string DwConv::describe() const {
  return "edgeq dwconv avx512_vnni " + std::to_string(s_.kh) + "x" + std::to_string(s_.kw) + " stride " +
         std::to_string(s_.stride_h) + ", weights prepacked" + (clamp_high_ ? ", high clamp" : "");
}

}  // namespace edgeq::kernels::int8
