// The int8 arithmetic of qops.h against hand-computed values: rounding ties, where the
// output zero point is added (before or after rounding), saturation, the lookup tables.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/int8/qops.h"

namespace edgeq::kernels::int8 {
namespace {

TEST(Int8Qops, RequantizeRoundsHalfToEvenThenAddsZeroPointAndSaturates) {
  EXPECT_EQ(requantize(5, 0.5f, 0), 2);     // 2.5 → 2
  EXPECT_EQ(requantize(7, 0.5f, 0), 4);     // 3.5 → 4
  EXPECT_EQ(requantize(5, 0.5f, 10), 12);   // round(2.5) + 10: the zero point is added after rounding
  EXPECT_EQ(requantize(-5, 0.5f, 10), 8);   // -2.5 → -2
  EXPECT_EQ(requantize(1000, 1.0f, 0), 255);
  EXPECT_EQ(requantize(-1000, 1.0f, 100), 0);
  EXPECT_EQ(requantize(200, 1.0f, 100), 255);
  EXPECT_EQ(requantize(0, 1.0f, 37), 37);
}

TEST(Int8Qops, ConvMultiplierIsInputTimesWeightScaleOverOutputScale) {
  const float sx = 0.0123f, sw = 0.00456f, sy = 0.0789f;
  const float sxw = sx * sw;
  EXPECT_EQ(conv_multiplier(sx, sw, sy), sxw / sy);
  EXPECT_FLOAT_EQ(conv_multiplier(0.5f, 0.25f, 0.125f), 1.0f);
}

TEST(Int8Qops, QuantizeDividesRoundsHalfToEvenAndSaturates) {
  const QParam p{2.0f, 128};
  EXPECT_EQ(quantize(3.0f, p), 130);   // 1.5 → 2
  EXPECT_EQ(quantize(5.0f, p), 130);   // 2.5 → 2
  EXPECT_EQ(quantize(-1.0f, p), 128);  // -0.5 → -0
  EXPECT_EQ(quantize(1e6f, p), 255);
  EXPECT_EQ(quantize(-1e6f, p), 0);
  EXPECT_EQ(quantize(std::nanf(""), p), 128);
  EXPECT_FLOAT_EQ(dequantize(130, p), 4.0f);
}

TEST(Int8Qops, AddFollowsTheFusedMultiplyAddForm) {
  // Zero points 0: real a + b = 0.1 * 10 + 0.2 * 20 = 5 → 5 / 0.3 = 16.67 → 17.
  BinaryParams p = make_binary_params({0.1f, 0}, {0.2f, 0}, {0.3f, 0});
  EXPECT_EQ(add(10, 20, p), 17);
  EXPECT_FLOAT_EQ(p.fixed, 0.0f);
  // Ties: ratios 0.5, 0.5: (1 + 0) * 0.5 = 0.5 → 0, (3 + 0) * 0.5 = 1.5 → 2.
  p = make_binary_params({0.5f, 0}, {0.5f, 0}, {1.0f, 0});
  EXPECT_EQ(add(1, 0, p), 0);
  EXPECT_EQ(add(3, 0, p), 2);
  // The output zero point is in the float sum before rounding: 0.5 + 1 = 1.5 → 2
  // (rounding 0.5 first and adding 1 would give 1).
  p = make_binary_params({0.5f, 0}, {0.5f, 0}, {1.0f, 1});
  EXPECT_FLOAT_EQ(p.fixed, 1.0f);
  EXPECT_EQ(add(1, 0, p), 2);
  // Input zero points: (12 - 10) * 1 + (7 - 5) * 2 = 6 → 6 / 2 = 3, + 100.
  p = make_binary_params({1.0f, 10}, {2.0f, 5}, {2.0f, 100});
  EXPECT_FLOAT_EQ(p.fixed, 100.0f - (0.5f * 10 + 1.0f * 5));
  EXPECT_EQ(add(12, 7, p), 103);
  // Saturation both ways.
  EXPECT_EQ(add(255, 255, p), 255);
  EXPECT_EQ(add(0, 0, p), 100 - 10);  // (0 - 10) * 0.5 + (0 - 5) * 1 = -10 → 90
  p = make_binary_params({1.0f, 200}, {1.0f, 200}, {1.0f, 0});
  EXPECT_EQ(add(0, 0, p), 0);
}

TEST(Int8Qops, MulRoundsAfterAddingTheOutputZeroPoint) {
  // (3 * 5) * (0.5 * 0.5 / 0.5) = 7.5 → 8 (even).
  BinaryParams p = make_binary_params({0.5f, 0}, {0.5f, 0}, {0.5f, 0});
  EXPECT_EQ(mul(3, 5, p), 8);
  // With zy = 1: 7.5 + 1 = 8.5 → 8; round(7.5) + 1 would be 9.
  p = make_binary_params({0.5f, 0}, {0.5f, 0}, {0.5f, 1});
  EXPECT_EQ(mul(3, 5, p), 8);
  // Zero points: (13 - 10) * (2 - 7) = -15 → -15 * 1 + 20 = 5.
  p = make_binary_params({1.0f, 10}, {1.0f, 7}, {1.0f, 20});
  EXPECT_EQ(mul(13, 2, p), 5);
  EXPECT_EQ(mul(255, 255, p), 255);
  EXPECT_EQ(mul(255, 0, p), 0);
}

TEST(Int8Qops, AverageRequantizesTheCenteredSum) {
  // sum 10 of 4 values, scales 1: 2.5 → 2; with zx = 1: (10 - 4) / 4 = 1.5 → 2.
  EXPECT_EQ(average(10, 4, {1.0f, 0}, {1.0f, 0}), 2);
  EXPECT_EQ(average(10, 4, {1.0f, 1}, {1.0f, 0}), 2);
  EXPECT_EQ(average(14, 4, {1.0f, 0}, {1.0f, 3}), 7);   // 3.5 → 4, + 3
  EXPECT_EQ(average(4 * 255, 4, {1.0f, 0}, {0.5f, 0}), 255);
  EXPECT_EQ(average(0, 4, {1.0f, 100}, {1.0f, 0}), 0);
}

TEST(Int8Qops, PoolQuantizeAddsTheZeroPointBeforeRounding) {
  EXPECT_EQ(pool_quantize(2.5f, {1.0f, 0}), 2);
  EXPECT_EQ(pool_quantize(2.5f, {1.0f, 1}), 4);  // 3.5 → 4; round(2.5) + 1 would be 3
  EXPECT_EQ(pool_quantize(-3.0f, {1.0f, 1}), 0);
  EXPECT_EQ(pool_quantize(1000.0f, {1.0f, 1}), 255);
}

TEST(Int8Qops, LogisticIsCloseToTheExactSigmoidAndSaturates) {
  for (float x = -20.0f; x <= 20.0f; x += 0.037f) {
    const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
    EXPECT_NEAR(logistic(x), exact, 2e-6) << x;
  }
  EXPECT_EQ(logistic(0.0f), 0.5f);
  EXPECT_GE(logistic(-100.0f), 0.0f);
  EXPECT_LE(logistic(100.0f), 1.0f);
}

TEST(Int8Qops, TablesQuantizeTheFunctionOfEachDequantizedInput) {
  const QParam x{0.1f, 128}, y{1.0f / 256, 0};
  const Table s = sigmoid_table(x, y);
  for (int q = 0; q < 256; ++q) EXPECT_EQ(s[q], quantize(logistic(dequantize(static_cast<uint8_t>(q), x)), y));
  EXPECT_EQ(s[128], 128);  // sigmoid(0) = 0.5 → 128
  const Table l = leaky_relu_table(0.1f, {1.0f, 100}, {1.0f, 50});
  EXPECT_EQ(l[100], 50);
  EXPECT_EQ(l[110], 60);
  EXPECT_EQ(l[80], 48);  // -20 * 0.1 = -2 → 48
  EXPECT_EQ(l[255], 205);
  const Table same = requant_table({0.3f, 7}, {0.3f, 7});
  for (int q = 0; q < 256; ++q) EXPECT_EQ(same[q], q);
  const Table half = requant_table({1.0f, 0}, {2.0f, 10});
  EXPECT_EQ(half[3], 12);   // 1.5 → 2, + 10
  EXPECT_EQ(half[5], 12);   // 2.5 → 2, + 10
  EXPECT_EQ(half[255], 138);
}

}  // namespace
}  // namespace edgeq::kernels::int8
