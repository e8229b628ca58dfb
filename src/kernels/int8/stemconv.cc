// The few-input-channel int8 convolution (see stemconv.h): per unit of output pixels, an
// im2col copy of the windows (K padded to a multiple of 4), then VNNI register blocks of
// `blocks` x 16 output channels by `pixels` output pixels.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_*.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "kernels/int8/stemconv.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels/isa.h"

#define EDGEQ_STEM_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

namespace edgeq::kernels::int8 {
namespace {

using Geometry = StemConv::Geometry;
using Cursor = StemConv::Cursor;

constexpr int kMaxUnit = 24;     // pixels per im2col unit: a multiple of every block's pixel count
constexpr int64_t kMaxKp = 256;  // padded window bytes; 3 units stay in L1 (18 KiB)
constexpr int64_t kMaxSeg = 60;  // kw * C: one kernel row is one (<= 64-byte) vector copy
constexpr int kSlack = 64;       // the last row's vector store runs past the unit

// Pixels per register block for a chunk of `blocks` zmm: about 24 accumulators, the rest
// of the 32 registers for the weights and the broadcast input.
constexpr int pixels_for(int blocks) { return blocks == 4 ? 6 : blocks == 3 ? 8 : blocks == 2 ? 12 : 24; }

// acc[p][b] = bias + sum_k a[p][k] * w[k][b*16 + lane] over `groups` groups of 4 bytes, then
// requantize (qops.h, same float operations) and store `npix` pixels.
template <int B, int P>
EDGEQ_STEM_TARGET void gemm_block(const uint8_t* a, int64_t lda, const int8_t* w, int64_t groups,
                                  const int32_t* bias, const float* mult, int32_t zy, uint8_t* y, int64_t ldy,
                                  int npix, int last_lanes) {
  // Every loop over p and b is unrolled, so acc lives in registers (an index that is not
  // a constant would put it on the stack).
  __m512i acc[P][B];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    const __m512i bv = _mm512_loadu_si512(bias + 16 * b);
#pragma GCC unroll 24
    for (int p = 0; p < P; ++p) acc[p][b] = bv;
  }
  for (int64_t g = 0; g < groups; ++g) {
    __m512i wv[B];
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) wv[b] = _mm512_loadu_si512(w + (g * B + b) * 64);
#pragma GCC unroll 24
    for (int p = 0; p < P; ++p) {
      int32_t v;
      std::memcpy(&v, a + p * lda + 4 * g, 4);
      const __m512i av = _mm512_set1_epi32(v);
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) acc[p][b] = _mm512_dpbusd_epi32(acc[p][b], av, wv[b]);
    }
  }
  // requantize (qops.h): float(acc) * M, clamp to [-zy, 255 - zy], cvtps2dq (round half
  // even), + zy, saturate to u8. With 0 <= zy <= 255 the lower clamp is the saturation's
  // job: a value below -zy rounds to at most -zy, and INT_MIN (NaN) + zy saturates to 0
  // like the reference's. The upper clamp stays (cvtps2dq gives INT_MIN above 2^31).
  // Saturation: packssdw + packuswb, whose 128-bit lanes interleave the 4 blocks' dwords;
  // one dword permute restores channel order.
  const __m512 hi = _mm512_set1_ps(static_cast<float>(255 - zy));
  const __m512i zyv = _mm512_set1_epi32(zy);
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const int bytes = 16 * (B - 1) + last_lanes;
  const __mmask64 store_mask = bytes >= 64 ? ~__mmask64{0} : (__mmask64{1} << bytes) - 1;
  __m512 mv[B];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) mv[b] = _mm512_loadu_ps(mult + 16 * b);
