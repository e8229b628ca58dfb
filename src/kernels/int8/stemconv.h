// Int8 convolution for layers with few input channels (C <= 4): a network's first conv,
// which reads the u8 NHWC image (ResNet's 7x7 s2 3->64, MobileNet's 3x3 s2 3->32). With
// so few channels the usual blocking over input channels wastes most of each VNNI dot
// product, so this kernel reduces over the whole window instead: each output pixel's
// window (kH * kW * C bytes, e.g. 147) is copied into a row of K padded to a multiple of
// 4 (148), a few dozen pixels at a time (an L1-sized tile), and a register-blocked
// AVX-512 VNNI kernel (16 output channels per zmm, up to 4 zmm x 6-24 pixels) multiplies
// the tile by the prepacked weights.
//
// Arithmetic (bit for bit kernels::int8 qconv, qops.h requantize): padding taps hold the
// input zero point zx and the bias is corrected by -zx * sum(w), so
// acc = bias + sum (x - zx) * w exactly; then float(acc) * M[c], clamp to [-zy, 255 - zy],
// round half even, + zy.
//
//   StemConvShape s;  // N, C, H, W, O, kernel, strides, pads
//   EDGEQ_ASSIGN_OR_RETURN(StemConv conv, StemConv::create(s, w_oihw, bias, w_scales, xq, yq));
//   conv.run(x_nhwc, y_nhwc);  // per frame: no checks, no allocation; OpenMP over tiles
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "kernels/int8/qops.h"

namespace edgeq::kernels::int8 {

// Dilation 1, group 1. Activations u8 NHWC, weights s8 OIHW, bias s32 [O].
struct StemConvShape {
  int64_t N = 1, C = 3, H = 224, W = 224, O = 64;
  int64_t kh = 7, kw = 7, sh = 2, sw = 2;
  int64_t pt = 3, pl = 3, pb = 3, pr = 3;
  int64_t OH() const { return (H + pt + pb - kh) / sh + 1; }
  int64_t OW() const { return (W + pl + pr - kw) / sw + 1; }
};

// True when this machine has AVX-512 VNNI (kernels/isa.h: avx512_core_vnni or better).
bool stem_conv_host_supported();

// Empty when the kernel covers the shape; otherwise why it does not (one sentence).
std::string stem_conv_unsupported_reason(const StemConvShape& s);

class StemConv {
 public:
  StemConv() = default;
  // w: s8 [O, C, kh, kw]; bias: s32 [O] or nullptr; w_scales: O values or 1.
  static StatusOr<StemConv> create(const StemConvShape& s, const int8_t* w, const int32_t* bias,
                                   std::span<const float> w_scales, QParam x, QParam y);

  // x: u8 [N, H, W, C]; y: u8 [N, OH, OW, O]. Runs on omp_get_max_threads() threads.
  void run(const uint8_t* x, uint8_t* y) const;

  // "stemconv avx512_vnni 7x7 s2 C3: K 147 -> 148, 64 channels x 6 pixels per block".
  std::string describe() const;
  const StemConvShape& shape() const { return s_; }

  // One chunk of up to 64 output channels: its weights, corrected biases and multipliers.
  struct Chunk {
    int64_t first = 0;     // first output channel
    int blocks = 0;        // zmm blocks of 16 channels (1..4)
    int pixels = 0;        // pixels per register block
    int last_lanes = 16;   // valid channels in the last block
    std::vector<int8_t> w;        // [groups][blocks][16][4]
    std::vector<int32_t> bias;    // [blocks * 16]: bias - zx * sum(w)
    std::vector<float> mult;      // [blocks * 16]
  };
  // The sizes the per-frame loops read (no divisions per frame).
  struct Geometry {
    int64_t N, C, H, W, O, kh, kw, sh, sw, pt, pl, OH, OW, Kp;
  };
  // An output pixel: image, row, column.
  struct Cursor {
    int64_t n, oh, ow;
  };

 private:
  void run_units(const uint8_t* x, uint8_t* y, int64_t u0, int64_t u1) const;

  StemConvShape s_;
  Geometry g_{};
  int64_t K_ = 0, Kp_ = 0;  // window bytes, padded to a multiple of 4
  int unit_ = 24;           // pixels per im2col copy
  int32_t zx_ = 0, zy_ = 0;
  std::vector<Chunk> chunks_;
};

}  // namespace edgeq::kernels::int8
