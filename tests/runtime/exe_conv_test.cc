// QConv and QGemm on oneDNN against the qops.h arithmetic, bit for bit.
#include <gtest/gtest.h>

#include <cstring>

#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT

struct ConvCase {
  std::string name;
  ConvSpec spec;
};

std::vector<ConvCase> conv_cases() {
  std::vector<ConvCase> c;
  ConvSpec s;
  c.push_back({"3x3_pad1", s});
  s.zy = 17;
  c.push_back({"3x3_dst_zero_point", s});
  s.zx = 128;
  c.push_back({"3x3_src_zero_point_padded", s});
  s.pt = s.pl = s.pb = s.pr = 0;
  c.push_back({"3x3_src_zero_point_unpadded", s});
  s = ConvSpec{};
  s.kh = s.kw = 1;
  s.pt = s.pl = s.pb = s.pr = 0;
  s.C = 32, s.O = 48, s.zx = 77, s.zy = 100;
  c.push_back({"1x1_src_dst_zero_points", s});
  s = ConvSpec{};
  s.sh = s.sw = 2;
  s.pt = 0, s.pl = 1, s.pb = 2, s.pr = 0;
  s.H = 11, s.W = 10;
  s.zy = 5;
  c.push_back({"strided_asymmetric_pads", s});
  s = ConvSpec{};
  s.dh = 2, s.dw = 3, s.pt = s.pb = 2, s.pl = s.pr = 3;
  s.zx = 30;
  c.push_back({"dilated", s});
  s = ConvSpec{};
  s.C = s.O = s.group = 16;
  s.zy = 9;
  c.push_back({"depthwise", s});
  s.sh = s.sw = 2;
  s.zx = 60;
  c.push_back({"depthwise_strided_src_zero_point", s});
  s = ConvSpec{};
  s.C = s.O = s.group = 64, s.H = s.W = 14, s.zy = 9;
  c.push_back({"depthwise_64", s});
  s.sh = s.sw = 2;
  c.push_back({"depthwise_64_strided", s});
  s = ConvSpec{};
  s.C = 16, s.O = 24, s.group = 4, s.zy = 3;
  c.push_back({"grouped", s});
  s = ConvSpec{};
  s.per_channel = false, s.bias = false, s.zy = 40, s.N = 2;
  c.push_back({"per_tensor_no_bias_batch2", s});
  s = ConvSpec{};
  s.C = 3, s.O = 16, s.kh = s.kw = 7, s.sh = s.sw = 2, s.pt = s.pl = s.pb = s.pr = 3, s.H = s.W = 23, s.zx = 114;
  c.push_back({"stem_7x7_src_zero_point", s});
  return c;
}

struct Param {
  ConvCase c;
  Layout layout;
  int level;
  std::string impl;  // forced oneDNN implementation prefix; empty = the engine's choice
};

class ConvTest : public ::testing::TestWithParam<Param> {};

TEST_P(ConvTest, MatchesQopsBitForBit) {
  const Param& prm = GetParam();
  const ConvSpec& s = prm.c.spec;
  const ConvData d = make_conv_data(s, 42);
  ProgramBuilder b;
  const int x = b.act("x", {s.N, s.C, s.H, s.W}, prm.layout, d.x);
  const int y = add_conv(b, s, d, x, prm.layout, "conv");
  ExecutableOptions opts;
  opts.conv_impl = prm.impl;
  auto exe = Executable::create(b.finish({x}, {y}, prm.level), opts);
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok()) << inst.status().message();
  if (!prm.impl.empty() && (*exe)->kernel_names()[0].find("forced") == std::string::npos)
    GTEST_SKIP() << "oneDNN offers no " << prm.impl << " implementation here: " << (*exe)->kernel_names()[0];
  for (uint32_t seed : {1u, 2u}) {
    const std::vector<uint8_t> xin = random_u8(static_cast<size_t>(s.N * s.C * s.H * s.W), seed);
    const std::vector<uint8_t> xp = to_physical(xin, {s.N, s.C, s.H, s.W}, prm.layout);
    std::memcpy((*inst)->input(0), xp.data(), xp.size());
    ASSERT_TRUE((*inst)->run().ok());
    const std::vector<uint8_t> want = reference_conv(s, d, xin);
    std::vector<uint8_t> got(want.size());
    std::memcpy(got.data(), (*inst)->output(0), got.size());
    got = to_logical(got, {s.N, s.O, s.OH(), s.OW()}, prm.layout);
    int mismatches = 0, first = -1, distinct = 0;
    std::vector<bool> seen(256, false);
    for (size_t i = 0; i < want.size(); ++i) {
      if (want[i] != got[i] && mismatches++ == 0) first = static_cast<int>(i);
      if (!seen[want[i]]) seen[want[i]] = true, ++distinct;
    }
    EXPECT_EQ(mismatches, 0) << "of " << want.size() << "; first at " << first << ": want " << int(want[first])
                             << " got " << int(got[first]) << "; kernel " << (*exe)->kernel_names()[0];
    EXPECT_GT(distinct, 20) << "the test data should spread over the u8 range";
  }
  if (prm.layout == Layout::kNHWC) {
    const std::string k = (*exe)->kernel_names()[0];
    EXPECT_EQ(k.find("ref"), std::string::npos) << k;
    if (prm.level >= 3) EXPECT_NE(k.find("prepacked"), std::string::npos) << k;
    else EXPECT_NE(k.find("per frame"), std::string::npos) << k;
  }
}

