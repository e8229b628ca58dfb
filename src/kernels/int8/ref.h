// Int8 reference kernels on whole tensors: the ground truth for the runtime's fast int8
// kernels and what the interpreter's int8 simulation (exec::InterpreterOptions::
// int8_simulation) runs for each node group ONNX Runtime fuses. Plain loops over the
// arithmetic of qops.h, so every value equals what ONNX Runtime's CPU int8 kernels give.
//
// Layouts: activations u8 NCHW (or any rank for the elementwise ops), weights s8 OIHW
// (Conv) / [N, K] (Gemm, i.e. transB=1), biases s32 [M], per-output-channel weight scales
// (one value = per tensor). Weight zero points are 0.
//
//   EDGEQ_ASSIGN_OR_RETURN(Tensor y, int8::qconv(x, xq, w, w_scales, &bias, yq, params));
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/attributes.h"
#include "base/status.h"
#include "base/tensor.h"
#include "kernels/int8/qops.h"

namespace edgeq::kernels::int8 {

// Spatial geometry of a 2-D window op; every vector has 2 entries (H, W).
struct Window2d {
  std::vector<int64_t> kernel;     // pools only (Conv takes it from W)
  std::vector<int64_t> strides = {1, 1};
  std::vector<int64_t> dilations = {1, 1};
  std::vector<int64_t> pads_begin = {0, 0};
  std::vector<int64_t> pads_end = {0, 0};
  bool ceil_mode = false;          // pools
  bool count_include_pad = false;  // AveragePool
};

// acc[c] = bias[c] + sum (x - zx) * w over the window; padding contributes 0 (it holds the
// input zero point). y = requantize(acc, conv_multiplier(sx, sw[c], sy), zy).
// x: u8 [N, C, H, W]; w: s8 [M, C/group, kH, kW]; bias: s32 [M] or nullptr;
// w_scales: M values (or 1).
StatusOr<Tensor> qconv(const Tensor& x, QParam xq, const Tensor& w, std::span<const float> w_scales,
                       const Tensor* bias, QParam yq, const Window2d& window, int64_t group);

// y[m, n] = requantize(bias[n] + sum_k (a[m, k] - za) * w[n, k], conv_multiplier(sa, sw[n], sy), zy).
// a: u8 [M, K]; w: s8 [N, K]; bias: s32 [N] or nullptr.
StatusOr<Tensor> qgemm(const Tensor& a, QParam aq, const Tensor& w, std::span<const float> w_scales,
                       const Tensor* bias, QParam yq);

// Elementwise with numpy broadcasting (u8 in, u8 out).
StatusOr<Tensor> qadd(const Tensor& a, QParam aq, const Tensor& b, QParam bq, QParam yq);
StatusOr<Tensor> qmul(const Tensor& a, QParam aq, const Tensor& b, QParam bq, QParam yq);

// y[i] = table[x[i]] (QLinearSigmoid, QLinearLeakyRelu, any u8 → u8 function).
Tensor qlut(const Tensor& x, const Table& table);

// x: u8 [N, C, spatial...] → [N, C, 1, ...]; average() over each channel.
StatusOr<Tensor> qglobal_average_pool(const Tensor& x, QParam xq, QParam yq);

// x: u8 [N, C, H, W]. Float mean of the dequantized window, pool_quantize() to yq. With
// count_include_pad the divisor is kH * kW (padding adds 0.0), else the valid count.
StatusOr<Tensor> qaverage_pool(const Tensor& x, QParam xq, QParam yq, const Window2d& window);

// Concat along `axis`; each input goes through requant_table(xq[i], yq) (a copy when the
// params are equal).
StatusOr<Tensor> qconcat(std::span<const Tensor* const> xs, std::span<const QParam> xq, QParam yq, int64_t axis);

// MaxPool on u8 (params unchanged); padding never wins.
StatusOr<Tensor> maxpool_u8(const Tensor& x, const Window2d& window);

// Resize on u8 with the same params in and out: nearest copies values; linear interpolates
// the dequantized values in float (edgeq's Resize kernel, same attributes and inputs as the
// ONNX node: roi, scales, sizes may be nullptr) and quantizes back with quantize().
StatusOr<Tensor> qresize(const Tensor& x, QParam xq, const Attributes& attrs, int64_t opset, const Tensor* roi,
                         const Tensor* scales, const Tensor* sizes);

// Output spatial size of a window op (floor, or ceil for pools with ceil_mode, where the
// last window must start inside the input or left padding).
int64_t window_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_begin,
                       int64_t pad_end, bool ceil_mode);

}  // namespace edgeq::kernels::int8
