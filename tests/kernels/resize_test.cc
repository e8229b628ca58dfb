// Tests for the reference Resize and Upsample kernels. Expected values come from the ONNX
// reference implementation (onnx.backend.test.case.node.resize) and torch's interpolate.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/kernel.h"
#include "tests/kernels/ref_op_testing.h"

namespace edgeq::kernels {
namespace {

using ref_op_testing::attrs_with;
using ref_op_testing::expect_values;
using ref_op_testing::f32;
using ref_op_testing::i64;
using ref_op_testing::OpResult;

OpResult run_op(std::string_view op, const Attributes& attrs, int64_t opset, std::vector<const Tensor*> inputs,
                size_t num_outputs = 1) {
  return ref_op_testing::run_op(op, attrs, opset, std::move(inputs), num_outputs, "resize_node");
}


Tensor small() { return f32({1, 1, 2, 2}, {1, 2, 3, 4}); }
Tensor four_by_four() {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i + 1);
  return f32({1, 1, 4, 4}, v);
}

TEST(ResizeUpsample, Opset7ScalesAttributeNearest) {
  Tensor x = small();
  OpResult r = run_op("Upsample", attrs_with({{"scales", std::vector<float>{1, 1, 2, 3}}}), 7, {&x});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 1, 4, 6},
                {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

TEST(ResizeUpsample, Opset9ScalesInputLinearIsAsymmetric) {
  Tensor x = small();
  Tensor scales = f32({4}, {1, 1, 2, 2});
  OpResult r = run_op("Upsample", attrs_with({{"mode", std::string("linear")}}), 9, {&x, &scales});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 1, 4, 4}, {1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4});
}

TEST(ResizeOpset10, NearestDownsampleUsesCeil) {
  Tensor x = f32({1, 1, 1, 4}, {1, 2, 3, 4});
  Tensor scales = f32({4}, {1, 1, 1, 0.5f});
  OpResult r = run_op("Resize", {}, 10, {&x, &scales});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 1, 1, 2}, {1, 3});
}

TEST(ResizeLinear, HalfPixelUpsample) {
  Tensor x = small();
  Tensor scales = f32({4}, {1, 1, 2, 2});
  OpResult r = run_op("Resize", attrs_with({{"mode", std::string("linear")}}), 13, {&x, nullptr, &scales});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 1, 4, 4},
                {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
}

TEST(ResizeLinear, MatchesTorchBilinearWithSizes) {
  Tensor x = f32({1, 2, 3, 5},
                 {0.0f, 0.37f, 0.74f, 1.11f, 1.48f, 1.85f, 0.12000012397766113f, 0.49000024795532227f,
                  0.8600001335144043f, 1.23f, 1.6000001430511475f, 1.9700002670288086f, 0.24000024795532227f,
                  0.6100001335144043f, 0.9800004959106445f, 1.3500003814697266f, 1.7200002670288086f,
                  2.0900001525878906f, 0.3600001335144043f, 0.7300004959106445f, 1.1000003814697266f,
                  1.4700002670288086f, 1.8400006294250488f, 0.1100006103515625f, 0.48000049591064453f,
                  0.8500003814697266f, 1.2200002670288086f, 1.5900001525878906f, 1.960000991821289f,
                  0.23000097274780273f});
  Tensor sizes = i64({4}, {1, 2, 5, 4});
  Tensor empty_scales = f32({0}, {});
  OpResult r = run_op("Resize",
                      attrs_with({{"mode", std::string("linear")},
                                  {"coordinate_transformation_mode", std::string("pytorch_half_pixel")}}),
                      11, {&x, nullptr, &empty_scales, &sizes});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 2, 5, 4},
                {0.04625, 0.50875, 0.97125, 1.43375, 0.68125, 0.40875, 0.87125, 1.33375, 1.63375, 0.25875,
                 0.72125, 1.18375, 1.64125, 0.89625, 0.57125, 1.03375, 1.64625, 1.32125, 0.47125, 0.93375,
                 1.39625, 1.85875, 1.00875, 0.68375, 1.29625, 1.75875, 0.90875, 0.58375, 1.14625, 1.60875,
                 0.75875, 0.43375, 0.99625, 1.45875, 1.39625, 0.44125, 0.89625, 1.35875, 1.82125, 0.44625},
                1e-4);
}

