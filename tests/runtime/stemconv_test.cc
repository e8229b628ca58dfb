// The stem conv kernel (kernels/int8/stemconv.h) against the reference int8 conv of
// kernels/int8/ref.h, bit for bit, on random data; and the runtime's QConv running it.
#include <gtest/gtest.h>

#include <cstring>

#include "kernels/int8/ref.h"
#include "kernels/int8/stemconv.h"
#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT
namespace i8 = kernels::int8;

struct StemCase {
  std::string name;
  ConvSpec s;
};

std::vector<StemCase> stem_cases() {
  std::vector<StemCase> v;
  auto add = [&](std::string name, int64_t k, int64_t stride, int64_t pad, int64_t C, int64_t O, int64_t H, int64_t W,
                 int32_t zx, int32_t zy) {
    ConvSpec s;
    s.C = C, s.O = O, s.H = H, s.W = W, s.kh = s.kw = k, s.sh = s.sw = stride;
    s.pt = s.pl = s.pb = s.pr = pad;
    s.zx = zx, s.zy = zy;
    v.push_back({std::move(name), s});
  };
  // ResNet's stem, odd sizes, every channel count the kernel covers.
  add("7x7_s2_p3_C3_O64", 7, 2, 3, 3, 64, 23, 21, 114, 0);
  add("7x7_s2_p3_C3_O64_zy", 7, 2, 3, 3, 64, 17, 19, 0, 131);
  add("7x7_s2_p3_C1_O16", 7, 2, 3, 1, 16, 15, 13, 37, 5);
  add("7x7_s2_p3_C4_O70", 7, 2, 3, 4, 70, 19, 17, 200, 100);
  add("7x7_s2_p3_C3_O24", 7, 2, 3, 3, 24, 9, 11, 0, 0);
  // MobileNet / EfficientNet stems.
  add("3x3_s2_p1_C3_O32", 3, 2, 1, 3, 32, 25, 27, 114, 0);
  add("3x3_s2_p1_C3_O32_zy", 3, 2, 1, 3, 32, 31, 29, 0, 77);
  add("3x3_s2_p1_C1_O24", 3, 2, 1, 1, 24, 13, 15, 90, 3);
  add("3x3_s2_p1_C4_O70", 3, 2, 1, 4, 70, 11, 13, 250, 128);
  add("3x3_s2_p1_C3_O16", 3, 2, 1, 3, 16, 7, 9, 128, 128);
  add("3x3_s1_p1_C3_O32", 3, 1, 1, 3, 32, 15, 17, 114, 10);
  add("3x3_s1_p1_C4_O64", 3, 1, 1, 4, 64, 13, 11, 0, 0);
  add("3x3_s1_p0_C1_O70", 3, 1, 0, 1, 70, 9, 9, 60, 200);
  add("3x3_s1_p1_C3_O16_batch", 3, 1, 1, 3, 16, 9, 7, 30, 40);
  v.back().s.N = 3;
  // Asymmetric pads (TF "same": bottom/right only), as EfficientNet-Lite exports.
  add("3x3_s2_pad_bottom_right_C3_O32", 3, 2, 0, 3, 32, 24, 24, 114, 0);
  v.back().s.pb = v.back().s.pr = 1;
  add("7x7_s2_pad_uneven_C3_O64", 7, 2, 3, 3, 64, 20, 22, 114, 0);
  v.back().s.pt = 2, v.back().s.pl = 1, v.back().s.pr = 4;
  // Per-tensor weight scale, no bias.
  add("5x5_s1_p2_C2_O40_per_tensor_no_bias", 5, 1, 2, 2, 40, 12, 10, 17, 9);
  v.back().s.per_channel = false, v.back().s.bias = false;
  return v;
}

