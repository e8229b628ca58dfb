// A QConv with a folded residual add (input 3; compiler/fuse.cc) against the reference
// conv followed by qops::add, bit for bit: on random data for many shapes, layouts and
// oneDNN implementations, and on every one of the 65536 (conv result, residual) pairs
// for random quantization parameters (the runtime checks its post-op constants on those
// pairs at load; this checks that oneDNN computes what that check assumes).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT

struct Case {
  std::string name;
  ConvSpec spec;
  int32_t zr = 0, zo = 0;
  bool residual_first = false;
};

std::vector<Case> cases() {
  std::vector<Case> v;
  ConvSpec s;
  s.kh = s.kw = 1, s.pt = s.pl = s.pb = s.pr = 0, s.C = 64, s.O = 64, s.H = s.W = 14, s.zy = 0;
  v.push_back({"1x1_relu_like", s, 0, 0, false});
  s.zy = 120, s.zx = 7;
  v.push_back({"1x1_zero_points", s, 131, 9, false});
  v.push_back({"1x1_residual_first", s, 131, 9, true});
  // ResNet-50's bottleneck ends (1x1 expansions) and its stride-2 downsample.
  s = ConvSpec{};
  s.kh = s.kw = 1, s.pt = s.pl = s.pb = s.pr = 0, s.C = 64, s.O = 256, s.H = s.W = 56;
  v.push_back({"1x1_64_256_56", s, 0, 0, false});
  s.C = 512, s.O = 2048, s.H = s.W = 7;
  v.push_back({"1x1_512_2048_7", s, 0, 0, true});
  s.C = 256, s.O = 1024, s.H = s.W = 14;
  v.push_back({"1x1_256_1024_14", s, 3, 0, false});
  s.C = 512, s.O = 1024, s.H = s.W = 28, s.sh = s.sw = 2;
  v.push_back({"1x1_512_1024_s2", s, 0, 0, true});
  s = ConvSpec{};
  s.C = 32, s.O = 48, s.H = s.W = 10, s.zx = 100, s.zy = 60;
  v.push_back({"3x3_pad_src_zero_point", s, 20, 128, true});
  s = ConvSpec{};
  s.C = 16, s.O = 32, s.per_channel = false, s.bias = false, s.N = 2, s.zy = 3;
  v.push_back({"3x3_per_tensor_batch2", s, 250, 0, false});
  return v;
}

struct Param {
  Case c;
  Layout layout;
  int level;
  std::string impl;
  bool in_place;
  bool reference;
  bool table = false;
};

class ResidualConvTest : public ::testing::TestWithParam<Param> {};

