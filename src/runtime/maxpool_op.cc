// MaxPool on u8 NHWC activations with AVX-512 BW: per output pixel, the byte-wise max of
// the window's channel vectors (masked loads for the last < 64 channels). Window cells
// outside the image are skipped, as ONNX's padding (-inf) ignores them. A max is exact, so
// the result is the reference's bit for bit. oneDNN's u8 pooling runs channels in blocks
// of 64 and is several times slower when C is not a multiple of 64 (ShuffleNet's 24).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/isa.h"
#include "runtime/op_kernel.h"

namespace edgeq::runtime::detail {

namespace {

struct PoolShape {
  int64_t n, c, h, w, oh, ow;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl;
};

// First and one-past-last window index k with 0 <= o·stride − pad + k·dil < size.
inline void window_range(int64_t o, int64_t stride, int64_t pad, int64_t dil, int64_t k, int64_t size, int64_t* lo,
                         int64_t* hi) {
  const int64_t start = o * stride - pad;
  *lo = start >= 0 ? 0 : (-start + dil - 1) / dil;
  *hi = size - start <= 0 ? 0 : std::min(k, (size - start + dil - 1) / dil);
}

// Window cells are listed in arrays of this many (every pooling of the zoo has 4 or 9);
// make_maxpool_nhwc leaves larger windows to oneDNN.
constexpr int64_t kMaxCells = 64;

// Max over the window cells at byte offsets `cell[0..cells)` from `win`, channel vector
// by channel vector, into `out`.
__attribute__((target("avx512f,avx512bw"))) inline void max_cells(const uint8_t* win, const int64_t* cell, int64_t cells,
                                                                   int64_t full, __mmask64 tail, uint8_t* out) {
  for (int64_t b = 0; b < full; ++b) {
    __m512i acc = _mm512_loadu_si512(win + cell[0] + b * 64);
    for (int64_t j = 1; j < cells; ++j) acc = _mm512_max_epu8(acc, _mm512_loadu_si512(win + cell[j] + b * 64));
    _mm512_storeu_si512(out + b * 64, acc);
  }
  if (tail) {
    __m512i acc = _mm512_maskz_loadu_epi8(tail, win + cell[0] + full * 64);
    for (int64_t j = 1; j < cells; ++j)
      acc = _mm512_max_epu8(acc, _mm512_maskz_loadu_epi8(tail, win + cell[j] + full * 64));
    _mm512_mask_storeu_epi8(out + full * 64, tail, acc);
  }
}

// Output row `row` (= n · oh + oy). The columns whose window lies wholly inside the image
// (`ox_lo` ≤ ox < `ox_hi`) share one list of cell offsets; the border columns get theirs.
__attribute__((target("avx512f,avx512bw"))) void maxpool_row(const uint8_t* x, uint8_t* y, const PoolShape& s,
                                                               int64_t ox_lo, int64_t ox_hi, int64_t row) {
  const int64_t full = s.c / 64;
  const __mmask64 tail = s.c % 64 ? (~__mmask64{0} >> (64 - s.c % 64)) : 0;
  const int64_t row_stride = s.w * s.c;
  const int64_t n = row / s.oh, oy = row % s.oh;
  int64_t ky0, ky1;
  window_range(oy, s.sh, s.pt, s.dh, s.kh, s.h, &ky0, &ky1);
  const uint8_t* img = x + (n * s.h + oy * s.sh - s.pt) * row_stride;
  auto cells_of = [&](int64_t kx0, int64_t kx1, int64_t* cell) {
    int64_t cells = 0;
    for (int64_t ky = ky0; ky < ky1; ++ky)
      for (int64_t kx = kx0; kx < kx1; ++kx) cell[cells++] = ky * s.dh * row_stride + kx * s.dw * s.c;
    return cells;
  };
  int64_t inner[kMaxCells], border[kMaxCells];
  const int64_t inner_cells = cells_of(0, s.kw, inner);
  for (int64_t ox = 0; ox < s.ow; ++ox) {
    const uint8_t* win = img + (ox * s.sw - s.pl) * s.c;
    uint8_t* out = y + (row * s.ow + ox) * s.c;
    int64_t cells = inner_cells;
    const int64_t* cell = inner;
    if (ox < ox_lo || ox >= ox_hi) {
      int64_t kx0, kx1;
      window_range(ox, s.sw, s.pl, s.dw, s.kw, s.w, &kx0, &kx1);
      cells = cells_of(kx0, kx1, border);
      cell = border;
    }
    if (cells > 0) max_cells(win, cell, cells, full, tail, out);
    else std::memset(out, 0, static_cast<size_t>(s.c));  // no cell inside the image
  }
}

class MaxPoolNhwcKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  PoolShape s_{};
  int64_t ox_lo_ = 0, ox_hi_ = 0;  // the output columns whose window lies inside the image

  std::string describe() const override { return "edgeq maxpool avx512 (NHWC)"; }

  void run(const uint8_t* x, uint8_t* y) const {
    const int64_t rows = s_.n * s_.oh;
#pragma omp parallel for schedule(static) if (rows * s_.ow * s_.c >= (int64_t{1} << 16))
    for (int64_t r = 0; r < rows; ++r) maxpool_row(x, y, s_, ox_lo_, ox_hi_, r);
  }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    return bind_u8_kernel(*this, ctx, x_, y_);
  }
};

}  // namespace

// The NHWC kernel for a u8 MaxPool of output size `oh` × `ow`, or nullptr without AVX-512 BW.
std::unique_ptr<OpKernel> make_maxpool_nhwc(int x, int y, const std::vector<int64_t>& x_shape, int64_t oh, int64_t ow,
                                            const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                                            const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads) {
  if (!kernels::cpu_has_avx512bw() || x_shape.size() != 4 || kernel.size() != 2 || strides.size() != 2 ||
      dilations.size() != 2 || pads.size() != 4)
    return nullptr;
  auto k = std::make_unique<MaxPoolNhwcKernel>();
  k->x_ = x;
  k->y_ = y;
  k->s_ = {x_shape[0], x_shape[1], x_shape[2], x_shape[3], oh,         ow,     kernel[0],
           kernel[1],  strides[0], strides[1], dilations[0], dilations[1], pads[0], pads[1]};
  if (kernel[0] * kernel[1] > kMaxCells) return nullptr;
  const PoolShape& s = k->s_;
  k->ox_lo_ = s.ow;
  for (int64_t ox = 0; ox < s.ow; ++ox) {
    int64_t lo, hi;
    window_range(ox, s.sw, s.pl, s.dw, s.kw, s.w, &lo, &hi);
    if (lo == 0 && hi == s.kw) {
      k->ox_lo_ = std::min(k->ox_lo_, ox);
      k->ox_hi_ = ox + 1;
    }
  }
  return k;
}

}  // namespace edgeq::runtime::detail
