// The runtime's kernels against the whole-tensor int8 reference kernels
// (kernels/int8/ref.h), bit for bit, in NHWC and plain layouts; QAdd / QMul over every
// (a, b) pair of u8 values.
#include <gtest/gtest.h>

#include <cstring>

#include "kernels/int8/ref.h"
#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT
namespace i8 = kernels::int8;

Tensor u8_tensor(const std::vector<int64_t>& shape, const std::vector<uint8_t>& v) {
  return Tensor::from_vector<uint8_t>(shape, v);
}

std::vector<uint8_t> bytes(const Tensor& t) {
  return std::vector<uint8_t>(t.data<uint8_t>(), t.data<uint8_t>() + t.numel());
}

// Runs a one-op program; inputs and the output in logical order.
std::vector<uint8_t> run_program(format::Program p, const std::vector<std::vector<uint8_t>>& inputs,
                                 std::string* kernel = nullptr) {
  auto exe = Executable::create(std::move(p));
  EXPECT_TRUE(exe.ok()) << exe.status().message();
  if (!exe.ok()) return {};
  auto inst = Instance::create(*exe);
  EXPECT_TRUE(inst.ok());
  if (!inst.ok()) return {};
  const format::Program& prog = (*exe)->program();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const format::TensorDesc& d = prog.tensors[static_cast<size_t>(prog.inputs[i].tensor)];
    const std::vector<uint8_t> ph = to_physical(inputs[i], d.shape, d.layout);
    std::memcpy((*inst)->input(static_cast<int>(i)), ph.data(), ph.size());
  }
  EXPECT_TRUE((*inst)->run().ok());
  const format::TensorDesc& o = prog.tensors[static_cast<size_t>(prog.outputs[0].tensor)];
  std::vector<uint8_t> out(static_cast<size_t>(o.numel()));
  std::memcpy(out.data(), (*inst)->output(0), out.size());
  if (kernel) *kernel = (*exe)->kernel_names()[0];
  return to_logical(out, o.shape, o.layout);
}

// Every (a, b) pair: a = i / 256, b = i % 256 over 65536 elements (vector loop and tail).
TEST(RefBinary, EveryPairMatchesQadd) {
  for (const auto& [qa, qb, qy] : std::vector<std::tuple<QParam, QParam, QParam>>{
           {{0.031f, 120}, {0.017f, 37}, {0.045f, 99}},
           {{0.1f, 0}, {0.1f, 0}, {0.2f, 0}},
           {{0.0123f, 255}, {0.5f, 1}, {0.3f, 128}}}) {
    for (bool mul : {false, true}) {
      std::vector<uint8_t> a(65536 + 7), b(65536 + 7);
      for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i / 256), b[i] = static_cast<uint8_t>(i % 256);
      ProgramBuilder pb;
      const std::vector<int64_t> shape = {static_cast<int64_t>(a.size())};
      const int ta = pb.act("a", shape, Layout::kPlain, qa), tb = pb.act("b", shape, Layout::kPlain, qb);
      const int ty = pb.act("y", shape, Layout::kPlain, qy);
      pb.op(mul ? "QMul" : "QAdd", {ta, tb}, {ty});
      const std::vector<uint8_t> got = run_program(pb.finish({ta, tb}, {ty}), {a, b});
      auto want = mul ? i8::qmul(u8_tensor(shape, a), qa, u8_tensor(shape, b), qb, qy)
                      : i8::qadd(u8_tensor(shape, a), qa, u8_tensor(shape, b), qb, qy);
      ASSERT_TRUE(want.ok());
      EXPECT_EQ(got, bytes(*want)) << (mul ? "QMul" : "QAdd") << " scales " << qa.scale << "," << qb.scale << ","
                                   << qy.scale;
    }
  }
}