TEST(ResizeLinear, AlignCornersAndUint8Rounding) {
  Tensor x = four_by_four();
  Tensor sizes = i64({4}, {1, 1, 3, 3});
  OpResult r = run_op("Resize",
                      attrs_with({{"mode", std::string("linear")},
                                  {"coordinate_transformation_mode", std::string("align_corners")}}),
                      13, {&x, nullptr, nullptr, &sizes});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 1, 3, 3}, {1, 2.5, 4, 7, 8.5, 10, 13, 14.5, 16});
  Tensor u = Tensor::from_vector<uint8_t>({1, 2}, {0, 255});
  Tensor scales = f32({2}, {1, 2});
  OpResult ru = run_op("Resize", attrs_with({{"mode", std::string("linear")}}), 13, {&u, nullptr, &scales});
  ASSERT_TRUE(ru.status.ok()) << ru.status.to_string();
  EXPECT_EQ(ru.outputs[0].dtype(), DType::kUInt8);
  expect_values(ru.outputs[0], {1, 4}, {0, 64, 191, 255});
}

TEST(ResizeCubic, DownsampleAndExcludeOutside) {
  Tensor x = four_by_four();
  Tensor scales = f32({4}, {1, 1, 0.8f, 0.8f});
  OpResult r = run_op("Resize", attrs_with({{"mode", std::string("cubic")}}), 13, {&x, nullptr, &scales});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 1, 3, 3},
                {1.47119140625, 2.78125, 4.08251953125, 6.71142578125, 8.021484375, 9.32275390625,
                 11.91650390625, 13.2265625, 14.52783203125});
  Tensor y = small();
  Tensor up = f32({4}, {1, 1, 1.5f, 1.5f});
  OpResult e = run_op("Resize",
                      attrs_with({{"mode", std::string("cubic")}, {"cubic_coeff_a", -0.5f}, {"exclude_outside", int64_t{1}}}),
                      13, {&y, nullptr, &up});
  ASSERT_TRUE(e.status.ok()) << e.status.to_string();
  expect_values(e.outputs[0], {1, 1, 3, 3},
                {0.8026315789473689, 1.3684210526315792, 1.9342105263157898, 1.9342105263157894, 2.5,
                 3.0657894736842106, 3.06578947368421, 3.631578947368421, 4.197368421052631});
}

TEST(ResizeNearest, RoundPreferCeilAsymmetricSizes) {
  Tensor x = small();
  Tensor sizes = i64({4}, {1, 1, 3, 5});
  OpResult r = run_op("Resize",
                      attrs_with({{"nearest_mode", std::string("round_prefer_ceil")},
                                  {"coordinate_transformation_mode", std::string("asymmetric")}}),
                      13, {&x, nullptr, nullptr, &sizes});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 1, 3, 5}, {1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 3, 3, 4, 4, 4});
}

TEST(ResizeNearest, TwoTimesOnLargerNchwIsAPixelCopy) {
  const int64_t c = 3, h = 7, w = 9;
  Tensor x(DType::kFloat32, {1, c, h, w});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i % 97) * 0.5f;
  Tensor scales = f32({4}, {1, 1, 2, 2});
  OpResult r = run_op("Resize", {}, 13, {&x, nullptr, &scales});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.outputs[0].shape(), (Dims{1, c, 2 * h, 2 * w}));
  const float* y = r.outputs[0].data<float>();
  const float* in = x.data<float>();
  for (int64_t k = 0; k < c; ++k)
    for (int64_t i = 0; i < 2 * h; ++i)
      for (int64_t j = 0; j < 2 * w; ++j)
        ASSERT_EQ(y[(k * 2 * h + i) * 2 * w + j], in[(k * h + i / 2) * w + j / 2]) << k << "," << i << "," << j;
}

