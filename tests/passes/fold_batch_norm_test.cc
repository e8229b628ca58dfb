#include "pass_testing.h"

namespace edgeq::passes {
namespace {

using testing::run_pass;

const char kBnParams[] =
    "  init %gamma: f32[3] = [1, 2, -0.5]\n"
    "  init %beta: f32[3] = [0.1, -0.2, 0.3]\n"
    "  init %mean: f32[3] = [0.5, -1, 2]\n"
    "  init %var: f32[3] = [1, 4, 0.25]\n";

TEST(FoldBatchNorm, ConvWithoutBiasGetsScaledWeightsAndANewBias) {
  const std::string after = run_pass(fold_batch_norm, std::string(R"(
graph g opset=13
  input %x: f32[1,2,5,5]
  init %w: f32[3,2,3,3] = fill(0.25)
)") + kBnParams + R"(
  %c = Conv(%x, %w) {kernel_shape=[3,3], pads=[1,1,1,1]} name=conv : f32[1,3,5,5]
  %y = BatchNormalization(%c, %gamma, %beta, %mean, %var) {epsilon=0.001} name=bn : f32[1,3,5,5]
  output %y
)");
  EXPECT_EQ(after,
            "graph g opset=13\n"
            "  input %x: f32[1,2,5,5]\n"
            "  init %conv_bias_bn: f32[3]\n"
            "  init %w: f32[3,2,3,3]\n"
            "  %y = Conv(%x, %w, %conv_bias_bn) {kernel_shape=[3,3], pads=[1,1,1,1]} name=conv : f32[1,3,5,5]\n"
            "  output %y\n");
}

TEST(FoldBatchNorm, ConvWithBiasAndSharedWeight) {
  // The weight is shared with a second Conv, so the folded weight gets its own name.
  const std::string after = run_pass(fold_batch_norm, std::string(R"(
graph g opset=13
  input %x: f32[1,2,4,4]
  init %w: f32[3,2,1,1] = [1, -2, 0.5, 3, -1, 2]
  init %b: f32[3] = [0.5, 0, -1]
)") + kBnParams + R"(
  %c = Conv(%x, %w, %b) {kernel_shape=[1,1]} name=conv : f32[1,3,4,4]
  %y = BatchNormalization(%c, %gamma, %beta, %mean, %var) name=bn : f32[1,3,4,4]
  %z = Conv(%x, %w) {kernel_shape=[1,1]} name=other : f32[1,3,4,4]
  output %y
  output %z
)");
  EXPECT_EQ(after,
            "graph g opset=13\n"
            "  input %x: f32[1,2,4,4]\n"
            "  init %b: f32[3]\n"
            "  init %conv_weight_bn: f32[3,2,1,1]\n"
            "  init %w: f32[3,2,1,1]\n"
            "  %y = Conv(%x, %conv_weight_bn, %b) {kernel_shape=[1,1]} name=conv : f32[1,3,4,4]\n"
            "  %z = Conv(%x, %w) {kernel_shape=[1,1]} name=other : f32[1,3,4,4]\n"
            "  output %y\n"
            "  output %z\n");
}

TEST(FoldBatchNorm, GemmBothLayouts) {
  const std::string after = run_pass(fold_batch_norm, std::string(R"(
graph g opset=13
  input %x: f32[2,4]
  init %wt: f32[3,4] = [1, 2, 3, 4, -1, -2, -3, -4, 0.5, 0.25, 2, 1]
  init %w: f32[4,3] = [1, 2, 3, 4, -1, -2, -3, -4, 0.5, 0.25, 2, 1]
  init %c: f32[1,3] = [1, 2, 3]
)") + kBnParams + R"(
  %h = Gemm(%x, %wt, %c) {alpha=0.5, beta=2, transB=1} name=fc1 : f32[2,3]
  %y = BatchNormalization(%h, %gamma, %beta, %mean, %var) name=bn1 : f32[2,3]
  %h2 = Gemm(%x, %w) name=fc2 : f32[2,3]
  %y2 = BatchNormalization(%h2, %gamma, %beta, %mean, %var) name=bn2 : f32[2,3]
  output %y
  output %y2
)");
  EXPECT_EQ(after,
            "graph g opset=13\n"
            "  input %x: f32[2,4]\n"
            "  init %c: f32[3]\n"
            "  init %fc2_bias_bn: f32[3]\n"
            "  init %w: f32[4,3]\n"
            "  init %wt: f32[3,4]\n"
            "  %y = Gemm(%x, %wt, %c) {alpha=0.5, beta=1, transB=1} name=fc1 : f32[2,3]\n"
            "  %y2 = Gemm(%x, %w, %fc2_bias_bn) {beta=1} name=fc2 : f32[2,3]\n"
            "  output %y\n"
            "  output %y2\n");
}

TEST(FoldBatchNorm, LeavesBatchNormThatFollowsNoFoldableNode) {
  const std::string text = std::string(
                               "graph g opset=13\n"
                               "  input %x: f32[1,3,2,2]\n"
                               "  init %beta: f32[3]\n"
                               "  init %gamma: f32[3]\n"
                               "  init %mean: f32[3]\n"
                               "  init %var: f32[3]\n"
                               "  init %w: f32[3,3,1,1]\n") +
                           "  %s = Add(%x, %x) name=add : f32[1,3,2,2]\n"
                           "  %y = BatchNormalization(%s, %gamma, %beta, %mean, %var) name=bn : f32[1,3,2,2]\n"
                           "  %c = Conv(%x, %w) {kernel_shape=[1,1]} name=conv : f32[1,3,2,2]\n"
                           "  %y2 = BatchNormalization(%c, %gamma, %beta, %mean, %var) name=bn2 : f32[1,3,2,2]\n"
                           "  %r = Relu(%c) name=relu : f32[1,3,2,2]\n"
                           "  output %y\n"
                           "  output %y2\n"
                           "  output %r\n";
  // Conv's output is read twice, so folding would change the Relu's input.
  std::string with_values = text;
  for (const char* p : {"beta", "gamma", "mean"})
    with_values.replace(with_values.find(std::string("init %") + p + ": f32[3]"),
                        std::string("init %").size() + std::string(p).size() + 8,
                        std::string("init %") + p + ": f32[3] = [1, 2, 3]");
  with_values.replace(with_values.find("init %var: f32[3]"), 17, "init %var: f32[3] = [1, 0.5, 2]");
  EXPECT_EQ(run_pass(fold_batch_norm, with_values), text);
}

}  // namespace
}  // namespace edgeq::passes
