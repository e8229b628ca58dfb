// A QConv with a folded residual add (input 3; compiler/fuse.cc) against the reference
// conv followed by qops::add on random data: oneDNN's post-op chain rounds in another
// order than qops::add's fused multiply-adds, so an element may land one step away, and
// only rarely; the reference kernels (ExecutableOptions::reference_kernels) are bit-exact.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

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
  Attributes a;
  a.set("strides", std::vector<int64_t>{s.sh, s.sw});
  a.set("dilations", std::vector<int64_t>{s.dh, s.dw});
  a.set("pads", std::vector<int64_t>{s.pt, s.pl, s.pb, s.pr});
  a.set("group", s.group);
  a.set("kernel_shape", std::vector<int64_t>{s.kh, s.kw});
  a.set("conv_scale", cq.scale);
  a.set("conv_zero_point", int64_t{cq.zero_point});
  a.set("residual_first", int64_t{prm.c.residual_first});
  b.op("QConv", {x, w, bias, r}, {y}, a);
  ExecutableOptions opts;
  opts.conv_impl = prm.impl;
  opts.reference_kernels = prm.reference;
  auto exe = Executable::create(b.finish({x, r}, {y}, prm.level), opts);
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok()) << inst.status().message();
  const std::string kernel = (*exe)->kernel_names()[0];
  if (!prm.impl.empty() && kernel.find("forced") == std::string::npos)
    GTEST_SKIP() << "oneDNN offers no " << prm.impl << " implementation here: " << kernel;
  if (prm.reference) EXPECT_NE(kernel.find("reference"), std::string::npos) << kernel;
  else EXPECT_NE(kernel.find(prm.in_place ? "in place" : "on a copy"), std::string::npos) << kernel;
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
  std::cout << "[residual conv] " << kernel << ": " << differ << " of " << total << " elements differ by one step\n";
  EXPECT_EQ(far, 0) << kernel;
  if (prm.reference) EXPECT_EQ(differ, 0) << kernel;
  else EXPECT_LE(differ * 1000, total) << kernel;  // at most 0.1 %
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
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Runtime, ResidualConvTest, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return i.param.c.name + (i.param.layout == Layout::kNHWC ? "_nhwc" : "_plain") + "_O" +
                                  std::to_string(i.param.level) + (i.param.impl.empty() ? "" : "_" + i.param.impl) +
                                  (i.param.in_place ? "_in_place" : "_copy") + (i.param.reference ? "_reference" : "");
                         });

}  // namespace
}  // namespace edgeq::runtime
