// Tests for the reference Reduce*, ArgMax/ArgMin, CumSum and Softmax-family kernels.
// Expected values were computed with numpy.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/kernel.h"
#include "tests/kernels/ref_op_testing.h"

namespace edgeq::kernels {
namespace {

using namespace ref_op_testing;  // NOLINT


// 2x2x2 input shared by several tests.
Tensor sample() { return f32({2, 2, 2}, {0.5f, 1.0f, -2.0f, 3.0f, 0.25f, -1.5f, 2.0f, 1.0f}); }

TEST(ReduceSum, AxesAttributeBeforeOpset13) {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  OpResult r = run_op("ReduceSum", attrs_with({{"axes", std::vector<int64_t>{1}}}), 11, {&x});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {2, 1}, {6, 15});
}

TEST(ReduceSum, AxesInputFromOpset13) {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor axes = i64({1}, {-2});
  OpResult r = run_op("ReduceSum", attrs_with({{"keepdims", int64_t{0}}}), 13, {&x, &axes});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {3}, {5, 7, 9});
  // No axes: reduce everything; with noop_with_empty_axes: identity.
  OpResult all = run_op("ReduceSum", {}, 13, {&x});
  ASSERT_TRUE(all.status.ok());
  expect_values(all.outputs[0], {1, 1}, {21});
  Tensor empty = i64({0}, {});
  OpResult noop = run_op("ReduceSum", attrs_with({{"noop_with_empty_axes", int64_t{1}}}), 13, {&x, &empty});
  ASSERT_TRUE(noop.status.ok());
  expect_values(noop.outputs[0], {2, 3}, {1, 2, 3, 4, 5, 6});
}

TEST(ReduceSum, IntegerDtypeStaysExact) {
  Tensor x = Tensor::from_vector<int32_t>({2, 2}, {2000000000, 100, -7, 3});
  OpResult r = run_op("ReduceSum", attrs_with({{"axes", std::vector<int64_t>{0}}}), 11, {&x});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].dtype(), DType::kInt32);
  EXPECT_EQ(r.outputs[0].data<int32_t>()[0], 1999999993);
  EXPECT_EQ(r.outputs[0].data<int32_t>()[1], 103);
}

TEST(ReduceMean, NegativeAxesNoKeepdims) {
  Tensor x = sample();
  OpResult r = run_op("ReduceMean", attrs_with({{"axes", std::vector<int64_t>{-1}}, {"keepdims", int64_t{0}}}), 13, {&x});
  ASSERT_TRUE(r.status.ok());
  expect_values(r.outputs[0], {2, 2}, {0.75, 0.5, -0.625, 1.5});
}

TEST(ReduceMaxMin, AxesAsInputAtOpset18AndInts) {
  Tensor x = Tensor::from_vector<int64_t>({2, 3}, {5, -1, 9, 2, 8, -4});
  Tensor axes = i64({1}, {1});
  OpResult mx = run_op("ReduceMax", {}, 18, {&x, &axes});
  ASSERT_TRUE(mx.status.ok()) << mx.status.to_string();
  EXPECT_EQ(mx.outputs[0].dtype(), DType::kInt64);
  expect_values(mx.outputs[0], {2, 1}, {9, 8});
  OpResult mn = run_op("ReduceMin", attrs_with({{"axes", std::vector<int64_t>{0}}}), 13, {&x});
  ASSERT_TRUE(mn.status.ok());
  expect_values(mn.outputs[0], {1, 3}, {2, -1, -4});
  OpResult prod = run_op("ReduceProd", attrs_with({{"keepdims", int64_t{0}}}), 13, {&x});
  ASSERT_TRUE(prod.status.ok());
  expect_values(prod.outputs[0], {}, {5.0 * -1 * 9 * 2 * 8 * -4});
}

