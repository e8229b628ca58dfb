// MACs, bytes and kinds counted from hand-built ops.
#include "estimator/op_counts.h"

#include <gtest/gtest.h>

#include "tests/estimator/test_programs.h"

namespace {

using edgeq::DType;
using edgeq::estimator::count_op;
using edgeq::estimator::OpCounts;
using edgeq::estimator::OpKind;
using edgeq::format::Placement;
using testing_estimator::ProgramBuilder;

TEST(OpCounts, QConv3x3) {
  ProgramBuilder b;
  int32_t x = b.act({1, 64, 56, 56});
  b.qconv(x, 128, 3);
  OpCounts c = count_op(b.program(), 0, Placement::kAccelerator);
  EXPECT_EQ(c.kind, OpKind::kConv);
  EXPECT_EQ(c.macs, int64_t{56} * 56 * 128 * 64 * 9);
  EXPECT_DOUBLE_EQ(c.work, static_cast<double>(c.macs));  // int8 MACs at the int8 peak
  EXPECT_EQ(c.activation_bytes, 64 * 56 * 56);
  EXPECT_EQ(c.weight_bytes, 128 * 64 * 9 + 128 * 4);  // s8 weight + s32 bias
  EXPECT_EQ(c.output_bytes, 128 * 56 * 56);
  EXPECT_EQ(c.channels, 128);
  EXPECT_EQ(c.bytes(), c.activation_bytes + c.weight_bytes + c.output_bytes);
}

TEST(OpCounts, DepthwiseAndGroupedConv) {
  ProgramBuilder b;
  int32_t x = b.act({1, 32, 28, 28});
  int32_t y = b.qconv(x, 32, 3, /*group=*/32);
  b.qconv(y, 32, 3, /*group=*/4);
  OpCounts dw = count_op(b.program(), 0, Placement::kAccelerator);
  EXPECT_EQ(dw.kind, OpKind::kConvDepthwise);
  EXPECT_EQ(dw.macs, int64_t{32} * 28 * 28 * 9);
  OpCounts grouped = count_op(b.program(), 1, Placement::kAccelerator);
  EXPECT_EQ(grouped.kind, OpKind::kConv);
  EXPECT_EQ(grouped.macs, int64_t{32} * 28 * 28 * 8 * 9);
}

TEST(OpCounts, QGemmAndCpuMatmuls) {
  ProgramBuilder b;
  int32_t x = b.act({4, 512});
  int32_t w = b.constant({1000, 512}, DType::kInt8);
  int32_t y = b.act({4, 1000});
  b.op("QGemm", {x, w}, {y});
  // CPU Gemm with transA: A is [K, M] = [256, 4]; fp32 work counts 2 FLOPs per MAC.
  int32_t a = b.act({256, 4}, DType::kFloat32);
  int32_t wf = b.constant({256, 10}, DType::kFloat32);
  int32_t g = b.act({4, 10}, DType::kFloat32);
  b.op("Gemm", {a, wf}, {g}, Placement::kCpu).attrs.set("transA", int64_t{1});
  int32_t m1 = b.act({2, 3, 5, 7}, DType::kFloat32);
  int32_t m2 = b.act({2, 3, 7, 11}, DType::kFloat32);
  int32_t mo = b.act({2, 3, 5, 11}, DType::kFloat32);
  b.op("MatMul", {m1, m2}, {mo}, Placement::kCpu);

  OpCounts q = count_op(b.program(), 0, Placement::kAccelerator);
  EXPECT_EQ(q.kind, OpKind::kGemm);
  EXPECT_EQ(q.macs, 4 * 1000 * 512);
  EXPECT_EQ(q.weight_bytes, 1000 * 512);
  EXPECT_EQ(q.channels, 1000);
  OpCounts gemm = count_op(b.program(), 1, Placement::kCpu);
  EXPECT_EQ(gemm.kind, OpKind::kCpuMatmul);
  EXPECT_EQ(gemm.macs, 4 * 10 * 256);
  EXPECT_DOUBLE_EQ(gemm.work, 2.0 * 4 * 10 * 256);
  EXPECT_EQ(gemm.activation_bytes, 256 * 4 * 4);
  EXPECT_EQ(gemm.weight_bytes, 256 * 10 * 4);
  OpCounts mm = count_op(b.program(), 2, Placement::kCpu);
  EXPECT_EQ(mm.macs, 2 * 3 * 5 * 11 * 7);
  EXPECT_EQ(mm.activation_bytes, (2 * 3 * 5 * 7 + 2 * 3 * 7 * 11) * 4);
}

TEST(OpCounts, CpuConvCountsFlops) {
  ProgramBuilder b;
  int32_t x = b.act({1, 3, 32, 32}, DType::kFloat32);
  int32_t w = b.constant({16, 3, 5, 5}, DType::kFloat32);
  int32_t y = b.act({1, 16, 28, 28}, DType::kFloat32);
  b.op("Conv", {x, w, -1}, {y}, Placement::kCpu);
  OpCounts c = count_op(b.program(), 0, Placement::kCpu);
  EXPECT_EQ(c.kind, OpKind::kCpuMatmul);
  EXPECT_EQ(c.macs, int64_t{16} * 28 * 28 * 3 * 25);
  EXPECT_DOUBLE_EQ(c.work, 2.0 * c.macs);
  EXPECT_EQ(c.activation_bytes, 3 * 32 * 32 * 4);
}

TEST(OpCounts, ElementwisePoolsAndBoundaries) {
  ProgramBuilder b;
  int32_t x = b.act({1, 16, 8, 8});
  int32_t y = b.act({1, 16, 8, 8});
  b.op("QAdd", {x, x}, {y});  // the same input twice is read once
  int32_t p = b.act({1, 16, 4, 4});
  b.op("MaxPool", {y}, {p}).attrs.set("kernel_shape", std::vector<int64_t>{3, 3});
  int32_t g = b.act({1, 16, 1, 1});
  b.op("QGlobalAveragePool", {p}, {g});
  int32_t f = b.act({1, 16, 1, 1}, DType::kFloat32);
  b.op("Dequantize", {g}, {f});
  int32_t r = b.act({1, 16, 8, 8});
  b.op("Reorder", {y}, {r}).attrs.set("to_layout", std::string("NHWC"));

  const auto& prog = b.program();
  OpCounts add = count_op(prog, 0, Placement::kAccelerator);
  EXPECT_EQ(add.kind, OpKind::kElementwise);
  EXPECT_EQ(add.macs, 0);
  EXPECT_EQ(add.activation_bytes, 16 * 64);
  EXPECT_DOUBLE_EQ(add.work, 16 * 64);
  OpCounts pool = count_op(prog, 1, Placement::kAccelerator);
  EXPECT_EQ(pool.kind, OpKind::kPool);
  EXPECT_DOUBLE_EQ(pool.work, 16 * 16 * 9);
  OpCounts gap = count_op(prog, 2, Placement::kAccelerator);
  EXPECT_EQ(gap.kind, OpKind::kGlobalPool);
  EXPECT_DOUBLE_EQ(gap.work, 16 * 16);  // 16 outputs × 16 taps
  OpCounts deq = count_op(prog, 3, Placement::kAccelerator);
  EXPECT_EQ(deq.kind, OpKind::kDequantize);
  EXPECT_EQ(deq.output_bytes, 16 * 4);
  OpCounts reorder = count_op(prog, 4, Placement::kAccelerator);
  EXPECT_EQ(reorder.kind, OpKind::kDataMovement);
  EXPECT_EQ(reorder.bytes(), 2 * 16 * 64);
}

TEST(OpCounts, ReshapeInPlaceMovesNothing) {
  ProgramBuilder b;
  int32_t x = b.act({1, 16, 4, 4});
  int32_t shape = b.constant({2}, DType::kInt64);
  int32_t view = b.act({1, 256}, DType::kUInt8, /*alias=*/x);
  b.op("Reshape", {x, shape}, {view});
  int32_t copy = b.act({1, 256});
  b.op("Reshape", {x, shape}, {copy});
  OpCounts v = count_op(b.program(), 0, Placement::kAccelerator);
  EXPECT_TRUE(v.in_place);
  EXPECT_EQ(v.bytes(), 0);
  EXPECT_DOUBLE_EQ(v.work, 0);
  OpCounts c = count_op(b.program(), 1, Placement::kAccelerator);
  EXPECT_FALSE(c.in_place);
  EXPECT_EQ(c.activation_bytes, 256);
  EXPECT_EQ(c.output_bytes, 256);
}

// A QConv with a folded residual add reads the residual too; when its output does not
// take the residual's bytes the runtime copies the residual first (one more read, write).
TEST(OpCounts, ResidualConvReadsTheResidual) {
  ProgramBuilder b;
  int32_t x = b.act({1, 64, 14, 14});
  int32_t r = b.act({1, 64, 14, 14});
  int32_t w = b.constant({64, 64, 1, 1}, DType::kInt8);
  int32_t in_place = b.act({1, 64, 14, 14}, DType::kUInt8, /*alias=*/r);
  b.op("QConv", {x, w, -1, r}, {in_place});
  int32_t r2 = b.act({1, 64, 14, 14});
  int32_t copy = b.act({1, 64, 14, 14});
  b.op("QConv", {x, w, -1, r2}, {copy});
  const int64_t t = 64 * 14 * 14;
  OpCounts a = count_op(b.program(), 0, Placement::kAccelerator);
  EXPECT_EQ(a.kind, OpKind::kConv);
  EXPECT_EQ(a.macs, t * 64);
  EXPECT_EQ(a.activation_bytes, 2 * t);  // x and the residual
  EXPECT_EQ(a.output_bytes, t);
  OpCounts c = count_op(b.program(), 1, Placement::kAccelerator);
  EXPECT_EQ(c.activation_bytes, 3 * t);
  EXPECT_EQ(c.output_bytes, 2 * t);
}

TEST(OpCounts, CpuKinds) {
  ProgramBuilder b;
  int32_t x = b.act({1, 10}, DType::kFloat32);
  int32_t y = b.act({10, 1}, DType::kFloat32);
  b.op("Transpose", {x}, {y}, Placement::kCpu);
  int32_t z = b.act({10, 1}, DType::kFloat32);
  b.op("Sigmoid", {y}, {z}, Placement::kCpu);
  EXPECT_EQ(count_op(b.program(), 0, Placement::kCpu).kind, OpKind::kCpuDataMovement);
  EXPECT_EQ(count_op(b.program(), 1, Placement::kCpu).kind, OpKind::kCpuElementwise);
}

}  // namespace
