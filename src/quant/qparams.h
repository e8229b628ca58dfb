// Quantization parameter math (DESIGN §5, docs/quantization.md): scales and zero points
// for u8 activations and s8 weights, int32 bias quantization, requantization multipliers.
//
//   ir::QuantParams a = quant::activation_params(-0.5f, 3.0f);   // u8, zero point 36
//   EDGEQ_ASSIGN_OR_RETURN(quant::QuantizedWeight w, quant::quantize_weight(conv_w, 0));
//   Tensor b32 = quant::quantize_bias(bias, a.scale[0], w.params.scale);
//
// Rounding is half to even (std::nearbyint under the default rounding mode, numpy.round,
// ONNX QuantizeLinear), and every conversion saturates to the target dtype's range.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"

namespace edgeq::quant {

// Scale used when a range is empty (all zeros): any positive scale represents 0 exactly;
// 1.0 is what ONNX Runtime's quantizer uses, so both tools write the same file.
inline constexpr float kDegenerateScale = 1.0f;

// u8 asymmetric per-tensor parameters for a float range: the range is widened to contain
// 0, scale = (max - min) / 255, zero_point = round_half_even(-min / scale) in [0, 255].
// min >= 0 gives zero point 0. NaN or infinite bounds are treated as 0.
ir::QuantParams activation_params(float min, float max);

// s8 symmetric parameters for one channel's largest magnitude: scale = max_abs / 127.
float weight_scale(float max_abs);

struct QuantizedWeight {
  Tensor values;          // int8, same shape as the float weight
  ir::QuantParams params;  // kInt8, one scale per channel along `axis`, zero points 0
};

// Symmetric int8 per-channel quantization along `axis` (q in [-127, 127]).
StatusOr<QuantizedWeight> quantize_weight(const Tensor& w, int64_t axis);
// Symmetric int8 per-tensor quantization.
StatusOr<QuantizedWeight> quantize_weight_per_tensor(const Tensor& w);

// int32 bias at scale input_scale * weight_scale[c] (zero point 0), saturated to the
// int32 range. `weight_scales` has one entry (per-tensor) or one per bias element.
StatusOr<QuantizedWeight> quantize_bias(const Tensor& bias, float input_scale,
                                        const std::vector<float>& weight_scales);

// q = saturate(round_half_even(x / scale) + zero_point) into [qmin, qmax].
int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax);

// Requantization of an int32 accumulator to u8: out = saturate(round_half_even(acc *
// multiplier) + zero_point), multiplier = s_in * s_w[c] / s_out (one per output channel).
std::vector<float> requant_multipliers(float input_scale, const std::vector<float>& weight_scales,
                                       float output_scale);
uint8_t requantize(int32_t acc, float multiplier, int32_t output_zero_point);

}  // namespace edgeq::quant
