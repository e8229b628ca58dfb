#include "quant/qparams.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace edgeq::quant {
namespace {

TEST(QParams, NonNegativeRangeHasZeroPointZero) {
  ir::QuantParams p = activation_params(0.0f, 6.0f);
  EXPECT_EQ(p.dtype, DType::kUInt8);
  ASSERT_EQ(p.scale.size(), 1u);
  EXPECT_FLOAT_EQ(p.scale[0], 6.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], 0);
  // A calibrated min above 0 is widened to 0: still zero point 0.
  ir::QuantParams q = activation_params(0.25f, 1.0f);
  EXPECT_FLOAT_EQ(q.scale[0], 1.0f / 255.0f);
  EXPECT_EQ(q.zero_point[0], 0);
}

TEST(QParams, AsymmetricRangeRoundsTheZeroPoint) {
  ir::QuantParams p = activation_params(-1.0f, 3.0f);
  EXPECT_FLOAT_EQ(p.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], 64);  // 63.75 → 64
  // 0 is exactly representable.
  EXPECT_EQ(quantize_value(0.0f, p.scale[0], p.zero_point[0], 0, 255), 64);
  // An all-negative range is widened to include 0: zero point 255.
  ir::QuantParams n = activation_params(-4.0f, -1.0f);
  EXPECT_FLOAT_EQ(n.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(n.zero_point[0], 255);
}

TEST(QParams, DegenerateRangesGiveAFiniteScale) {
  for (auto [lo, hi] : {std::pair{0.0f, 0.0f}, std::pair{std::nanf(""), std::nanf("")},
                        std::pair{-std::numeric_limits<float>::infinity(), 0.0f}}) {
    ir::QuantParams p = activation_params(lo, hi);
    EXPECT_TRUE(std::isfinite(p.scale[0]) && p.scale[0] > 0) << lo << " " << hi;
    EXPECT_EQ(p.zero_point[0], 0);
    EXPECT_EQ(quantize_value(0.0f, p.scale[0], p.zero_point[0], 0, 255), 0);
  }
  auto w = quantize_weight(Tensor::from_vector<float>({2, 2}, {0, 0, 1, -2}), 0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->params.scale[0], kDegenerateScale);
  EXPECT_EQ(w->values.data<int8_t>()[0], 0);
  EXPECT_EQ(w->values.data<int8_t>()[1], 0);
}

TEST(QParams, RoundsHalfToEvenAndSaturates) {
  EXPECT_EQ(quantize_value(2.5f, 1.0f, 0, 0, 255), 2);
  EXPECT_EQ(quantize_value(3.5f, 1.0f, 0, 0, 255), 4);
  EXPECT_EQ(quantize_value(-0.5f, 1.0f, 10, 0, 255), 10);
  EXPECT_EQ(quantize_value(1000.0f, 1.0f, 0, 0, 255), 255);
  EXPECT_EQ(quantize_value(-1000.0f, 1.0f, 0, -127, 127), -127);
}

TEST(QParams, PerChannelWeightsAreSymmetric) {
  // [3 out channels, 2 in]: channel maxima 1, 0.5, 254.
  Tensor w = Tensor::from_vector<float>({3, 2}, {1.0f, -0.25f, 0.125f, -0.5f, 127.0f, -254.0f});
  auto q = quantize_weight(w, 0);
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(q->params.dtype, DType::kInt8);
  EXPECT_EQ(q->params.axis, 0);
  ASSERT_EQ(q->params.scale.size(), 3u);
  EXPECT_FLOAT_EQ(q->params.scale[0], 1.0f / 127);
  EXPECT_FLOAT_EQ(q->params.scale[1], 0.5f / 127);
  EXPECT_FLOAT_EQ(q->params.scale[2], 2.0f);
  const int8_t* v = q->values.data<int8_t>();
  EXPECT_EQ(v[0], 127);
  EXPECT_EQ(v[1], -32);  // -31.75
  EXPECT_EQ(v[2], 32);   // 31.75
  EXPECT_EQ(v[3], -127);
  EXPECT_EQ(v[4], 64);  // 63.5 → 64 (half to even)
  EXPECT_EQ(v[5], -127);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(q->params.zero_point[c], 0);
  // Along axis 1 (Gemm without transB, MatMul): [K=3, N=2] columns.
  auto cols = quantize_weight(w, 1);
  ASSERT_TRUE(cols.ok());
  ASSERT_EQ(cols->params.scale.size(), 2u);
  EXPECT_FLOAT_EQ(cols->params.scale[0], 127.0f / 127);
  EXPECT_FLOAT_EQ(cols->params.scale[1], 254.0f / 127);
  EXPECT_FALSE(quantize_weight(w, 2).ok());
}

TEST(QParams, BiasIsInt32AtInputTimesWeightScaleAndSaturates) {
  Tensor b = Tensor::from_vector<float>({3}, {1.0f, -0.3f, 1e30f});
  auto q = quantize_bias(b, 0.1f, {0.01f, 0.02f, 0.5f});
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(q->params.dtype, DType::kInt32);
  EXPECT_FLOAT_EQ(q->params.scale[0], 0.001f);
  EXPECT_FLOAT_EQ(q->params.scale[1], 0.002f);
  EXPECT_EQ(q->values.data<int32_t>()[0], 1000);
  EXPECT_EQ(q->values.data<int32_t>()[1], -150);
  EXPECT_EQ(q->values.data<int32_t>()[2], std::numeric_limits<int32_t>::max());
  EXPECT_FALSE(quantize_bias(b, 0.1f, {0.1f, 0.2f}).ok());
}

TEST(QParams, RequantizationMultipliers) {
  std::vector<float> m = requant_multipliers(0.5f, {0.1f, 0.2f}, 0.25f);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_FLOAT_EQ(m[0], 0.2f);
  EXPECT_FLOAT_EQ(m[1], 0.4f);
  EXPECT_EQ(requantize(10, 0.25f, 3), 5);     // 2.5 → 2 (half to even), + 3
  EXPECT_EQ(requantize(14, 0.25f, 3), 7);     // 3.5 → 4, + 3
  EXPECT_EQ(requantize(-100, 1.0f, 3), 0);    // saturates low
  EXPECT_EQ(requantize(1000, 1.0f, 3), 255);  // saturates high
}

}  // namespace
}  // namespace edgeq::quant
