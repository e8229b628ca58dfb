// Reference kernels for unary math and activations, against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/kernels/elementwise_testing.h"

namespace edgeq::kernels {
namespace {

using elementwise_testing::expect_tensor;
using elementwise_testing::run_ref_op;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(UnaryMath, FloatFunctions) {
  Tensor x = Tensor::from_vector<float>({2, 2}, {0.25f, 1.0f, 4.0f, 0.5f});
  expect_tensor<float>(run_ref_op("Sqrt", {&x}).out(), {2, 2}, {0.5f, 1.0f, 2.0f, 0.70710678f});
  expect_tensor<float>(run_ref_op("Exp", {&x}).out(), {2, 2}, {1.28402542f, 2.71828183f, 54.59815003f, 1.64872127f});
  expect_tensor<float>(run_ref_op("Log", {&x}).out(), {2, 2}, {-1.38629436f, 0.0f, 1.38629436f, -0.69314718f});
  expect_tensor<float>(run_ref_op("Reciprocal", {&x}).out(), {2, 2}, {4.0f, 1.0f, 0.25f, 2.0f});
  expect_tensor<float>(run_ref_op("Erf", {&x}).out(), {2, 2}, {0.27632639f, 0.84270079f, 0.99999998f, 0.52049988f});
}

TEST(UnaryMath, TrigAndHyperbolic) {
  Tensor x = Tensor::from_vector<double>({3}, {-0.5, 0.0, 0.5});
  expect_tensor<double>(run_ref_op("Sin", {&x}).out(), {3}, {-0.47942554, 0.0, 0.47942554});
  expect_tensor<double>(run_ref_op("Cos", {&x}).out(), {3}, {0.87758256, 1.0, 0.87758256});
  expect_tensor<double>(run_ref_op("Tan", {&x}).out(), {3}, {-0.54630249, 0.0, 0.54630249});
  expect_tensor<double>(run_ref_op("Asin", {&x}).out(), {3}, {-0.52359878, 0.0, 0.52359878});
  expect_tensor<double>(run_ref_op("Acos", {&x}).out(), {3}, {2.09439510, 1.57079633, 1.04719755});
  expect_tensor<double>(run_ref_op("Atan", {&x}).out(), {3}, {-0.46364761, 0.0, 0.46364761});
  expect_tensor<double>(run_ref_op("Sinh", {&x}).out(), {3}, {-0.52109531, 0.0, 0.52109531});
  expect_tensor<double>(run_ref_op("Cosh", {&x}).out(), {3}, {1.12762597, 1.0, 1.12762597});
  expect_tensor<double>(run_ref_op("Asinh", {&x}).out(), {3}, {-0.48121183, 0.0, 0.48121183});
  expect_tensor<double>(run_ref_op("Atanh", {&x}).out(), {3}, {-0.54930614, 0.0, 0.54930614});
  Tensor y = Tensor::from_vector<float>({2}, {1.0f, 2.0f});
  expect_tensor<float>(run_ref_op("Acosh", {&y}).out(), {2}, {0.0f, 1.31695790f});
}

TEST(UnaryMath, RoundingHalfToEven) {
  Tensor x = Tensor::from_vector<float>({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f, 0.0f});
  expect_tensor<float>(run_ref_op("Round", {&x}).out(), {8}, {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, 2.0f, -3.0f, 0.0f});
  expect_tensor<float>(run_ref_op("Floor", {&x}).out(), {8}, {0.0f, 1.0f, 2.0f, -1.0f, -2.0f, 2.0f, -3.0f, 0.0f});
  expect_tensor<float>(run_ref_op("Ceil", {&x}).out(), {8}, {1.0f, 2.0f, 3.0f, -0.0f, -1.0f, 3.0f, -2.0f, 0.0f});
}

TEST(UnaryMath, IntegerAbsNegSign) {
  Tensor x = Tensor::from_vector<int32_t>({4}, {-3, 0, 7, std::numeric_limits<int32_t>::min()});
  expect_tensor<int32_t>(run_ref_op("Abs", {&x}).out(), {4}, {3, 0, 7, std::numeric_limits<int32_t>::min()});
  expect_tensor<int32_t>(run_ref_op("Neg", {&x}).out(), {4}, {3, 0, -7, std::numeric_limits<int32_t>::min()});
  expect_tensor<int32_t>(run_ref_op("Sign", {&x}).out(), {4}, {-1, 0, 1, -1});
  Tensor u = Tensor::from_vector<uint8_t>({3}, {0, 5, 255});
  expect_tensor<uint8_t>(run_ref_op("Sign", {&u}).out(), {3}, {0, 1, 1});
  Tensor f = Tensor::from_vector<float>({4}, {-2.5f, 0.0f, 3.0f, kNaN});
  expect_tensor<float>(run_ref_op("Sign", {&f}).out(), {4}, {-1.0f, 0.0f, 1.0f, kNaN});
  expect_tensor<float>(run_ref_op("Abs", {&f}).out(), {4}, {2.5f, 0.0f, 3.0f, kNaN});
}

TEST(UnaryMath, IsNaNIsInfNot) {
  Tensor x = Tensor::from_vector<float>({4}, {1.0f, kNaN, kInf, -kInf});
  expect_tensor<bool>(run_ref_op("IsNaN", {&x}).out(), {4}, {false, true, false, false});
  expect_tensor<bool>(run_ref_op("IsInf", {&x}).out(), {4}, {false, false, true, true});
  Attributes pos_only;
  pos_only.set("detect_negative", int64_t{0});
  expect_tensor<bool>(run_ref_op("IsInf", {&x}, pos_only).out(), {4}, {false, false, true, false});
  Attributes neg_only;
  neg_only.set("detect_positive", int64_t{0});
  expect_tensor<bool>(run_ref_op("IsInf", {&x}, neg_only).out(), {4}, {false, false, false, true});
  Tensor b = Tensor::from_vector<bool>({2}, {true, false});
  expect_tensor<bool>(run_ref_op("Not", {&b}).out(), {2}, {false, true});
}

TEST(UnaryMath, EmptyAndScalar) {
  Tensor empty(DType::kFloat32, {0, 3});
  expect_tensor<float>(run_ref_op("Exp", {&empty}).out(), {0, 3}, {});
  Tensor s = Tensor::scalar<float>(4.0f);
  expect_tensor<float>(run_ref_op("Sqrt", {&s}).out(), {}, {2.0f});
}

TEST(UnaryMath, Float16ComputedInFloat) {
  Tensor h(DType::kFloat16, {2});
  h.data<uint16_t>()[0] = float_to_half(4.0f);
  h.data<uint16_t>()[1] = float_to_half(-1.5f);
  elementwise_testing::OpResult r = run_ref_op("Abs", {&h});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.out().dtype(), DType::kFloat16);
  EXPECT_EQ(half_to_float(r.out().data<uint16_t>()[1]), 1.5f);
}

TEST(UnaryMath, RejectsBadDtypes) {
  Tensor i = Tensor::from_vector<int32_t>({1}, {1});
  elementwise_testing::OpResult r = run_ref_op("Exp", {&i});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("node 'n1' (Exp)"), std::string::npos) << r.status.message();
  Tensor f = Tensor::from_vector<float>({1}, {1.0f});
  EXPECT_EQ(run_ref_op("Not", {&f}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_ref_op("Relu", {}).status.code(), StatusCode::kInvalidArgument);
}

TEST(UnaryActivation, ReluFloatAndInt) {
  Tensor x = Tensor::from_vector<float>({4}, {-1.0f, 0.0f, 2.0f, -0.5f});
  expect_tensor<float>(run_ref_op("Relu", {&x}).out(), {4}, {0.0f, 0.0f, 2.0f, 0.0f});
  Tensor i = Tensor::from_vector<int8_t>({3}, {-128, 0, 127});
  expect_tensor<int8_t>(run_ref_op("Relu", {&i}).out(), {3}, {0, 0, 127});
}

TEST(UnaryActivation, Defaults) {
  Tensor x = Tensor::from_vector<float>({3}, {-1.0f, 0.0f, 1.0f});
  expect_tensor<float>(run_ref_op("LeakyRelu", {&x}).out(), {3}, {-0.01f, 0.0f, 1.0f});
  expect_tensor<float>(run_ref_op("Elu", {&x}).out(), {3}, {-0.63212056f, 0.0f, 1.0f});
  expect_tensor<float>(run_ref_op("Selu", {&x}).out(), {3}, {-1.11133074f, 0.0f, 1.05070102f});
  expect_tensor<float>(run_ref_op("Celu", {&x}).out(), {3}, {-0.63212056f, 0.0f, 1.0f});
  expect_tensor<float>(run_ref_op("HardSigmoid", {&x}).out(), {3}, {0.3f, 0.5f, 0.7f});
  expect_tensor<float>(run_ref_op("ThresholdedRelu", {&x}).out(), {3}, {0.0f, 0.0f, 0.0f});
  expect_tensor<float>(run_ref_op("Shrink", {&x}).out(), {3}, {-1.0f, 0.0f, 1.0f});
  expect_tensor<float>(run_ref_op("Sigmoid", {&x}).out(), {3}, {0.26894142f, 0.5f, 0.73105858f});
  expect_tensor<float>(run_ref_op("Tanh", {&x}).out(), {3}, {-0.76159416f, 0.0f, 0.76159416f});
  expect_tensor<float>(run_ref_op("Softplus", {&x}).out(), {3}, {0.31326169f, 0.69314718f, 1.31326169f});
  expect_tensor<float>(run_ref_op("Softsign", {&x}).out(), {3}, {-0.5f, 0.0f, 0.5f});
}

TEST(UnaryActivation, Attributes) {
  Tensor x = Tensor::from_vector<float>({4}, {-2.0f, -1.0f, 1.0f, 3.0f});
  Attributes a;
  a.set("alpha", 2.0f);
  expect_tensor<float>(run_ref_op("LeakyRelu", {&x}, a).out(), {4}, {-4.0f, -2.0f, 1.0f, 3.0f});
  expect_tensor<float>(run_ref_op("Elu", {&x}, a).out(), {4}, {-1.72932943f, -1.26424112f, 1.0f, 3.0f});
  expect_tensor<float>(run_ref_op("Celu", {&x}, a).out(), {4}, {-1.26424112f, -0.78693868f, 1.0f, 3.0f});
  expect_tensor<float>(run_ref_op("ThresholdedRelu", {&x}, a).out(), {4}, {0.0f, 0.0f, 0.0f, 3.0f});
  Attributes s;
  s.set("lambd", 1.5f);
  s.set("bias", 0.5f);
  expect_tensor<float>(run_ref_op("Shrink", {&x}, s).out(), {4}, {-1.5f, 0.0f, 0.0f, 2.5f});
  Attributes hs;
  hs.set("alpha", 0.5f);
  hs.set("beta", 0.25f);
  expect_tensor<float>(run_ref_op("HardSigmoid", {&x}, hs).out(), {4}, {0.0f, 0.0f, 0.75f, 1.0f});
}

TEST(UnaryActivation, HardSwishAndExtremes) {
  Tensor x = Tensor::from_vector<float>({5}, {-4.0f, -1.0f, 0.0f, 1.0f, 4.0f});
  expect_tensor<float>(run_ref_op("HardSwish", {&x}).out(), {5}, {0.0f, -0.33333333f, 0.0f, 0.66666667f, 4.0f});
  Tensor big = Tensor::from_vector<float>({2}, {-100.0f, 100.0f});
  expect_tensor<float>(run_ref_op("Sigmoid", {&big}).out(), {2}, {0.0f, 1.0f});
  expect_tensor<float>(run_ref_op("Softplus", {&big}).out(), {2}, {0.0f, 100.0f});
}

TEST(UnaryActivation, ShrinkOnIntegers) {
  Tensor x = Tensor::from_vector<int32_t>({5}, {-3, -1, 0, 1, 3});
  Attributes s;
  s.set("lambd", 1.5f);
  s.set("bias", 1.5f);
  expect_tensor<int32_t>(run_ref_op("Shrink", {&x}, s).out(), {5}, {-1, 0, 0, 0, 1});
}

TEST(UnaryClip, AttributesBeforeOpset11) {
  Tensor x = Tensor::from_vector<float>({4}, {-2.0f, -0.2f, 0.3f, 2.0f});
  Attributes a;
  a.set("min", -0.5f);
  a.set("max", 0.5f);
  expect_tensor<float>(run_ref_op("Clip", {&x}, a, 6).out(), {4}, {-0.5f, -0.2f, 0.3f, 0.5f});
  Attributes only_max;
  only_max.set("max", 0.0f);
  expect_tensor<float>(run_ref_op("Clip", {&x}, only_max, 6).out(), {4}, {-2.0f, -0.2f, 0.0f, 0.0f});
}

TEST(UnaryClip, OptionalInputsFromOpset11) {
  Tensor x = Tensor::from_vector<float>({4}, {-2.0f, -0.2f, 0.3f, 2.0f});
  Tensor lo = Tensor::scalar<float>(-1.0f), hi = Tensor::scalar<float>(1.0f);
  expect_tensor<float>(run_ref_op("Clip", {&x, &lo, &hi}, {}, 13).out(), {4}, {-1.0f, -0.2f, 0.3f, 1.0f});
  expect_tensor<float>(run_ref_op("Clip", {&x, nullptr, &hi}, {}, 13).out(), {4}, {-2.0f, -0.2f, 0.3f, 1.0f});
  expect_tensor<float>(run_ref_op("Clip", {&x, &lo}, {}, 13).out(), {4}, {-1.0f, -0.2f, 0.3f, 2.0f});
  expect_tensor<float>(run_ref_op("Clip", {&x}, {}, 13).out(), {4}, {-2.0f, -0.2f, 0.3f, 2.0f});
  // min > max: everything becomes max.
  Tensor lo2 = Tensor::scalar<float>(2.0f);
  expect_tensor<float>(run_ref_op("Clip", {&x, &lo2, &hi}, {}, 13).out(), {4}, {1.0f, 1.0f, 1.0f, 1.0f});
}

TEST(UnaryClip, Integers) {
  Tensor x = Tensor::from_vector<int8_t>({4}, {-128, -5, 5, 127});
  Tensor lo = Tensor::scalar<int8_t>(-10), hi = Tensor::scalar<int8_t>(10);
  expect_tensor<int8_t>(run_ref_op("Clip", {&x, &lo, &hi}, {}, 13).out(), {4}, {-10, -5, 5, 10});
  Tensor wrong = Tensor::scalar<float>(1.0f);
  elementwise_testing::OpResult r = run_ref_op("Clip", {&x, &wrong}, {}, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("min"), std::string::npos) << r.status.message();
}

TEST(UnaryPRelu, BroadcastSlope) {
  Tensor x = Tensor::from_vector<float>({2, 3}, {-1.0f, -2.0f, -3.0f, 1.0f, -1.0f, 2.0f});
  Tensor slope = Tensor::from_vector<float>({3}, {0.1f, 0.2f, 0.3f});
  expect_tensor<float>(run_ref_op("PRelu", {&x, &slope}).out(), {2, 3}, {-0.1f, -0.4f, -0.9f, 1.0f, -0.2f, 2.0f});
  Tensor scalar_slope = Tensor::from_vector<float>({1}, {0.5f});
  expect_tensor<float>(run_ref_op("PRelu", {&x, &scalar_slope}).out(), {2, 3},
                       {-0.5f, -1.0f, -1.5f, 1.0f, -0.5f, 2.0f});
  Tensor xi = Tensor::from_vector<int32_t>({3}, {-4, 0, 4});
  Tensor si = Tensor::from_vector<int32_t>({1}, {3});
  expect_tensor<int32_t>(run_ref_op("PRelu", {&xi, &si}).out(), {3}, {-12, 0, 4});
}

TEST(UnaryPRelu, ChannelSlopeBeforeOpset7) {
  Tensor x = Tensor::from_vector<float>({1, 2, 2}, {-1.0f, -1.0f, -1.0f, 1.0f});
  Tensor slope = Tensor::from_vector<float>({2}, {0.1f, 0.2f});
  expect_tensor<float>(run_ref_op("PRelu", {&x, &slope}, {}, 6).out(), {1, 2, 2}, {-0.1f, -0.1f, -0.2f, 1.0f});
}

TEST(UnaryPRelu, SlopeMustBroadcastToX) {
  Tensor x(DType::kFloat32, {3});
  Tensor slope(DType::kFloat32, {2, 3});
  elementwise_testing::OpResult r = run_ref_op("PRelu", {&x, &slope});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("node 'n1' (PRelu)"), std::string::npos) << r.status.message();
}

}  // namespace
}  // namespace edgeq::kernels