TEST(ReduceNorms, L1L2SumSquareLogSum) {
  Tensor x = sample();
  OpResult l2 = run_op("ReduceL2", attrs_with({{"axes", std::vector<int64_t>{1}}}), 13, {&x});
  ASSERT_TRUE(l2.status.ok());
  expect_values(l2.outputs[0], {2, 1, 2}, {2.0615528128088303, 3.1622776601683795, 2.0155644370746373, 1.8027756377319946});
  OpResult l1 = run_op("ReduceL1", attrs_with({{"keepdims", int64_t{0}}}), 13, {&x});
  ASSERT_TRUE(l1.status.ok());
  expect_values(l1.outputs[0], {}, {11.25});
  OpResult ss = run_op("ReduceSumSquare", attrs_with({{"axes", std::vector<int64_t>{0, 1}}}), 13, {&x});
  ASSERT_TRUE(ss.status.ok());
  expect_values(ss.outputs[0], {1, 1, 2}, {0.25 + 4 + 0.0625 + 4, 1 + 9 + 2.25 + 1});
  Tensor pos = f32({3}, {1, 2, 4});
  OpResult ls = run_op("ReduceLogSum", {}, 13, {&pos});
  ASSERT_TRUE(ls.status.ok());
  expect_values(ls.outputs[0], {1}, {std::log(7.0)});
}

TEST(ReduceLogSumExp, StableForLargeValues) {
  Tensor x = sample();
  OpResult r = run_op("ReduceLogSumExp", attrs_with({{"axes", std::vector<int64_t>{0, 2}}, {"keepdims", int64_t{0}}}), 13, {&x});
  ASSERT_TRUE(r.status.ok());
  expect_values(r.outputs[0], {2}, {1.7705628456896396, 3.412078306896637});
  Tensor big = f32({2}, {1000.0f, 1000.0f});
  OpResult b = run_op("ReduceLogSumExp", {}, 13, {&big});
  ASSERT_TRUE(b.status.ok());
  expect_values(b.outputs[0], {1}, {1000.0 + std::log(2.0)});
}

TEST(ReduceErrors, BadAxisNamesTheNode) {
  Tensor x = sample();
  OpResult r = run_op("ReduceMean", attrs_with({{"axes", std::vector<int64_t>{3}}}), 13, {&x});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("node0"), std::string::npos) << r.status.message();
  Tensor axes = i64({1}, {-4});
  OpResult s = run_op("ReduceSum", {}, 13, {&x, &axes});
  EXPECT_EQ(s.status.code(), StatusCode::kInvalidArgument);
  OpResult sm = run_op("Softmax", attrs_with({{"axis", int64_t{3}}}), 13, {&x});
  EXPECT_EQ(sm.status.code(), StatusCode::kInvalidArgument);
  OpResult am = run_op("ArgMax", attrs_with({{"axis", int64_t{-4}}}), 13, {&x});
  EXPECT_EQ(am.status.code(), StatusCode::kInvalidArgument);
}

TEST(ReduceArgMax, SelectLastIndexAndKeepdims) {
  Tensor x = f32({2, 3}, {1, 5, 5, 7, 2, 7});
  OpResult first = run_op("ArgMax", attrs_with({{"axis", int64_t{1}}}), 13, {&x});
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.outputs[0].dtype(), DType::kInt64);
  expect_values(first.outputs[0], {2, 1}, {1, 0});
  OpResult last = run_op("ArgMax", attrs_with({{"axis", int64_t{-1}}, {"keepdims", int64_t{0}}, {"select_last_index", int64_t{1}}}), 13, {&x});
  ASSERT_TRUE(last.status.ok());
  expect_values(last.outputs[0], {2}, {2, 2});
  OpResult mn = run_op("ArgMin", {}, 13, {&x});
  ASSERT_TRUE(mn.status.ok());
  expect_values(mn.outputs[0], {1, 3}, {0, 1, 0});
}

TEST(ReduceCumSum, ExclusiveReverseAndAxisTensor) {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor axis = Tensor::scalar<int32_t>(1);
  OpResult plain = run_op("CumSum", {}, 14, {&x, &axis});
  ASSERT_TRUE(plain.status.ok());
  expect_values(plain.outputs[0], {2, 3}, {1, 3, 6, 4, 9, 15});
  OpResult ex_rev = run_op("CumSum", attrs_with({{"exclusive", int64_t{1}}, {"reverse", int64_t{1}}}), 14, {&x, &axis});
  ASSERT_TRUE(ex_rev.status.ok());
  expect_values(ex_rev.outputs[0], {2, 3}, {5, 3, 0, 11, 6, 0});
  Tensor axis0 = i64({1}, {-2});
  Tensor xi = Tensor::from_vector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  OpResult ints = run_op("CumSum", {}, 14, {&xi, &axis0});
  ASSERT_TRUE(ints.status.ok());
  EXPECT_EQ(ints.outputs[0].dtype(), DType::kInt64);
  expect_values(ints.outputs[0], {2, 3}, {1, 2, 3, 5, 7, 9});
  Tensor bad = Tensor::scalar<int64_t>(2);
  EXPECT_EQ(run_op("CumSum", {}, 14, {&x, &bad}).status.code(), StatusCode::kInvalidArgument);
}