std::vector<Param> all_params() {
  std::vector<Param> v;
  for (const ConvCase& c : conv_cases()) {
    v.push_back({c, Layout::kNHWC, 3, ""});
    v.push_back({c, Layout::kNHWC, 1, ""});
    v.push_back({c, Layout::kPlain, 0, ""});
    // Every implementation the load-time timing may pick must be exact too.
    v.push_back({c, Layout::kNHWC, 3, "br"});  // brgconv, brgconv_1x1, brdgmm_dw
    v.push_back({c, Layout::kNHWC, 3, "jit_int8"});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Runtime, ConvTest, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return i.param.c.name + (i.param.layout == Layout::kNHWC ? "_nhwc" : "_plain") + "_O" +
                                  std::to_string(i.param.level) + (i.param.impl.empty() ? "" : "_" + i.param.impl);
                         });

// 1x1 convs on one pixel (a squeeze-and-excitation block's FC layers): edgeq's VNNI
// matrix-vector kernel where the machine has it, with channel counts off its 16 outputs and
// 4 input bytes, input zero points that fold and that do not, and per-tensor weights.
TEST(ConvOnePixel, MatchesQops) {
  struct Case { int64_t C, O; int32_t zx, zy; bool per_channel; };
  for (const Case& c : {Case{96, 24, 0, 0, true}, Case{24, 96, 77, 100, true}, Case{1152, 48, 128, 3, true},
                        Case{48, 1152, 5, 250, true}, Case{7, 37, 200, 9, false}}) {
    ConvSpec s;
    s.C = c.C, s.O = c.O, s.H = s.W = 1, s.kh = s.kw = 1;
    s.pt = s.pl = s.pb = s.pr = 0;
    s.zx = c.zx, s.zy = c.zy, s.per_channel = c.per_channel;
    const ConvData d = make_conv_data(s, 5);
    ProgramBuilder b;
    const int x = b.act("x", {1, s.C, 1, 1}, Layout::kNHWC, d.x);
    const int y = add_conv(b, s, d, x, Layout::kNHWC, "conv");
    auto exe = Executable::create(b.finish({x}, {y}, 3));
    ASSERT_TRUE(exe.ok()) << exe.status().message();
    auto inst = Instance::create(*exe);
    ASSERT_TRUE(inst.ok());
    const std::string kernel = (*exe)->kernel_names()[0];
    if (__builtin_cpu_supports("avx512vnni")) {
      EXPECT_NE(kernel.find("gemv"), std::string::npos) << kernel;
    }
    for (uint32_t seed : {1u, 2u, 3u}) {
      const std::vector<uint8_t> xin = random_u8(static_cast<size_t>(s.C), seed);
      std::memcpy((*inst)->input(0), xin.data(), xin.size());
      ASSERT_TRUE((*inst)->run().ok());
      const std::vector<uint8_t> want = reference_conv(s, d, xin);
      std::vector<uint8_t> got(want.size());
      std::memcpy(got.data(), (*inst)->output(0), got.size());
      EXPECT_EQ(got, want) << c.C << "->" << c.O << " zx " << c.zx << "; kernel " << kernel;
    }
  }
}

