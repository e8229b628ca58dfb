#include "pass_testing.h"

namespace edgeq::passes {
namespace {

using testing::run_pass;

TEST(EliminateDeadCode, DropsUnreachableNodesInitializersAndValueInfo) {
  const std::string after = run_pass(eliminate_dead_code, R"(
graph g opset=13
  input %x: f32[2]
  input %unused: f32[2]
  init %w: f32[2] = [1, 2]
  init %dead_w: f32[2] = [3, 4]
  init %never_read: f32[1]
  %a = Add(%x, %w) name=add : f32[2]
  %b = Mul(%x, %dead_w) name=dead_mul : f32[2]
  %c = Relu(%b) name=dead_relu : f32[2]
  %p, %q = Split(%a) {axis=0} name=split : f32[1] f32[1]
  output %p
)");
  EXPECT_EQ(after,
            "graph g opset=13\n"
            "  input %x: f32[2]\n"
            "  input %unused: f32[2]\n"
            "  init %w: f32[2]\n"
            "  %a = Add(%x, %w) name=add : f32[2]\n"
            "  %p, %q = Split(%a) {axis=0} name=split : f32[1] f32[1]\n"
            "  output %p\n");
  ir::Graph g = testing::parse(R"(
graph g opset=13
  input %x: f32[2]
  %b = Relu(%x) : f32[2]
  %c = Relu(%x) : f32[2]
  output %c
)");
  ASSERT_TRUE(eliminate_dead_code(g, {}).ok());
  EXPECT_EQ(g.values.count("b"), 0u);
  EXPECT_EQ(g.values.count("c"), 1u);
  EXPECT_EQ(g.values.count("x"), 1u);
}

TEST(EliminateDeadCode, KeepsInitializerThatIsAGraphOutput) {
  const std::string text =
      "graph g opset=13\n"
      "  input %x: f32[2]\n"
      "  init %w: f32[2]\n"
      "  %y = Relu(%x) : f32[2]\n"
      "  output %y\n"
      "  output %w\n";
  EXPECT_EQ(run_pass(eliminate_dead_code, text), text);
}

}  // namespace
}  // namespace edgeq::passes