#pragma GCC unroll 24
  for (int p = 0; p < P; ++p) {
    if (p >= npix) break;
    __m512i q[4];
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      const __m512 v = _mm512_min_ps(hi, _mm512_mul_ps(_mm512_cvtepi32_ps(acc[p][b]), mv[b]));
      q[b] = _mm512_add_epi32(_mm512_cvtps_epi32(v), zyv);
    }
    const __m512i ab = _mm512_packs_epi32(q[0], q[B > 1 ? 1 : 0]);
    const __m512i cd = B > 2 ? _mm512_packs_epi32(q[B > 2 ? 2 : 0], q[B > 3 ? 3 : B > 2 ? 2 : 0]) : ab;
    const __m512i u8 = _mm512_permutexvar_epi32(order, _mm512_packus_epi16(ab, cd));
    uint8_t* dst = y + p * ldy;
    if (bytes == 64)
      _mm512_storeu_si512(dst, u8);
    else if (bytes == 32)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm512_castsi512_si256(u8));
    else if (bytes == 16)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_castsi512_si128(u8));
    else
      _mm512_mask_storeu_epi8(dst, store_mask, u8);
  }
}

using BlockFn = void (*)(const uint8_t*, int64_t, const int8_t*, int64_t, const int32_t*, const float*, int32_t,
                         uint8_t*, int64_t, int, int);

BlockFn block_fn(int blocks) {
  switch (blocks) {
    case 1: return gemm_block<1, pixels_for(1)>;
    case 2: return gemm_block<2, pixels_for(2)>;
    case 3: return gemm_block<3, pixels_for(3)>;
    default: return gemm_block<4, pixels_for(4)>;
  }
}

// One kernel row of one window that crosses the left or right border: zx where the
// window is outside the input, then zeros up to 64 bytes.
void partial_row(const uint8_t* row, int64_t iw0, int64_t W, int64_t C, int64_t seg, uint8_t zx, uint8_t* out) {
  std::memset(out, 0, 64);
  std::memset(out, zx, static_cast<size_t>(seg));
  for (int64_t j = 0; j < seg / C; ++j) {
    const int64_t iw = iw0 + j;
    if (iw >= 0 && iw < W) std::memcpy(out + j * C, row + iw * C, static_cast<size_t>(C));
  }
}

// 32- or 64-byte vectors for the im2col copies.
struct Vec32 {
  using T = __m256i;
  using Mask = __mmask32;
  EDGEQ_STEM_TARGET static Mask mask(int64_t n) { return static_cast<Mask>((uint64_t{1} << n) - 1); }
  EDGEQ_STEM_TARGET static T load(Mask m, const uint8_t* p) { return _mm256_maskz_loadu_epi8(m, p); }
  EDGEQ_STEM_TARGET static T fill(Mask m, uint8_t v) { return _mm256_maskz_set1_epi8(m, static_cast<char>(v)); }
  EDGEQ_STEM_TARGET static T load_aligned(const uint8_t* p) { return _mm256_load_si256(reinterpret_cast<const T*>(p)); }
  EDGEQ_STEM_TARGET static void store(uint8_t* p, T v) { _mm256_storeu_si256(reinterpret_cast<T*>(p), v); }
};
struct Vec64 {
  using T = __m512i;
  using Mask = __mmask64;
  EDGEQ_STEM_TARGET static Mask mask(int64_t n) { return n >= 64 ? ~Mask{0} : static_cast<Mask>((uint64_t{1} << n) - 1); }
  EDGEQ_STEM_TARGET static T load(Mask m, const uint8_t* p) { return _mm512_maskz_loadu_epi8(m, p); }
  EDGEQ_STEM_TARGET static T fill(Mask m, uint8_t v) { return _mm512_maskz_set1_epi8(m, static_cast<char>(v)); }
  EDGEQ_STEM_TARGET static T load_aligned(const uint8_t* p) { return _mm512_load_si512(p); }
  EDGEQ_STEM_TARGET static void store(uint8_t* p, T v) { _mm512_storeu_si512(p, v); }
};

