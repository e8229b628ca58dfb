// Reference kernels for broadcasting binary, variadic, comparison, logical ops and Where.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/kernels/elementwise_testing.h"

namespace edgeq::kernels {
namespace {

using elementwise_testing::expect_tensor;
using elementwise_testing::run_ref_op;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(BinaryArith, SameShapeAndScalar) {
  Tensor a = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<float>({2, 2}, {4, 3, 2, 1});
  expect_tensor<float>(run_ref_op("Add", {&a, &b}).out(), {2, 2}, {5, 5, 5, 5});
  expect_tensor<float>(run_ref_op("Sub", {&a, &b}).out(), {2, 2}, {-3, -1, 1, 3});
  expect_tensor<float>(run_ref_op("Mul", {&a, &b}).out(), {2, 2}, {4, 6, 6, 4});
  expect_tensor<float>(run_ref_op("Div", {&a, &b}).out(), {2, 2}, {0.25f, 0.6666667f, 1.5f, 4});
  Tensor s = Tensor::scalar<float>(2.0f);
  expect_tensor<float>(run_ref_op("Sub", {&a, &s}).out(), {2, 2}, {-1, 0, 1, 2});
  expect_tensor<float>(run_ref_op("Sub", {&s, &a}).out(), {2, 2}, {1, 0, -1, -2});
  expect_tensor<float>(run_ref_op("Mul", {&s, &s}).out(), {}, {4});
}

TEST(BinaryArith, Broadcasting) {
  Tensor a = Tensor::from_vector<float>({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector<float>({2, 1}, {10, 20});
  // out[i][j][k] = a[i][0][k] + b[j][0]
  expect_tensor<float>(run_ref_op("Add", {&a, &b}).out(), {2, 2, 3},
                       {11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26});
  Tensor row = Tensor::from_vector<float>({3}, {1, 10, 100});
  Tensor col = Tensor::from_vector<float>({2, 1}, {1, 2});
  expect_tensor<float>(run_ref_op("Mul", {&col, &row}).out(), {2, 3}, {1, 10, 100, 2, 20, 200});
  expect_tensor<float>(run_ref_op("Mul", {&row, &col}).out(), {2, 3}, {1, 10, 100, 2, 20, 200});
  Tensor empty(DType::kFloat32, {0, 3});
  expect_tensor<float>(run_ref_op("Add", {&empty, &row}).out(), {0, 3}, {});
}

TEST(BinaryArith, IncompatibleShapesNameTheNode) {
  Tensor a(DType::kFloat32, {2, 3});
  Tensor b(DType::kFloat32, {4});
  elementwise_testing::OpResult r = run_ref_op("Add", {&a, &b});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("node 'n1' (Add)"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("[2,3]"), std::string::npos) << r.status.message();
  Tensor i(DType::kInt32, {2, 3});
  EXPECT_EQ(run_ref_op("Add", {&a, &i}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_ref_op("Add", {&a}).status.code(), StatusCode::kInvalidArgument);
}

TEST(BinaryArith, IntegerWrapAndTruncation) {
  Tensor a = Tensor::from_vector<uint8_t>({3}, {250, 3, 7});
  Tensor b = Tensor::from_vector<uint8_t>({3}, {10, 5, 2});
  expect_tensor<uint8_t>(run_ref_op("Add", {&a, &b}).out(), {3}, {4, 8, 9});
  expect_tensor<uint8_t>(run_ref_op("Sub", {&a, &b}).out(), {3}, {240, 254, 5});
  expect_tensor<uint8_t>(run_ref_op("Mul", {&a, &b}).out(), {3}, {196, 15, 14});
  expect_tensor<uint8_t>(run_ref_op("Div", {&a, &b}).out(), {3}, {25, 0, 3});
  Tensor c = Tensor::from_vector<int32_t>({5}, {7, -7, 7, -7, std::numeric_limits<int32_t>::min()});
  Tensor d = Tensor::from_vector<int32_t>({5}, {2, 2, -2, 0, -1});
  expect_tensor<int32_t>(run_ref_op("Div", {&c, &d}).out(), {5}, {3, -3, -3, 0, std::numeric_limits<int32_t>::min()});
  Tensor big = Tensor::from_vector<uint16_t>({1}, {60000});
  expect_tensor<uint16_t>(run_ref_op("Mul", {&big, &big}).out(), {1}, {static_cast<uint16_t>(60000u * 60000u)});
}

TEST(BinaryArith, LegacyBroadcastAttribute) {
  Tensor a = Tensor::from_vector<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector<double>({2}, {10, 20});
  Attributes attrs;
  attrs.set("broadcast", int64_t{1});
  attrs.set("axis", int64_t{0});
  expect_tensor<double>(run_ref_op("Add", {&a, &b}, attrs, 6).out(), {2, 3}, {11, 12, 13, 24, 25, 26});
  Tensor c = Tensor::from_vector<double>({3}, {1, 1, 1});
  Attributes trailing;
  trailing.set("broadcast", int64_t{1});
  expect_tensor<double>(run_ref_op("Sub", {&a, &c}, trailing, 6).out(), {2, 3}, {0, 1, 2, 3, 4, 5});
}

TEST(BinaryPow, MixedDtypes) {
  Tensor base = Tensor::from_vector<float>({3}, {2, 3, 4});
  Tensor e64 = Tensor::from_vector<int64_t>({3}, {3, 2, 0});
  expect_tensor<float>(run_ref_op("Pow", {&base, &e64}).out(), {3}, {8, 9, 1});
  Tensor half = Tensor::scalar<float>(0.5f);
  expect_tensor<float>(run_ref_op("Pow", {&base, &half}).out(), {3}, {1.41421356f, 1.73205081f, 2});
  Tensor ib = Tensor::from_vector<int32_t>({4}, {2, -3, 5, 2});
  Tensor ie = Tensor::from_vector<int32_t>({4}, {10, 3, 0, -1});
  expect_tensor<int32_t>(run_ref_op("Pow", {&ib, &ie}).out(), {4}, {1024, -27, 1, 0});
  Tensor fe = Tensor::from_vector<float>({4}, {0.5f, 2.0f, 1.0f, 3.0f});
  expect_tensor<int32_t>(run_ref_op("Pow", {&ib, &fe}).out(), {4}, {1, 9, 5, 8});
  Tensor u = Tensor::from_vector<uint8_t>({1}, {2});
  EXPECT_EQ(run_ref_op("Pow", {&u, &u}).status.code(), StatusCode::kInvalidArgument);
}

TEST(BinaryMod, SignRules) {
  Tensor a = Tensor::from_vector<int32_t>({4}, {7, -7, 7, -7});
  Tensor b = Tensor::from_vector<int32_t>({4}, {3, 3, -3, -3});
  expect_tensor<int32_t>(run_ref_op("Mod", {&a, &b}).out(), {4}, {1, 2, -2, -1});
  Attributes fmod;
  fmod.set("fmod", int64_t{1});
  expect_tensor<int32_t>(run_ref_op("Mod", {&a, &b}, fmod).out(), {4}, {1, -1, 1, -1});
  Tensor fa = Tensor::from_vector<float>({2}, {5.5f, -5.5f});
  Tensor fb = Tensor::from_vector<float>({2}, {2.0f, 2.0f});
  expect_tensor<float>(run_ref_op("Mod", {&fa, &fb}, fmod).out(), {2}, {1.5f, -1.5f});
  elementwise_testing::OpResult r = run_ref_op("Mod", {&fa, &fb});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("fmod"), std::string::npos) << r.status.message();
  Tensor zero = Tensor::scalar<int32_t>(0);
  expect_tensor<int32_t>(run_ref_op("Mod", {&a, &zero}).out(), {4}, {0, 0, 0, 0});
}

TEST(BinaryBitShift, LeftAndRight) {
  Tensor x = Tensor::from_vector<uint8_t>({3}, {16, 4, 1});
  Tensor s = Tensor::from_vector<uint8_t>({3}, {1, 2, 3});
  Attributes left, right;
  left.set("direction", std::string("LEFT"));
  right.set("direction", std::string("RIGHT"));
  expect_tensor<uint8_t>(run_ref_op("BitShift", {&x, &s}, left).out(), {3}, {32, 16, 8});
  expect_tensor<uint8_t>(run_ref_op("BitShift", {&x, &s}, right).out(), {3}, {8, 1, 0});
  Tensor big = Tensor::from_vector<uint64_t>({2}, {1, 1});
  Tensor shifts = Tensor::from_vector<uint64_t>({2}, {63, 64});
  expect_tensor<uint64_t>(run_ref_op("BitShift", {&big, &shifts}, left).out(), {2}, {uint64_t{1} << 63, 0});
  EXPECT_EQ(run_ref_op("BitShift", {&x, &s}).status.code(), StatusCode::kInvalidArgument);
}

TEST(BinaryVariadic, MinMaxSumMean) {
  Tensor a = Tensor::from_vector<float>({3}, {3, 2, 1});
  Tensor b = Tensor::from_vector<float>({3}, {1, 4, 4});
  Tensor c = Tensor::from_vector<float>({3}, {2, 5, 0});
  expect_tensor<float>(run_ref_op("Max", {&a, &b, &c}).out(), {3}, {3, 5, 4});
  expect_tensor<float>(run_ref_op("Min", {&a, &b, &c}).out(), {3}, {1, 2, 0});
  expect_tensor<float>(run_ref_op("Sum", {&a, &b, &c}).out(), {3}, {6, 11, 5});
  expect_tensor<float>(run_ref_op("Mean", {&a, &b, &c}).out(), {3}, {2, 11.0f / 3, 5.0f / 3});
  expect_tensor<float>(run_ref_op("Sum", {&a}).out(), {3}, {3, 2, 1});
  expect_tensor<float>(run_ref_op("Mean", {&a}).out(), {3}, {3, 2, 1});
}

TEST(BinaryVariadic, BroadcastIntegersAndNaN) {
  Tensor a = Tensor::from_vector<uint32_t>({2, 1}, {1, 5});
  Tensor b = Tensor::from_vector<uint32_t>({3}, {2, 3, 4});
  Tensor c = Tensor::scalar<uint32_t>(3);
  expect_tensor<uint32_t>(run_ref_op("Max", {&a, &b, &c}).out(), {2, 3}, {3, 3, 4, 5, 5, 5});
  expect_tensor<uint32_t>(run_ref_op("Min", {&a, &b}).out(), {2, 3}, {1, 1, 1, 2, 3, 4});
  Tensor f = Tensor::from_vector<float>({2}, {kNaN, 1.0f});
  Tensor g = Tensor::from_vector<float>({2}, {0.0f, kNaN});
  expect_tensor<float>(run_ref_op("Max", {&f, &g}).out(), {2}, {kNaN, kNaN});
  Tensor bad = Tensor::from_vector<uint32_t>({2}, {1, 2});
  elementwise_testing::OpResult r = run_ref_op("Sum", {&b, &bad});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("node 'n1' (Sum)"), std::string::npos) << r.status.message();
}

TEST(BinaryVariadic, Float16) {
  Tensor a(DType::kFloat16, {2}), b(DType::kFloat16, {2});
  a.data<uint16_t>()[0] = float_to_half(1.5f);
  a.data<uint16_t>()[1] = float_to_half(-2.0f);
  b.data<uint16_t>()[0] = float_to_half(0.5f);
  b.data<uint16_t>()[1] = float_to_half(3.0f);
  elementwise_testing::OpResult r = run_ref_op("Max", {&a, &b});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.out().dtype(), DType::kFloat16);
  EXPECT_EQ(half_to_float(r.out().data<uint16_t>()[0]), 1.5f);
  EXPECT_EQ(half_to_float(r.out().data<uint16_t>()[1]), 3.0f);
}

TEST(BinaryCompare, OutputsBoolWithBroadcast) {
  Tensor a = Tensor::from_vector<int32_t>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<int32_t>({2}, {2, 3});
  expect_tensor<bool>(run_ref_op("Equal", {&a, &b}).out(), {2, 2}, {false, false, false, false});
  expect_tensor<bool>(run_ref_op("Less", {&a, &b}).out(), {2, 2}, {true, true, false, false});
  expect_tensor<bool>(run_ref_op("LessOrEqual", {&a, &b}).out(), {2, 2}, {true, true, false, false});
  expect_tensor<bool>(run_ref_op("Greater", {&a, &b}).out(), {2, 2}, {false, false, true, true});
  expect_tensor<bool>(run_ref_op("GreaterOrEqual", {&a, &b}).out(), {2, 2}, {false, false, true, true});
  Tensor c = Tensor::from_vector<int32_t>({2}, {1, 4});
  expect_tensor<bool>(run_ref_op("Equal", {&a, &c}).out(), {2, 2}, {true, false, false, true});
  Tensor f = Tensor::from_vector<float>({2}, {kNaN, 1.0f});
  expect_tensor<bool>(run_ref_op("Equal", {&f, &f}).out(), {2}, {false, true});
  Tensor t = Tensor::from_vector<bool>({2}, {true, false});
  expect_tensor<bool>(run_ref_op("Equal", {&t, &t}).out(), {2}, {true, true});
}

TEST(BinaryLogic, AndOrXorBroadcast) {
  Tensor a = Tensor::from_vector<bool>({2, 2}, {true, true, false, false});
  Tensor b = Tensor::from_vector<bool>({2}, {true, false});
  expect_tensor<bool>(run_ref_op("And", {&a, &b}).out(), {2, 2}, {true, false, false, false});
  expect_tensor<bool>(run_ref_op("Or", {&a, &b}).out(), {2, 2}, {true, true, true, false});
  expect_tensor<bool>(run_ref_op("Xor", {&a, &b}).out(), {2, 2}, {false, true, true, false});
  Tensor i = Tensor::from_vector<int32_t>({2}, {1, 0});
  EXPECT_EQ(run_ref_op("And", {&i, &i}).status.code(), StatusCode::kInvalidArgument);
}

TEST(BinaryWhere, ThreeWayBroadcast) {
  Tensor cond = Tensor::from_vector<bool>({2, 1}, {true, false});
  Tensor x = Tensor::from_vector<int64_t>({3}, {1, 2, 3});
  Tensor y = Tensor::scalar<int64_t>(-1);
  expect_tensor<int64_t>(run_ref_op("Where", {&cond, &x, &y}).out(), {2, 3}, {1, 2, 3, -1, -1, -1});
  Tensor c2 = Tensor::from_vector<bool>({3}, {true, false, true});
  Tensor fx = Tensor::from_vector<float>({3}, {1, 2, 3});
  Tensor fy = Tensor::from_vector<float>({3}, {4, 5, 6});
  expect_tensor<float>(run_ref_op("Where", {&c2, &fx, &fy}).out(), {3}, {1, 5, 3});
  Tensor bx = Tensor::from_vector<bool>({3}, {false, false, false});
  expect_tensor<bool>(run_ref_op("Where", {&c2, &c2, &bx}).out(), {3}, {true, false, true});
  EXPECT_EQ(run_ref_op("Where", {&c2, &fx, &x}).status.code(), StatusCode::kInvalidArgument);
  Tensor bad(DType::kFloat32, {4});
  EXPECT_EQ(run_ref_op("Where", {&c2, &fx, &bad}).status.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgeq::kernels
