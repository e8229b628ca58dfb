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
//
// Which ONNX Runtime 1.23 (x86-64, AVX2/AVX-512) kernel each function reproduces, float
// operation by float operation (the order of the float operations decides how ties round):
//   requantize      MlasRequantizeOutput (QLinearConv, QGemm, QLinearMatMul):
//                   float(acc) * M, clamp to [-zy, 255 - zy], round, + zy
//   conv_multiplier QLinearConv / QGemm output scale: (s_x * s_w[c]) / s_y
//   quantize        MlasQuantizeLinear: x / s, clamp, round, + zp
//   add             MlasQLinearAddU8KernelAvx2: fma(a, ra, fma(b, rb, F)), F = zy - (ra*za + rb*zb)
//   mul             MlasQLinearMul (SSE2): float((a-za)*(b-zb)) * ((sa*sb)/sy) + zy, round
//   average         MlasQLinearGlobalAveragePool: float(sum - zx*n) * (sx / (sy * n)), round, + zy
//   pool_quantize   QLinearAveragePool: float average of dequantized values, round(y / sy + zy)
//   make_table      QlinearBuildLookupTable (QLinearSigmoid, QLinearLeakyRelu, QLinearConcat):
//                   f over the 256 dequantized inputs, then MlasQuantizeLinear
//   logistic        MlasComputeLogistic (FMA3 kernel): Eigen's rational polynomial, not exp
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
  float fixed = 0;  // add: float(zy) - (ratio_a * za + ratio_b * zb)
};
BinaryParams make_binary_params(QParam a, QParam b, QParam y);
uint8_t add(uint8_t a, uint8_t b, const BinaryParams& p);
uint8_t mul(uint8_t a, uint8_t b, const BinaryParams& p);
// MlasQLinearAdd's constant term, float(zy) - (ratio_a * za + ratio_b * zb) (kept in p.fixed).
float add_fixed_part(const BinaryParams& p);

// ---- QGlobalAveragePool / QAveragePool ----------------------------------------------------
// `sum` is the int32 sum of the `count` u8 inputs averaged together.
uint8_t average(int32_t sum, int32_t count, QParam x, QParam y);
// QAveragePool: `mean` is the float average of the dequantized window (float sum in window
// order divided by the count); y = saturate(round_half_even(mean / s_y + float(zy))).
uint8_t pool_quantize(float mean, QParam y);

// ---- Lookup tables (QLut, QConcat inputs whose params differ from the output's) --------
using Table = std::array<uint8_t, 256>;
// table[q] = quantize(f(dequantize(q, x)), y)
Table make_table(const std::function<float(float)>& f, QParam x, QParam y);
// table[q] = the requantization of q from x's params to y's (QConcat, identity f)
Table requant_table(QParam x, QParam y);
// MLAS's logistic (QLinearSigmoid's table): clamp to [-18, 18], p(x)/q(x) + 0.5 with FMAs,
// clamped to [0, 1]. Differs from 1 / (1 + exp(-x)) by up to a few float ulps.
float logistic(float x);
Table sigmoid_table(QParam x, QParam y);
Table leaky_relu_table(float alpha, QParam x, QParam y);

}  // namespace edgeq::kernels::int8
