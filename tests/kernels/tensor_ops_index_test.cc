// Gather, GatherElements, OneHot, Pad, Cast, CastLike, Range, Trilu, EyeLike. Expected
// values computed with numpy.
#include <cmath>
#include <cstdint>

#include "tests/kernels/tensor_ops_test_util.h"

namespace edgeq::kernels::testing {
namespace {

TEST(TensorOpsGather, AxisAndNegativeIndices) {
  Tensor x = iota_f32({3, 4});
  Attributes a;
  a.set("axis", int64_t{1});
  expect_tensor<float>(run1({.op = "Gather", .attrs = a, .inputs = {x, vec<int64_t>({2, 2}, {0, -1, 2, 1})}}),
                       {3, 2, 2}, {0, 3, 2, 1, 4, 7, 6, 5, 8, 11, 10, 9});
  expect_tensor<float>(run1({.op = "Gather", .inputs = {x, vec<int32_t>({2}, {-1, 0})}}), {2, 4},
                       {8, 9, 10, 11, 0, 1, 2, 3});
  // Scalar index drops the axis.
  expect_tensor<float>(run1({.op = "Gather", .inputs = {x, Tensor::scalar<int64_t>(1)}}), {4}, {4, 5, 6, 7});
  expect_error({.op = "Gather", .inputs = {x, i64({3})}}, StatusCode::kInvalidArgument, "out of range");
}

TEST(TensorOpsGatherElements, AxesAndNegativeIndices) {
  Tensor d = vec<float>({2, 2}, {1, 2, 3, 4});
  Attributes a;
  a.set("axis", int64_t{1});
  expect_tensor<float>(run1({.op = "GatherElements", .attrs = a, .inputs = {d, vec<int64_t>({2, 2}, {0, 0, 1, 0})}}),
                       {2, 2}, {1, 1, 4, 3});
  expect_tensor<float>(run1({.op = "GatherElements", .inputs = {d, vec<int32_t>({2, 2}, {-1, 0, 0, -2})}}), {2, 2},
                       {3, 2, 1, 2});
  expect_error({.op = "GatherElements", .inputs = {d, vec<int64_t>({1, 1}, {2})}}, StatusCode::kInvalidArgument,
               "out of range");
}

TEST(TensorOpsOneHot, AxisNegativeAndOutOfRangeIndices) {
  Tensor ind = vec<int64_t>({2, 2}, {1, 9, -1, 2});
  Tensor vals = vec<float>({2}, {2, 5});
  expect_tensor<float>(run1({.op = "OneHot", .inputs = {ind, Tensor::scalar<float>(4), vals}}), {2, 2, 4},
                       {2, 5, 2, 2, 2, 2, 2, 2, 2, 2, 2, 5, 2, 2, 5, 2});
  Attributes a;
  a.set("axis", int64_t{0});
  expect_tensor<float>(run1({.op = "OneHot", .attrs = a, .inputs = {ind, Tensor::scalar<int64_t>(4), vals}}),
                       {4, 2, 2}, {2, 2, 2, 2, 5, 2, 2, 2, 2, 2, 2, 5, 2, 2, 5, 2});
  // Output dtype follows values.
  Tensor o = run1({.op = "OneHot", .inputs = {vec<float>({1}, {1.7f}), Tensor::scalar<int32_t>(3),
                                              vec<int32_t>({2}, {0, 1})}});
  expect_tensor<int32_t>(o, {1, 3}, {0, 1, 0});
}

TEST(TensorOpsPad, ConstantReflectEdgeAndCrop) {
  Tensor x = iota_f32({2, 3});
  expect_tensor<float>(run1({.op = "Pad", .inputs = {x, i64({1, 2, 0, 1}), Tensor::scalar<float>(9)}}), {3, 6},
                       {9, 9, 9, 9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 9, 3, 4, 5, 9});
  Attributes r;
  r.set("mode", std::string("reflect"));
  expect_tensor<float>(run1({.op = "Pad", .attrs = r, .inputs = {x, i64({0, 4, 0, 2})}}), {2, 9},
                       {0, 1, 2, 1, 0, 1, 2, 1, 0, 3, 4, 5, 4, 3, 4, 5, 4, 3});
  Attributes e;
  e.set("mode", std::string("edge"));
  expect_tensor<float>(run1({.op = "Pad", .attrs = e, .inputs = {x, i64({1, 0, 1, 2})}}), {4, 5},
                       {0, 1, 2, 2, 2, 0, 1, 2, 2, 2, 3, 4, 5, 5, 5, 3, 4, 5, 5, 5});
  // Negative pads crop.
  expect_tensor<float>(run1({.op = "Pad", .inputs = {x, i64({0, -1, 0, 1})}}), {2, 3}, {1, 2, 0, 4, 5, 0});
  // Opset 18 axes input.
  expect_tensor<float>(run1({.op = "Pad", .inputs = {x, i64({-1, 1}), Tensor::scalar<float>(7), i64({-1})}}), {2, 3},
                       {1, 2, 7, 4, 5, 7});
  expect_error({.op = "Pad", .inputs = {x, i64({0, -4, 0, 0})}}, StatusCode::kInvalidArgument, "below zero");
}

TEST(TensorOpsPad, Opset2AttributesAndIntDtype) {
  Attributes a;
  a.set("pads", std::vector<int64_t>{1, 1});
  a.set("value", 3.0f);
  expect_tensor<int32_t>(run1({.op = "Pad", .opset = 7, .attrs = a, .inputs = {vec<int32_t>({2}, {5, 6})}}), {4},
                         {3, 5, 6, 3});
}

TEST(TensorOpsCast, IntegerTruncationAndWrap) {
  Attributes a;
  a.set("to", int64_t{3});  // INT8
  expect_tensor<int8_t>(run1({.op = "Cast", .attrs = a, .inputs = {vec<float>({4}, {1.9f, -1.9f, 127.5f, -0.5f})}}),
                        {4}, {1, -1, 127, 0});
  a.set("to", int64_t{2});  // UINT8
  expect_tensor<uint8_t>(run1({.op = "Cast", .attrs = a, .inputs = {vec<int32_t>({2}, {300, -1})}}), {2}, {44, 255});
  a.set("to", int64_t{9});  // BOOL
  expect_tensor<bool>(run1({.op = "Cast", .attrs = a, .inputs = {vec<float>({3}, {0.0f, -0.1f, NAN})}}), {3},
                      {false, true, true});
  a.set("to", int64_t{11});  // DOUBLE
  expect_tensor<double>(run1({.op = "Cast", .attrs = a, .inputs = {vec<bool>({2}, {true, false})}}), {2}, {1, 0});
}

// Out-of-range float to integer follows numpy on x86 (values from numpy astype).
TEST(TensorOpsCast, FloatToIntegerOutOfRangeLikeNumpy) {
  const Tensor x = vec<float>({6}, {300.7f, -129.5f, 1e10f, -1.0f, NAN, 70000.2f});
  Attributes a;
  a.set("to", int64_t{3});
  expect_tensor<int8_t>(run1({.op = "Cast", .attrs = a, .inputs = {x}}), {6}, {44, 127, 0, -1, 0, 112});
  a.set("to", int64_t{4});
  expect_tensor<uint16_t>(run1({.op = "Cast", .attrs = a, .inputs = {x}}), {6}, {300, 65407, 0, 65535, 0, 4464});
  a.set("to", int64_t{6});
  expect_tensor<int32_t>(run1({.op = "Cast", .attrs = a, .inputs = {x}}), {6},
                         {300, -129, INT32_MIN, -1, INT32_MIN, 70000});
  a.set("to", int64_t{7});
  expect_tensor<int64_t>(run1({.op = "Cast", .attrs = a, .inputs = {x}}), {6},
                         {300, -129, 10000000000, -1, INT64_MIN, 70000});
}

TEST(TensorOpsCast, HalfAndBFloat16RoundToNearestEven) {
  Attributes a;
  a.set("to", int64_t{10});  // FLOAT16
  Tensor h = run1({.op = "Cast", .attrs = a, .inputs = {vec<float>({5}, {1.0f, 3.14159f, 65504.0f, 1e-7f, -2.5f})}});
  ASSERT_EQ(h.dtype(), DType::kFloat16);
  const std::vector<uint16_t> want = {0x3c00, 0x4248, 0x7bff, 0x0002, 0xc100};  // numpy float16 bits
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(h.data<uint16_t>()[i], want[i]) << i;
  // BFLOAT16 up to opset 18 truncates (what ONNX's opset-13 test data expects); from 19 it
  // rounds to nearest even: 1 + 2^-8 is a tie (-> 1.0), 1 + 3*2^-8 rounds up.
  a.set("to", int64_t{16});
  const Tensor bf_in = vec<float>({3}, {1.00390625f, 1.01171875f, -1.0078f});
  Tensor b = run1({.op = "Cast", .opset = 13, .attrs = a, .inputs = {bf_in}});
  ASSERT_EQ(b.dtype(), DType::kBFloat16);
  EXPECT_EQ(b.data<uint16_t>()[0], 0x3f80);
  EXPECT_EQ(b.data<uint16_t>()[1], 0x3f81);
  EXPECT_EQ(b.data<uint16_t>()[2], 0xbf80);
  b = run1({.op = "Cast", .opset = 19, .attrs = a, .inputs = {bf_in}});
  EXPECT_EQ(b.data<uint16_t>()[0], 0x3f80);
  EXPECT_EQ(b.data<uint16_t>()[1], 0x3f82);
  EXPECT_EQ(b.data<uint16_t>()[2], 0xbf81);
  a.set("to", int64_t{7});  // f16 -> int64
  expect_tensor<int64_t>(run1({.op = "Cast", .attrs = a, .inputs = {h}}), {5}, {1, 3, 65504, 0, -2});
  a.set("to", int64_t{8});
  expect_error({.op = "Cast", .attrs = a, .inputs = {h}}, StatusCode::kUnsupported, "string");
}

TEST(TensorOpsCastLike, TakesTargetDtype) {
  expect_tensor<double>(run1({.op = "CastLike", .inputs = {vec<int32_t>({2}, {-4, 7}), Tensor(DType::kFloat64, {0})}}),
                        {2}, {-4, 7});
}

TEST(TensorOpsRange, FloatAndNegativeIntDelta) {
  expect_tensor<float>(run1({.op = "Range", .inputs = {Tensor::scalar<float>(1), Tensor::scalar<float>(2),
                                                       Tensor::scalar<float>(0.3f)}}),
                       {4}, {1.0, 1.3, 1.6, 1.9}, 1e-6);
  expect_tensor<int32_t>(run1({.op = "Range", .inputs = {Tensor::scalar<int32_t>(10), Tensor::scalar<int32_t>(-3),
                                                         Tensor::scalar<int32_t>(-4)}}),
                         {4}, {10, 6, 2, -2});
  expect_tensor<int64_t>(run1({.op = "Range", .inputs = {Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(1),
                                                         Tensor::scalar<int64_t>(2)}}),
                         {0}, {});
}

TEST(TensorOpsTrilu, UpperLowerWithK) {
  Tensor x = vec<int64_t>({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  Attributes lower;
  lower.set("upper", int64_t{0});
  expect_tensor<int64_t>(run1({.op = "Trilu", .attrs = lower, .inputs = {x, Tensor::scalar<int64_t>(-1)}}), {3, 4},
                         {0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0});
  expect_tensor<int64_t>(run1({.op = "Trilu", .inputs = {x, Tensor::scalar<int64_t>(1)}}), {3, 4},
                         {0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11});
  expect_tensor<int64_t>(run1({.op = "Trilu", .inputs = {x, Tensor::scalar<int64_t>(10)}}), {3, 4},
                         std::vector<int64_t>(12, 0));
}

TEST(TensorOpsEyeLike, OffDiagonalAndDtype) {
  Attributes a;
  a.set("k", int64_t{1});
  a.set("dtype", int64_t{6});  // INT32
  expect_tensor<int32_t>(run1({.op = "EyeLike", .attrs = a, .inputs = {Tensor(DType::kFloat32, {3, 4})}}), {3, 4},
                         {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  Tensor h = run1({.op = "EyeLike", .inputs = {Tensor(DType::kFloat16, {2, 2})}});
  ASSERT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_EQ(h.data<uint16_t>()[3], 0x3c00);
  EXPECT_EQ(h.data<uint16_t>()[1], 0);
}

}  // namespace
}  // namespace edgeq::kernels::testing
