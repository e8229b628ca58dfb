// The AVX-512 VNNI depthwise kernel (kernels/int8/dwconv.h) against the reference qconv
// (kernels/int8/ref.h) with group == C: every output byte equal. Shapes cover 3x3 and 5x5,
// strides 1 and 2, paddings, channel counts that are and are not multiples of 64 (16, 20,
// 24, 40, 72, 1152), zero points 0 and nonzero, spatial sizes from 1 to 112, batches,
// saturation and multipliers large enough to need the high clamp.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/int8/dwconv.h"
#include "kernels/int8/ref.h"

namespace edgeq::kernels::int8 {
namespace {

struct Case {
  int64_t n, c, h, w, k, stride, pad_begin, pad_end;
  int32_t zx, zy;
  bool bias = true;
  float gain = 1.0f;  // scales the multipliers: > 1 saturates many outputs
};

std::string name(const Case& t) {
  return "n" + std::to_string(t.n) + " c" + std::to_string(t.c) + " " + std::to_string(t.h) + "x" +
         std::to_string(t.w) + " k" + std::to_string(t.k) + " s" + std::to_string(t.stride) + " p" +
         std::to_string(t.pad_begin) + "," + std::to_string(t.pad_end) + " zx" + std::to_string(t.zx) + " zy" +
         std::to_string(t.zy) + (t.bias ? "" : " no bias") + " gain " + std::to_string(t.gain);
}

// Runs one case through both kernels; returns the number of differing bytes.
int64_t compare(const Case& t, std::mt19937& rng) {
  std::uniform_int_distribution<int> u8(0, 255), s8(-127, 127), b32(-20000, 20000);
  std::uniform_real_distribution<float> ws(0.5f, 2.0f);
  Tensor x(DType::kUInt8, {t.n, t.c, t.h, t.w});
  for (auto& v : x.span<uint8_t>()) v = static_cast<uint8_t>(u8(rng));
  Tensor w(DType::kInt8, {t.c, 1, t.k, t.k});
  for (auto& v : w.span<int8_t>()) v = static_cast<int8_t>(s8(rng));
  Tensor b(DType::kInt32, {t.c});
  for (auto& v : b.span<int32_t>()) v = b32(rng);
  const QParam xq{0.05f, t.zx};
  // Outputs spread over the u8 range: |acc| is around k * 127 * 74.
  const QParam yq{0.05f * 0.01f * static_cast<float>(t.k) * 127.0f * 74.0f / 128.0f / t.gain, t.zy};
  std::vector<float> w_scales(static_cast<size_t>(t.c));
  for (auto& s : w_scales) s = 0.01f * ws(rng);
  Window2d win;
  win.strides = {t.stride, t.stride};
  win.pads_begin = {t.pad_begin, t.pad_begin};
  win.pads_end = {t.pad_end, t.pad_end};
  auto ref = qconv(x, xq, w, w_scales, t.bias ? &b : nullptr, yq, win, t.c);
  EXPECT_TRUE(ref.ok()) << ref.status().message();
  if (!ref.ok()) return -1;
  const Tensor& y_ref = *ref;

  DwConvShape s;
  s.n = t.n;
  s.c = t.c;
  s.h = t.h;
  s.w = t.w;
  s.oh = y_ref.dim(2);
  s.ow = y_ref.dim(3);
  s.kh = s.kw = t.k;
  s.stride_h = s.stride_w = t.stride;
  s.pad_top = s.pad_left = t.pad_begin;
  s.x_zero_point = t.zx;
  s.y_zero_point = t.zy;
  std::vector<float> m;
  for (float ws_c : w_scales) m.push_back(conv_multiplier(xq.scale, ws_c, yq.scale));
  auto k = DwConv::create(s, w.data<int8_t>(), t.bias ? b.span<const int32_t>() : std::span<const int32_t>{}, m);
  EXPECT_TRUE(k.ok()) << k.status().message();
  if (!k.ok()) return -1;

  // NCHW → NHWC, with guard bytes around the output to catch stray stores.
  std::vector<uint8_t> xn(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < t.n; ++i)
    for (int64_t c = 0; c < t.c; ++c)
      for (int64_t p = 0; p < t.h * t.w; ++p)
        xn[static_cast<size_t>((i * t.h * t.w + p) * t.c + c)] = x.data<uint8_t>()[(i * t.c + c) * t.h * t.w + p];
  const int64_t ohw = s.oh * s.ow;
  constexpr size_t kGuard = 64;
  std::vector<uint8_t> yn(static_cast<size_t>(y_ref.numel()) + 2 * kGuard, 0xA5);
  k->run(xn.data(), yn.data() + kGuard);
  for (size_t i = 0; i < kGuard; ++i) {
    EXPECT_EQ(yn[i], 0xA5) << "store before the output";
    EXPECT_EQ(yn[yn.size() - 1 - i], 0xA5) << "store after the output";
  }
  int64_t diff = 0;
  for (int64_t i = 0; i < t.n; ++i)
    for (int64_t c = 0; c < t.c; ++c)
      for (int64_t p = 0; p < ohw; ++p) {
        const uint8_t want = y_ref.data<uint8_t>()[(i * t.c + c) * ohw + p];
        const uint8_t got = yn[kGuard + static_cast<size_t>((i * ohw + p) * t.c + c)];
        if (want != got && ++diff <= 5)
          ADD_FAILURE() << name(t) << ": image " << i << " channel " << c << " pixel " << p << ": " << int(got)
                        << " != " << int(want);
      }
  return diff;
}

class DwConvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DwConv::host_supported()) GTEST_SKIP() << "this machine lacks AVX-512 VNNI";
  }
};

