// The arithmetic of edgeq's int8 ops, in one place. The runtime's kernels, the
// interpreter's int8 simulation of a QDQ model (exec), and the compiler (lookup tables,
// multipliers) all call these functions, so a value computed by the runtime can be
// reproduced bit for bit on the host. They follow ONNX Runtime's int8 CPU kernels
// (MLAS QLinearConv / QGemm / QLinearAdd / QLinearMul / QLinearGlobalAveragePool /
// QLinearConcat / QLinearSigmoid tables), so the simulation also agrees with ONNX Runtime
// running the same QDQ file.
//
// Notation: real = scale * (q - zero_point); u8 activations, s8 weights (zero point 0),
// s32 biases at scale s_x * s_w[c]. Rounding is half to even, then saturation to [0, 255].
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>

namespace edgeq::kernels::int8 {

struct QParam {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

inline uint8_t saturate_u8(int32_t v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// ---- QConv / QGemm -------------------------------------------------------------------
// acc[c] = bias[c] + sum over the window of (x - zx) * w   (exact, int32; padding adds 0)
// y = saturate(round_half_even(float(acc) * M[c]) + zy),   M[c] = conv_multiplier(...)
float conv_multiplier(float x_scale, float w_scale, float y_scale);
uint8_t requantize(int32_t acc, float multiplier, int32_t y_zero_point);

// ---- Quantize / Dequantize (ONNX QuantizeLinear / DequantizeLinear) ----------------------
uint8_t quantize(float x, QParam y);
float dequantize(uint8_t q, QParam x);

// ---- QAdd / QMul ---------------------------------------------------------------------------
struct BinaryParams {
  QParam a, b, y;
  // Derived constants the formula uses (filled by make_binary_params).
  float ratio_a = 0, ratio_b = 0, ratio_ab = 0;
};
BinaryParams make_binary_params(QParam a, QParam b, QParam y);
uint8_t add(uint8_t a, uint8_t b, const BinaryParams& p);
uint8_t mul(uint8_t a, uint8_t b, const BinaryParams& p);

// ---- QGlobalAveragePool / QAveragePool ----------------------------------------------------
// `sum` is the int32 sum of the `count` u8 inputs averaged together.
uint8_t average(int32_t sum, int32_t count, QParam x, QParam y);

// ---- Lookup tables (QLut, QConcat inputs whose params differ from the output's) --------
using Table = std::array<uint8_t, 256>;
// table[q] = quantize(f(dequantize(q, x)), y)
Table make_table(const std::function<float(float)>& f, QParam x, QParam y);
// table[q] = the requantization of q from x's params to y's (QConcat, identity f)
Table requant_table(QParam x, QParam y);

}  // namespace edgeq::kernels::int8
