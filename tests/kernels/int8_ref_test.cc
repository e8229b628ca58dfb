// The int8 reference kernels (kernels/int8/ref.h) against the float QDQ simulation of the
// same op (dequantize, float op in double, quantize): never more than one quantization step
// apart, and mostly equal. Edge cases: saturation, zero points, padding with a non-zero input
// zero point (it must add real 0), groups / depthwise, strides, dilations, broadcasting.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/int8/ref.h"

namespace edgeq::kernels::int8 {
namespace {

Tensor random_u8(Dims shape, std::mt19937& rng, int lo = 0, int hi = 255) {
  Tensor t(DType::kUInt8, std::move(shape));
  std::uniform_int_distribution<int> d(lo, hi);
  for (auto& v : t.span<uint8_t>()) v = static_cast<uint8_t>(d(rng));
  return t;
}

Tensor random_s8(Dims shape, std::mt19937& rng) {
  Tensor t(DType::kInt8, std::move(shape));
  std::uniform_int_distribution<int> d(-127, 127);
  for (auto& v : t.span<int8_t>()) v = static_cast<int8_t>(d(rng));
  return t;
}

int quantize_double(double v, QParam q) {
  const double r = std::nearbyint(v / q.scale) + q.zero_point;
  return static_cast<int>(std::clamp(r, 0.0, 255.0));
}

// Counts the elements that differ from `expected` and fails on any difference above 1.
int count_off_by_one(const Tensor& got, const std::vector<int>& expected) {
  EXPECT_EQ(got.numel(), static_cast<int64_t>(expected.size()));
  int off = 0;
  for (int64_t i = 0; i < got.numel() && i < static_cast<int64_t>(expected.size()); ++i) {
    const int d = std::abs(static_cast<int>(got.data<uint8_t>()[i]) - expected[static_cast<size_t>(i)]);
    EXPECT_LE(d, 1) << "element " << i;
    off += d != 0;
  }
  return off;
}

struct ConvCase {
  int64_t n, c, h, w, m, kh, kw, group;
  Window2d window;
  int32_t x_zero_point;
};

std::vector<int> float_conv(const Tensor& x, QParam xq, const Tensor& w, const std::vector<float>& ws,
                            const Tensor& bias, QParam yq, const ConvCase& cc, int64_t oh, int64_t ow) {
  std::vector<int> out;
  const int64_t cg = cc.c / cc.group, mg = cc.m / cc.group;
  for (int64_t b = 0; b < cc.n; ++b)
    for (int64_t oc = 0; oc < cc.m; ++oc)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = static_cast<double>(bias.data<int32_t>()[oc]) * xq.scale * ws[oc];
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ky = 0; ky < cc.kh; ++ky)
              for (int64_t kx = 0; kx < cc.kw; ++kx) {
                const int64_t iy = oy * cc.window.strides[0] - cc.window.pads_begin[0] + ky * cc.window.dilations[0];
                const int64_t ix = ox * cc.window.strides[1] - cc.window.pads_begin[1] + kx * cc.window.dilations[1];
                if (iy < 0 || iy >= cc.h || ix < 0 || ix >= cc.w) continue;  // real 0
                const int64_t ci = (oc / mg) * cg + ic;
                const double xv = dequantize(x.data<uint8_t>()[((b * cc.c + ci) * cc.h + iy) * cc.w + ix], xq);
                const double wv = static_cast<double>(w.data<int8_t>()[((oc * cg + ic) * cc.kh + ky) * cc.kw + kx]) * ws[oc];
                acc += xv * wv;
              }
          out.push_back(quantize_double(acc, yq));
        }
  return out;
}

