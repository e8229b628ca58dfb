// Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout, Shape, Size, Constant,
// ConstantOfShape.
#include "tests/kernels/tensor_ops_test_util.h"

namespace edgeq::kernels::testing {
namespace {

TEST(TensorOpsReshape, ZeroCopiesAndMinusOneInfersWithoutCopy) {
  Tensor x = iota_f32({2, 3, 4});
  Tensor y = run1({.op = "Reshape", .inputs = {x, i64({0, -1})}});
  EXPECT_EQ(shape_to_string(y.shape()), "[2,12]");
  EXPECT_TRUE(y.shares_buffer(x));
  y = run1({.op = "Reshape", .inputs = {x, i64({4, 0, -1})}});
  EXPECT_EQ(shape_to_string(y.shape()), "[4,3,2]");
}

TEST(TensorOpsReshape, AllowZeroKeepsZeroDims) {
  Attributes a;
  a.set("allowzero", int64_t{1});
  Tensor x(DType::kFloat32, {0, 3, 4});
  Tensor y = run1({.op = "Reshape", .attrs = a, .inputs = {x, i64({3, 4, 0})}});
  EXPECT_EQ(shape_to_string(y.shape()), "[3,4,0]");
  // Without allowzero the 0 copies dim 2 (4), giving 3*4*4 != 0 elements: an error.
  expect_error({.op = "Reshape", .inputs = {iota_f32({2, 3}), i64({4, 0})}}, StatusCode::kInvalidArgument,
               "cannot reshape [2,3]");
  expect_error({.op = "Reshape", .attrs = a, .inputs = {x, i64({0, -1})}}, StatusCode::kInvalidArgument,
               "both 0");
}

TEST(TensorOpsReshape, IncompatibleShapeNamesNode) {
  expect_error({.op = "Reshape", .inputs = {iota_f32({2, 3}), i64({4, -1})}}, StatusCode::kInvalidArgument,
               "cannot reshape [2,3]");
  expect_error({.op = "Reshape", .inputs = {iota_f32({2, 3}), i64({-1, -1})}}, StatusCode::kInvalidArgument,
               "more than one -1");
  // Scalar to [1] and back.
  Tensor s = Tensor::scalar<float>(5.0f);
  EXPECT_EQ(run1({.op = "Reshape", .inputs = {s, i64({1})}}).rank(), 1);
  EXPECT_EQ(run1({.op = "Reshape", .inputs = {Tensor::from_vector<float>({1}, {5}), i64({})}}).rank(), 0);
}

TEST(TensorOpsFlatten, AxesIncludingNegativeAndZero) {
  Tensor x = iota_f32({2, 3, 4, 5});
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "[1,120]"}, {1, "[2,60]"}, {2, "[6,20]"}, {4, "[120,1]"}, {-1, "[24,5]"}, {-4, "[1,120]"}};
  for (const auto& [axis, shape] : cases) {
    Attributes a;
    a.set("axis", axis);
    Tensor y = run1({.op = "Flatten", .attrs = a, .inputs = {x}});
    EXPECT_EQ(shape_to_string(y.shape()), shape) << axis;
    EXPECT_TRUE(y.shares_buffer(x));
  }
  Attributes bad;
  bad.set("axis", int64_t{5});
  expect_error({.op = "Flatten", .attrs = bad, .inputs = {x}}, StatusCode::kInvalidArgument, "out of range");
}

TEST(TensorOpsSqueeze, AxesAttributeBefore13InputFrom13) {
  Tensor x = iota_f32({1, 3, 1, 5});
  Attributes a;
  a.set("axes", std::vector<int64_t>{-2});
  EXPECT_EQ(shape_to_string(run1({.op = "Squeeze", .opset = 11, .attrs = a, .inputs = {x}}).shape()), "[1,3,5]");
  EXPECT_EQ(shape_to_string(run1({.op = "Squeeze", .opset = 13, .inputs = {x, i64({0})}}).shape()), "[3,1,5]");
  Tensor all = run1({.op = "Squeeze", .opset = 13, .inputs = {x}});
  EXPECT_EQ(shape_to_string(all.shape()), "[3,5]");
  EXPECT_TRUE(all.shares_buffer(x));
  EXPECT_EQ(shape_to_string(run1({.op = "Squeeze", .opset = 13, .inputs = {x, i64({})}}).shape()), "[3,5]");
  expect_error({.op = "Squeeze", .opset = 13, .inputs = {x, i64({1})}}, StatusCode::kInvalidArgument, "not 1");
}

TEST(TensorOpsUnsqueeze, UnsortedAndNegativeAxes) {
  Tensor x = iota_f32({3, 4});
  EXPECT_EQ(shape_to_string(run1({.op = "Unsqueeze", .inputs = {x, i64({3, 0})}}).shape()), "[1,3,4,1]");
  EXPECT_EQ(shape_to_string(run1({.op = "Unsqueeze", .inputs = {x, i64({-1})}}).shape()), "[3,4,1]");
  Attributes a;
  a.set("axes", std::vector<int64_t>{1});
  Tensor y = run1({.op = "Unsqueeze", .opset = 11, .attrs = a, .inputs = {x}});
  EXPECT_EQ(shape_to_string(y.shape()), "[3,1,4]");
  EXPECT_TRUE(y.shares_buffer(x));
  EXPECT_EQ(run1({.op = "Unsqueeze", .inputs = {Tensor::scalar<float>(1), i64({0})}}).rank(), 1);
  expect_error({.op = "Unsqueeze", .inputs = {x, i64({0, 0})}}, StatusCode::kInvalidArgument, "duplicate");
  expect_error({.op = "Unsqueeze", .inputs = {x, i64({3})}}, StatusCode::kInvalidArgument, "out of range");
}

