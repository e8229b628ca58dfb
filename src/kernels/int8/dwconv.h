// Int8 depthwise convolution (group == C == O, weights [C, 1, kH, kW]) on u8 NHWC
// activations, s8 weights with per-channel scales, s32 bias, u8 NHWC output. Every value
// equals the reference qconv (ref.h): acc = bias + sum (x - zx) * w in int32, then
// requantize(acc, M[c], zy) of qops.h.
//
// AVX-512 VNNI scheme: one vpdpbusd adds 4 u8 x s8 products per dword, so the 4 bytes of a
// dword hold 4 input *rows* of one channel. A task computes R output rows (2 for stride 1
// and for 5x5, else 1) of one 64-channel block; it interleaves the input rows they read
// (vpunpck{l,h}bw then vpunpck{l,h}wd of four 64-channel row loads, 16 output columns at a
// time), which leaves channel L*16 + 4j + d in dword d of lane L of vector j. The weights
// are prepacked per output row of the task in that order (zero where a row is not in that
// output row's window), so one vpdpbusd per kernel column, per group of 4 rows and per 16
// channels adds a whole column of the window; the saturating packs that bring the results
// back to bytes (vpackssdw, vpackuswb, per lane) undo the permutation. Channel tails of 32
// or 16 channels use ymm/xmm vectors over the same packing, other tails masks. Padding
// reads the input zero point zx; the weights' sum times zx is taken off the bias once at
// load, so the int32 sum is exact. Requantization: float(acc) * M, cvtps2dq, then the
// saturating packs and a saturating +zy, which equals qops.h's clamp-round-add; when some
// float(acc) * M could reach 2^31 (found at load) it is first clamped to 2^30.
//
//   EDGEQ_ASSIGN_OR_RETURN(DwConv k, DwConv::create(shape, w, bias, multipliers));
//   k.run(x, y);   // whole batch, OpenMP over output rows x channel blocks
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace edgeq::kernels::int8 {

struct DwConvShape {
  int64_t n = 1, c = 0;        // batch, channels (= output channels)
  int64_t h = 0, w = 0;        // input spatial size
  int64_t oh = 0, ow = 0;      // output spatial size
  int64_t kh = 3, kw = 3;      // kernel
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // bottom/right padding follows from oh/ow
  int32_t x_zero_point = 0, y_zero_point = 0;
};

class DwConv {
 public:
  // True when this machine runs the kernel (AVX-512 F/BW/VL and VNNI).
  static bool host_supported();
  // Empty when `s` is a shape the kernel handles (3x3 or 5x5, dilation 1 implied, both
  // strides 1 or both 2, any padding), else why not.
  static std::string why_not(const DwConvShape& s);
  // w: s8 [C, 1, kH, kW]; bias: C values or empty; multipliers: C values or 1
  // (conv_multiplier of each channel).
  static StatusOr<DwConv> create(const DwConvShape& s, const int8_t* w, std::span<const int32_t> bias,
                                 std::span<const float> multipliers);

  // x: u8 NHWC [n, h, w, c]; y: u8 NHWC [n, oh, ow, c]. Uses OpenMP threads when the layer
  // is large enough.
  void run(const uint8_t* x, uint8_t* y) const;

  const DwConvShape& shape() const { return s_; }
  std::string describe() const;

 private:
  DwConvShape s_;
  int64_t blocks_ = 0;   // 64-channel blocks
  int64_t rows_ = 1;     // output rows per task (they share the interleaved input rows)
  int64_t groups_ = 0;   // groups of 4 input rows a task reads
  bool clamp_high_ = true;  // some float(acc) * M may reach 2^31
  // Per block: [rows][groups][kW][4 vectors][64 bytes]; bias' and M per block: [4 vectors][16].
  std::vector<int8_t> wpack_;
  std::vector<int32_t> bias_;
  std::vector<float> mult_;
};

}  // namespace edgeq::kernels::int8
