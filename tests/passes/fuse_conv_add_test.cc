#include "fusion_testing.h"

namespace edgeq::passes {
namespace {

using testing::apply_pass;
using testing::count_op;
using testing::find_op;

const char kHead[] = R"(graph g opset=13
  input %x: f32[1,4,5,5]
  init %w: f32[4,4,3,3] = fill(0.05)
  init %w2: f32[4,4,1,1] = fill(-0.1)
  init %b: f32[4] = [0.5, -0.5, 1.5, -2]
  %c = Conv(%x, %w, %b) {kernel_shape=[3,3], pads=[1,1,1,1]} name=conv : f32[1,4,5,5]
)";

TEST(FuseConvAdd, ResidualAddAndReluBecomeOneFusedConv) {
  ir::Graph g = apply_pass(fuse_conv_add, std::string(kHead) + R"(
  %a = Add(%x, %c) name=add : f32[1,4,5,5]
  %y = Relu(%a) name=relu : f32[1,4,5,5]
  output %y
)");
  EXPECT_EQ(ir::to_text(g),
            "graph g opset=13\n"
            "  input %x: f32[1,4,5,5]\n"
            "  init %b: f32[4]\n"
            "  init %w: f32[4,4,3,3]\n"
            "  init %w2: f32[4,4,1,1]\n"
            "  %y = edgeq.FusedConv(%x, %w, %b, %x) {activation=\"Relu\", kernel_shape=[3,3], pads=[1,1,1,1]} "
            "name=conv : f32[1,4,5,5]\n"
            "  output %y\n");
}

TEST(FuseConvAdd, AddWithoutReluAndZComputedAfterTheConv) {
  ir::Graph g = apply_pass(fuse_conv_add, std::string(kHead) + R"(
  %d = Conv(%x, %w2) {kernel_shape=[1,1]} name=down : f32[1,4,5,5]
  %y = Add(%c, %d) name=add : f32[1,4,5,5]
  %s = Sigmoid(%y) : f32[1,4,5,5]
  output %s
)");
  ASSERT_EQ(count_op(g, "FusedConv"), 1) << ir::to_text(g);
  EXPECT_EQ(count_op(g, "Add"), 0);
  const ir::Node* fc = find_op(g, "FusedConv");
  EXPECT_EQ(fc->outputs[0], "y");
  EXPECT_FALSE(fc->attrs.has("activation"));
  EXPECT_EQ(fc->inputs.size(), 4u);
}

TEST(FuseConvAdd, LeavesBroadcastConstantsSharedOutputsAndFusedActivations) {
  const char* tails[] = {
      "  init %k: f32[1,4,1,1] = fill(1)\n  %y = Add(%c, %k) : f32[1,4,5,5]\n  output %y\n",
      "  input %v: f32[1,4,1,1]\n  %y = Add(%c, %v) : f32[1,4,5,5]\n  output %y\n",
      "  %y = Add(%c, %x) : f32[1,4,5,5]\n  output %y\n  output %c\n",
      "  %y = Add(%c, %c) : f32[1,4,5,5]\n  output %y\n",
  };
  for (const char* tail : tails) {
    SCOPED_TRACE(tail);
    ir::Graph g = apply_pass(fuse_conv_add, std::string(kHead) + tail);
    EXPECT_EQ(count_op(g, "FusedConv"), 0) << ir::to_text(g);
  }
  ir::Graph g = apply_pass(fuse_conv_add, R"(graph g opset=13
  input %x: f32[1,4,5,5]
  init %w: f32[4,4,1,1] = fill(0.05)
  %c = edgeq.FusedConv(%x, %w) {activation="Relu", kernel_shape=[1,1]} : f32[1,4,5,5]
  %y = Add(%c, %x) : f32[1,4,5,5]
  output %y
)");
  EXPECT_EQ(count_op(g, "Add"), 1);
}

}  // namespace
}  // namespace edgeq::passes
