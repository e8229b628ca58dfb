// The runtime's non-conv ops against kernels/int8/qops.h (bit for bit), in NHWC and plain
// layouts; a multi-op program with a shared arena, a CPU op in the middle and profiling.
#include <gtest/gtest.h>

#include <omp.h>

#include <cstring>
#include <thread>

#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT
namespace i8 = kernels::int8;

// Runs a program with one or more u8/f32 inputs given in logical order; returns output i
// in logical order (as bytes).
struct Runner {
  std::shared_ptr<const Executable> exe;
  std::unique_ptr<Instance> inst;

  explicit Runner(format::Program p) {
    auto e = Executable::create(std::move(p));
    EXPECT_TRUE(e.ok()) << e.status().message();
    if (!e.ok()) return;
    exe = *e;
    auto i = Instance::create(exe);
    EXPECT_TRUE(i.ok()) << i.status().message();
    if (i.ok()) inst = std::move(i).value();
  }
  bool ok() const { return inst != nullptr; }
  template <typename T>
  void set(int i, const std::vector<T>& logical) {
    const format::TensorDesc& d = exe->program().tensors[static_cast<size_t>(exe->program().inputs[static_cast<size_t>(i)].tensor)];
    const std::vector<T> ph = to_physical(logical, d.shape, d.layout);
    std::memcpy(inst->input(i), ph.data(), ph.size() * sizeof(T));
  }
  template <typename T>
  std::vector<T> get(int i) const {
    const format::TensorDesc& d = exe->program().tensors[static_cast<size_t>(exe->program().outputs[static_cast<size_t>(i)].tensor)];
    std::vector<T> v(static_cast<size_t>(d.numel()));
    std::memcpy(v.data(), inst->output(i), v.size() * sizeof(T));
    return to_logical(v, d.shape, d.layout);
  }
};

// Index of `out_index` (row-major over out_shape) in a broadcast operand of shape s.
int64_t broadcast_index(int64_t out_index, const std::vector<int64_t>& out_shape, const std::vector<int64_t>& s) {
  int64_t idx = 0, stride = 1;
  const size_t r = out_shape.size(), k = s.size();
  for (size_t d = r; d-- > 0;) {
    const int64_t coord = out_index % out_shape[d];
    out_index /= out_shape[d];
    if (d >= r - k) {
      const size_t sd = d - (r - k);
      if (s[sd] != 1) idx += coord * stride;
      stride *= s[sd];
    }
  }
  return idx;
}

struct BinaryCase {
  std::string name;
  std::vector<int64_t> a, b, y;
  Layout la, lb, ly;
  bool b_const, mul;
};