TEST_P(ResidualConvTest, MatchesConvThenAdd) {
  const Param& prm = GetParam();
  const ConvSpec& s = prm.c.spec;
  const ConvData d = make_conv_data(s, 7);
  const QParam cq = d.y, rq{0.03f, prm.c.zr};
  const QParam yq{(90.0f * cq.scale + 128.0f * rq.scale) / 120.0f, prm.c.zo};
  const std::vector<int64_t> yshape = {s.N, s.O, s.OH(), s.OW()};

  ProgramBuilder b;
  const int x = b.act("x", {s.N, s.C, s.H, s.W}, prm.layout, d.x);
  const int r = b.act("r", yshape, prm.layout, rq);
  const int y = b.act("y", yshape, prm.layout, yq, DType::kUInt8, prm.in_place ? b.offset_of(r) : -1);
  format::Quant wq{d.w_scale, std::vector<int32_t>(d.w_scale.size(), 0), d.w_scale.size() > 1 ? 0 : -1};
  const int w = b.constant<int8_t>("w", {s.O, s.C / s.group, s.kh, s.kw}, d.w, wq);
  const int bias = s.bias ? b.constant<int32_t>("b", {s.O}, d.b) : -1;
  Attributes a = conv_attrs(s);
  a.set("conv_scale", cq.scale);
  a.set("conv_zero_point", int64_t{cq.zero_point});
  a.set("residual_first", int64_t{prm.c.residual_first});
  b.op("QConv", {x, w, bias, r}, {y}, a);
  ExecutableOptions opts;
  opts.conv_impl = prm.impl;
  opts.reference_kernels = prm.reference;
  opts.residual_table = prm.table;
  auto exe = Executable::create(b.finish({x, r}, {y}, prm.level), opts);
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok()) << inst.status().message();
  const std::string kernel = (*exe)->kernel_names()[0];
  if (!prm.impl.empty() && kernel.find("forced") == std::string::npos)
    GTEST_SKIP() << "oneDNN offers no " << prm.impl << " implementation here: " << kernel;
  if (prm.reference) EXPECT_NE(kernel.find("reference"), std::string::npos) << kernel;
  else if (prm.table) EXPECT_NE(kernel.find("by table"), std::string::npos) << kernel;
  else EXPECT_TRUE(kernel.find(prm.in_place ? "in place" : "on a copy") != std::string::npos ||
                   kernel.find("by table") != std::string::npos)
      << kernel;
  if (!prm.reference && prm.layout == Layout::kNHWC) EXPECT_EQ(kernel.find("ref"), std::string::npos) << kernel;

  const kernels::int8::BinaryParams add = prm.c.residual_first ? kernels::int8::make_binary_params(rq, cq, yq)
                                                               : kernels::int8::make_binary_params(cq, rq, yq);
  int64_t total = 0, differ = 0, far = 0;
  for (uint32_t seed : {1u, 2u, 3u}) {
    const std::vector<uint8_t> xin = random_u8(static_cast<size_t>(s.N * s.C * s.H * s.W), seed);
    const std::vector<uint8_t> rin = random_u8(static_cast<size_t>(s.N * s.O * s.OH() * s.OW()), seed + 100);
    const std::vector<uint8_t> xp = to_physical(xin, {s.N, s.C, s.H, s.W}, prm.layout);
    const std::vector<uint8_t> rp = to_physical(rin, yshape, prm.layout);
    std::memcpy((*inst)->input(0), xp.data(), xp.size());
    std::memcpy((*inst)->input(1), rp.data(), rp.size());
    ASSERT_TRUE((*inst)->run().ok());
    ConvData dc = d;
    dc.y = cq;
    const std::vector<uint8_t> c = reference_conv(s, dc, xin);
    std::vector<uint8_t> got(c.size());
    std::memcpy(got.data(), (*inst)->output(0), got.size());
    got = to_logical(got, yshape, prm.layout);
    int distinct = 0;
    std::vector<bool> seen(256, false);
    for (size_t i = 0; i < c.size(); ++i) {
      const uint8_t want = prm.c.residual_first ? kernels::int8::add(rin[i], c[i], add) : kernels::int8::add(c[i], rin[i], add);
      const int diff = std::abs(int(want) - int(got[i]));
      differ += diff != 0;
      far += diff > 1;
      if (!seen[want]) seen[want] = true, ++distinct;
    }
    total += static_cast<int64_t>(c.size());
    EXPECT_GT(distinct, 20) << "the test data should spread over the u8 range";
  }
  EXPECT_EQ(far, 0) << kernel;
  EXPECT_EQ(differ, 0) << "of " << total << "; " << kernel;
}

std::vector<Param> all_params() {
  std::vector<Param> v;
  for (const Case& c : cases()) {
    for (bool in_place : {true, false}) {
      v.push_back({c, Layout::kNHWC, 3, "", in_place, false});
      v.push_back({c, Layout::kNHWC, 3, "br", in_place, false});
      v.push_back({c, Layout::kNHWC, 3, "jit_int8", in_place, false});
      v.push_back({c, Layout::kNHWC, 2, "", in_place, true});
    }
    v.push_back({c, Layout::kNHWC, 1, "", false, false});
    v.push_back({c, Layout::kPlain, 0, "", false, false});
    v.push_back({c, Layout::kPlain, 0, "", false, true});
    v.push_back({c, Layout::kNHWC, 3, "", true, false, true});
    v.push_back({c, Layout::kPlain, 0, "", false, false, true});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Runtime, ResidualConvTest, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return i.param.c.name + (i.param.layout == Layout::kNHWC ? "_nhwc" : "_plain") + "_O" +
                                  std::to_string(i.param.level) + (i.param.impl.empty() ? "" : "_" + i.param.impl) +
                                  (i.param.in_place ? "_in_place" : "_copy") + (i.param.reference ? "_reference" : "") +
                                  (i.param.table ? "_table" : "");
                         });

// Every (c, r) pair once: a conv whose result equals its input (identity weights, M = 1,
// zx = zc), x = c along H, r = every value along W × channels; random add params.
int prng_zero(std::mt19937& rng) { return rng() % 2 ? 0 : static_cast<int>(rng() % 256); }

struct PairsParam {
  int64_t k;  // kernel size (1 or 3, the centre tap is the identity)
  std::string impl;
  uint32_t seed;
  bool residual_first;
};

class ResidualAllPairs : public ::testing::TestWithParam<PairsParam> {};

