// Concat, Split, Slice, Transpose, Expand, Tile, DepthToSpace, SpaceToDepth. Expected
// values computed with numpy.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "tests/kernels/tensor_ops_test_util.h"

namespace edgeq::kernels::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(TensorOpsConcat, Axis1AndNegativeAndEmpty) {
  Tensor a = iota_f32({2, 3});
  Tensor b = vec<float>({2, 2}, {6, 7, 8, 9});
  Attributes ax;
  ax.set("axis", int64_t{-1});
  expect_tensor<float>(run1({.op = "Concat", .attrs = ax, .inputs = {a, b, Tensor(DType::kFloat32, {2, 0})}}),
                       {2, 5}, {0, 1, 2, 6, 7, 3, 4, 5, 8, 9});
  ax.set("axis", int64_t{0});
  expect_tensor<float>(run1({.op = "Concat", .attrs = ax, .inputs = {a, a}}), {4, 3},
                       {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5});
  expect_error({.op = "Concat", .attrs = ax, .inputs = {a, b}}, StatusCode::kInvalidArgument, "differ outside axis");
  // bf16 is just two bytes per element.
  Tensor h(DType::kBFloat16, {1});
  h.data<uint16_t>()[0] = 0x3f80;
  Tensor hh = run1({.op = "Concat", .attrs = ax, .inputs = {h, h}});
  EXPECT_EQ(hh.dtype(), DType::kBFloat16);
  EXPECT_EQ(hh.data<uint16_t>()[1], 0x3f80);
}

TEST(TensorOpsSplit, AttrInputAndNumOutputs) {
  Tensor x = iota_f32({7});
  std::vector<Tensor> outs;
  Attributes n;
  n.set("num_outputs", int64_t{4});
  ASSERT_TRUE(run_op({.op = "Split", .attrs = n, .inputs = {x}, .num_outputs = 4}, &outs).ok());
  expect_tensor<float>(outs[0], {2}, {0, 1});
  expect_tensor<float>(outs[3], {1}, {6});
  ASSERT_TRUE(run_op({.op = "Split", .opset = 13, .inputs = {x, i64({3, 0, 4})}, .num_outputs = 3}, &outs).ok());
  expect_tensor<float>(outs[1], {0}, {});
  expect_tensor<float>(outs[2], {4}, {3, 4, 5, 6});
  Attributes s;
  s.set("split", std::vector<int64_t>{1, 2});
  s.set("axis", int64_t{1});
  ASSERT_TRUE(run_op({.op = "Split", .opset = 11, .attrs = s, .inputs = {iota_f32({2, 3})}, .num_outputs = 2}, &outs).ok());
  expect_tensor<float>(outs[0], {2, 1}, {0, 3});
  expect_tensor<float>(outs[1], {2, 2}, {1, 2, 4, 5});
  ASSERT_TRUE(run_op({.op = "Split", .inputs = {iota_f32({4})}, .num_outputs = 2}, &outs).ok());
  expect_tensor<float>(outs[1], {2}, {2, 3});
  expect_error({.op = "Split", .inputs = {x}, .num_outputs = 2}, StatusCode::kInvalidArgument, "equal parts");
  expect_error({.op = "Split", .inputs = {x, i64({3, 3})}, .num_outputs = 2}, StatusCode::kInvalidArgument,
               "does not sum");
}

TEST(TensorOpsSlice, StepsNegativeAndOutOfRange) {
  Tensor x = iota_f32({2, 3, 4});
  // x[:, 1:3, ::-2]
  expect_tensor<float>(run1({.op = "Slice", .inputs = {x, i64({1, -1}), i64({3, kMin}), i64({1, 2}), i64({1, -2})}}),
                       {2, 2, 2}, {7, 5, 11, 9, 19, 17, 23, 21});
  // x[-1:, :, 1:100] with negative axes
  expect_tensor<float>(run1({.op = "Slice", .inputs = {x, i64({-1, 1}), i64({kMax, 100}), i64({0, -1})}}),
                       {1, 3, 3}, {13, 14, 15, 17, 18, 19, 21, 22, 23});
  // x[:, 2:0:-1, :]
  expect_tensor<float>(run1({.op = "Slice", .inputs = {x, i64({2}), i64({0}), i64({1}), i64({-1})}}), {2, 2, 4},
                       {8, 9, 10, 11, 4, 5, 6, 7, 20, 21, 22, 23, 16, 17, 18, 19});
  // Start beyond the end: empty.
  expect_tensor<float>(run1({.op = "Slice", .inputs = {x, i64({10}), i64({20}), i64({2})}}), {2, 3, 0}, {});
  // With a negative step ONNX clamps start into [0, dim-1] (numpy would give an empty
  // result here): start -2 on a dim of 1 becomes 0.
  expect_tensor<float>(run1({.op = "Slice", .inputs = {vec<float>({1}, {31}), i64({-2}), i64({-8}), i64({0}), i64({-1})}}),
                       {1}, {31});
  expect_error({.op = "Slice", .inputs = {x, i64({0}), i64({1}), i64({0}), i64({0})}}, StatusCode::kInvalidArgument,
               "step");
}

