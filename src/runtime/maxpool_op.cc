// MaxPool on u8 NHWC activations with AVX-512 BW: per output pixel, the byte-wise max of
// the window's channel vectors (masked loads for the last < 64 channels). Window cells
// outside the image are skipped, as ONNX's padding (-inf) ignores them. A max is exact, so
// the result is the reference's bit for bit. oneDNN's u8 pooling runs channels in blocks
// of 64 and is several times slower when C is not a multiple of 64 (ShuffleNet's 24).
#include <immintrin.h>

#include <algorithm>

#include "kernels/isa.h"
#include "runtime/op_kernel.h"

namespace edgeq::runtime::detail {

namespace {

struct PoolShape {
  int64_t n, c, h, w, oh, ow;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl;
};

__attribute__((target("avx512f,avx512bw"))) void maxpool_rows(const uint8_t* x, uint8_t* y, const PoolShape& s,
                                                                int64_t row0, int64_t row1) {
  const int64_t full = s.c / 64;
  const __mmask64 tail = s.c % 64 ? (~__mmask64{0} >> (64 - s.c % 64)) : 0;
  for (int64_t row = row0; row < row1; ++row) {  // row = n · oh + oy
    const int64_t n = row / s.oh, oy = row % s.oh;
    for (int64_t ox = 0; ox < s.ow; ++ox) {
      uint8_t* out = y + (row * s.ow + ox) * s.c;
      for (int64_t b = 0; b <= full; ++b) {
        const __mmask64 m = b < full ? ~__mmask64{0} : tail;
        if (!m) break;
        __m512i acc = _mm512_setzero_si512();
        for (int64_t ky = 0; ky < s.kh; ++ky) {
          const int64_t iy = oy * s.sh - s.pt + ky * s.dh;
          if (iy < 0 || iy >= s.h) continue;
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            const int64_t ix = ox * s.sw - s.pl + kx * s.dw;
            if (ix < 0 || ix >= s.w) continue;
            acc = _mm512_max_epu8(acc, _mm512_maskz_loadu_epi8(m, x + ((n * s.h + iy) * s.w + ix) * s.c + b * 64));
          }
        }
        _mm512_mask_storeu_epi8(out + b * 64, m, acc);
      }
    }
  }
}

class MaxPoolNhwcKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  PoolShape s_{};

  std::string describe() const override { return "edgeq maxpool avx512 (NHWC)"; }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const MaxPoolNhwcKernel* k = nullptr;
      const uint8_t* x = nullptr;
      uint8_t* y = nullptr;
      Status run() override {
        const PoolShape& s = k->s_;
        const int64_t rows = s.n * s.oh;
#pragma omp parallel for schedule(static) if (rows * s.ow * s.c >= (int64_t{1} << 16))
        for (int64_t r = 0; r < rows; ++r) maxpool_rows(x, y, s, r, r + 1);
        return {};
      }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    b->x = static_cast<const uint8_t*>(ctx.ptr(x_));
    b->y = static_cast<uint8_t*>(ctx.ptr(y_));
    return std::unique_ptr<BoundOp>(std::move(b));
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
  return k;
}

}  // namespace edgeq::runtime::detail