TEST(TensorOpsIdentity, SharesBuffer) {
  Tensor x = iota_f32({2, 2});
  Tensor y = run1({.op = "Identity", .inputs = {x}});
  EXPECT_TRUE(y.shares_buffer(x));
}

TEST(TensorOpsDropout, InferencePassesThroughWithTrueMask) {
  Tensor x = iota_f32({2, 3});
  std::vector<Tensor> outs;
  ASSERT_TRUE(run_op({.op = "Dropout", .opset = 13, .inputs = {x, Tensor::scalar<float>(0.3f)}, .num_outputs = 2}, &outs).ok());
  EXPECT_TRUE(outs[0].shares_buffer(x));
  expect_tensor<bool>(outs[1], {2, 3}, std::vector<bool>(6, true));
  // training_mode with ratio 0 is deterministic; with ratio > 0 it is random.
  Tensor t = Tensor::scalar<bool>(true);
  ASSERT_TRUE(run_op({.op = "Dropout", .inputs = {x, Tensor::scalar<float>(0.0f), t}, .num_outputs = 2}, &outs).ok());
  expect_tensor<bool>(outs[1], {2, 3}, std::vector<bool>(6, true));
  expect_error({.op = "Dropout", .inputs = {x, Tensor(), t}}, StatusCode::kUnsupported, "random");
  // Opset 7 mask has the input's dtype.
  ASSERT_TRUE(run_op({.op = "Dropout", .opset = 7, .inputs = {x}, .num_outputs = 2}, &outs).ok());
  expect_tensor<float>(outs[1], {2, 3}, std::vector<float>(6, 1.0f));
}

TEST(TensorOpsShape, StartEndClamp) {
  Tensor x(DType::kFloat32, {2, 3, 4});
  expect_tensor<int64_t>(run1({.op = "Shape", .inputs = {x}}), {3}, {2, 3, 4});
  Attributes a;
  a.set("start", int64_t{-2});
  expect_tensor<int64_t>(run1({.op = "Shape", .opset = 15, .attrs = a, .inputs = {x}}), {2}, {3, 4});
  a.set("start", int64_t{-10});
  a.set("end", int64_t{-1});
  expect_tensor<int64_t>(run1({.op = "Shape", .opset = 15, .attrs = a, .inputs = {x}}), {2}, {2, 3});
  a.set("start", int64_t{2});
  a.set("end", int64_t{1});
  expect_tensor<int64_t>(run1({.op = "Shape", .opset = 15, .attrs = a, .inputs = {x}}), {0}, {});
  expect_tensor<int64_t>(run1({.op = "Shape", .inputs = {Tensor::scalar<float>(1)}}), {0}, {});
}

TEST(TensorOpsSize, CountsElements) {
  expect_tensor<int64_t>(run1({.op = "Size", .inputs = {Tensor(DType::kInt8, {2, 3, 4})}}), {}, {24});
  expect_tensor<int64_t>(run1({.op = "Size", .inputs = {Tensor(DType::kFloat32, {2, 0})}}), {}, {0});
  expect_tensor<int64_t>(run1({.op = "Size", .inputs = {Tensor::scalar<double>(1)}}), {}, {1});
}

TEST(TensorOpsConstant, AllAttributeForms) {
  Attributes a;
  a.set("value", vec<int32_t>({2}, {7, 8}));
  expect_tensor<int32_t>(run1({.op = "Constant", .attrs = a}), {2}, {7, 8});
  Attributes f;
  f.set("value_float", 2.5f);
  expect_tensor<float>(run1({.op = "Constant", .attrs = f}), {}, {2.5f});
  Attributes fs;
  fs.set("value_floats", std::vector<float>{1.5f, -2.0f});
  expect_tensor<float>(run1({.op = "Constant", .attrs = fs}), {2}, {1.5f, -2.0f});
  Attributes i;
  i.set("value_int", int64_t{-3});
  expect_tensor<int64_t>(run1({.op = "Constant", .attrs = i}), {}, {-3});
  Attributes is;
  is.set("value_ints", std::vector<int64_t>{4, 5, 6});
  expect_tensor<int64_t>(run1({.op = "Constant", .attrs = is}), {3}, {4, 5, 6});
  Attributes s;
  s.set("value_string", std::string("hi"));
  expect_error({.op = "Constant", .attrs = s}, StatusCode::kUnsupported, "value_string");
  expect_error({.op = "Constant"}, StatusCode::kInvalidArgument, "needs one of");
}

TEST(TensorOpsConstantOfShape, ValueDtypeAndEmptyShape) {
  expect_tensor<float>(run1({.op = "ConstantOfShape", .inputs = {i64({2, 2})}}), {2, 2}, {0, 0, 0, 0});
  Attributes a;
  a.set("value", vec<int32_t>({1}, {7}));
  expect_tensor<int32_t>(run1({.op = "ConstantOfShape", .attrs = a, .inputs = {i64({3})}}), {3}, {7, 7, 7});
  expect_tensor<int32_t>(run1({.op = "ConstantOfShape", .attrs = a, .inputs = {i64({0})}}), {0}, {});
  expect_tensor<int32_t>(run1({.op = "ConstantOfShape", .attrs = a, .inputs = {i64({})}}), {}, {7});
  expect_error({.op = "ConstantOfShape", .inputs = {i64({-1})}}, StatusCode::kInvalidArgument, "negative");
}

}  // namespace
}  // namespace edgeq::kernels::testing