TEST(TensorOpsSlice, Opset9Attributes) {
  Attributes a;
  a.set("starts", std::vector<int64_t>{0, 1});
  a.set("ends", std::vector<int64_t>{1, 1000});
  Tensor y = run1({.op = "Slice", .opset = 9, .attrs = a, .inputs = {iota_f32({2, 3})}});
  expect_tensor<float>(y, {1, 2}, {1, 2});
  a.set("axes", std::vector<int64_t>{1, 0});
  y = run1({.op = "Slice", .opset = 9, .attrs = a, .inputs = {iota_f32({2, 3})}});
  expect_tensor<float>(y, {1, 1}, {3});  // x[1:1000, 0:1]
}

TEST(TensorOpsTranspose, PermAndDefault) {
  Tensor x = iota_f32({2, 3, 4});
  Attributes a;
  a.set("perm", std::vector<int64_t>{0, 2, 1});
  expect_tensor<float>(run1({.op = "Transpose", .attrs = a, .inputs = {x}}), {2, 4, 3},
                       {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23});
  expect_tensor<float>(run1({.op = "Transpose", .inputs = {x}}), {4, 3, 2},
                       {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23});
  expect_tensor<float>(run1({.op = "Transpose", .inputs = {Tensor::scalar<float>(3)}}), {}, {3});
  a.set("perm", std::vector<int64_t>{0, 0, 1});
  expect_error({.op = "Transpose", .attrs = a, .inputs = {x}}, StatusCode::kInvalidArgument, "duplicate");
}