TEST(ResizeCrop, TfCropAndResizeExtrapolates) {
  Tensor x = four_by_four();
  Tensor roi = f32({8}, {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f});
  Tensor sizes = i64({4}, {1, 1, 3, 3});
  OpResult r = run_op("Resize",
                      attrs_with({{"mode", std::string("linear")},
                                  {"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                                  {"extrapolation_value", 10.0f}}),
                      13, {&x, &roi, nullptr, &sizes});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {1, 1, 3, 3}, {7.6, 10, 10, 12.4, 10, 10, 10, 10, 10});
}

TEST(ResizeCrop, Rank2NearestExtrapolates) {
  Tensor x = f32({2, 2}, {1, 2, 3, 4});
  Tensor roi = f32({4}, {0, 0.5f, 1, 1.5f});
  Tensor sizes = i64({2}, {2, 3});
  OpResult r = run_op("Resize",
                      attrs_with({{"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                                  {"extrapolation_value", -1.0f}}),
                      13, {&x, &roi, nullptr, &sizes});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  // Columns map to 0.5, 1.0, 1.5: round_prefer_floor picks 0 and 1, the last is outside.
  expect_values(r.outputs[0], {2, 3}, {1, 2, -1, 3, 4, -1});
}

TEST(ResizeOpset18, AxesAndKeepAspectRatio) {
  Tensor x = four_by_four();
  Tensor sizes = i64({2}, {2, 3});
  OpResult r = run_op("Resize",
                      attrs_with({{"axes", std::vector<int64_t>{2, 3}},
                                  {"keep_aspect_ratio_policy", std::string("not_larger")}}),
                      18, {&x, nullptr, nullptr, &sizes});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  // Scale 0.5 on both axes: half_pixel maps outputs to 0.5 and 2.5, round_prefer_floor picks 0 and 2.
  expect_values(r.outputs[0], {1, 1, 2, 2}, {1, 3, 9, 11});
  Tensor scales = f32({1}, {2});
  OpResult s = run_op("Resize", attrs_with({{"axes", std::vector<int64_t>{-1}}}), 18, {&x, nullptr, &scales});
  ASSERT_TRUE(s.status.ok()) << s.status.to_string();
  EXPECT_EQ(s.outputs[0].shape(), (Dims{1, 1, 4, 8}));
}

// torch's antialiased interpolate clips the filter support at the borders, which is ONNX's
// antialias with exclude_outside=1; its bicubic uses a = -0.5.
TEST(ResizeAntialias, MatchesTorchWhenDownsampling) {
  Tensor x = f32({1, 1, 7, 5},
                 {0.0f, 0.7300000190734863f, 1.4600000381469727f, 2.190000057220459f, 2.9200000762939453f,
                  0.5500001907348633f, 1.2800002098083496f, 2.010000228881836f, 2.7400002479553223f,
                  0.37000036239624023f, 1.1000003814697266f, 1.830000877380371f, 2.560000419616699f,
                  0.19000005722045898f, 0.9200005531311035f, 1.650001049041748f, 2.380000591278076f,
                  0.010000228881835938f, 0.7400007247924805f, 1.470001220703125f, 2.200000762939453f,
                  2.9300003051757812f, 0.5600018501281738f, 1.290001392364502f, 2.02000093460083f,
                  2.750000476837158f, 0.38000011444091797f, 1.110001564025879f, 1.840001106262207f,
                  2.570000648498535f, 0.20000219345092773f, 0.9300017356872559f, 1.660001277923584f,
                  2.390000820159912f, 0.020000457763671875f});
  Tensor sizes = i64({2}, {3, 2});
  Attributes a = attrs_with({{"mode", std::string("linear")}, {"antialias", int64_t{1}},
                             {"exclude_outside", int64_t{1}}, {"axes", std::vector<int64_t>{2, 3}}});
  OpResult lin = run_op("Resize", a, 18, {&x, nullptr, nullptr, &sizes});
  ASSERT_TRUE(lin.status.ok()) << lin.status.to_string();
  expect_values(lin.outputs[0], {1, 1, 3, 2},
                {1.171233892440796, 1.7555845975875854, 1.6754553318023682, 1.1544393301010132,
                 1.3644168376922607, 1.5964943170547485}, 1e-4);
  a.set("mode", std::string("cubic"));
  a.set("cubic_coeff_a", -0.5f);
  OpResult cub = run_op("Resize", a, 18, {&x, nullptr, nullptr, &sizes});
  ASSERT_TRUE(cub.status.ok()) << cub.status.to_string();
  expect_values(cub.outputs[0], {1, 1, 3, 2},
                {1.0961291790008545, 1.8241982460021973, 1.7708336114883423, 1.0682251453399658,
                 1.3329523801803589, 1.611696481704712}, 1e-4);
}

TEST(ResizeErrors, BadInputsNameTheNode) {
  Tensor x = small();
  Tensor scales = f32({4}, {1, 1, 2, 2});
  Tensor sizes = i64({4}, {1, 1, 4, 4});
  OpResult both = run_op("Resize", {}, 13, {&x, nullptr, &scales, &sizes});
  EXPECT_EQ(both.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(both.status.message().find("resize_node"), std::string::npos);
  EXPECT_EQ(run_op("Resize", {}, 13, {&x}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Resize", attrs_with({{"mode", std::string("area")}}), 13, {&x, nullptr, &scales}).status.code(),
            StatusCode::kInvalidArgument);
  Tensor short_scales = f32({2}, {2, 2});
  EXPECT_EQ(run_op("Resize", {}, 13, {&x, nullptr, &short_scales}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Resize", attrs_with({{"axes", std::vector<int64_t>{4}}}), 18, {&x, nullptr, &short_scales}).status.code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgeq::kernels
