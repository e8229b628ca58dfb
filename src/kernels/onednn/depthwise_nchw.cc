#include "kernels/onednn/depthwise_nchw.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/kernel.h"

namespace edgeq::kernels::onednn {
namespace {

struct Plane {
  int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pad_top, pad_left;
  int64_t rows;   // padded rows held in the scratch
  int64_t width;  // columns per phase
};

// Copies one input plane into `scratch` laid out [rows][sw phases][width], zero-padded, so
// that input column (ow * sw + k) of padded row r is scratch[(r * sw + k % sw) * width + ow + k / sw].
__attribute__((always_inline)) inline void fill_scratch(const float* __restrict x, float* __restrict scratch,
                                                       const Plane& p) {
  const int64_t sw = p.sw, width = p.width, iw = p.iw, pad_left = p.pad_left;
  // Phase columns j read input column j * sw + phase - pad_left; [lo, hi) fall inside the input.
  int64_t lo[4], hi[4];
  for (int64_t phase = 0; phase < sw; ++phase) {
    const int64_t first = pad_left - phase;
    lo[phase] = std::min(first <= 0 ? int64_t{0} : (first + sw - 1) / sw, width);
    hi[phase] = std::clamp((iw + pad_left - phase + sw - 1) / sw, lo[phase], width);
  }
  for (int64_t r = 0; r < p.rows; ++r) {
    const int64_t in_r = r - p.pad_top;
    for (int64_t phase = 0; phase < sw; ++phase) {
      float* dst = scratch + (r * sw + phase) * width;
      if (in_r < 0 || in_r >= p.ih) {
        std::fill(dst, dst + width, 0.0f);
        continue;
      }
      const float* src = x + in_r * iw;
      const int64_t l = lo[phase], h = hi[phase];
      std::fill(dst, dst + l, 0.0f);
      if (sw == 1) {
        std::copy(src + l - pad_left, src + h - pad_left, dst + l);
      } else if (sw == 2) {  // a constant stride lets the compiler vectorize the gather
        const float* s2 = src + phase - pad_left;
        for (int64_t j = l; j < h; ++j) dst[j] = s2[2 * j];
      } else {
        for (int64_t j = l; j < h; ++j) dst[j] = src[j * sw + phase - pad_left];
      }
      std::fill(dst + h, dst + width, 0.0f);
    }
  }
}

// 16 floats; unaligned loads and stores. In the AVX-512 clone this is one zmm register,
// elsewhere GCC splits it into narrower registers.
typedef float V16 __attribute__((vector_size(64), aligned(4)));

constexpr int64_t kMaxTaps = 64;

// One output plane. Per output row, the taps' source rows are set up once; then each
// 16-wide chunk of the row accumulates all taps in a register (the scratch rows are wide
// enough to read whole chunks).
// kTaps > 0 fixes the tap count at compile time (3x3) so the tap loop unrolls.
template <int kTaps>
__attribute__((always_inline)) inline void conv_plane_impl(const float* __restrict scratch, const float* __restrict w, float bias,
                            float* __restrict y, const Plane& p) {
  const int64_t ow = p.ow, taps = kTaps > 0 ? kTaps : p.kh * p.kw;
  const float* src[kMaxTaps];
  int64_t tap_offset[kMaxTaps];  // of tap t from the window's top-left in the scratch
  V16 wv[kMaxTaps];
  for (int64_t kh = 0, t = 0; kh < p.kh; ++kh)
    for (int64_t kw = 0; kw < p.kw; ++kw, ++t) {
      const int64_t off = kw * p.dw;
      tap_offset[t] = (kh * p.dh * p.sw + off % p.sw) * p.width + off / p.sw;
      wv[t] = V16{} + w[t];
    }
  const V16 bias_v = V16{} + bias;
  const float* plane_end = y + p.oh * ow;
  V16 tail;
  for (int64_t oh = 0; oh < p.oh; ++oh) {
    const float* window = scratch + oh * p.sh * p.sw * p.width;
    for (int64_t t = 0; t < taps; ++t) src[t] = window + tap_offset[t];
    float* out = y + oh * ow;
    for (int64_t i = 0; i < ow; i += 16) {
      V16 acc = bias_v;
      for (int64_t t = 0; t < taps; ++t) acc += wv[t] * *reinterpret_cast<const V16*>(src[t] + i);
      // A chunk past the row's end spills into the next rows, which are written later and
      // overwrite it; only the plane's last chunks must be cut.
      if (out + i + 16 <= plane_end) {
        *reinterpret_cast<V16*>(out + i) = acc;
      } else {
        tail = acc;
        for (int64_t j = i; j < ow; ++j) out[j] = tail[j - i];
      }
    }
  }
}

// Fills the scratch from one input plane and computes one output plane; cloned per ISA.
__attribute__((target_clones("avx512f", "avx2", "default")))
void process_plane(const float* __restrict x, float* __restrict scratch, const float* __restrict w, float bias,
                   float* __restrict y, const Plane& p) {
  fill_scratch(x, scratch, p);
  if (p.kh * p.kw == 9) conv_plane_impl<9>(scratch, w, bias, y, p);
  else conv_plane_impl<0>(scratch, w, bias, y, p);
}

}  // namespace

bool depthwise_nchw_applies(const ref::WindowGeometry& g, int64_t group, int64_t out_channels) {
  // On 7-wide rows half the lanes idle and oneDNN's blocked kernel wins even with its
  // reorders (960 channels at 7x7: 0.065 ms vs 0.145 ms here); from 14 wide on this one
  // does (576 at 14x14: 0.14 ms vs 0.165 ms; 144 at 56x56: 0.26 vs 0.6; 96 at 112x112,
  // stride 2: 0.68 vs 1.3 — thread CPU time, 1 thread).
  return g.spatial() == 2 && group > 1 && group == g.channels && out_channels == group && g.stride[1] <= 4 &&
         g.kernel[0] * g.kernel[1] <= kMaxTaps && g.out[1] >= 12;
}

void depthwise_nchw(const float* x, const float* w, const float* b, float* y, const ref::WindowGeometry& g) {
  Plane p{g.in[0], g.in[1], g.out[0], g.out[1], g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
          g.dilation[0], g.dilation[1], g.pad_begin[0], g.pad_begin[1], 0, 0};
  p.rows = (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1;
  // Rows are read in whole 16-float chunks, so each phase row is padded to that width.
  p.width = (p.ow + 15) / 16 * 16 + ((p.kw - 1) * p.dw) / p.sw;
  const int64_t planes = g.batch * g.channels, k = p.kh * p.kw;
  const size_t scratch_size = static_cast<size_t>(p.rows * p.sw * p.width);
#pragma omp parallel num_threads(std::max(1, num_threads()))
  {
    std::vector<float> scratch(scratch_size);
#pragma omp for schedule(static)
    for (int64_t nc = 0; nc < planes; ++nc) {
      const int64_t c = nc % g.channels;
      process_plane(x + nc * p.ih * p.iw, scratch.data(), w + c * k, b ? b[c] : 0.0f, y + nc * p.oh * p.ow, p);
    }
  }
}

}  // namespace edgeq::kernels::onednn
