// QuantizeLinear / DequantizeLinear reference kernels: exact integer results.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/kernels/elementwise_testing.h"

namespace edgeq::kernels {
namespace {

using elementwise_testing::expect_tensor;
using elementwise_testing::run_ref_op;

TEST(QuantizeLinear, PerTensorUint8RoundsHalfToEvenAndSaturates) {
  // x / 2: 0, 1, 1.5, 2.5, -0.5, 500, -500 → rounded 0, 1, 2, 2, -0, 500, -500; + 128.
  Tensor x = Tensor::from_vector<float>({7}, {0, 2, 3, 5, -1, 1000, -1000});
  Tensor scale = Tensor::scalar<float>(2.0f);
  Tensor zp = Tensor::scalar<uint8_t>(128);
  expect_tensor<uint8_t>(run_ref_op("QuantizeLinear", {&x, &scale, &zp}, {}, 13).out(), {7},
                         {128, 129, 130, 130, 128, 255, 0});
}

TEST(QuantizeLinear, Int8AndMissingZeroPoint) {
  Tensor x = Tensor::from_vector<float>({5}, {-3.0f, -0.75f, 0.25f, 0.75f, 300.0f});
  Tensor scale = Tensor::scalar<float>(0.5f);
  Tensor zp = Tensor::scalar<int8_t>(-1);
  // x / 0.5 = -6, -1.5, 0.5, 1.5, 600 → -6, -2, 0, 2, 600 → + (-1) → -7, -3, -1, 1, 127.
  expect_tensor<int8_t>(run_ref_op("QuantizeLinear", {&x, &scale, &zp}, {}, 13).out(), {5}, {-7, -3, -1, 1, 127});
  // No zero point: u8 with 0, negatives saturate to 0.
  expect_tensor<uint8_t>(run_ref_op("QuantizeLinear", {&x, &scale}, {}, 10).out(), {5}, {0, 0, 0, 2, 255});
  Tensor nan = Tensor::from_vector<float>({1}, {std::numeric_limits<float>::quiet_NaN()});
  expect_tensor<int8_t>(run_ref_op("QuantizeLinear", {&nan, &scale, &zp}, {}, 13).out(), {1}, {-1});
}

TEST(QuantizeLinear, PerAxis) {
  Tensor x = Tensor::from_vector<float>({1, 2, 2}, {1, 2, 3, 4});
  Tensor scale = Tensor::from_vector<float>({2}, {1.0f, 2.0f});
  Tensor zp = Tensor::from_vector<uint8_t>({2}, {10, 20});
  expect_tensor<uint8_t>(run_ref_op("QuantizeLinear", {&x, &scale, &zp}, {}, 13).out(), {1, 2, 2}, {11, 12, 22, 22});
  Attributes last;
  last.set("axis", int64_t{-1});
  expect_tensor<uint8_t>(run_ref_op("QuantizeLinear", {&x, &scale, &zp}, last, 13).out(), {1, 2, 2}, {11, 21, 13, 22});
  Attributes first;
  first.set("axis", int64_t{0});
  elementwise_testing::OpResult r = run_ref_op("QuantizeLinear", {&x, &scale, &zp}, first, 13);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("node 'n1' (QuantizeLinear)"), std::string::npos) << r.status.message();
}

TEST(QuantizeLinear, Int32InputEmptyAndScalar) {
  Tensor x = Tensor::from_vector<int32_t>({3}, {-10, 5, 7});
  Tensor scale = Tensor::scalar<float>(2.0f);
  Tensor zp = Tensor::scalar<int8_t>(0);
  expect_tensor<int8_t>(run_ref_op("QuantizeLinear", {&x, &scale, &zp}, {}, 13).out(), {3}, {-5, 2, 4});
  Tensor empty(DType::kFloat32, {0});
  expect_tensor<int8_t>(run_ref_op("QuantizeLinear", {&empty, &scale, &zp}, {}, 13).out(), {0}, {});
  Tensor s = Tensor::scalar<float>(3.0f);
  expect_tensor<int8_t>(run_ref_op("QuantizeLinear", {&s, &scale, &zp}, {}, 13).out(), {}, {2});
}

TEST(QuantizeLinear, BadZeroPoint) {
  Tensor x = Tensor::from_vector<float>({2}, {1, 2});
  Tensor scale = Tensor::scalar<float>(1.0f);
  Tensor zp = Tensor::scalar<float>(0.0f);
  EXPECT_EQ(run_ref_op("QuantizeLinear", {&x, &scale, &zp}, {}, 13).status.code(), StatusCode::kInvalidArgument);
  Tensor zp2 = Tensor::from_vector<uint8_t>({2}, {0, 0});
  EXPECT_EQ(run_ref_op("QuantizeLinear", {&x, &scale, &zp2}, {}, 13).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_ref_op("QuantizeLinear", {&x}, {}, 13).status.code(), StatusCode::kInvalidArgument);
}

TEST(QuantizeDequantizeLinear, PerTensor) {
  Tensor x = Tensor::from_vector<uint8_t>({4}, {0, 3, 128, 255});
  Tensor scale = Tensor::scalar<float>(2.0f);
  Tensor zp = Tensor::scalar<uint8_t>(128);
  expect_tensor<float>(run_ref_op("DequantizeLinear", {&x, &scale, &zp}, {}, 13).out(), {4}, {-256, -250, 0, 254});
  Tensor xi = Tensor::from_vector<int8_t>({3}, {-128, 0, 127});
  Tensor zpi = Tensor::scalar<int8_t>(-1);
  Tensor half = Tensor::scalar<float>(0.5f);
  expect_tensor<float>(run_ref_op("DequantizeLinear", {&xi, &half, &zpi}, {}, 13).out(), {3}, {-63.5f, 0.5f, 64});
  expect_tensor<float>(run_ref_op("DequantizeLinear", {&xi, &half}, {}, 10).out(), {3}, {-64, 0, 63.5f});
}

TEST(QuantizeDequantizeLinear, PerAxisAndInt32) {
  Tensor x = Tensor::from_vector<int8_t>({2, 2}, {1, 2, 3, 4});
  Tensor scale = Tensor::from_vector<float>({2}, {1.0f, 0.5f});
  Tensor zp = Tensor::from_vector<int8_t>({2}, {0, 2});
  Attributes axis0;
  axis0.set("axis", int64_t{0});
  expect_tensor<float>(run_ref_op("DequantizeLinear", {&x, &scale, &zp}, axis0, 13).out(), {2, 2}, {1, 2, 0.5f, 1});
  expect_tensor<float>(run_ref_op("DequantizeLinear", {&x, &scale, &zp}, {}, 13).out(), {2, 2}, {1, 0, 3, 1});
  Tensor acc = Tensor::from_vector<int32_t>({2}, {-1000000, 7});
  Tensor s = Tensor::scalar<float>(0.001f);
  expect_tensor<float>(run_ref_op("DequantizeLinear", {&acc, &s}, {}, 13).out(), {2}, {-1000.0f, 0.007f});
  Tensor z32 = Tensor::scalar<int32_t>(3);
  EXPECT_EQ(run_ref_op("DequantizeLinear", {&acc, &s, &z32}, {}, 13).status.code(), StatusCode::kInvalidArgument);
  Tensor wrong = Tensor::scalar<uint8_t>(0);
  EXPECT_EQ(run_ref_op("DequantizeLinear", {&x, &scale, &wrong}, {}, 13).status.code(), StatusCode::kInvalidArgument);
}

TEST(QuantizeDequantizeLinear, RoundTripIsExactOnGrid) {
  // Every u8 code dequantizes and quantizes back to itself.
  std::vector<uint8_t> codes(256);
  for (int i = 0; i < 256; ++i) codes[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  Tensor q = Tensor::from_vector<uint8_t>({256}, codes);
  Tensor scale = Tensor::scalar<float>(0.0235f);
  Tensor zp = Tensor::scalar<uint8_t>(97);
  elementwise_testing::OpResult d = run_ref_op("DequantizeLinear", {&q, &scale, &zp}, {}, 13);
  ASSERT_TRUE(d.status.ok()) << d.status.to_string();
  elementwise_testing::OpResult back = run_ref_op("QuantizeLinear", {&d.out(), &scale, &zp}, {}, 13);
  expect_tensor<uint8_t>(back.out(), {256}, codes);
}

}  // namespace
}  // namespace edgeq::kernels