TEST_P(ResidualAllPairs, EqualsQopsAdd) {
  const PairsParam& prm = GetParam();
  std::mt19937 rng(prm.seed);
  std::uniform_real_distribution<float> scale(0.01f, 0.08f);
  std::uniform_int_distribution<int> zp(0, 255);
  const int64_t C = 16, H = 256, W = 16, k = prm.k;
  const QParam cq{1.0f, zp(rng)}, rq{scale(rng) / 0.04f, prng_zero(rng)}, yq{scale(rng) / 0.02f, zp(rng) / 4};
  ProgramBuilder b;
  const QParam xq{1.0f, cq.zero_point};
  const int x = b.act("x", {1, C, H, W}, Layout::kNHWC, xq);
  const int r = b.act("r", {1, C, H, W}, Layout::kNHWC, rq);
  const int y = b.act("y", {1, C, H, W}, Layout::kNHWC, yq, DType::kUInt8, b.offset_of(r));
  std::vector<int8_t> w(static_cast<size_t>(C * C * k * k), 0);
  for (int64_t o = 0; o < C; ++o) w[static_cast<size_t>(((o * C + o) * k + k / 2) * k + k / 2)] = 1;
  const int wt = b.constant<int8_t>("w", {C, C, k, k}, w, format::Quant{{1.0f}, {0}, -1});
  Attributes a;
  a.set("strides", std::vector<int64_t>{1, 1});
  a.set("dilations", std::vector<int64_t>{1, 1});
  a.set("pads", std::vector<int64_t>(4, k / 2));
  a.set("group", int64_t{1});
  a.set("kernel_shape", std::vector<int64_t>{k, k});
  a.set("conv_scale", cq.scale);
  a.set("conv_zero_point", int64_t{cq.zero_point});
  a.set("residual_first", int64_t{prm.residual_first});
  b.op("QConv", {x, wt, -1, r}, {y}, a);
  ExecutableOptions opts;
  opts.conv_impl = prm.impl;
  auto exe = Executable::create(b.finish({x, r}, {y}, 3), opts);
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  const std::string kernel = (*exe)->kernel_names()[0];
  if (!prm.impl.empty() && kernel.find("forced") == std::string::npos)
    GTEST_SKIP() << "oneDNN offers no " << prm.impl << " implementation here: " << kernel;
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok()) << inst.status().message();
  std::vector<uint8_t> xs(static_cast<size_t>(C * H * W)), rs(xs.size());  // NHWC
  for (int64_t h = 0; h < H; ++h)
    for (int64_t j = 0; j < W; ++j)
      for (int64_t c = 0; c < C; ++c) {
        const size_t i = static_cast<size_t>((h * W + j) * C + c);
        xs[i] = static_cast<uint8_t>(h);
        rs[i] = static_cast<uint8_t>(j * C + c);
      }
  std::memcpy((*inst)->input(0), xs.data(), xs.size());
  std::memcpy((*inst)->input(1), rs.data(), rs.size());
  ASSERT_TRUE((*inst)->run().ok());
  const auto* got = static_cast<const uint8_t*>((*inst)->output(0));
  const kernels::int8::BinaryParams add = prm.residual_first ? kernels::int8::make_binary_params(rq, cq, yq)
                                                             : kernels::int8::make_binary_params(cq, rq, yq);
  int differ = 0, first = -1;
  for (size_t i = 0; i < xs.size(); ++i) {
    const uint8_t want = prm.residual_first ? kernels::int8::add(rs[i], xs[i], add) : kernels::int8::add(xs[i], rs[i], add);
    if (got[i] != want && differ++ == 0) first = static_cast<int>(i);
  }
  std::cout << "[residual pairs] " << kernel << "\n";
  EXPECT_EQ(differ, 0) << "of 65536 pairs; first c " << (first < 0 ? -1 : int(xs[static_cast<size_t>(first)])) << " r "
                       << (first < 0 ? -1 : int(rs[static_cast<size_t>(first)])) << "; " << kernel;
}

std::vector<PairsParam> pairs_params() {
  std::vector<PairsParam> v;
  for (int64_t k : {1, 3})
    for (const char* impl : {"", "br", "jit_int8"})
      for (uint32_t seed = 1; seed <= 6; ++seed) v.push_back({k, impl, seed, seed % 2 == 0});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Runtime, ResidualAllPairs, ::testing::ValuesIn(pairs_params()),
                         [](const ::testing::TestParamInfo<PairsParam>& i) {
                           return std::to_string(i.param.k) + "x" + std::to_string(i.param.k) +
                                  (i.param.impl.empty() ? "" : "_" + i.param.impl) + "_seed" +
                                  std::to_string(i.param.seed);
                         });

}  // namespace
}  // namespace edgeq::runtime