class BinaryTest : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(BinaryTest, MatchesQops) {
  const BinaryCase& c = GetParam();
  const QParam qa{0.031f, 120}, qb{0.017f, 37}, qy{c.mul ? 0.04f : 0.045f, 99};
  ProgramBuilder pb;
  const int64_t na = shape_numel(c.a), nb = shape_numel(c.b);
  const std::vector<uint8_t> av = random_u8(static_cast<size_t>(na), 1), bv = random_u8(static_cast<size_t>(nb), 2);
  const int a = pb.act("a", c.a, c.la, qa);
  int b;
  if (c.b_const) {
    b = pb.constant<uint8_t>("b", c.b, to_physical(bv, c.b, c.lb), format::Quant{{qb.scale}, {qb.zero_point}, -1});
    pb.p.tensors[static_cast<size_t>(b)].layout = c.b.size() == 4 ? c.lb : Layout::kPlain;
  } else {
    b = pb.act("b", c.b, c.lb, qb);
  }
  const int y = pb.act("y", c.y, c.ly, qy);
  pb.op(c.mul ? "QMul" : "QAdd", {a, b}, {y});
  std::vector<int> ins = {a};
  if (!c.b_const) ins.push_back(b);
  Runner r(pb.finish(ins, {y}));
  ASSERT_TRUE(r.ok());
  r.set(0, av);
  if (!c.b_const) r.set(1, bv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  const i8::BinaryParams p = i8::make_binary_params(qa, qb, qy);
  int bad = 0;
  for (int64_t i = 0; i < shape_numel(c.y); ++i) {
    const uint8_t x1 = av[static_cast<size_t>(broadcast_index(i, c.y, c.a))];
    const uint8_t x2 = bv[static_cast<size_t>(broadcast_index(i, c.y, c.b))];
    bad += got[static_cast<size_t>(i)] != (c.mul ? i8::mul(x1, x2, p) : i8::add(x1, x2, p));
  }
  EXPECT_EQ(bad, 0) << r.exe->kernel_names()[0];
  const std::string kernel = r.exe->kernel_names()[0];
  if (c.name.find("tiled") != std::string::npos && kernel.find("avx512") != std::string::npos) {
    EXPECT_NE(kernel.find("tiled"), std::string::npos) << kernel;
  }
}

std::vector<BinaryCase> binary_cases() {
  const Layout N = Layout::kNHWC, P = Layout::kPlain;
  std::vector<BinaryCase> v;
  for (bool mul : {false, true}) {
    const std::string op = mul ? "mul_" : "add_";
    v.push_back({op + "same_nhwc", {1, 24, 7, 9}, {1, 24, 7, 9}, {1, 24, 7, 9}, N, N, N, false, mul});
    v.push_back({op + "same_plain", {2, 5, 6, 7}, {2, 5, 6, 7}, {2, 5, 6, 7}, P, P, P, false, mul});
    v.push_back({op + "per_channel_nhwc", {1, 40, 5, 5}, {1, 40, 1, 1}, {1, 40, 5, 5}, N, N, N, false, mul});
    v.push_back({op + "per_channel_const_plain", {1, 40, 5, 5}, {40, 1, 1}, {1, 40, 5, 5}, P, P, P, true, mul});
    v.push_back({op + "scalar_const", {1, 17, 4, 4}, {1}, {1, 17, 4, 4}, N, P, N, true, mul});
    v.push_back({op + "mixed_layouts", {1, 19, 4, 6}, {1, 19, 4, 6}, {1, 19, 4, 6}, N, P, N, false, mul});
    v.push_back({op + "both_broadcast", {3, 1, 5}, {1, 4, 1}, {3, 4, 5}, P, P, P, false, mul});
    // An SE block's scale in NHWC: the per-channel operand is tiled and the op runs flat,
    // over several tiles and a partial one; the per-channel operand first or second.
    v.push_back({op + "per_channel_tiled", {1, 120, 23, 23}, {1, 120, 1, 1}, {1, 120, 23, 23}, N, N, N, false, mul});
    v.push_back({op + "per_channel_first_tiled", {1, 16, 1, 1}, {1, 16, 30, 30}, {1, 16, 30, 30}, N, N, N, false, mul});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Runtime, BinaryTest, ::testing::ValuesIn(binary_cases()),
                         [](const ::testing::TestParamInfo<BinaryCase>& i) { return i.param.name; });

class LayoutTest : public ::testing::TestWithParam<Layout> {};

TEST_P(LayoutTest, LutMatchesTable) {
  const Layout l = GetParam();
  const QParam qx{0.05f, 128}, qy{0.004f, 0};
  const i8::Table t = i8::make_table([](float v) { return 1.0f / (1.0f + std::exp(-v)); }, qx, qy);
  ProgramBuilder pb;
  const int x = pb.act("x", {1, 13, 6, 7}, l, qx);
  const int tab = pb.constant<uint8_t>("table", {256}, std::vector<uint8_t>(t.begin(), t.end()));
  const int y = pb.act("y", {1, 13, 6, 7}, l, qy);
  pb.op("QLut", {x, tab}, {y});
  Runner r(pb.finish({x}, {y}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> xv = random_u8(13 * 6 * 7, 4);
  r.set(0, xv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  for (size_t i = 0; i < xv.size(); ++i) ASSERT_EQ(got[i], t[xv[i]]) << i;
}

TEST_P(LayoutTest, GlobalAveragePool) {
  const Layout l = GetParam();
  const QParam qx{0.05f, 17}, qy{0.02f, 9};
  ProgramBuilder pb;
  const int x = pb.act("x", {2, 37, 7, 5}, l, qx);
  const int y = pb.act("y", {2, 37, 1, 1}, l, qy);
  pb.op("QGlobalAveragePool", {x}, {y});
  Runner r(pb.finish({x}, {y}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> xv = random_u8(2 * 37 * 35, 5);
  r.set(0, xv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  for (int64_t nc = 0; nc < 2 * 37; ++nc) {
    int32_t sum = 0;
    for (int64_t p = 0; p < 35; ++p) sum += xv[static_cast<size_t>(nc * 35 + p)];
    ASSERT_EQ(got[static_cast<size_t>(nc)], i8::average(sum, 35, qx, qy)) << nc;
  }
}

// The NHWC sums in 16-bit lanes for 256 pixels at a time and channel groups of up to 256:
// more pixels than one 16-bit round (values near 255), channel counts of one to five
// groups of 64 with partial last groups, and two frames.
TEST(Pool, GlobalAveragePoolNhwcWide) {
  const QParam qx{0.05f, 3}, qy{0.04f, 2};
  struct Shape { int64_t n, c, h, w; };
  for (const Shape& sh : {Shape{1, 96, 56, 56}, Shape{2, 300, 7, 7}, Shape{1, 1152, 3, 3}, Shape{1, 64, 20, 30},
                          Shape{1, 5, 17, 17}}) {
    ProgramBuilder pb;
    const int x = pb.act("x", {sh.n, sh.c, sh.h, sh.w}, Layout::kNHWC, qx);
    const int y = pb.act("y", {sh.n, sh.c, 1, 1}, Layout::kNHWC, qy);
    pb.op("QGlobalAveragePool", {x}, {y});
    Runner r(pb.finish({x}, {y}));
    ASSERT_TRUE(r.ok());
    const int64_t hw = sh.h * sh.w;
    const std::vector<uint8_t> xv = random_u8(static_cast<size_t>(sh.n * sh.c * hw), 9, 200, 255);
    r.set(0, xv);
    ASSERT_TRUE(r.inst->run().ok());
    const std::vector<uint8_t> got = r.get<uint8_t>(0);
    for (int64_t nc = 0; nc < sh.n * sh.c; ++nc) {
      int32_t sum = 0;
      for (int64_t p = 0; p < hw; ++p) sum += xv[static_cast<size_t>(nc * hw + p)];
      ASSERT_EQ(got[static_cast<size_t>(nc)], i8::average(sum, static_cast<int32_t>(hw), qx, qy))
          << sh.c << " channels, " << hw << " pixels, channel " << nc;
    }
  }
}

void check_pool(Layout l, bool max, bool include_pad, int64_t C = 11) {
  const QParam q{0.05f, 30};
  const int64_t H = 10, W = 9, kh = 3, kw = 2, sh = 2, sw = 2, pt = 1, pl = 0, pb_ = 1, pr = 1;
  const int64_t OH = (H + pt + pb_ - kh) / sh + 1, OW = (W + pl + pr - kw) / sw + 1;
  ProgramBuilder pb;
  const int x = pb.act("x", {1, C, H, W}, l, q);
  const int y = pb.act("y", {1, C, OH, OW}, l, q);
  Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{kh, kw});
  a.set("strides", std::vector<int64_t>{sh, sw});
  a.set("pads", std::vector<int64_t>{pt, pl, pb_, pr});
  a.set("count_include_pad", int64_t{include_pad ? 1 : 0});
  pb.op(max ? "MaxPool" : "QAveragePool", {x}, {y}, a);
  Runner r(pb.finish({x}, {y}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> xv = random_u8(static_cast<size_t>(C * H * W), 6);
  r.set(0, xv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        float sum = 0.0f;
        int32_t valid = 0, mx = 0;
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t h = oh * sh - pt + i, w = ow * sw - pl + j;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            const uint8_t v = xv[static_cast<size_t>((c * H + h) * W + w)];
            sum += i8::dequantize(v, q), ++valid, mx = std::max<int32_t>(mx, v);
          }
        const int64_t count = include_pad ? kh * kw : valid;
        const uint8_t want = max ? static_cast<uint8_t>(mx) : i8::pool_quantize(sum / static_cast<float>(count), q);
        ASSERT_EQ(got[static_cast<size_t>((c * OH + oh) * OW + ow)], want) << c << "," << oh << "," << ow;
      }
  const std::string kernel = r.exe->kernel_names()[0];
  if (l == Layout::kNHWC) {
    EXPECT_EQ(kernel.find("ref"), std::string::npos) << kernel;
  }
  if (l == Layout::kNHWC && max && __builtin_cpu_supports("avx512bw")) {
    EXPECT_NE(kernel.find("edgeq maxpool"), std::string::npos) << kernel;
  }
}

TEST_P(LayoutTest, MaxPool) { check_pool(GetParam(), true, false); }
// The NHWC loop over channel vectors: a full block of 64 and a masked tail, and a tail only.
TEST(Pool, MaxPoolNhwcChannelBlocks) {
  for (int64_t c : {88, 24}) check_pool(Layout::kNHWC, true, false, c);
}
TEST_P(LayoutTest, AveragePool) { check_pool(GetParam(), false, false); }
TEST_P(LayoutTest, AveragePoolCountIncludePad) { check_pool(GetParam(), false, true); }

TEST_P(LayoutTest, ConcatRequantizesInputs) {
  const Layout l = GetParam();
  const QParam q1{0.05f, 10}, q2{0.03f, 128}, qy{0.05f, 10};
  ProgramBuilder pb;
  const int a = pb.act("a", {1, 5, 4, 3}, l, q1);
  const int b = pb.act("b", {1, 7, 4, 3}, l, q2);
  const int y = pb.act("y", {1, 12, 4, 3}, l, qy);
  Attributes at;
  at.set("axis", int64_t{1});
  pb.op("QConcat", {a, b}, {y}, at);
  Runner r(pb.finish({a, b}, {y}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> av = random_u8(60, 7), bv = random_u8(84, 8);
  r.set(0, av);
  r.set(1, bv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  const i8::Table t = i8::requant_table(q2, qy);
  for (size_t i = 0; i < 60; ++i) ASSERT_EQ(got[i], av[i]) << i;
  for (size_t i = 0; i < 84; ++i) ASSERT_EQ(got[60 + i], t[bv[i]]) << i;
}

// Runs longer than one 64-byte vector (NHWC: 70 and 130 channels per pixel) take the
// vector table lookup where the host has it; every byte must match the table.
TEST_P(LayoutTest, ConcatRequantizesWideInputs) {
  const Layout l = GetParam();
  const QParam q1{0.02f, 3}, q2{0.07f, 200}, qy{0.05f, 90};
  ProgramBuilder pb;
  const int a = pb.act("a", {1, 70, 3, 5}, l, q1);
  const int b = pb.act("b", {1, 130, 3, 5}, l, q2);
  const int y = pb.act("y", {1, 200, 3, 5}, l, qy);
  Attributes at;
  at.set("axis", int64_t{1});
  pb.op("QConcat", {a, b}, {y}, at);
  Runner r(pb.finish({a, b}, {y}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> av = random_u8(70 * 15, 17), bv = random_u8(130 * 15, 18);
  r.set(0, av);
  r.set(1, bv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  const i8::Table ta = i8::requant_table(q1, qy), tb = i8::requant_table(q2, qy);
  for (size_t i = 0; i < av.size(); ++i) ASSERT_EQ(got[i], ta[av[i]]) << i;
  for (size_t i = 0; i < bv.size(); ++i) ASSERT_EQ(got[av.size() + i], tb[bv[i]]) << i;
}

TEST_P(LayoutTest, QuantizeDequantize) {
  const Layout l = GetParam();
  const QParam q{0.037f, 101};
  ProgramBuilder pb;
  const int x = pb.act("x", {1, 6, 5, 4}, l, {}, DType::kFloat32);
  const int u = pb.act("u", {1, 6, 5, 4}, l, q);
  const int f = pb.act("f", {1, 6, 5, 4}, l, {}, DType::kFloat32);
  pb.op("Quantize", {x}, {u});
  pb.op("Dequantize", {u}, {f});
  Runner r(pb.finish({x}, {u, f}));
  ASSERT_TRUE(r.ok());
  std::vector<float> xv(120);
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (float& v : xv) v = nd(rng);
  r.set(0, xv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  const std::vector<float> back = r.get<float>(1);
  for (size_t i = 0; i < xv.size(); ++i) {
    ASSERT_EQ(got[i], i8::quantize(xv[i], q)) << i;
    ASSERT_EQ(back[i], i8::dequantize(got[i], q)) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Runtime, LayoutTest, ::testing::Values(Layout::kNHWC, Layout::kPlain),
                         [](const ::testing::TestParamInfo<Layout>& i) {
                           return std::string(i.param == Layout::kNHWC ? "NHWC" : "Plain");
                         });

TEST(Reorder, RoundTripsLayouts) {
  ProgramBuilder pb;
  const QParam q{0.1f, 3};
  const int x = pb.act("x", {2, 5, 3, 4}, Layout::kPlain, q);
  const int n = pb.act("n", {2, 5, 3, 4}, Layout::kNHWC, q);
  const int back = pb.act("back", {2, 5, 3, 4}, Layout::kPlain, q);
  Attributes to_nhwc, to_nchw;
  to_nhwc.set("to_layout", std::string("NHWC"));
  to_nchw.set("to_layout", std::string("NCHW"));
  pb.op("Reorder", {x}, {n}, to_nhwc);
  pb.op("Reorder", {n}, {back}, to_nchw);
  Runner r(pb.finish({x}, {n, back}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> xv = random_u8(120, 9);
  r.set(0, xv);
  ASSERT_TRUE(r.inst->run().ok());
  EXPECT_EQ(r.get<uint8_t>(0), xv);  // get() converts NHWC back to logical order
  EXPECT_EQ(r.get<uint8_t>(1), xv);
  std::vector<uint8_t> raw(120);
  std::memcpy(raw.data(), r.inst->output(0), 120);
  EXPECT_EQ(raw, to_physical(xv, {2, 5, 3, 4}, Layout::kNHWC));
}

TEST(Reshape, AliasedIsNoOpAndCopyOtherwise) {
  ProgramBuilder pb;
  const QParam q{0.1f, 3};
  const int x = pb.act("x", {1, 8, 1, 1}, Layout::kNHWC, q);
  const int same = pb.act("same", {1, 8}, Layout::kPlain, q, DType::kUInt8, pb.offset_of(x));
  const int copy = pb.act("copy", {2, 4}, Layout::kPlain, q);
  Attributes alias;
  alias.set("alias", int64_t{1});
  pb.op("Flatten", {x}, {same}, alias);
  pb.op("Reshape", {same, pb.constant<int64_t>("shape", {2}, {2, 4})}, {copy});
  Runner r(pb.finish({x}, {same, copy}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> xv = random_u8(8, 10);
  r.set(0, xv);
  ASSERT_TRUE(r.inst->run().ok());
  EXPECT_EQ(r.get<uint8_t>(0), xv);
  EXPECT_EQ(r.get<uint8_t>(1), xv);
  EXPECT_NE(r.exe->kernel_names()[0].find("no-op"), std::string::npos) << r.exe->kernel_names()[0];
}

TEST(DataMovement, TransposeOnU8) {
  ProgramBuilder pb;
  const QParam q{0.1f, 3};
  const int x = pb.act("x", {2, 3, 4}, Layout::kPlain, q);
  const int y = pb.act("y", {4, 2, 3}, Layout::kPlain, q);
  Attributes a;
  a.set("perm", std::vector<int64_t>{2, 0, 1});
  pb.op("Transpose", {x}, {y}, a);
  Runner r(pb.finish({x}, {y}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> xv = random_u8(24, 11);
  r.set(0, xv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) ASSERT_EQ(got[static_cast<size_t>((k * 2 + i) * 3 + j)], xv[static_cast<size_t>((i * 3 + j) * 4 + k)]);
}

TEST(Resize, NearestUpsampleNhwc) {
  ProgramBuilder pb;
  const QParam q{0.1f, 3};
  const int x = pb.act("x", {1, 3, 2, 3}, Layout::kNHWC, q);
  const int y = pb.act("y", {1, 3, 4, 6}, Layout::kNHWC, q);
  Attributes a;
  a.set("mode", std::string("nearest"));
  a.set("coordinate_transformation_mode", std::string("asymmetric"));
  a.set("nearest_mode", std::string("floor"));
  a.set("scales", std::vector<float>{1, 1, 2, 2});
  pb.op("QResize", {x}, {y}, a);
  Runner r(pb.finish({x}, {y}));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> xv = random_u8(18, 12);
  r.set(0, xv);
  ASSERT_TRUE(r.inst->run().ok());
  const std::vector<uint8_t> got = r.get<uint8_t>(0);
  for (int c = 0; c < 3; ++c)
    for (int h = 0; h < 4; ++h)
      for (int w = 0; w < 6; ++w)
        ASSERT_EQ(got[static_cast<size_t>((c * 4 + h) * 6 + w)], xv[static_cast<size_t>((c * 2 + h / 2) * 3 + w / 2)]);
}

// conv → Dequantize → CPU Sigmoid → Quantize → QMul with the conv output. Tensors share
// arena memory (liveness plan), and the profile has one time per op.
TEST(Program, MultiOpWithCpuOpAndSharedArena) {
  ConvSpec s;
  s.C = 8, s.O = 16, s.H = s.W = 12, s.zy = 60;
  const ConvData d = make_conv_data(s, 21);
  ProgramBuilder pb;
  const int x = pb.act("x", {1, 8, 12, 12}, Layout::kNHWC, d.x);
  const int c = add_conv(pb, s, d, x, Layout::kNHWC, "conv");
  const int f = pb.act("f", {1, 16, 12, 12}, Layout::kPlain, {}, DType::kFloat32);
  const int sg = pb.act("sg", {1, 16, 12, 12}, Layout::kPlain, {}, DType::kFloat32);
  const QParam qs{1.0f / 255.0f, 0};
  const int sq = pb.act("sq", {1, 16, 12, 12}, Layout::kPlain, qs);
  const QParam qy{d.y.scale * 0.6f, 40};
  const int y = pb.act("y", {1, 16, 12, 12}, Layout::kNHWC, qy);
  Attributes to_nchw;
  to_nchw.set("to_layout", std::string("NCHW"));
  const int cp = pb.act("cp", {1, 16, 12, 12}, Layout::kPlain, d.y);
  pb.op("Reorder", {c}, {cp}, to_nchw);
  pb.op("Dequantize", {cp}, {f});
  pb.on_cpu(true);
  pb.op("Sigmoid", {f}, {sg});
  pb.on_cpu(false);
  pb.op("Quantize", {sg}, {sq});
  pb.op("QMul", {c, sq}, {y});
  format::Program p = pb.finish({x}, {y});
  const int64_t unplanned = p.arena_bytes;
  const int64_t planned = plan_arena(p);
  ASSERT_LT(planned, unplanned);
  // Some two tensors must share bytes for the test to mean anything.
  bool shared = false;
  for (size_t i = 0; i < p.tensors.size(); ++i)
    for (size_t j = i + 1; j < p.tensors.size(); ++j) {
      const auto &a = p.tensors[i], &b = p.tensors[j];
      if (a.is_constant || b.is_constant) continue;
      shared |= a.arena_offset < b.arena_offset + b.nbytes() && b.arena_offset < a.arena_offset + a.nbytes();
    }
  ASSERT_TRUE(shared);
  ASSERT_EQ(p.segments.size(), 3u);
  Runner r(std::move(p));
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> xv = random_u8(8 * 144, 13);
  for (int frame = 0; frame < 2; ++frame) {
    r.set(0, xv);
    FrameProfile prof;
    ASSERT_TRUE(r.inst->run(frame == 1 ? &prof : nullptr).ok());
    const std::vector<uint8_t> conv = reference_conv(s, d, xv);
    const i8::BinaryParams bp = i8::make_binary_params(d.y, qs, qy);
    const std::vector<uint8_t> got = r.get<uint8_t>(0);
    for (size_t i = 0; i < conv.size(); ++i) {
      const float fv = i8::dequantize(conv[i], d.y);
      const uint8_t sig = i8::quantize(1.0f / (1.0f + std::exp(-fv)), qs);
      ASSERT_EQ(got[i], i8::mul(conv[i], sig, bp)) << "frame " << frame << " element " << i;
    }
    if (frame == 1) {
      ASSERT_EQ(prof.op_ms.size(), 6u);
      for (double ms : prof.op_ms) EXPECT_GT(ms, 0.0);
    }
  }
  const std::vector<std::string> names = r.exe->kernel_names();
  EXPECT_NE(names[3].find("float reference"), std::string::npos) << names[3];
}

TEST(Program, RejectsTensorsOutsideTheArena) {
  ProgramBuilder pb;
  const int x = pb.act("x", {1, 8}, Layout::kPlain, {0.1f, 0});
  const int y = pb.act("y", {1, 8}, Layout::kPlain, {0.1f, 0});
  pb.op("Identity", {x}, {y});
  format::Program p = pb.finish({x}, {y});
  p.arena_bytes = 8;
  auto e = Executable::create(std::move(p));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("outside the arena"), std::string::npos) << e.status().message();
}

TEST(Program, RejectsUnknownAcceleratorOp) {
  ProgramBuilder pb;
  const int x = pb.act("x", {1, 8}, Layout::kPlain, {0.1f, 0});
  const int y = pb.act("y", {1, 8}, Layout::kPlain, {0.1f, 0});
  pb.op("QSoftmax", {x}, {y});
  auto e = Executable::create(pb.finish({x}, {y}));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("QSoftmax"), std::string::npos) << e.status().message();
}

// Instances of one executable are independent: same input, same output, own arenas.
TEST(Program, InstancesShareWeightsNotArenas) {
  const format::Program p = resnet50_program();
  // A ResNet-50-shaped program builds; two instances give identical outputs.
  auto exe = Executable::create(p);
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto a = Instance::create(*exe), b = Instance::create(*exe);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->input(0), (*b)->input(0));
  const std::vector<uint8_t> xv = random_u8((*exe)->input_bytes(0), 14);
  std::memcpy((*a)->input(0), xv.data(), xv.size());
  std::memcpy((*b)->input(0), xv.data(), xv.size());
  ASSERT_TRUE((*a)->run().ok());
  ASSERT_TRUE((*b)->run().ok());
  EXPECT_EQ(std::memcmp((*a)->output(0), (*b)->output(0), (*exe)->output_bytes(0)), 0);
  for (const std::string& k : (*exe)->kernel_names()) EXPECT_EQ(k.find("ref"), std::string::npos) << k;
}

}  // namespace
}  // namespace edgeq::runtime

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT

// A dual-core program (core_num 2, two OpenMP threads per frame) gives the same bytes as
// one thread.
TEST(Threads, TwoThreadsGiveTheSameBytes) {
  format::Program p1 = mobilenet_v2_program();
  format::Program p2 = p1;
  p2.options.core_num = 2;
  auto e1 = Executable::create(std::move(p1));
  auto e2 = Executable::create(std::move(p2));
  ASSERT_TRUE(e1.ok() && e2.ok());
  auto i1 = Instance::create(*e1);
  auto i2 = Instance::create(*e2);
  ASSERT_TRUE(i1.ok() && i2.ok());
  const std::vector<uint8_t> xv = random_u8((*e1)->input_bytes(0), 15);
  std::memcpy((*i1)->input(0), xv.data(), xv.size());
  std::memcpy((*i2)->input(0), xv.data(), xv.size());
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  ASSERT_TRUE((*i1)->run().ok());
  omp_set_num_threads(2);
  ASSERT_TRUE((*i2)->run().ok());
  omp_set_num_threads(saved);
  EXPECT_EQ(std::memcmp((*i1)->output(0), (*i2)->output(0), (*e1)->output_bytes(0)), 0);
}

// QGemm on a 3-D input: the leading dims are rows.
TEST(Gemm, LeadingDimsAreRows) {
  ProgramBuilder b;
  const QParam qx{0.02f, 3}, qy{0.5f, 128};
  const std::vector<int8_t> w = random_s8(6 * 16, 16);
  const int x = b.act("x", {2, 3, 16}, Layout::kPlain, qx);
  const int wt = b.constant<int8_t>("w", {6, 16}, w, format::Quant{{0.01f}, {0}, -1});
  const int y = b.act("y", {2, 3, 6}, Layout::kPlain, qy);
  b.op("QGemm", {x, wt, -1}, {y});
  auto exe = Executable::create(b.finish({x}, {y}));
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok());
  const std::vector<uint8_t> xv = random_u8(96, 17);
  std::memcpy((*inst)->input(0), xv.data(), xv.size());
  ASSERT_TRUE((*inst)->run().ok());
  const auto* got = static_cast<const uint8_t*>((*inst)->output(0));
  const float m = kernels::int8::conv_multiplier(qx.scale, 0.01f, qy.scale);
  for (int r = 0; r < 6; ++r)
    for (int n = 0; n < 6; ++n) {
      int32_t acc = 0;
      for (int k = 0; k < 16; ++k) acc += (xv[static_cast<size_t>(r * 16 + k)] - 3) * w[static_cast<size_t>(n * 16 + k)];
      ASSERT_EQ(got[r * 6 + n], kernels::int8::requantize(acc, m, 128)) << r << "," << n;
    }
}

// Slice and Pad (u8, plain) run through the reference kernels; Pad's value is the zero point.
TEST(DataMovement, SliceAndPadOnU8) {
  ProgramBuilder b;
  const QParam q{0.1f, 9};
  const int x = b.act("x", {1, 2, 4, 5}, Layout::kPlain, q);
  const int s = b.act("s", {1, 2, 2, 3}, Layout::kPlain, q);
  const int p = b.act("p", {1, 2, 4, 5}, Layout::kPlain, q);
  b.op("Slice", {x, b.constant<int64_t>("starts", {2}, {1, 2}), b.constant<int64_t>("ends", {2}, {3, 5}),
                 b.constant<int64_t>("axes", {2}, {2, 3})},
       {s});
  b.op("Pad", {s, b.constant<int64_t>("pads", {8}, {0, 0, 1, 0, 0, 0, 1, 2}), b.constant<uint8_t>("zp", {}, {9})}, {p});
  auto exe = Executable::create(b.finish({x}, {s, p}));
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok());
  const std::vector<uint8_t> xv = random_u8(40, 18);
  std::memcpy((*inst)->input(0), xv.data(), xv.size());
  const Status st = (*inst)->run();
  ASSERT_TRUE(st.ok()) << st.message();
  const auto* sg = static_cast<const uint8_t*>((*inst)->output(0));
  const auto* pg = static_cast<const uint8_t*>((*inst)->output(1));
  for (int c = 0; c < 2; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w) ASSERT_EQ(sg[(c * 2 + h) * 3 + w], xv[static_cast<size_t>((c * 4 + h + 1) * 5 + w + 2)]);
  for (int c = 0; c < 2; ++c)
    for (int h = 0; h < 4; ++h)
      for (int w = 0; w < 5; ++w) {
        const bool inside = h >= 1 && h < 3 && w < 3;
        ASSERT_EQ(pg[(c * 4 + h) * 5 + w], inside ? sg[(c * 2 + h - 1) * 3 + w] : 9) << c << h << w;
      }
}

}  // namespace
}  // namespace edgeq::runtime

namespace edgeq::runtime {
namespace {

// Instances of one executable run at the same time on different threads (the scheduler's
// cores) and each gives the single-threaded answer.
TEST(Threads, ConcurrentInstancesAgree) {
  auto exe = Executable::create(testing::mobilenet_v2_program());
  ASSERT_TRUE(exe.ok());
  const size_t in = (*exe)->input_bytes(0), out = (*exe)->output_bytes(0);
  std::vector<std::vector<uint8_t>> inputs, want;
  {
    auto inst = Instance::create(*exe);
    ASSERT_TRUE(inst.ok());
    for (uint32_t s = 0; s < 4; ++s) {
      inputs.push_back(testing::random_u8(in, 100 + s));
      std::memcpy((*inst)->input(0), inputs.back().data(), in);
      ASSERT_TRUE((*inst)->run().ok());
      const auto* o = static_cast<const uint8_t*>((*inst)->output(0));
      want.emplace_back(o, o + out);
    }
  }
  std::vector<int> bad(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      omp_set_num_threads(1);
      auto inst = Instance::create(*exe);
      if (!inst.ok()) {
        bad[static_cast<size_t>(t)] = 1000;
        return;
      }
      for (int frame = 0; frame < 8; ++frame) {
        const size_t k = static_cast<size_t>((frame + t) % 4);
        std::memcpy((*inst)->input(0), inputs[k].data(), in);
        if (!(*inst)->run().ok() || std::memcmp((*inst)->output(0), want[k].data(), out) != 0) ++bad[static_cast<size_t>(t)];
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad[0], 0);
  EXPECT_EQ(bad[1], 0);
}

}  // namespace
}  // namespace edgeq::runtime