// Row t of `buf` (stride Kp) = the window of the pixel at cursor `at`, which then
// advances by one pixel; kernel rows at multiples of kw * C; bytes K..Kp are 0 (the zero
// tail of the last row's vector). KH > 0: the kernel height known at compile time, so a
// window inside the input is KH loads, then KH stores (no load waits behind a store it
// might alias).
template <typename V, int KH>
EDGEQ_STEM_TARGET void im2col_tile(const Geometry& g, const uint8_t* x, uint8_t zx, Cursor& at, int count,
                                   uint8_t* buf) {
  const int64_t H = g.H, W = g.W, C = g.C, kh = KH > 0 ? KH : g.kh, kw = g.kw, sh = g.sh, sw = g.sw;
  const int64_t pt = g.pt, pl = g.pl, OH = g.OH, OW = g.OW, Kp = g.Kp;
  const int64_t seg = kw * C, row_bytes = W * C, image_bytes = H * row_bytes;
  const typename V::Mask m = V::mask(seg);
  const typename V::T zv = V::fill(m, zx);
  int64_t n = at.n, oh = at.oh, ow = at.ow;
  alignas(64) uint8_t tmp[64];
  // Output columns whose windows lie inside the input's columns: [ow_lo, ow_hi).
  const int64_t ow_lo = (pl + sw - 1) / sw, ow_hi = W + pl >= kw ? (W + pl - kw) / sw + 1 : 0;
  int t = 0;
  while (t < count) {
    // The pixels of this unit in output row oh: one check of the rows for all of them.
    const int run = static_cast<int>(std::min<int64_t>(count - t, OW - ow));
    const uint8_t* xn = x + n * image_bytes;
    const int64_t ih0 = oh * sh - pt;
    const bool rows_inside = KH > 0 && ih0 >= 0 && ih0 + kh <= H;
    for (int j = 0; j < run; ++j) {
      uint8_t* d = buf + (t + j) * Kp;
      const int64_t o = ow + j, iw0 = o * sw - pl;
      if (rows_inside && o >= ow_lo && o < ow_hi) {
        const uint8_t* src = xn + ih0 * row_bytes + iw0 * C;
        typename V::T v[KH > 0 ? KH : 1];
#pragma GCC unroll 16
        for (int i = 0; i < KH; ++i) v[i] = V::load(m, src + i * row_bytes);
#pragma GCC unroll 16
        for (int i = 0; i < KH; ++i) V::store(d + i * seg, v[i]);
        continue;
      }
      const bool cols_inside = o >= ow_lo && o < ow_hi;
      for (int64_t i = 0; i < kh; ++i) {
        const int64_t ih = ih0 + i;
        typename V::T v;
        if (ih < 0 || ih >= H) {
          v = zv;
        } else if (cols_inside) {
          v = V::load(m, xn + ih * row_bytes + iw0 * C);
        } else {
          partial_row(xn + ih * row_bytes, iw0, W, C, seg, zx, tmp);
          v = V::load_aligned(tmp);
        }
        V::store(d + i * seg, v);
      }
    }
    t += run;
    ow += run;
    if (ow == OW) {
      ow = 0;
      if (++oh == OH) oh = 0, ++n;
    }
  }
  at = {n, oh, ow};
}

using Im2colFn = void (*)(const Geometry&, const uint8_t*, uint8_t, Cursor&, int, uint8_t*);

template <typename V>
Im2colFn im2col_for(int64_t kh) {
  switch (kh) {
    case 3: return im2col_tile<V, 3>;
    case 5: return im2col_tile<V, 5>;
    case 7: return im2col_tile<V, 7>;
    default: return im2col_tile<V, 0>;
  }
}

}  // namespace

bool stem_conv_host_supported() {
  static const bool yes = isa_can_run(host_isa(), "avx512_core_vnni") && __builtin_cpu_supports("avx512vnni") &&
                          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return yes;
}