void run_conv_case(const ConvCase& cc, uint32_t seed) {
  std::mt19937 rng(seed);
  const Tensor x = random_u8({cc.n, cc.c, cc.h, cc.w}, rng);
  const Tensor w = random_s8({cc.m, cc.c / cc.group, cc.kh, cc.kw}, rng);
  std::vector<float> ws(static_cast<size_t>(cc.m));
  std::uniform_real_distribution<float> sd(0.002f, 0.02f);
  for (auto& s : ws) s = sd(rng);
  Tensor bias(DType::kInt32, {cc.m});
  std::uniform_int_distribution<int> bd(-5000, 5000);
  for (auto& v : bias.span<int32_t>()) v = bd(rng);
  const QParam xq{0.02f, cc.x_zero_point};
  // Output scale so that results spread over the u8 range with some saturation.
  const QParam yq{0.02f * 0.011f * std::sqrt(static_cast<float>(cc.c / cc.group * cc.kh * cc.kw)) * 25.0f, 128};
  auto y = qconv(x, xq, w, ws, &bias, yq, cc.window, cc.group);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  const int64_t oh = y->dim(2), ow = y->dim(3);
  EXPECT_EQ(oh, window_out_dim(cc.h, cc.kh, cc.window.strides[0], cc.window.dilations[0], cc.window.pads_begin[0],
                               cc.window.pads_end[0], false));
  const std::vector<int> expected = float_conv(x, xq, w, ws, bias, yq, cc, oh, ow);
  const int off = count_off_by_one(*y, expected);
  EXPECT_LE(off, static_cast<int>(expected.size() / 50)) << "too many one-step differences";
  int saturated = 0;
  for (uint8_t v : y->span<uint8_t>()) saturated += v == 0 || v == 255;
  EXPECT_GT(saturated, 0) << "the case should exercise saturation";
}

TEST(Int8Ref, QConvMatchesFloatWithinOneStep) {
  Window2d plain;
  run_conv_case({1, 8, 9, 9, 6, 3, 3, 1, plain, 0}, 1);
  Window2d padded;
  padded.pads_begin = {1, 2};
  padded.pads_end = {2, 0};
  run_conv_case({2, 6, 7, 8, 4, 3, 3, 1, padded, 77}, 2);  // asymmetric pads, input zero point 77
  Window2d strided;
  strided.strides = {2, 2};
  strided.dilations = {2, 1};
  strided.pads_begin = {1, 1};
  strided.pads_end = {1, 1};
  run_conv_case({1, 8, 11, 10, 8, 3, 3, 2, strided, 30}, 3);  // 2 groups
  Window2d dw;
  dw.pads_begin = {1, 1};
  dw.pads_end = {1, 1};
  run_conv_case({1, 16, 6, 6, 16, 3, 3, 16, dw, 128}, 4);  // depthwise
  run_conv_case({1, 16, 5, 5, 32, 1, 1, 1, Window2d{}, 5}, 5);  // pointwise
}

TEST(Int8Ref, QConvPaddingHoldsTheInputZeroPoint) {
  // 1x1 input with value zx under a 3x3 all-ones kernel and padding 1: every tap is real 0.
  const QParam xq{0.5f, 100}, yq{1.0f, 10};
  Tensor x = Tensor::from_vector<uint8_t>({1, 1, 1, 1}, {100});
  Tensor w = Tensor::from_vector<int8_t>({1, 1, 3, 3}, std::vector<int8_t>(9, 1));
  Window2d win;
  win.pads_begin = {1, 1};
  win.pads_end = {1, 1};
  const float ws[] = {1.0f};
  auto y = qconv(x, xq, w, ws, nullptr, yq, win, 1);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->data<uint8_t>()[0], 10);
  // x = 104 → real 2 at the center only: 2 * 1 = 2 → 2 / 1 + 10 = 12.
  x.data<uint8_t>()[0] = 104;
  y = qconv(x, xq, w, ws, nullptr, yq, win, 1);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->data<uint8_t>()[0], 12);
}

TEST(Int8Ref, QConvRejectsBadShapes) {
  std::mt19937 rng(9);
  const float ws[] = {1.0f, 1.0f};
  EXPECT_FALSE(qconv(random_u8({1, 3, 4, 4}, rng), {}, random_s8({2, 2, 3, 3}, rng), ws, nullptr, {}, {}, 1).ok());
  EXPECT_FALSE(qconv(random_u8({1, 4, 4, 4}, rng), {}, random_s8({2, 4, 3, 3}, rng), std::span<const float>(ws, 0),
                     nullptr, {}, {}, 1).ok());
}

