#include "kernels/int8/qops.h"

namespace edgeq::kernels::int8 {

float conv_multiplier(float x_scale, float w_scale, float y_scale) {
  const float sxw = x_scale * w_scale;
  return sxw / y_scale;
}

uint8_t requantize(int32_t acc, float multiplier, int32_t y_zero_point) {
  const float v = static_cast<float>(acc) * multiplier;
  return saturate_u8(static_cast<int32_t>(std::nearbyint(v)) + y_zero_point);
}

uint8_t quantize(float x, QParam y) {
  const float v = std::nearbyint(x / y.scale);
  if (!(v == v)) return saturate_u8(y.zero_point);
  const float c = v < -1024.0f ? -1024.0f : (v > 1024.0f ? 1024.0f : v);
  return saturate_u8(static_cast<int32_t>(c) + y.zero_point);
}

float dequantize(uint8_t q, QParam x) { return (static_cast<int32_t>(q) - x.zero_point) * x.scale; }

BinaryParams make_binary_params(QParam a, QParam b, QParam y) {
  BinaryParams p{a, b, y};
  p.ratio_a = a.scale / y.scale;
  p.ratio_b = b.scale / y.scale;
  p.ratio_ab = a.scale * b.scale / y.scale;
  return p;
}

uint8_t add(uint8_t a, uint8_t b, const BinaryParams& p) {
  const float va = p.a.scale * (static_cast<int32_t>(a) - p.a.zero_point);
  const float vb = p.b.scale * (static_cast<int32_t>(b) - p.b.zero_point);
  return saturate_u8(static_cast<int32_t>(std::nearbyint((va + vb) / p.y.scale)) + p.y.zero_point);
}

uint8_t mul(uint8_t a, uint8_t b, const BinaryParams& p) {
  const float va = p.a.scale * (static_cast<int32_t>(a) - p.a.zero_point);
  const float vb = p.b.scale * (static_cast<int32_t>(b) - p.b.zero_point);
  return saturate_u8(static_cast<int32_t>(std::nearbyint((va * vb) / p.y.scale)) + p.y.zero_point);
}

uint8_t average(int32_t sum, int32_t count, QParam x, QParam y) {
  const float m = x.scale / (y.scale * static_cast<float>(count));
  const int32_t centered = sum - x.zero_point * count;
  return saturate_u8(static_cast<int32_t>(std::nearbyint(static_cast<float>(centered) * m)) + y.zero_point);
}

Table make_table(const std::function<float(float)>& f, QParam x, QParam y) {
  Table t{};
  for (int q = 0; q < 256; ++q) t[q] = quantize(f(dequantize(static_cast<uint8_t>(q), x)), y);
  return t;
}

Table requant_table(QParam x, QParam y) {
  return make_table([](float v) { return v; }, x, y);
}

}  // namespace edgeq::kernels::int8