// The reference conv of ref.h (NCHW) on the logical-order input.
std::vector<uint8_t> ref_conv(const ConvSpec& s, const ConvData& d, const std::vector<uint8_t>& x) {
  Tensor xt(DType::kUInt8, {s.N, s.C, s.H, s.W});
  std::memcpy(xt.data<uint8_t>(), x.data(), x.size());
  Tensor wt(DType::kInt8, {s.O, s.C, s.kh, s.kw});
  std::memcpy(wt.data<int8_t>(), d.w.data(), d.w.size());
  Tensor bt = Tensor::from_vector<int32_t>({s.O}, d.b);
  i8::Window2d win;
  win.strides = {s.sh, s.sw};
  win.pads_begin = {s.pt, s.pl};
  win.pads_end = {s.pb, s.pr};
  StatusOr<Tensor> y = i8::qconv(xt, d.x, wt, d.w_scale, s.bias ? &bt : nullptr, d.y, win, 1);
  EXPECT_TRUE(y.ok()) << y.status().message();
  if (!y.ok()) return {};
  return std::vector<uint8_t>(y->data<uint8_t>(), y->data<uint8_t>() + y->numel());
}

// Mismatch count, with the first one described in *first.
int compare(const std::vector<uint8_t>& want, const std::vector<uint8_t>& got, std::string* first) {
  int n = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (want[i] != got[i] && n++ == 0)
      *first = "at " + std::to_string(i) + ": want " + std::to_string(want[i]) + " got " + std::to_string(got[i]);
  return n;
}

class StemConvTest : public ::testing::TestWithParam<StemCase> {};

TEST_P(StemConvTest, KernelMatchesReferenceBitForBit) {
  if (!i8::stem_conv_host_supported()) GTEST_SKIP() << "this host has no AVX-512 VNNI";
  const ConvSpec& s = GetParam().s;
  const ConvData d = make_conv_data(s, 42);
  i8::StemConvShape shape{s.N, s.C, s.H, s.W, s.O, s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.pb, s.pr};
  ASSERT_EQ(i8::stem_conv_unsupported_reason(shape), "");
  auto conv = i8::StemConv::create(shape, d.w.data(), s.bias ? d.b.data() : nullptr, d.w_scale, d.x, d.y);
  ASSERT_TRUE(conv.ok()) << conv.status().message();
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // Seed 3: inputs near 255 and 0 only, large accumulators of both signs.
    std::vector<uint8_t> x = random_u8(static_cast<size_t>(s.N * s.C * s.H * s.W), seed);
    if (seed == 3)
      for (auto& v : x) v = v < 128 ? static_cast<uint8_t>(v / 32) : static_cast<uint8_t>(255 - v / 64);
    const std::vector<int64_t> xshape = {s.N, s.C, s.H, s.W}, yshape = {s.N, s.O, s.OH(), s.OW()};
    const std::vector<uint8_t> xp = to_physical(x, xshape, Layout::kNHWC);
    std::vector<uint8_t> yp(static_cast<size_t>(s.N * s.O * s.OH() * s.OW()), 0xAB);
    conv->run(xp.data(), yp.data());
    const std::vector<uint8_t> want = ref_conv(s, d, x);
    ASSERT_EQ(want.size(), yp.size());
    std::string first;
    EXPECT_EQ(compare(want, to_logical(yp, yshape, Layout::kNHWC), &first), 0) << first << "; " << conv->describe();
    int distinct = 0;
    std::vector<bool> seen(256, false);
    for (uint8_t v : want)
      if (!seen[v]) seen[v] = true, ++distinct;
    EXPECT_GT(distinct, 20) << "the test data should spread over the u8 range";
  }
}

INSTANTIATE_TEST_SUITE_P(Runtime, StemConvTest, ::testing::ValuesIn(stem_cases()),
                         [](const ::testing::TestParamInfo<StemCase>& i) { return i.param.name; });