TEST_F(DwConvTest, MatchesReferenceOnZooLikeShapes) {
  std::mt19937 rng(7);
  const std::vector<Case> cases = {
      {1, 32, 112, 112, 3, 1, 1, 1, 0, 0},     // MobileNetV2's first depthwise
      {1, 96, 112, 112, 3, 2, 0, 1, 3, 128},   // stride 2, asymmetric (TF "same") padding
      {1, 144, 56, 56, 3, 1, 1, 1, 128, 0},
      {1, 144, 56, 56, 5, 2, 1, 2, 0, 7},
      {1, 240, 28, 28, 5, 1, 2, 2, 17, 200},
      {1, 480, 14, 14, 3, 1, 1, 1, 0, 0},
      {1, 672, 14, 14, 5, 2, 2, 2, 255, 255},
      {1, 1152, 7, 7, 5, 1, 2, 2, 1, 1},
      {1, 1152, 7, 7, 3, 1, 1, 1, 0, 128},
  };
  for (const Case& t : cases) EXPECT_EQ(compare(t, rng), 0) << name(t);
}

TEST_F(DwConvTest, MatchesReferenceOnOddChannelsAndBorders) {
  std::mt19937 rng(11);
  for (int64_t c : {16, 20, 24, 40, 72, 1, 63, 65, 129})
    for (int k : {3, 5})
      for (int stride : {1, 2})
        for (int32_t zx : {0, 101}) {
          const int64_t pad = k / 2;
          EXPECT_EQ(compare({1, c, 9, 13, k, stride, pad, pad, zx, 9}, rng), 0);
          EXPECT_EQ(compare({1, c, 5, 6, k, stride, 0, 0, zx, 0}, rng), 0);          // no padding
          EXPECT_EQ(compare({1, c, 1, 1, k, stride, pad, pad, zx, 30}, rng), 0);    // all border
          EXPECT_EQ(compare({1, c, 2, 3, k, stride, pad, pad + 1, zx, 3}, rng), 0);  // window past the end
          EXPECT_EQ(compare({1, c, 40, 37, k, stride, pad - 1, pad, zx, 77}, rng), 0);  // > 16 output columns
        }
}

TEST_F(DwConvTest, MatchesReferenceOnBatchesBiasAndSaturation) {
  std::mt19937 rng(23);
  EXPECT_EQ(compare({3, 40, 10, 10, 3, 1, 1, 1, 12, 5}, rng), 0);
  EXPECT_EQ(compare({2, 72, 9, 11, 5, 2, 2, 2, 0, 0, false}, rng), 0);
  EXPECT_EQ(compare({1, 24, 20, 20, 3, 1, 1, 1, 60, 100, true, 50.0f}, rng), 0);   // most outputs saturate
  EXPECT_EQ(compare({1, 20, 12, 12, 5, 1, 2, 2, 200, 20, true, 1e9f}, rng), 0);  // float(acc) * M beyond 2^31
}

TEST_F(DwConvTest, RejectsShapesItDoesNotHandle) {
  DwConvShape s;
  s.c = 8;
  s.h = s.w = s.oh = s.ow = 4;
  s.kh = s.kw = 7;
  EXPECT_FALSE(DwConv::why_not(s).empty());
  s.kh = s.kw = 3;
  s.stride_w = 3;
  EXPECT_FALSE(DwConv::why_not(s).empty());
  s.stride_w = 1;
  EXPECT_TRUE(DwConv::why_not(s).empty());
  const std::vector<int8_t> w(8 * 9, 1);
  const std::vector<float> m(3, 0.1f);
  EXPECT_FALSE(DwConv::create(s, w.data(), {}, m).ok());  // 3 multipliers for 8 channels
}

}  // namespace
}  // namespace edgeq::kernels::int8