TEST(Int8Ref, QGemmMatchesFloatWithinOneStep) {
  std::mt19937 rng(11);
  const int64_t m = 3, k = 64, n = 10;
  const Tensor a = random_u8({m, k}, rng);
  const Tensor w = random_s8({n, k}, rng);
  std::vector<float> ws(n);
  for (int64_t j = 0; j < n; ++j) ws[j] = 0.001f * (j + 1);
  Tensor bias(DType::kInt32, {n});
  for (int64_t j = 0; j < n; ++j) bias.data<int32_t>()[j] = static_cast<int32_t>(j * 1000 - 4000);
  const QParam aq{0.03f, 20}, yq{0.5f, 120};
  auto y = qgemm(a, aq, w, ws, &bias, yq);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  std::vector<int> expected;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias.data<int32_t>()[j] * static_cast<double>(aq.scale) * ws[j];
      for (int64_t t = 0; t < k; ++t)
        acc += dequantize(a.data<uint8_t>()[i * k + t], aq) * static_cast<double>(w.data<int8_t>()[j * k + t]) * ws[j];
      expected.push_back(quantize_double(acc, yq));
    }
  EXPECT_LE(count_off_by_one(*y, expected), 2);
  // Exact integer form for one element.
  int32_t acc = bias.data<int32_t>()[4];
  for (int64_t t = 0; t < k; ++t) acc += (a.data<uint8_t>()[k + t] - 20) * w.data<int8_t>()[4 * k + t];
  EXPECT_EQ(y->data<uint8_t>()[n + 4], requantize(acc, conv_multiplier(aq.scale, ws[4], yq.scale), yq.zero_point));
}

TEST(Int8Ref, QAddQMulBroadcastAndMatchFloat) {
  std::mt19937 rng(21);
  const Tensor a = random_u8({2, 3, 4, 5}, rng);
  const Tensor b = random_u8({1, 3, 1, 1}, rng);
  const QParam aq{0.05f, 60}, bq{0.08f, 10}, yq{0.1f, 90};
  auto add_y = qadd(a, aq, b, bq, yq);
  auto mul_y = qmul(a, aq, b, bq, {0.4f, 30});
  ASSERT_TRUE(add_y.ok() && mul_y.ok());
  EXPECT_EQ(add_y->shape(), (Dims{2, 3, 4, 5}));
  std::vector<int> e_add, e_mul;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const int64_t c = (i / 20) % 3;
    const double va = dequantize(a.data<uint8_t>()[i], aq), vb = dequantize(b.data<uint8_t>()[c], bq);
    e_add.push_back(quantize_double(va + vb, yq));
    e_mul.push_back(quantize_double(va * vb, {0.4f, 30}));
  }
  EXPECT_LE(count_off_by_one(*add_y, e_add), 3);
  EXPECT_LE(count_off_by_one(*mul_y, e_mul), 3);
  // Scalar second operand, and incompatible shapes.
  auto s = qadd(a, aq, Tensor::scalar<uint8_t>(60), aq, aq);
  ASSERT_TRUE(s.ok());
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(s->data<uint8_t>()[i], a.data<uint8_t>()[i]);  // + real 0
  EXPECT_FALSE(qadd(a, aq, random_u8({4}, rng), bq, yq).ok());
}

TEST(Int8Ref, QLutAppliesTheTable) {
  Table t{};
  for (int q = 0; q < 256; ++q) t[q] = static_cast<uint8_t>(255 - q);
  const Tensor x = Tensor::from_vector<uint8_t>({2, 2}, {0, 1, 128, 255});
  const Tensor y = qlut(x, t);
  EXPECT_EQ(y.shape(), (Dims{2, 2}));
  EXPECT_EQ(y.data<uint8_t>()[0], 255);
  EXPECT_EQ(y.data<uint8_t>()[3], 0);
}

TEST(Int8Ref, QGlobalAveragePoolMatchesFloat) {
  std::mt19937 rng(31);
  const Tensor x = random_u8({2, 5, 7, 7}, rng);
  const QParam xq{0.1f, 12}, yq{0.05f, 3};
  auto y = qglobal_average_pool(x, xq, yq);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->shape(), (Dims{2, 5, 1, 1}));
  std::vector<int> expected;
  for (int64_t i = 0; i < 10; ++i) {
    double s = 0;
    for (int64_t j = 0; j < 49; ++j) s += dequantize(x.data<uint8_t>()[i * 49 + j], xq);
    expected.push_back(quantize_double(s / 49, yq));
  }
  EXPECT_LE(count_off_by_one(*y, expected), 1);
}

