#include "kernels/int8/qops.h"

#include <algorithm>

namespace edgeq::kernels::int8 {

namespace {

// cvtps2dq under the default rounding mode: round half to even; out of range gives INT_MIN.
int32_t round_to_int(float v) {
  if (!(v > -2147483648.0f && v < 2147483648.0f)) return INT32_MIN;
  return static_cast<int32_t>(std::nearbyint(v));
}

}  // namespace

float conv_multiplier(float x_scale, float w_scale, float y_scale) {
  const float sxw = x_scale * w_scale;
  return sxw / y_scale;
}

uint8_t requantize(int32_t acc, float multiplier, int32_t y_zero_point) {
  // MlasRequantizeOutput: clamp in float to [0 - zy, 255 - zy], round, add zy.
  float v = static_cast<float>(acc) * multiplier;
  v = std::max(v, static_cast<float>(0 - y_zero_point));
  v = std::min(v, static_cast<float>(255 - y_zero_point));
  return saturate_u8(round_to_int(v) + y_zero_point);
}

uint8_t quantize(float x, QParam y) {
  const float v = std::nearbyint(x / y.scale);
  if (!(v == v)) return saturate_u8(y.zero_point);
  const float c = v < -1024.0f ? -1024.0f : (v > 1024.0f ? 1024.0f : v);
  return saturate_u8(static_cast<int32_t>(c) + y.zero_point);
}

float dequantize(uint8_t q, QParam x) { return (static_cast<int32_t>(q) - x.zero_point) * x.scale; }

float add_fixed_part(const BinaryParams& p) {
  // Compiled with FMA enabled, the sum of products contracts into one fused multiply-add.
  const float zero_point_terms =
      std::fma(p.ratio_a, static_cast<float>(p.a.zero_point), p.ratio_b * static_cast<float>(p.b.zero_point));
  return static_cast<float>(p.y.zero_point) - zero_point_terms;
}

BinaryParams make_binary_params(QParam a, QParam b, QParam y) {
  BinaryParams p{a, b, y};
  p.ratio_a = a.scale / y.scale;
  p.ratio_b = b.scale / y.scale;
  p.ratio_ab = a.scale * b.scale / y.scale;
  p.fixed = add_fixed_part(p);
  return p;
}

uint8_t add(uint8_t a, uint8_t b, const BinaryParams& p) {
  // MlasQLinearAddKernelAvx2Helper: acc = fma(b, rb, F); acc = fma(a, ra, acc); cvtps2dq;
  // saturating packs to s16, then to u8.
  const float acc_b = std::fma(static_cast<float>(b), p.ratio_b, p.fixed);
  const float acc = std::fma(static_cast<float>(a), p.ratio_a, acc_b);
  return saturate_u8(round_to_int(acc));
}

uint8_t mul(uint8_t a, uint8_t b, const BinaryParams& p) {
  // MlasQLinearMulKernel (SSE2): exact int32 product, one float multiply, add zy, round.
  const int32_t prod = (static_cast<int32_t>(a) - p.a.zero_point) * (static_cast<int32_t>(b) - p.b.zero_point);
  const float scaled = static_cast<float>(prod) * p.ratio_ab;
  const float v = scaled + static_cast<float>(p.y.zero_point);
  return saturate_u8(round_to_int(v));
}

uint8_t average(int32_t sum, int32_t count, QParam x, QParam y) {
  const float m = x.scale / (y.scale * static_cast<float>(count));
  const int32_t centered = sum - x.zero_point * count;
  return requantize(centered, m, y.zero_point);
}

uint8_t pool_quantize(float mean, QParam y) {
  const float v = mean / y.scale + static_cast<float>(y.zero_point);
  const float r = std::nearbyint(v);
  if (!(r == r)) return saturate_u8(y.zero_point);
  return saturate_u8(static_cast<int32_t>(std::clamp(r, -1024.0f, 1024.0f)));
}

Table make_table(const std::function<float(float)>& f, QParam x, QParam y) {
  Table t{};
  for (int q = 0; q < 256; ++q) t[q] = quantize(f(dequantize(static_cast<uint8_t>(q), x)), y);
  return t;
}

Table requant_table(QParam x, QParam y) {
  if (x.scale == y.scale && x.zero_point == y.zero_point) {
    Table t{};
    for (int q = 0; q < 256; ++q) t[q] = static_cast<uint8_t>(q);
    return t;
  }
  return make_table([](float v) { return v; }, x, y);
}

float logistic(float x) {
  constexpr float kAlpha9 = 4.37031012579801e-11f, kAlpha7 = 1.15627324459942e-07f,
                  kAlpha5 = 6.08574864600143e-05f, kAlpha3 = 8.51377133304701e-03f,
                  kAlpha1 = 2.48287947061529e-01f;
  constexpr float kBeta10 = 6.10247389755681e-13f, kBeta8 = 5.76102136993427e-09f,
                  kBeta6 = 6.29106785017040e-06f, kBeta4 = 1.70198817374094e-03f,
                  kBeta2 = 1.16817656904453e-01f, kBeta0 = 9.93151921023180e-01f;
  if (x != x) return x;
  const float v = std::min(std::max(x, -18.0f), 18.0f);
  const float v2 = v * v;
  float p = std::fma(v2, kAlpha9, kAlpha7);
  p = std::fma(p, v2, kAlpha5);
  p = std::fma(p, v2, kAlpha3);
  p = std::fma(p, v2, kAlpha1);
  p = p * v;
  float q = std::fma(v2, kBeta10, kBeta8);
  q = std::fma(q, v2, kBeta6);
  q = std::fma(q, v2, kBeta4);
  q = std::fma(q, v2, kBeta2);
  q = std::fma(q, v2, kBeta0);
  return std::clamp(p / q + 0.5f, 0.0f, 1.0f);
}

Table sigmoid_table(QParam x, QParam y) { return make_table(logistic, x, y); }

Table leaky_relu_table(float alpha, QParam x, QParam y) {
  return make_table([alpha](float v) { return v >= 0.0f ? v : alpha * v; }, x, y);
}

}  // namespace edgeq::kernels::int8