std::string stem_conv_unsupported_reason(const StemConvShape& s) {
  if (s.N < 1 || s.C < 1 || s.H < 1 || s.W < 1 || s.O < 1 || s.kh < 1 || s.kw < 1 || s.sh < 1 || s.sw < 1)
    return "the stem conv kernel needs positive sizes and strides";
  if (s.pt < 0 || s.pl < 0 || s.pb < 0 || s.pr < 0) return "the stem conv kernel needs non-negative pads";
  if (s.C > 4) return "the stem conv kernel covers at most 4 input channels";
  if (s.kw * s.C > kMaxSeg) return "the stem conv kernel needs kernel width x channels <= 60";
  if ((s.kh * s.kw * s.C + 3) / 4 * 4 > kMaxKp) return "the stem conv kernel needs a window of at most 256 bytes";
  if (s.H + s.pt + s.pb < s.kh || s.W + s.pl + s.pr < s.kw) return "the stem conv kernel needs a non-empty output";
  return "";
}

StatusOr<StemConv> StemConv::create(const StemConvShape& s, const int8_t* w, const int32_t* bias,
                                    std::span<const float> w_scales, QParam x, QParam y) {
  if (const std::string why = stem_conv_unsupported_reason(s); !why.empty()) return unsupported(why);
  if (x.zero_point < 0 || x.zero_point > 255 || y.zero_point < 0 || y.zero_point > 255)
    return invalid_argument("the stem conv kernel needs u8 zero points in [0, 255]");
  if (w_scales.size() != 1 && static_cast<int64_t>(w_scales.size()) != s.O)
    return invalid_argument("the stem conv kernel needs 1 or " + std::to_string(s.O) + " weight scales");
  StemConv c;
  c.s_ = s;
  c.K_ = s.kh * s.kw * s.C;
  c.Kp_ = (c.K_ + 3) / 4 * 4;
  c.g_ = {s.N, s.C, s.H, s.W, s.O, s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.OH(), s.OW(), c.Kp_};
  c.zx_ = x.zero_point;
  c.zy_ = y.zero_point;
  const int64_t groups = c.Kp_ / 4;
  // Output channels in 16-lane blocks, split into chunks of at most 4 blocks, as even as
  // possible (70 channels: 3 + 2 blocks, not 4 + 1).
  const int64_t nblocks = (s.O + 15) / 16, nchunks = (nblocks + 3) / 4;
  int64_t first_block = 0;
  for (int64_t ci = 0; ci < nchunks; ++ci) {
    Chunk ch;
    ch.blocks = static_cast<int>(nblocks / nchunks + (ci < nblocks % nchunks ? 1 : 0));
    ch.first = first_block * 16;
    ch.pixels = pixels_for(ch.blocks);
    first_block += ch.blocks;
    const int64_t lanes = ch.blocks * 16;
    ch.last_lanes = static_cast<int>(std::min<int64_t>(16, s.O - ch.first - (ch.blocks - 1) * 16));
    ch.w.assign(static_cast<size_t>(groups * lanes * 4), 0);
    ch.bias.assign(static_cast<size_t>(lanes), 0);
    ch.mult.assign(static_cast<size_t>(lanes), 0.0f);
    for (int64_t l = 0; l < lanes; ++l) {
      const int64_t o = ch.first + l;
      if (o >= s.O) break;
      int64_t wsum = 0;
      for (int64_t i = 0; i < s.kh; ++i)
        for (int64_t j = 0; j < s.kw; ++j)
          for (int64_t cc = 0; cc < s.C; ++cc) {
            const int8_t v = w[((o * s.C + cc) * s.kh + i) * s.kw + j];
            const int64_t k = (i * s.kw + j) * s.C + cc;
            ch.w[static_cast<size_t>((((k / 4) * ch.blocks + l / 16) * 16 + l % 16) * 4 + k % 4)] = v;
            wsum += v;
          }
      // bias - zx * sum(w), wrapped to int32 like the int32 sums of the reference.
      const int64_t b = (bias ? bias[o] : 0) - int64_t{x.zero_point} * wsum;
      ch.bias[static_cast<size_t>(l)] = static_cast<int32_t>(static_cast<uint32_t>(b));
      ch.mult[static_cast<size_t>(l)] = conv_multiplier(x.scale, w_scales[w_scales.size() == 1 ? 0 : o], y.scale);
    }
    c.chunks_.push_back(std::move(ch));
  }
  // One chunk: a unit is one register block of pixels; several: 24 pixels, a multiple of
  // every chunk's block.
  c.unit_ = kMaxUnit;
  return c;
}