// Broadcasting shapes against the reference's own broadcasting, both layouts.
TEST(RefBinary, BroadcastsLikeReference) {
  struct Case {
    std::vector<int64_t> a, b;
    Layout la, lb, ly;
  };
  const Layout N = Layout::kNHWC, P = Layout::kPlain;
  for (const Case& c : std::vector<Case>{{{1, 40, 5, 6}, {1, 40, 1, 1}, N, N, N},
                                         {{1, 40, 5, 6}, {1, 40, 5, 6}, N, P, N},
                                         {{2, 3, 5, 6}, {6}, P, P, P},
                                         {{1, 24, 3, 3}, {1, 1, 3, 3}, N, P, P}})
    for (bool mul : {false, true}) {
      const QParam qa{0.03f, 100}, qb{0.02f, 20}, qy{mul ? 0.05f : 0.04f, 50};
      const std::vector<uint8_t> av = random_u8(static_cast<size_t>(shape_numel(c.a)), 1);
      const std::vector<uint8_t> bv = random_u8(static_cast<size_t>(shape_numel(c.b)), 2);
      ProgramBuilder pb;
      const int ta = pb.act("a", c.a, c.la, qa), tb = pb.act("b", c.b, c.lb, qb);
      const int ty = pb.act("y", c.a, c.ly, qy);
      pb.op(mul ? "QMul" : "QAdd", {ta, tb}, {ty});
      const std::vector<uint8_t> got = run_program(pb.finish({ta, tb}, {ty}), {av, bv});
      auto want = mul ? i8::qmul(u8_tensor(c.a, av), qa, u8_tensor(c.b, bv), qb, qy)
                      : i8::qadd(u8_tensor(c.a, av), qa, u8_tensor(c.b, bv), qb, qy);
      ASSERT_TRUE(want.ok());
      EXPECT_EQ(got, bytes(*want)) << shape_to_string(c.a) << " with " << shape_to_string(c.b);
    }
}

struct RefConvCase {
  std::string name;
  ConvSpec s;
};

class RefConvTest : public ::testing::TestWithParam<std::tuple<RefConvCase, Layout>> {};

TEST_P(RefConvTest, MatchesQconv) {
  const ConvSpec& s = std::get<0>(GetParam()).s;
  const Layout layout = std::get<1>(GetParam());
  const ConvData d = make_conv_data(s, 77);
  ProgramBuilder pb;
  const int x = pb.act("x", {s.N, s.C, s.H, s.W}, layout, d.x);
  const int y = add_conv(pb, s, d, x, layout, "conv");
  const std::vector<uint8_t> xv = random_u8(static_cast<size_t>(s.N * s.C * s.H * s.W), 5);
  std::string kernel;
  const std::vector<uint8_t> got = run_program(pb.finish({x}, {y}), {xv}, &kernel);
  i8::Window2d w;
  w.strides = {s.sh, s.sw};
  w.dilations = {s.dh, s.dw};
  w.pads_begin = {s.pt, s.pl};
  w.pads_end = {s.pb, s.pr};
  const Tensor wt = Tensor::from_vector<int8_t>({s.O, s.C / s.group, s.kh, s.kw}, d.w);
  const Tensor bt = Tensor::from_vector<int32_t>({s.O}, d.b);
  auto want = i8::qconv(u8_tensor({s.N, s.C, s.H, s.W}, xv), d.x, wt, d.w_scale, s.bias ? &bt : nullptr, d.y, w,
                        s.group);
  ASSERT_TRUE(want.ok()) << want.status().message();
  const std::vector<uint8_t> ref = bytes(*want);
  ASSERT_EQ(got.size(), ref.size());
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) bad += got[i] != ref[i];
  EXPECT_EQ(bad, 0) << "of " << ref.size() << "; " << kernel;
}