TEST(Int8Ref, QAveragePoolCountsPaddingOnlyWhenAsked) {
  // 2x2 input, 3x3 window, pads 1: the single output averages 4 values.
  const Tensor x = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {10, 20, 30, 40});
  const QParam q{1.0f, 0};
  Window2d win;
  win.kernel = {3, 3};
  win.strides = {2, 2};
  win.pads_begin = {1, 1};
  win.pads_end = {1, 1};
  auto y = qaverage_pool(x, q, q, win);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->shape(), (Dims{1, 1, 1, 1}));
  EXPECT_EQ(y->data<uint8_t>()[0], 25);  // 100 / 4
  win.count_include_pad = true;
  y = qaverage_pool(x, q, q, win);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->data<uint8_t>()[0], 11);  // 100 / 9 = 11.1
  // Non-zero input zero point: padding adds real 0, not the value 0.
  const Tensor z = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {50, 50, 50, 59});
  y = qaverage_pool(z, {1.0f, 50}, {1.0f, 50}, win);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->data<uint8_t>()[0], 51);  // 9 / 9 = 1 → 1 + 50
}

TEST(Int8Ref, QConcatRequantizesEachInput) {
  const Tensor a = Tensor::from_vector<uint8_t>({1, 1, 2}, {10, 20});
  const Tensor b = Tensor::from_vector<uint8_t>({1, 2, 2}, {0, 4, 8, 255});
  const Tensor* xs[] = {&a, &b};
  const QParam qs[] = {{1.0f, 0}, {0.5f, 2}};
  auto y = qconcat(xs, qs, {1.0f, 0}, 1);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->shape(), (Dims{1, 3, 2}));
  const std::vector<uint8_t> expected = {10, 20, 0, 1, 3, 126};  // (q - 2) * 0.5: -1 → 0, 1, 3, 126.5 → 126
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(y->data<uint8_t>()[i], expected[i]) << i;
  EXPECT_FALSE(qconcat(xs, std::span<const QParam>(qs, 1), {}, 1).ok());
}

TEST(Int8Ref, MaxPoolOnU8IgnoresPadding) {
  const Tensor x = Tensor::from_vector<uint8_t>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Window2d win;
  win.kernel = {2, 2};
  win.strides = {2, 2};
  win.pads_begin = {1, 1};
  win.pads_end = {0, 0};
  auto y = maxpool_u8(x, win);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->shape(), (Dims{1, 1, 2, 2}));
  const std::vector<uint8_t> expected = {1, 3, 7, 9};
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(y->data<uint8_t>()[i], expected[i]);
}

TEST(Int8Ref, QResizeNearestCopiesAndLinearInterpolates) {
  const Tensor x = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {10, 20, 30, 41});
  const Tensor scales = Tensor::from_vector<float>({4}, {1, 1, 2, 2});
  Attributes nearest;
  const QParam q{0.5f, 10};
  auto y = qresize(x, q, nearest, 13, nullptr, &scales, nullptr);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->shape(), (Dims{1, 1, 4, 4}));
  for (int64_t i = 0; i < 16; ++i) {
    const int64_t r = i / 4 / 2, c = i % 4 / 2;
    EXPECT_EQ(y->data<uint8_t>()[i], x.data<uint8_t>()[r * 2 + c]) << i;
  }
  Attributes linear;
  linear.set("mode", std::string("linear"));
  linear.set("coordinate_transformation_mode", std::string("align_corners"));
  const Tensor sizes = Tensor::from_vector<int64_t>({4}, {1, 1, 3, 3});
  y = qresize(x, q, linear, 13, nullptr, nullptr, &sizes);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->data<uint8_t>()[0], 10);
  EXPECT_EQ(y->data<uint8_t>()[1], 15);
  EXPECT_EQ(y->data<uint8_t>()[4], 25);   // centre: (0 + 5 + 10 + 15.5) / 4 = 7.625 → 15.25 → 15, + 10
  EXPECT_EQ(y->data<uint8_t>()[8], 41);
}

}  // namespace
}  // namespace edgeq::kernels::int8
