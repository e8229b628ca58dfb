// The cost model on hand-built programs: exact roofline numbers with a flat profile,
// monotonic in work and bandwidth, latency/FPS composition, multi-core, bad programs.
#include "estimator/estimate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/estimator/test_programs.h"

namespace {

using edgeq::DType;
using edgeq::estimator::Bound;
using edgeq::estimator::Estimate;
using edgeq::estimator::estimate;
using edgeq::estimator::TargetProfile;
using edgeq::format::Placement;
using edgeq::format::Program;
using testing_estimator::flat_profile;
using testing_estimator::hybrid_program;
using testing_estimator::ProgramBuilder;

Estimate must_estimate(const Program& p, const TargetProfile& t) {
  auto e = estimate(p, t);
  EXPECT_TRUE(e.ok()) << e.status().message();
  return e.ok() ? *e : Estimate{};
}

TEST(CostModel, RooflineWithFlatProfile) {
  ProgramBuilder b;
  int32_t x = b.act({1, 64, 56, 56});
  b.input(x);
  int32_t y = b.qconv(x, 128, 3);           // compute-bound, fits L2
  int32_t big = b.act({1, 128, 224, 224});  // 6.4 MB: DDR
  b.op("Reorder", {y}, {big});              // shapes need not match for counting
  b.output(big);
  Estimate e = must_estimate(b.program(), flat_profile());
  ASSERT_EQ(e.ops.size(), 2u);

  const auto& conv = e.ops[0];
  double macs = 56.0 * 56 * 128 * 64 * 9;
  EXPECT_NEAR(conv.compute_s, macs / 1e9, 1e-12);
  EXPECT_FALSE(conv.from_ddr);
  EXPECT_NEAR(conv.memory_s, conv.counts.bytes() / 1e10, 1e-12);  // cache bandwidth
  EXPECT_EQ(conv.bound, Bound::kCompute);
  EXPECT_NEAR(conv.time_s, conv.compute_s, 1e-12);

  const auto& reorder = e.ops[1];
  double bytes = 128.0 * 56 * 56 + 128.0 * 224 * 224;
  EXPECT_TRUE(reorder.from_ddr);
  EXPECT_NEAR(reorder.memory_s, bytes / 1e9, 1e-12);
  EXPECT_EQ(reorder.bound, Bound::kMemory);
  EXPECT_NEAR(e.ddr_bytes_per_frame, bytes, 0.5);
  EXPECT_NEAR(e.latency_s, conv.time_s + reorder.time_s, 1e-12);
  EXPECT_EQ(e.total_macs, static_cast<int64_t>(macs));
  EXPECT_EQ(e.arena_bytes, b.program().arena_bytes);
  EXPECT_EQ(e.costliest(1).at(0), 0);
}

TEST(CostModel, OverheadsAndSegmentSwitches) {
  TargetProfile t = flat_profile();
  t.accelerator_op_overhead_s = 1e-3;
  t.cpu_op_overhead_s = 2e-3;
  t.segment_switch_overhead_s = 5e-3;
  t.frame_overhead_s = 7e-3;
  Program p = hybrid_program();
  Estimate e = must_estimate(p, t);
  ASSERT_EQ(e.segments.size(), 2u);
  double sum = 0;
  for (const auto& op : e.ops) {
    bool cpu = op.counts.placement == Placement::kCpu;
    EXPECT_DOUBLE_EQ(op.overhead_s, cpu ? 2e-3 : 1e-3) << op.name;
    EXPECT_NEAR(op.time_s, std::max(op.compute_s, op.memory_s) + op.overhead_s, 1e-15);
    sum += op.time_s;
  }
  EXPECT_NEAR(e.latency_s, 7e-3 + sum + 5e-3, 1e-12);  // one accelerator → CPU switch
  EXPECT_NEAR(e.segments[0].time_s + e.segments[1].time_s + 7e-3, e.latency_s, 1e-12);
  EXPECT_GT(e.cpu_s, 0);
  EXPECT_GT(e.accelerator_s, 0);
  ASSERT_EQ(e.removed_ops.size(), 3u);
  EXPECT_TRUE(e.removed_ops[0].at_input);
  EXPECT_EQ(e.removed_ops[0].type, "QuantizeLinear");
  EXPECT_FALSE(e.removed_ops[2].at_input);
}

// Bigger layers never get cheaper, with the built-in host curves (efficiency rises with
// MACs per byte, but slower than the MACs do).
// The cold-op overhead: every op that does work pays it, at the frame's footprint
// (constants, kernel code, arena); a view pays nothing.
TEST(CostModel, ColdOpOverheadFollowsTheFootprint) {
  ProgramBuilder b;
  int32_t x = b.act({1, 16, 8, 8});
  b.input(x);
  int32_t y = b.qconv(x, 16, 3);
  int32_t z = b.qconv(y, 16, 3);
  b.output(z);
  const Program& p = b.program();
  TargetProfile warm = flat_profile();
  Estimate base = must_estimate(p, warm);
  const double fp = edgeq::estimator::frame_footprint_bytes(p);
  EXPECT_GT(fp, 2 * edgeq::estimator::kCodeBytesPerOp);
  EXPECT_GE(fp, static_cast<double>(p.arena_bytes) + 2 * edgeq::estimator::kCodeBytesPerOp);

  TargetProfile cold = warm;
  cold.cold_op_overhead = {{fp / 2, 1e-6}, {fp * 2, 5e-6}};  // log-linear: 3 µs at fp
  Estimate e = must_estimate(p, cold);
  ASSERT_EQ(e.ops.size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(e.ops[i].overhead_s - base.ops[i].overhead_s, 3e-6, 1e-12);
  EXPECT_NEAR(e.latency_s - base.latency_s, 6e-6, 1e-12);
  // Below the first point and beyond the last: flat.
  cold.cold_op_overhead = {{fp * 4, 2e-6}, {fp * 8, 9e-6}};
  EXPECT_NEAR(must_estimate(p, cold).latency_s - base.latency_s, 4e-6, 1e-12);
}

// On a macs_per_output curve a 1x1 conv that expands 24 channels to 144 runs at the
// efficiency of 24 MACs per output, the projection back at that of 144, though both move
// about as many bytes per MAC.
TEST(CostModel, ConvEfficiencyByMacsPerOutput) {
  TargetProfile t = flat_profile();
  t.efficiency[static_cast<int>(edgeq::estimator::OpKind::kConv)] = {edgeq::estimator::CurveAxis::kMacsPerOutput,
                                                                     {{16, 0.4}, {256, 0.8}}};
  ProgramBuilder b;
  int32_t x = b.act({1, 24, 28, 28});
  b.input(x);
  int32_t y = b.qconv(x, 144, 1);
  int32_t z = b.qconv(y, 24, 1);
  b.output(z);
  Estimate e = must_estimate(b.program(), t);
  ASSERT_EQ(e.ops.size(), 2u);
  EXPECT_NEAR(e.ops[0].efficiency, 0.4 + 0.4 * std::log2(24.0 / 16) / 4, 1e-12);   // log-linear in x
  EXPECT_NEAR(e.ops[1].efficiency, 0.4 + 0.4 * std::log2(144.0 / 16) / 4, 1e-12);
  EXPECT_NEAR(e.ops[0].compute_s / e.ops[1].compute_s, e.ops[1].efficiency / e.ops[0].efficiency, 1e-9);
}

TEST(CostModel, MonotonicInMacs) {
  TargetProfile host = edgeq::estimator::builtin_host_profile();
  double prev = 0;
  for (int64_t c : {8, 16, 32, 64, 128, 256, 512}) {
    ProgramBuilder b;
    int32_t x = b.act({1, 64, 28, 28});
    b.qconv(x, c, 3);
    Estimate e = must_estimate(b.program(), host);
    EXPECT_GT(e.ops[0].time_s, prev) << "out channels " << c;
    prev = e.ops[0].time_s;
  }
  prev = 0;
  for (int64_t k : {1, 3, 5, 7}) {
    ProgramBuilder b;
    int32_t x = b.act({1, 64, 28, 28});
    b.qconv(x, 64, k);
    Estimate e = must_estimate(b.program(), host);
    EXPECT_GT(e.ops[0].time_s, prev) << "kernel " << k;
    prev = e.ops[0].time_s;
  }
}

TEST(CostModel, MonotonicInBandwidth) {
  Program p = hybrid_program();
  ProgramBuilder b;
  int32_t x = b.act({1, 64, 112, 112});
  int32_t y = b.act({1, 64, 112, 112});
  b.op("Reorder", {x}, {y});
  Program mem = b.program();

  TargetProfile t = edgeq::estimator::builtin_host_profile();
  // A copy at full speed: the Reorder is limited by bandwidth alone.
  t.efficiency[static_cast<int>(edgeq::estimator::OpKind::kDataMovement)].points = {{1.0, 1.0}};
  double prev_latency = 0, prev_reorder = 0;
  for (double bw : {64e9, 32e9, 16e9, 8e9, 4e9, 2e9}) {
    t.core.memory_bandwidth_bytes_per_s = bw;
    t.shared_memory_bandwidth_bytes_per_s = bw;
    Estimate e = must_estimate(p, t);
    EXPECT_GE(e.latency_s, prev_latency) << bw;
    prev_latency = e.latency_s;
    Estimate m = must_estimate(mem, t);
    EXPECT_GT(m.ops[0].time_s, prev_reorder) << bw;  // memory-bound: strictly slower
    prev_reorder = m.ops[0].time_s;
  }
  // More peak compute never slows anything down.
  double prev = 1e9;
  for (double peak : {1e10, 1e11, 1e12}) {
    t.core.int8_macs_per_s = peak;
    Estimate e = must_estimate(p, t);
    EXPECT_LE(e.latency_s, prev);
    prev = e.latency_s;
  }
}

TEST(CostModel, FpsSharesDdrBandwidth) {
  ProgramBuilder b;
  int32_t x = b.act({1, 64, 224, 224});
  int32_t y = b.act({1, 64, 224, 224});
  b.op("Reorder", {x}, {y});
  TargetProfile t = flat_profile();
  t.core_count = 2;
  // The two cores together have the bandwidth of one: memory-bound frames halve.
  Estimate e = must_estimate(b.program(), t);
  EXPECT_EQ(e.frames_in_flight, 2);
  EXPECT_NEAR(e.busy_latency_s, 2 * e.latency_s, 1e-12);
  EXPECT_NEAR(e.fps, 1.0 / e.latency_s, 1e-6);
  // Enough shared bandwidth: FPS = cores / latency.
  t.shared_memory_bandwidth_bytes_per_s = 2e9;
  Estimate f = must_estimate(b.program(), t);
  EXPECT_NEAR(f.fps, 2.0 / f.latency_s, 1e-6);
}

TEST(CostModel, CoreNumSplitsAcceleratorOps) {
  Program p = hybrid_program();
  TargetProfile t = flat_profile();
  t.core_count = 2;
  t.shared_memory_bandwidth_bytes_per_s = 2e9;
  t.multi_core_efficiency = 0.5;
  Estimate one = must_estimate(p, t);
  p.options.core_num = 2;
  Estimate two = must_estimate(p, t);
  EXPECT_EQ(two.core_num, 2);
  EXPECT_EQ(two.frames_in_flight, 1);
  // 2 cores at 50% each: the same compute time for accelerator ops; CPU ops unchanged.
  for (size_t i = 0; i < one.ops.size(); ++i)
    EXPECT_NEAR(two.ops[i].compute_s, one.ops[i].compute_s, 1e-12) << one.ops[i].name;
  t.multi_core_efficiency = 1.0;
  Estimate full = must_estimate(p, t);
  EXPECT_NEAR(full.ops[0].compute_s, one.ops[0].compute_s / 2, 1e-12);
  EXPECT_NEAR(full.ops[3].compute_s, one.ops[3].compute_s, 1e-12);  // the CPU Softmax
}

TEST(CostModel, SegmentsMustCoverOps) {
  Program p = hybrid_program();
  p.segments.back().num_ops = 0;
  auto e = estimate(p, flat_profile());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("segments cover 3 of the program's 4 ops"), std::string::npos)
      << e.status().message();
  p = hybrid_program();
  p.segments[1].first_op = 1;
  e = estimate(p, flat_profile());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("segment 1"), std::string::npos) << e.status().message();
}

TEST(CostModel, JsonHoldsEveryOp) {
  Estimate e = must_estimate(hybrid_program(), flat_profile());
  nlohmann::json j = edgeq::estimator::to_json(e);
  ASSERT_EQ(j["ops"].size(), 4u);
  EXPECT_EQ(j["ops"][0]["placement"], "accelerator");
  EXPECT_EQ(j["ops"][3]["placement"], "cpu");
  EXPECT_EQ(j["ops"][3]["type"], "Softmax");
  EXPECT_NEAR(j["summary"]["latency_ms"].get<double>(), e.latency_s * 1e3, 1e-9);
  EXPECT_EQ(j["segments"].size(), 2u);
  EXPECT_EQ(j["removed_ops"].size(), 3u);
  EXPECT_EQ(j["costliest_ops"].size(), 4u);
}

}  // namespace