std::vector<RefConvCase> ref_conv_cases() {
  std::vector<RefConvCase> v;
  ConvSpec s;
  s.zy = 17;
  v.push_back({"dst_zero_point", s});
  s.zx = 128;
  v.push_back({"src_zero_point_padded", s});
  s = ConvSpec{};
  s.kh = s.kw = 1, s.pt = s.pl = s.pb = s.pr = 0, s.C = 32, s.O = 40, s.zx = 70, s.zy = 90;
  v.push_back({"pointwise_folded", s});
  s = ConvSpec{};
  s.C = s.O = s.group = 24, s.sh = s.sw = 2, s.zy = 4;
  v.push_back({"depthwise_strided", s});
  s = ConvSpec{};
  s.C = 12, s.O = 18, s.group = 3, s.dh = 2, s.dw = 2, s.pt = s.pl = 2, s.pb = 1, s.pr = 3, s.zx = 9, s.zy = 200;
  v.push_back({"grouped_dilated_asymmetric", s});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Runtime, RefConvTest,
                         ::testing::Combine(::testing::ValuesIn(ref_conv_cases()),
                                            ::testing::Values(Layout::kNHWC, Layout::kPlain)),
                         [](const ::testing::TestParamInfo<std::tuple<RefConvCase, Layout>>& i) {
                           return std::get<0>(i.param).name +
                                  (std::get<1>(i.param) == Layout::kNHWC ? "_nhwc" : "_plain");
                         });

TEST(RefGemm, MatchesQgemm) {
  const int64_t M = 4, K = 200, N = 33;
  const QParam qx{0.02f, 60}, qy{0.4f, 120};
  const std::vector<int8_t> w = random_s8(static_cast<size_t>(N * K), 8);
  std::vector<float> ws;
  for (int64_t n = 0; n < N; ++n) ws.push_back(0.002f + 0.0003f * static_cast<float>(n % 5));
  std::vector<int32_t> bias;
  for (int64_t n = 0; n < N; ++n) bias.push_back(static_cast<int32_t>(n * 91 % 3000) - 1500);
  ProgramBuilder pb;
  const int x = pb.act("x", {M, K}, Layout::kPlain, qx);
  const int wt = pb.constant<int8_t>("w", {N, K}, w, format::Quant{ws, std::vector<int32_t>(ws.size(), 0), 0});
  const int bt = pb.constant<int32_t>("b", {N}, bias);
  const int y = pb.act("y", {M, N}, Layout::kPlain, qy);
  pb.op("QGemm", {x, wt, bt}, {y});
  const std::vector<uint8_t> xv = random_u8(static_cast<size_t>(M * K), 9);
  const std::vector<uint8_t> got = run_program(pb.finish({x}, {y}), {xv});
  const Tensor b = Tensor::from_vector<int32_t>({N}, bias);
  auto want = i8::qgemm(u8_tensor({M, K}, xv), qx, Tensor::from_vector<int8_t>({N, K}, w), ws, &b, qy);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(got, bytes(*want));
}

class RefLayoutTest : public ::testing::TestWithParam<Layout> {};

TEST_P(RefLayoutTest, PoolsMatchReference) {
  const Layout l = GetParam();
  const QParam qx{0.05f, 30}, qy{0.04f, 12};
  const int64_t C = 11, H = 10, W = 9;
  const std::vector<uint8_t> xv = random_u8(static_cast<size_t>(C * H * W), 6);
  for (int kind = 0; kind < 3; ++kind) {  // max, average, average with count_include_pad
    i8::Window2d w;
    w.kernel = {3, 2};
    w.strides = {2, 2};
    w.pads_begin = {1, 0};
    w.pads_end = {1, 1};
    w.count_include_pad = kind == 2;
    const QParam qo = kind == 0 ? qx : qy;
    const int64_t OH = i8::window_out_dim(H, 3, 2, 1, 1, 1, false), OW = i8::window_out_dim(W, 2, 2, 1, 0, 1, false);
    ProgramBuilder pb;
    const int x = pb.act("x", {1, C, H, W}, l, qx);
    const int y = pb.act("y", {1, C, OH, OW}, l, qo);
    Attributes a;
    a.set("kernel_shape", std::vector<int64_t>{3, 2});
    a.set("strides", std::vector<int64_t>{2, 2});
    a.set("pads", std::vector<int64_t>{1, 0, 1, 1});
    a.set("count_include_pad", int64_t{kind == 2 ? 1 : 0});
    pb.op(kind == 0 ? "MaxPool" : "QAveragePool", {x}, {y}, a);
    const std::vector<uint8_t> got = run_program(pb.finish({x}, {y}), {xv});
    auto want = kind == 0 ? i8::maxpool_u8(u8_tensor({1, C, H, W}, xv), w)
                          : i8::qaverage_pool(u8_tensor({1, C, H, W}, xv), qx, qy, w);
    ASSERT_TRUE(want.ok()) << want.status().message();
    EXPECT_EQ(got, bytes(*want)) << "pool kind " << kind;
  }
  ProgramBuilder pb;
  const int x = pb.act("x", {1, C, H, W}, l, qx);
  const int y = pb.act("y", {1, C, 1, 1}, l, qy);
  pb.op("QGlobalAveragePool", {x}, {y});
  auto want = i8::qglobal_average_pool(u8_tensor({1, C, H, W}, xv), qx, qy);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(run_program(pb.finish({x}, {y}), {xv}), bytes(*want));
}