// Large accumulators: float(acc) + float(bias) must still round like float(acc + bias).
TEST(ConvLargeAccumulator, MatchesQops) {
  ConvSpec s;
  s.C = 256, s.O = 32, s.zx = 0, s.zy = 20, s.H = s.W = 6;
  ConvData d = make_conv_data(s, 7);
  for (auto& w : d.w) w = static_cast<int8_t>(w > 0 ? 127 : w);  // biased weights: large sums
  d.y.scale *= 40.0f;
  ProgramBuilder b;
  const int x = b.act("x", {s.N, s.C, s.H, s.W}, Layout::kNHWC, d.x);
  const int y = add_conv(b, s, d, x, Layout::kNHWC, "conv");
  auto exe = Executable::create(b.finish({x}, {y}));
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok());
  const std::vector<uint8_t> xin = random_u8(static_cast<size_t>(s.C * s.H * s.W), 3, 150, 255);
  const std::vector<uint8_t> xp = to_physical(xin, {1, s.C, s.H, s.W}, Layout::kNHWC);
  std::memcpy((*inst)->input(0), xp.data(), xp.size());
  ASSERT_TRUE((*inst)->run().ok());
  const std::vector<uint8_t> want = reference_conv(s, d, xin);
  std::vector<uint8_t> got(want.size());
  std::memcpy(got.data(), (*inst)->output(0), got.size());
  EXPECT_EQ(to_logical(got, {1, s.O, s.OH(), s.OW()}, Layout::kNHWC), want);
}

void run_gemm(int64_t M, int64_t K, int64_t N, int32_t zx, int32_t zy, int level, std::string* kernel = nullptr) {
  std::vector<int8_t> w = random_s8(static_cast<size_t>(N * K), 11);
  std::vector<int32_t> bias(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) bias[static_cast<size_t>(n)] = static_cast<int32_t>(n * 37 % 2000) - 1000;
  std::vector<float> ws;
  for (int64_t n = 0; n < N; ++n) ws.push_back(0.003f + 0.0001f * static_cast<float>(n % 7));
  const QParam qx{0.03f, zx};
  const QParam qy{0.03f * 0.003f * std::sqrt(static_cast<float>(K)) * 74 * 73 / 45, zy};
  ProgramBuilder b;
  const int x = b.act("x", {M, K}, Layout::kPlain, qx);
  const int wt = b.constant<int8_t>("w", {N, K}, w, format::Quant{ws, std::vector<int32_t>(ws.size(), 0), 0});
  const int bt = b.constant<int32_t>("b", {N}, bias);
  const int y = b.act("y", {M, N}, Layout::kPlain, qy);
  b.op("QGemm", {x, wt, bt}, {y});
  auto exe = Executable::create(b.finish({x}, {y}, level));
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok());
  const std::vector<uint8_t> xin = random_u8(static_cast<size_t>(M * K), 5);
  std::memcpy((*inst)->input(0), xin.data(), xin.size());
  ASSERT_TRUE((*inst)->run().ok());
  const auto* got = static_cast<const uint8_t*>((*inst)->output(0));
  int mismatches = 0;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = bias[static_cast<size_t>(n)];
      for (int64_t k = 0; k < K; ++k)
        acc += (xin[static_cast<size_t>(m * K + k)] - zx) * w[static_cast<size_t>(n * K + k)];
      const float mult = kernels::int8::conv_multiplier(qx.scale, ws[static_cast<size_t>(n)], qy.scale);
      mismatches += got[m * N + n] != kernels::int8::requantize(acc, mult, zy);
    }
  EXPECT_EQ(mismatches, 0) << (*exe)->kernel_names()[0];
  if (kernel) *kernel = (*exe)->kernel_names()[0];
}

TEST(Gemm, MatchesQops) { run_gemm(1, 512, 100, 0, 0, 3); }
// A classifier row whose input zero point does not fold into the bias exactly (K long,
// weights over the whole int8 range): edgeq's VNNI kernel where the machine has it,
// with N and K that are not multiples of its 16 outputs and 4 bytes.
TEST(Gemm, OneRowUnfoldableZeroPoint) {
  for (auto [K, N] : {std::pair<int64_t, int64_t>{1280, 1000}, {1283, 37}}) {
    std::string kernel;
    run_gemm(1, K, N, 77, 5, 3, &kernel);
    if (__builtin_cpu_supports("avx512vnni")) {
      EXPECT_NE(kernel.find("gemv"), std::string::npos) << kernel;
    }
  }
}
TEST(Gemm, ZeroPointsBatch) { run_gemm(5, 300, 64, 90, 120, 3); }
TEST(Gemm, PlainWeightsO0) { run_gemm(3, 128, 40, 13, 7, 0); }

}  // namespace
}  // namespace edgeq::runtime
