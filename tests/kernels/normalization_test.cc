// Tests for the reference normalization kernels. Expected values were computed with numpy.
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
  return ref_op_testing::run_op(op, attrs, opset, std::move(inputs), num_outputs, "norm_node");
}


// N=2, C=3, 2x2 input.
Tensor sample() {
  return f32({2, 3, 2, 2}, {0.5f, 1.0f, -2.0f, 3.0f, 0.25f, -1.5f, 2.0f, 1.0f, 4.0f, -3.0f, 0.0f, 1.5f,
                            2.0f, -1.5f, 0.0f, 0.75f, 0.125f, -0.75f, 1.0f, 0.5f, 0.25f, 0.5f, -1.0f, 1.5f});
}

struct BnParams {
  Tensor scale = f32({3}, {1.0f, 0.5f, 2.0f});
  Tensor bias = f32({3}, {0.1f, -0.2f, 0.3f});
  Tensor mean = f32({3}, {0.2f, -0.1f, 0.5f});
  Tensor var = f32({3}, {1.5f, 0.8f, 2.0f});
};

TEST(NormBatchNormalization, Inference) {
  Tensor x = sample();
  BnParams p;
  OpResult r = run_op("BatchNormalization", {}, 15, {&x, &p.scale, &p.bias, &p.mean, &p.var});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {2, 3, 2, 2},
                {0.34494815778581933, 0.7531950874288516, -1.6962864904293418, 2.3861828060009804,
                 -0.004345274806979521, -0.982618900772082, 0.9739283511581232, 0.41491485060663585,
                 5.249735093983565, -4.6497350939835655, -0.4071050134262237, 1.7142100268524474,
                 1.569688946714916, -1.2880395607863093, -0.06329877185721289, 0.5490716226073354,
                 -0.07422196237591541, -0.5633587753584667, 0.41491485060663585, 0.1354081003308923,
                 -0.05355250671311185, 0.3, -1.8213150402786706, 1.7142100268524474});
}

TEST(NormBatchNormalization, TrainingModeUpdatesRunningStats) {
  Tensor x = sample();
  BnParams p;
  Attributes a;
  a.set("training_mode", int64_t{1});
  OpResult r = run_op("BatchNormalization", a, 15, {&x, &p.scale, &p.bias, &p.mean, &p.var}, 3);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {2, 3, 2, 2},
                {0.12011697737261386, 0.44198861533443556, -1.4892412124364944, 1.7294751671817223,
                 -0.2383977876201438, -1.0985082303113642, 0.6217126550710768, 0.13022097353323647,
                 4.005909010420349, -3.3403177005014046, -0.1919348243920817, 1.3822566136625798,
                 1.085731891258079, -1.1673695744746728, -0.2017546605892078, 0.2810527963535247,
                 -0.29983424781237383, -0.729889469157984, 0.13022097353323647, -0.11552486723568371,
                 0.0704304152836952, 0.3327956549594721, -1.2413957830951894, 1.3822566136625798});
  expect_values(r.outputs[1], {3}, {0.226875, -0.0571875, 0.496875});
  expect_values(r.outputs[2], {3}, {1.59130859375, 0.8234912109375001, 2.16318359375});
}

TEST(NormBatchNormalization, BadScaleShapeIsAnError) {
  Tensor x = sample();
  BnParams p;
  Tensor bad = f32({2}, {1, 1});
  OpResult r = run_op("BatchNormalization", {}, 15, {&x, &bad, &p.bias, &p.mean, &p.var});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("norm_node"), std::string::npos);
}

TEST(NormInstanceNormalization, PerSampleAndChannel) {
  Tensor x = sample();
  BnParams p;
  OpResult r = run_op("InstanceNormalization", {}, 6, {&x, &p.scale, &p.bias});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {2, 3, 2, 2},
                {0.029813870003787643, 0.3105583899886371, -1.3739087299204595, 1.433536469928035,
                 -0.273279571451026, -0.9572222383272686, 0.41066309542521656, 0.019838714353077963,
                 2.9636214939366705, -2.5609267897838315, -0.19326323961790198, 0.9905685354650628,
                 1.4318076361852534, -1.3304600536804572, -0.14663104373800986, 0.44528346123321383,
                 -0.27327889988069926, -0.9572152987672253, 0.4106574990058269, 0.019836699642097694,
                 0.15962840383018037, 0.7211147885094589, -2.647803519566212, 2.9670603272265725});
}

TEST(NormLayerNormalization, AxisOneWithMeanAndInvStdDev) {
  // First sample of sample() viewed as [3, 2, 2], normalised over the last two dims (axis 1).
  Tensor x = f32({3, 2, 2}, {0.5f, 1.0f, -2.0f, 3.0f, 0.25f, -1.5f, 2.0f, 1.0f, 4.0f, -3.0f, 0.0f, 1.5f});
  Tensor scale = f32({2, 2}, {1.0f, 2.0f, 0.5f, -1.0f});
  Tensor bias = f32({2, 2}, {0.0f, 0.1f, 0.2f, 0.3f});
  Attributes a;
  a.set("axis", int64_t{-2});
  OpResult r = run_op("LayerNormalization", a, 17, {&x, &scale, &bias}, 3);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {3, 2, 2},
                {-0.07018612999621236, 0.5211167799772742, -0.5369543649602297, -1.033536469928035,
                 -0.146559142902052, -2.928888953309074, 0.8106630954252165, -0.13967742870615596,
                 1.3318107469683353, -2.760926789783831, 0.07668419009552452, -0.045284267732531414});
  EXPECT_EQ(r.outputs[1].dtype(), DType::kFloat32);
  expect_values(r.outputs[1], {3, 1, 1}, {0.625, 0.4375, 0.625});
  expect_values(r.outputs[2], {3, 1, 1}, {0.5614890399696989, 0.7816487621442773, 0.3946105916943216});
  a.set("axis", int64_t{3});
  EXPECT_EQ(run_op("LayerNormalization", a, 17, {&x, &scale, &bias}).status.code(), StatusCode::kInvalidArgument);
}

TEST(NormMeanVarianceNormalization, DefaultAxes) {
  Tensor x = sample();
  OpResult r = run_op("MeanVarianceNormalization", {}, 13, {&x});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_values(r.outputs[0], {2, 3, 2, 2},
                {0.020117019042713992, 0.34198932372613783, -1.5892445043744052, 1.6294785424598333,
                 -0.07679594618852574, -1.797025140811502, 1.6434332484344507, 0.6604451372213214,
                 1.8529570552248387, -1.8201613551323634, -0.24596775069356264, 0.5411290515258378,
                 0.9857339330929855, -1.2673721996909815, -0.30175528564070986, 0.18105317138442592,
                 -0.1996694600901669, -1.059784057401655, 0.6604451372213214, 0.1689510816147566,
                 -0.11478495032366257, 0.01639785004623751, -0.770698952173163, 0.5411290515258378});
  Attributes a;
  a.set("axes", std::vector<int64_t>{0, 4});
  EXPECT_EQ(run_op("MeanVarianceNormalization", a, 13, {&x}).status.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgeq::kernels