// The runtime's QConv on the stem kernel (forced, and chosen by timing) equals the reference.
TEST(StemConvOp, ExecutableMatchesReference) {
  if (!kernels::int8::stem_conv_host_supported()) GTEST_SKIP() << "this host has no AVX-512 VNNI";
  ConvSpec s;
  s.C = 3, s.O = 64, s.kh = s.kw = 7, s.sh = s.sw = 2, s.pt = s.pl = s.pb = s.pr = 3, s.H = 45, s.W = 43;
  s.zx = 114, s.zy = 3;
  const ConvData d = make_conv_data(s, 9);
  for (const std::string impl : {"stemconv", ""}) {
    SCOPED_TRACE("conv_impl '" + impl + "'");
    ProgramBuilder b;
    const int x = b.act("x", {s.N, s.C, s.H, s.W}, Layout::kNHWC, d.x);
    const int y = add_conv(b, s, d, x, Layout::kNHWC, "conv");
    ExecutableOptions opts;
    opts.conv_impl = impl;
    auto exe = Executable::create(b.finish({x}, {y}, 3), opts);
    ASSERT_TRUE(exe.ok()) << exe.status().message();
    const std::string k = (*exe)->kernel_names()[0];
    if (impl == "stemconv") {
      EXPECT_NE(k.find("stemconv avx512_vnni 7x7 s2 C3"), std::string::npos) << k;
    }
    auto inst = Instance::create(*exe);
    ASSERT_TRUE(inst.ok()) << inst.status().message();
    const std::vector<uint8_t> xin = random_u8(static_cast<size_t>(s.C * s.H * s.W), 5);
    const std::vector<uint8_t> xp = to_physical(xin, {1, s.C, s.H, s.W}, Layout::kNHWC);
    std::memcpy((*inst)->input(0), xp.data(), xp.size());
    ASSERT_TRUE((*inst)->run().ok());
    std::vector<uint8_t> got(static_cast<size_t>(s.O * s.OH() * s.OW()));
    std::memcpy(got.data(), (*inst)->output(0), got.size());
    std::string first;
    EXPECT_EQ(compare(reference_conv(s, d, xin), to_logical(got, {1, s.O, s.OH(), s.OW()}, Layout::kNHWC), &first), 0)
        << first << "; " << k;
  }
}

// Shapes the kernel does not cover stay on oneDNN, even when forced.
TEST(StemConvOp, OtherShapesStayOnOneDnn) {
  ConvSpec s;
  s.C = 8, s.O = 16;  // more than 4 input channels
  const ConvData d = make_conv_data(s, 3);
  ProgramBuilder b;
  const int x = b.act("x", {s.N, s.C, s.H, s.W}, Layout::kNHWC, d.x);
  const int y = add_conv(b, s, d, x, Layout::kNHWC, "conv");
  ExecutableOptions opts;
  opts.conv_impl = "stemconv";
  auto exe = Executable::create(b.finish({x}, {y}, 3), opts);
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  EXPECT_NE((*exe)->kernel_names()[0].find("onednn"), std::string::npos) << (*exe)->kernel_names()[0];
  i8::StemConvShape shape;
  shape.C = 8;
  EXPECT_NE(i8::stem_conv_unsupported_reason(shape), "");
  shape.C = 3, shape.kw = 21;
  EXPECT_NE(i8::stem_conv_unsupported_reason(shape), "");
}

// Below optimize level 2 and with reference kernels the stem stays on oneDNN.
TEST(StemConvOp, LowLevelsStayOnOneDnn) {
  ConvSpec s;
  s.C = 3, s.O = 32, s.sh = s.sw = 2, s.H = s.W = 17;
  const ConvData d = make_conv_data(s, 4);
  for (int level : {0, 1}) {
    ProgramBuilder b;
    const int x = b.act("x", {s.N, s.C, s.H, s.W}, Layout::kNHWC, d.x);
    const int y = add_conv(b, s, d, x, Layout::kNHWC, "conv");
    ExecutableOptions opts;
    opts.conv_impl = "stemconv";
    auto exe = Executable::create(b.finish({x}, {y}, level), opts);
    ASSERT_TRUE(exe.ok()) << exe.status().message();
    EXPECT_EQ((*exe)->kernel_names()[0].find("stemconv"), std::string::npos) << (*exe)->kernel_names()[0];
  }
}

}  // namespace
}  // namespace edgeq::runtime
