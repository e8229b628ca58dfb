// Window geometry shared by the convolution and pooling kernels (reference and oneDNN):
// reads kernel_shape / strides / dilations / pads / auto_pad and computes output dims the
// way the ONNX spec defines them.
//
//   WindowGeometry g;
//   EDGEQ_RETURN_IF_ERROR(read_window(ctx, x->shape(), kernel_from_w, /*ceil_mode=*/false, &g));
//   // g.out[i], g.pad_begin[i], ... for each spatial dim i
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "base/tensor.h"
#include "kernels/kernel.h"

namespace edgeq::kernels::ref {

struct WindowGeometry {
  int64_t batch = 0;
  int64_t channels = 0;
  Dims in;         // spatial input dims
  Dims kernel;     // spatial kernel dims
  Dims stride;
  Dims dilation;
  Dims pad_begin;  // may be negative for ConvTranspose with an explicit output_shape
  Dims pad_end;
  Dims out;        // spatial output dims
  size_t spatial() const { return in.size(); }
};

// For Conv and the pools: `x_shape` is [N, C, D1..Dk]; `kernel` the spatial kernel dims
// (from W for Conv; empty to read the kernel_shape attribute). `ceil_mode` for pools.
Status read_window(const KernelContext& ctx, const Dims& x_shape, const Dims& kernel, bool ceil_mode,
                   WindowGeometry* g);

// For ConvTranspose: kernel from W ([C, M/group, k...]) unless kernel_shape is given;
// output_padding, output_shape and auto_pad decide output dims and pads.
Status read_transpose_window(const KernelContext& ctx, const Dims& x_shape, const Dims& w_shape,
                             WindowGeometry* g);

// Validates Conv inputs (X, W, optional B; dtypes, group, channels) and fills the geometry.
Status conv_geometry(const KernelContext& ctx, const Tensor* x, const Tensor* w, const Tensor* b,
                     WindowGeometry* g, int64_t* group);
// Same for ConvTranspose; also returns the output channel count (W.dim(1) * group).
Status conv_transpose_geometry(const KernelContext& ctx, const Tensor* x, const Tensor* w, const Tensor* b,
                               WindowGeometry* g, int64_t* group, int64_t* out_channels);

// Pads the geometry to exactly 3 spatial dims (leading 1s) so loops can be written once.
WindowGeometry as_3d(const WindowGeometry& g);

}  // namespace edgeq::kernels::ref