TEST(ReduceSoftmax, OpsetChangesTheNormalisedDims) {
  Tensor x = sample();
  Attributes axis1 = attrs_with({{"axis", int64_t{1}}});
  OpResult legacy = run_op("Softmax", axis1, 11, {&x});
  ASSERT_TRUE(legacy.status.ok());
  expect_values(legacy.outputs[0], {2, 2, 2},
                {0.06705423914061147, 0.1105537503617392, 0.005504147127583673, 0.8168878633700657,
                 0.11055371602907661, 0.01921135519747333, 0.6361927101033019, 0.23404221867014816});
  OpResult v13 = run_op("Softmax", axis1, 13, {&x});
  ASSERT_TRUE(v13.status.ok());
  expect_values(v13.outputs[0], {2, 2, 2},
                {0.9241418199787566, 0.11920292202211755, 0.07585818002124356, 0.8807970779778825,
                 0.14804719803168948, 0.07585818002124356, 0.8519528019683106, 0.9241418199787566});
}

TEST(ReduceSoftmax, LogSoftmaxDefaultAxisAndLargeNumbers) {
  Tensor x = sample();
  OpResult r = run_op("LogSoftmax", {}, 13, {&x});
  ASSERT_TRUE(r.status.ok());
  expect_values(r.outputs[0], {2, 2, 2},
                {-0.9740769841801066, -0.47407698418010663, -5.006715348489118, -0.006715348489117944,
                 -0.1602241504380872, -1.9102241504380872, -0.3132616875182228, -1.3132616875182226});
  Tensor big = f32({1, 3}, {10000.0f, 10001.0f, 10002.0f});
  OpResult s = run_op("Softmax", {}, 11, {&big});
  ASSERT_TRUE(s.status.ok());
  expect_values(s.outputs[0], {1, 3}, {0.09003057317038046, 0.24472847105479764, 0.6652409557748219});
}

TEST(ReduceSoftmax, HardmaxPicksFirstMaximum) {
  Tensor x = f32({2, 3}, {1, 3, 3, -1, -5, -2});
  OpResult r = run_op("Hardmax", {}, 13, {&x});
  ASSERT_TRUE(r.status.ok());
  expect_values(r.outputs[0], {2, 3}, {0, 1, 0, 1, 0, 0});
  // Opset 11, axis 0: one-hot over the whole flattened tensor.
  OpResult legacy = run_op("Hardmax", attrs_with({{"axis", int64_t{0}}}), 11, {&x});
  ASSERT_TRUE(legacy.status.ok());
  expect_values(legacy.outputs[0], {2, 3}, {0, 1, 0, 0, 0, 0});
}

TEST(ReduceHalf, Float16RunsThroughFloat) {
  Tensor x(DType::kFloat16, {2, 2});
  const float vals[] = {1.0f, 2.0f, 3.0f, 0.5f};
  for (int i = 0; i < 4; ++i) x.data<uint16_t>()[i] = float_to_half(vals[i]);
  OpResult sum = run_op("ReduceSum", attrs_with({{"keepdims", int64_t{0}}}), 11, {&x});
  ASSERT_TRUE(sum.status.ok()) << sum.status.to_string();
  EXPECT_EQ(sum.outputs[0].dtype(), DType::kFloat16);
  expect_values(sum.outputs[0], {}, {6.5}, 1e-3);
  OpResult sm = run_op("Softmax", {}, 13, {&x});
  ASSERT_TRUE(sm.status.ok());
  EXPECT_EQ(sm.outputs[0].dtype(), DType::kFloat16);
  expect_values(sm.outputs[0], {2, 2}, {0.2689414213699951, 0.7310585786300049, 0.9241418199787566, 0.07585818002124356}, 1e-3);
  Tensor i8 = Tensor::from_vector<int8_t>({3}, {-128, 5, 127});
  OpResult mn = run_op("ReduceMin", {}, 13, {&i8});
  ASSERT_TRUE(mn.status.ok());
  EXPECT_EQ(mn.outputs[0].dtype(), DType::kInt8);
  expect_values(mn.outputs[0], {1}, {-128});
}

}  // namespace
}  // namespace edgeq::kernels
