#include "pass_testing.h"

namespace edgeq::passes {
namespace {

using testing::run_pass;

// Folding leaves the inputs it no longer needs to dead-code elimination; the tests run both.
Status fold_then_clean(ir::Graph& g, const PassContext& ctx) {
  EDGEQ_RETURN_IF_ERROR(fold_constants(g, ctx));
  return eliminate_dead_code(g, ctx);
}

TEST(FoldConstants, ShapeChainFeedingReshapeFoldsAway) {
  const std::string before = R"(
graph g opset=13
  input %x: f32[1,3,4,4]
  init %idx: i64[] = [1]
  init %ax: i64[1] = [0]
  init %minus1: i64[1] = [-1]
  %s = Shape(%x) name=shape : i64[4]
  %g = Gather(%s, %idx) {axis=0} name=gather : i64[]
  %u = Unsqueeze(%g, %ax) name=unsq : i64[1]
  %c = Concat(%u, %minus1) {axis=0} name=concat : i64[2]
  %k = Constant() {value=tensor f32[1]=[2]} name=const : f32[1]
  %r = Reshape(%x, %c) name=reshape : f32[3,16]
  %y = Mul(%r, %k) name=mul : f32[3,16]
  output %y
)";
  EXPECT_EQ(run_pass(fold_then_clean, before),
            "graph g opset=13\n"
            "  input %x: f32[1,3,4,4]\n"
            "  init %c: i64[2]\n"
            "  init %k: f32[1]\n"
            "  %r = Reshape(%x, %c) name=reshape : f32[3,16]\n"
            "  %y = Mul(%r, %k) name=mul : f32[3,16]\n"
            "  output %y\n");
  ir::Graph g = testing::parse(before);
  ASSERT_TRUE(fold_constants(g, {}).ok());
  const Tensor& c = g.initializers.at("c");
  ASSERT_EQ(c.numel(), 2);
  EXPECT_EQ(c.data<int64_t>()[0], 3);
  EXPECT_EQ(c.data<int64_t>()[1], -1);
  EXPECT_FLOAT_EQ(g.initializers.at("k").data<float>()[0], 2.0f);
}

TEST(FoldConstants, ShapeWithStartEndAndSize) {
  ir::Graph g = testing::parse(R"(
graph g opset=15
  input %x: f32[2,3,5]
  %s = Shape(%x) {start=-2} name=shape : i64[2]
  %n = Size(%x) name=size : i64[]
  output %s
  output %n
)");
  ASSERT_TRUE(fold_constants(g, {}).ok());
  EXPECT_TRUE(g.nodes.empty());
  const Tensor& s = g.initializers.at("s");
  ASSERT_EQ(s.numel(), 2);
  EXPECT_EQ(s.data<int64_t>()[0], 3);
  EXPECT_EQ(s.data<int64_t>()[1], 5);
  EXPECT_EQ(g.initializers.at("n").data<int64_t>()[0], 30);
  EXPECT_TRUE(ir::verify(g).ok());
}

TEST(FoldConstants, ArithmeticOnInitializersBecomesAnInitializerOutput) {
  ir::Graph g = testing::parse(R"(
graph g opset=13
  input %x: f32[2]
  init %a: f32[2] = [1, 2]
  init %b: f32[2] = [10, 20]
  %s = Add(%a, %b) name=add : f32[2]
  %t = Mul(%s, %s) name=mul : f32[2]
  %y = Add(%x, %t) name=use : f32[2]
  output %t
  output %y
)");
  ir::Graph original = g;
  ASSERT_TRUE(fold_constants(g, {}).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "use");
  EXPECT_FLOAT_EQ(g.initializers.at("t").data<float>()[1], 484.0f);
  EXPECT_TRUE(ir::verify(g).ok());
  testing::expect_same_outputs(original, g);
}

TEST(FoldConstants, SkipsHugeExpansionsQuantizationAndRuntimeValues) {
  const std::string text =
      "graph g opset=13\n"
      "  input %x: f32[1]\n"
      "  init %q: i8[2]\n"
      "  init %scale: f32[]\n"
      "  init %shape: i64[2]\n"
      "  init %v: f32[1]\n"
      "  %e = Expand(%v, %shape) name=expand : f32[2048,1024]\n"
      "  %y = Add(%e, %x) name=add : f32[2048,1024]\n"
      "  %d = DequantizeLinear(%q, %scale) name=dq : f32[2]\n"
      "  %z = Add(%x, %d) name=add2 : f32[2]\n"
      "  output %y\n"
      "  output %z\n";
  std::string with_values = text;
  with_values.replace(with_values.find("init %shape: i64[2]"), 19, "init %shape: i64[2] = [2048, 1024]");
  with_values.replace(with_values.find("init %q: i8[2]"), 14, "init %q: i8[2] = [1, -2]");
  with_values.replace(with_values.find("init %scale: f32[]"), 18, "init %scale: f32[] = [0.5]");
  EXPECT_EQ(run_pass(fold_constants, with_values), text);
}

TEST(FoldConstants, SmallExpandFolds) {
  ir::Graph g = testing::parse(R"(
graph g opset=13
  input %x: f32[4,4]
  init %v: f32[1] = [1.5]
  init %shape: i64[2] = [4, 4]
  %e = Expand(%v, %shape) name=expand : f32[4,4]
  %y = Add(%e, %x) name=add : f32[4,4]
  output %y
)");
  ASSERT_TRUE(fold_constants(g, {}).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.initializers.at("e").shape(), (Dims{4, 4}));
  EXPECT_FLOAT_EQ(g.initializers.at("e").data<float>()[15], 1.5f);
}

}  // namespace
}  // namespace edgeq::passes
