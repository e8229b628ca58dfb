#include "fusion_testing.h"

namespace edgeq::passes {
namespace {

using testing::apply_pass;
using testing::count_op;
using testing::find_op;

std::string layer_norm_text(int opset, const std::string& axes_attr, const std::string& axes_input,
                            const std::string& tail) {
  return "graph g opset=" + std::to_string(opset) + R"(
  input %x: f32[2,3,8]
  init %two: f32[] = [2]
  init %eps: f32[] = [0.00001]
  init %gamma: f32[8] = [1, 0.5, -2, 1.5, 0.25, 1, -1, 2]
  init %beta: f32[8] = [0.1, 0.2, -0.3, 0, 0.5, -0.5, 1, 0]
  init %axes: i64[1] = [-1]
  %m = ReduceMean(%x)" + axes_input + ") " + axes_attr + R"( : f32[2,3,1]
  %d = Sub(%x, %m) : f32[2,3,8]
  %p = Pow(%d, %two) : f32[2,3,8]
  %v = ReduceMean(%p)" + axes_input + ") " + axes_attr + R"( : f32[2,3,1]
  %ve = Add(%v, %eps) : f32[2,3,1]
  %s = Sqrt(%ve) : f32[2,3,1]
  %q = Div(%d, %s) : f32[2,3,8]
  %g = Mul(%q, %gamma) : f32[2,3,8]
)" + tail;
}

TEST(RecognizeLayerNorm, TorchSpellingBecomesLayerNormalization) {
  ir::Graph g = apply_pass(recognize_layer_norm_gelu,
                      layer_norm_text(13, "{axes=[-1], keepdims=1}", "", "  %y = Add(%g, %beta) : f32[2,3,8]\n  output %y\n"));
  ASSERT_EQ(g.nodes.size(), 1u) << ir::to_text(g);
  const ir::Node& ln = g.nodes[0];
  EXPECT_EQ(ln.op_type, "LayerNormalization");
  EXPECT_EQ(ln.attrs.get_int("axis"), -1);
  EXPECT_FLOAT_EQ(ln.attrs.get_float("epsilon"), 1e-5f);
  EXPECT_EQ(ln.inputs.size(), 3u);
  EXPECT_EQ(ln.outputs[0], "y");
}

TEST(RecognizeLayerNorm, AxesAsInputAndNoBias) {
  ir::Graph g = apply_pass(recognize_layer_norm_gelu, layer_norm_text(18, "", ", %axes", "  output %g\n"));
  ASSERT_EQ(count_op(g, "LayerNormalization"), 1) << ir::to_text(g);
  EXPECT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs.size(), 2u);
}

TEST(RecognizeLayerNorm, LeavesNonTrailingAxesAndSharedIntermediates) {
  ir::Graph a = apply_pass(recognize_layer_norm_gelu,
                      layer_norm_text(13, "{axes=[1], keepdims=1}", "", "  output %g\n"));
  EXPECT_EQ(count_op(a, "LayerNormalization"), 0);
  ir::Graph b = apply_pass(recognize_layer_norm_gelu,
                      layer_norm_text(13, "{axes=[-1]}", "", "  output %g\n  output %s\n"));
  EXPECT_EQ(count_op(b, "LayerNormalization"), 0);
}

TEST(RecognizeGelu, ExporterOrderings) {
  const char* bodies[] = {
      // torch: (x * (1 + erf(x / sqrt2))) * 0.5
      "%a = Div(%x, %sqrt2) : f32[4,10]\n  %e = Erf(%a) : f32[4,10]\n  %b = Add(%e, %one) : f32[4,10]\n"
      "  %c = Mul(%x, %b) : f32[4,10]\n  %y = Mul(%c, %half) : f32[4,10]\n",
      // x * ((1 + erf(x * 1/sqrt2)) * 0.5)
      "%a = Mul(%x, %rsqrt2) : f32[4,10]\n  %e = Erf(%a) : f32[4,10]\n  %b = Add(%one, %e) : f32[4,10]\n"
      "  %c = Mul(%b, %half) : f32[4,10]\n  %y = Mul(%x, %c) : f32[4,10]\n",
      // (x * 0.5) * (1 + erf(x / sqrt2))
      "%h = Mul(%x, %half) : f32[4,10]\n  %a = Div(%x, %sqrt2) : f32[4,10]\n  %e = Erf(%a) : f32[4,10]\n"
      "  %b = Add(%e, %one) : f32[4,10]\n  %y = Mul(%h, %b) : f32[4,10]\n",
  };
  for (const char* body : bodies) {
    SCOPED_TRACE(body);
    ir::Graph g = apply_pass(recognize_layer_norm_gelu, std::string(R"(graph g opset=13
  input %x: f32[4,10]
  init %sqrt2: f32[] = [1.4142135]
  init %rsqrt2: f32[] = [0.70710678]
  init %one: f32[] = [1]
  init %half: f32[] = [0.5]
  )") + body + "  output %y\n");
    ASSERT_EQ(g.nodes.size(), 1u) << ir::to_text(g);
    EXPECT_EQ(g.nodes[0].op_type, "Gelu");
    EXPECT_EQ(g.nodes[0].inputs, std::vector<std::string>{"x"});
    EXPECT_EQ(g.nodes[0].outputs[0], "y");
  }
}

TEST(RecognizeGelu, LeavesWrongConstants) {
  ir::Graph g = apply_pass(recognize_layer_norm_gelu, R"(graph g opset=13
  input %x: f32[4,10]
  init %two: f32[] = [2]
  init %one: f32[] = [1]
  init %half: f32[] = [0.5]
  %a = Div(%x, %two) : f32[4,10]
  %e = Erf(%a) : f32[4,10]
  %b = Add(%e, %one) : f32[4,10]
  %c = Mul(%x, %b) : f32[4,10]
  %y = Mul(%c, %half) : f32[4,10]
  output %y
)");
  EXPECT_EQ(count_op(g, "Gelu"), 0);
}

}  // namespace
}  // namespace edgeq::passes
