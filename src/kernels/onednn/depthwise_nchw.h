// Direct depthwise convolution on plain NCHW f32 tensors (one filter per channel).
//
// oneDNN 2.6 runs a depthwise conv on NCHW through im2col + GEMM (6x slower than its
// blocked kernel), and the blocked kernel needs a reorder of src and dst around each conv,
// which costs more than the conv itself in MobileNetV2 (memory-bound layers). This kernel
// reads NCHW directly: each channel's plane is copied once into a zero-padded scratch,
// split by column phase for strides > 1, so every tap is a contiguous multiply-add over an
// output row that the compiler vectorizes (AVX-512 / AVX2 clones chosen at run time).
//
//   if (depthwise_nchw_applies(g, group, out_channels))
//     depthwise_nchw(x, w, b_or_null, y, g);
#pragma once

#include <cstdint>

#include "kernels/ref/nn_geometry.h"

namespace edgeq::kernels::onednn {

bool depthwise_nchw_applies(const ref::WindowGeometry& g, int64_t group, int64_t out_channels);
// x [N, C, H, W], w [C, 1, KH, KW], b [C] or nullptr, y [N, C, OH, OW].
void depthwise_nchw(const float* x, const float* w, const float* b, float* y, const ref::WindowGeometry& g);

}  // namespace edgeq::kernels::onednn