void StemConv::run(const uint8_t* x, uint8_t* y) const {
  const int64_t total = g_.N * g_.OH * g_.OW;
  const int64_t units = (total + unit_ - 1) / unit_;
  const int threads = static_cast<int>(std::min<int64_t>(omp_get_max_threads(), units));
  if (threads <= 1) {
    run_units(x, y, 0, units);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
    run_units(x, y, units * t / n, units * (t + 1) / n);
  }
}

// Units [u0, u1) of `unit_` pixels. The im2col copy of unit u + 2 runs after the VNNI
// blocks of unit u: out-of-order execution overlaps the copy with the dot products still
// in flight, and by the time unit u + 2 is multiplied its stores have long retired (a
// 4-byte load across two overlapping stores cannot be forwarded from them).
void StemConv::run_units(const uint8_t* x, uint8_t* y, int64_t u0, int64_t u1) const {
  constexpr int kSlots = 3;
  constexpr int64_t kSlotBytes = kMaxUnit * kMaxKp + kSlack;
  alignas(64) uint8_t ring[kSlots * kSlotBytes];
  const int64_t total = g_.N * g_.OH * g_.OW, groups = Kp_ / 4;
  // The last kernel row's vector store must reach Kp.
  const Im2colFn im2col = g_.kw * g_.C + (Kp_ - K_) > 32 ? im2col_for<Vec64>(g_.kh) : im2col_for<Vec32>(g_.kh);
  const uint8_t zx = static_cast<uint8_t>(zx_);
  auto pixels_of = [&](int64_t u) { return static_cast<int>(std::min<int64_t>(unit_, total - u * unit_)); };
  // Units are copied in order: the cursor walks the output pixels without divisions.
  const int64_t p0 = u0 * unit_, ohw = g_.OH * g_.OW;
  Cursor at{p0 / ohw, p0 % ohw / g_.OW, p0 % g_.OW};
  auto fill = [&](int64_t u) {
    uint8_t* slot = ring + (u % kSlots) * kSlotBytes;
    const int count = pixels_of(u);
    im2col(g_, x, zx, at, count, slot);
    // Rows past the last pixel feed register blocks whose results are not stored.
    if (count < unit_) std::memset(slot + count * Kp_, 0, static_cast<size_t>((unit_ - count) * Kp_));
  };
  for (int64_t u = u0; u < std::min(u0 + 2, u1); ++u) fill(u);
  for (int64_t u = u0; u < u1; ++u) {
    const uint8_t* slot = ring + (u % kSlots) * kSlotBytes;
    const int count = pixels_of(u);
    uint8_t* yu = y + u * unit_ * g_.O;
    for (const Chunk& ch : chunks_) {
      const BlockFn fn = block_fn(ch.blocks);
      for (int q = 0; q < count; q += ch.pixels)
        fn(slot + q * Kp_, Kp_, ch.w.data(), groups, ch.bias.data(), ch.mult.data(), zy_, yu + q * g_.O + ch.first,
           g_.O, std::min(ch.pixels, count - q), ch.last_lanes);
    }
    if (u + 2 < u1) fill(u + 2);
  }
}

std::string StemConv::describe() const {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, wrongly) on "literal" + std::string.
  std::string d = "stemconv avx512_vnni ";
  auto num = [&d](int64_t v) { d += std::to_string(v); };
  num(s_.kh), d += 'x', num(s_.kw), d += " s", num(s_.sh);
  if (s_.sw != s_.sh) d += 'x', num(s_.sw);
  d += " C", num(s_.C), d += ": K ", num(K_), d += " -> ", num(Kp_), d += ", blocks";
  for (size_t i = 0; i < chunks_.size(); ++i) {
    d += i ? " + " : " ";
    num(chunks_[i].blocks * 16), d += " channels x ", num(chunks_[i].pixels), d += " pixels";
  }
  return d;
}

}  // namespace edgeq::kernels::int8