// Every permutation of a rank-4 tensor large enough for the tiled path, against the
// index formula, for 1-, 2-, 4- and 8-byte elements.
TEST(TensorOpsTranspose, AllPermutationsMatchIndexFormula) {
  const Dims shape = {2, 3, 17, 19};
  const Dims st = shape_strides(shape);
  for (DType dt : {DType::kUInt8, DType::kFloat16, DType::kFloat32, DType::kInt64}) {
    Tensor x(dt, shape);
    const size_t e = dtype_size(dt);
    auto* xb = static_cast<uint8_t*>(x.raw());
    for (size_t i = 0; i < x.nbytes(); ++i) xb[i] = static_cast<uint8_t>(i * 7 + 3);
    std::vector<int64_t> perm = {0, 1, 2, 3};
    do {
      Attributes a;
      a.set("perm", perm);
      Tensor y = run1({.op = "Transpose", .attrs = a, .inputs = {x}});
      ASSERT_EQ(y.dtype(), dt);
      const Dims ys = shape_strides(y.shape());
      const auto* yb = static_cast<const uint8_t*>(y.raw());
      int64_t bad = 0;
      for (int64_t i = 0; i < y.numel(); ++i) {
        int64_t src = 0, rem = i;
        for (size_t d = 0; d < 4; ++d) {
          src += (rem / ys[d]) * st[static_cast<size_t>(perm[d])];
          rem %= ys[d];
        }
        bad += std::memcmp(yb + i * e, xb + src * e, e) != 0;
      }
      EXPECT_EQ(bad, 0) << "perm " << perm[0] << perm[1] << perm[2] << perm[3] << " dtype " << dtype_name(dt);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
}

TEST(TensorOpsExpand, BroadcastsBothWays) {
  Tensor x = vec<float>({3, 1}, {1, 2, 3});
  expect_tensor<float>(run1({.op = "Expand", .inputs = {x, i64({2, 1, 4})}}), {2, 3, 4},
                       {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
  // The target may be smaller than the input: the result keeps the input's dims.
  expect_tensor<float>(run1({.op = "Expand", .inputs = {x, i64({1})}}), {3, 1}, {1, 2, 3});
  expect_error({.op = "Expand", .inputs = {x, i64({2, 2})}}, StatusCode::kInvalidArgument, "broadcast");
}

TEST(TensorOpsTile, Repeats) {
  Tensor x = vec<int32_t>({2, 2}, {1, 2, 3, 4});
  expect_tensor<int32_t>(run1({.op = "Tile", .inputs = {x, i64({2, 3})}}), {4, 6},
                         {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  expect_tensor<int32_t>(run1({.op = "Tile", .inputs = {x, i64({0, 1})}}), {0, 2}, {});
  expect_error({.op = "Tile", .inputs = {x, i64({2})}}, StatusCode::kInvalidArgument, "one entry per input dim");
}

TEST(TensorOpsDepthToSpace, DcrAndCrd) {
  Tensor x = iota_f32({1, 8, 1, 2});
  Attributes a;
  a.set("blocksize", int64_t{2});
  expect_tensor<float>(run1({.op = "DepthToSpace", .attrs = a, .inputs = {x}}), {1, 2, 2, 4},
                       {0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15});
  a.set("mode", std::string("CRD"));
  expect_tensor<float>(run1({.op = "DepthToSpace", .attrs = a, .inputs = {x}}), {1, 2, 2, 4},
                       {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15});
  a.set("blocksize", int64_t{3});
  expect_error({.op = "DepthToSpace", .attrs = a, .inputs = {x}}, StatusCode::kInvalidArgument, "divisible");
}

TEST(TensorOpsSpaceToDepth, Blocks) {
  Attributes a;
  a.set("blocksize", int64_t{2});
  expect_tensor<float>(run1({.op = "SpaceToDepth", .attrs = a, .inputs = {iota_f32({1, 2, 4, 4})}}), {1, 8, 2, 2},
                       {0, 2, 8, 10, 16, 18, 24, 26, 1, 3, 9, 11, 17, 19, 25, 27,
                        4, 6, 12, 14, 20, 22, 28, 30, 5, 7, 13, 15, 21, 23, 29, 31});
}

}  // namespace
}  // namespace edgeq::kernels::testing

namespace edgeq::kernels::testing {
namespace {

// Zero-sized tensors flow through every data-movement op with the right output shape.
TEST(TensorOpsEmpty, ZeroSizedInputs) {
  const Tensor e(DType::kFloat32, {2, 0, 3});
  Attributes axis1;
  axis1.set("axis", int64_t{1});
  EXPECT_EQ(shape_to_string(run1({.op = "Concat", .attrs = axis1, .inputs = {e, e}}).shape()), "[2,0,3]");
  EXPECT_EQ(shape_to_string(run1({.op = "Transpose", .inputs = {e}}).shape()), "[3,0,2]");
  EXPECT_EQ(shape_to_string(run1({.op = "Pad", .inputs = {e, i64({0, 1, 0, 0, 1, 0})}}).shape()), "[2,2,3]");
  EXPECT_EQ(shape_to_string(run1({.op = "Gather", .inputs = {iota_f32({3}), vec<int64_t>({0}, {})}}).shape()), "[0]");
  EXPECT_EQ(shape_to_string(run1({.op = "Gather", .attrs = axis1, .inputs = {e, vec<int64_t>({0}, {})}}).shape()),
            "[2,0,3]");
  Attributes to;
  to.set("to", int64_t{10});
  EXPECT_EQ(shape_to_string(run1({.op = "Cast", .attrs = to, .inputs = {e}}).shape()), "[2,0,3]");
  EXPECT_EQ(shape_to_string(run1({.op = "Tile", .inputs = {e, i64({2, 2, 2})}}).shape()), "[4,0,6]");
  EXPECT_EQ(shape_to_string(run1({.op = "Expand", .inputs = {e, i64({4, 1, 1, 1})}}).shape()), "[4,2,0,3]");
  EXPECT_EQ(shape_to_string(run1({.op = "Slice", .inputs = {e, i64({1}), i64({3}), i64({2})}}).shape()), "[2,0,2]");
  EXPECT_EQ(shape_to_string(run1({.op = "Trilu", .inputs = {e}}).shape()), "[2,0,3]");
  EXPECT_EQ(shape_to_string(run1({.op = "OneHot", .inputs = {vec<int64_t>({0}, {}), Tensor::scalar<int64_t>(3),
                                                             vec<float>({2}, {0, 1})}}).shape()),
            "[0,3]");
  Attributes bs;
  bs.set("blocksize", int64_t{2});
  EXPECT_EQ(shape_to_string(run1({.op = "DepthToSpace", .attrs = bs, .inputs = {Tensor(DType::kFloat32, {0, 4, 2, 2})}}).shape()),
            "[0,1,4,4]");
  std::vector<Tensor> outs;
  ASSERT_TRUE(run_op({.op = "Split", .attrs = axis1, .inputs = {e}, .num_outputs = 2}, &outs).ok());
  EXPECT_EQ(shape_to_string(outs[1].shape()), "[2,0,3]");
}

}  // namespace
}  // namespace edgeq::kernels::testing