TEST_P(RefLayoutTest, ConcatMatchesReference) {
  const Layout l = GetParam();
  const std::vector<QParam> qs = {{0.05f, 10}, {0.03f, 128}, {0.05f, 10}};
  const QParam qy{0.05f, 10};
  const std::vector<std::vector<int64_t>> shapes = {{1, 5, 4, 3}, {1, 7, 4, 3}, {1, 2, 4, 3}};
  ProgramBuilder pb;
  std::vector<int> ins;
  std::vector<std::vector<uint8_t>> vals;
  std::vector<Tensor> ts;
  for (size_t i = 0; i < 3; ++i) {
    ins.push_back(pb.act("x" + std::to_string(i), shapes[i], l, qs[i]));
    vals.push_back(random_u8(static_cast<size_t>(shape_numel(shapes[i])), 20 + static_cast<uint32_t>(i)));
    ts.push_back(u8_tensor(shapes[i], vals.back()));
  }
  const int y = pb.act("y", {1, 14, 4, 3}, l, qy);
  Attributes a;
  a.set("axis", int64_t{1});
  pb.op("QConcat", {ins[0], ins[1], ins[2]}, {y}, a);
  const std::vector<uint8_t> got = run_program(pb.finish(ins, {y}), vals);
  const std::vector<const Tensor*> ptrs = {&ts[0], &ts[1], &ts[2]};
  auto want = i8::qconcat(ptrs, qs, qy, 1);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(got, bytes(*want));
}

INSTANTIATE_TEST_SUITE_P(Runtime, RefLayoutTest, ::testing::Values(Layout::kNHWC, Layout::kPlain),
                         [](const ::testing::TestParamInfo<Layout>& i) {
                           return std::string(i.param == Layout::kNHWC ? "NHWC" : "Plain");
                         });

}  // namespace
}  // namespace edgeq::runtime

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT

TEST(RefResize, LinearAndNearestMatchReference) {
  const QParam q{0.07f, 40};
  const std::vector<uint8_t> xv = random_u8(2 * 3 * 5, 31);
  for (const std::string mode : {"linear", "nearest"})
    for (Layout l : {Layout::kNHWC, Layout::kPlain}) {
      ProgramBuilder pb;
      const int x = pb.act("x", {1, 2, 3, 5}, l, q);
      const int y = pb.act("y", {1, 2, 6, 10}, l, q);
      Attributes a;
      a.set("mode", mode);
      a.set("coordinate_transformation_mode", std::string("half_pixel"));
      a.set("nearest_mode", std::string("round_prefer_floor"));
      a.set("scales", std::vector<float>{1, 1, 2, 2});
      pb.op("QResize", {x}, {y}, a);
      const std::vector<uint8_t> got = run_program(pb.finish({x}, {y}), {xv});
      Attributes ra;
      ra.set("mode", mode);
      ra.set("coordinate_transformation_mode", std::string("half_pixel"));
      ra.set("nearest_mode", std::string("round_prefer_floor"));
      const Tensor scales = Tensor::from_vector<float>({4}, {1, 1, 2, 2});
      auto want = i8::qresize(u8_tensor({1, 2, 3, 5}, xv), q, ra, 13, nullptr, &scales, nullptr);
      ASSERT_TRUE(want.ok()) << want.status().message();
      EXPECT_EQ(got, bytes(*want)) << mode;
    }
}

}  // namespace
}  // namespace edgeq::runtime
