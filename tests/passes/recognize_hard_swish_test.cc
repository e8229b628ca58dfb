#include "fusion_testing.h"

namespace edgeq::passes {
namespace {

using testing::apply_pass;
using testing::count_op;
using testing::run_pass;

TEST(RecognizeHardSwish, MulByHardSigmoid) {
  const std::string after = run_pass(recognize_hard_swish, R"(graph g opset=13
  input %x: f32[2,16]
  %h = HardSigmoid(%x) {alpha=0.16666667, beta=0.5} name=hsig : f32[2,16]
  %y = Mul(%h, %x) name=mul : f32[2,16]
  output %y
)");
  EXPECT_EQ(after,
            "graph g opset=13\n"
            "  input %x: f32[2,16]\n"
            "  %y = HardSwish(%x) name=mul : f32[2,16]\n"
            "  output %y\n");
}

// x*Clip(x+3,0,6)/6 in the orders exporters write, bounds as attributes or inputs.
TEST(RecognizeHardSwish, ClipSpellings) {
  const char* bodies[] = {
      // Add → Clip → Mul(x) → Div 6
      "%a = Add(%x, %three) : f32[2,16]\n  %c = Clip(%a, %zero, %six) : f32[2,16]\n"
      "  %m = Mul(%x, %c) : f32[2,16]\n  %y = Div(%m, %six) : f32[2,16]\n",
      // constants first, Mul by 1/6
      "%a = Add(%three, %x) : f32[2,16]\n  %c = Clip(%a, %zero, %six) : f32[2,16]\n"
      "  %m = Mul(%c, %x) : f32[2,16]\n  %y = Mul(%sixth, %m) : f32[2,16]\n",
      // Relu6 form: x * (Relu6(x+3) * 1/6)
      "%a = Add(%x, %three) : f32[2,16]\n  %c = Clip(%a, %zero, %six) : f32[2,16]\n"
      "  %d = Mul(%c, %sixth) : f32[2,16]\n  %y = Mul(%x, %d) : f32[2,16]\n",
      // hardsigmoid spelled Clip(x+3)/6, then times x
      "%a = Add(%x, %three) : f32[2,16]\n  %c = Clip(%a, %zero, %six) : f32[2,16]\n"
      "  %d = Div(%c, %six) : f32[2,16]\n  %y = Mul(%d, %x) : f32[2,16]\n",
  };
  for (const char* body : bodies) {
    SCOPED_TRACE(body);
    ir::Graph g = apply_pass(recognize_hard_swish, std::string(R"(graph g opset=13
  input %x: f32[2,16]
  init %three: f32[] = [3]
  init %zero: f32[] = [0]
  init %six: f32[] = [6]
  init %sixth: f32[] = [0.16666667]
  )") + body + "  output %y\n");
    EXPECT_EQ(count_op(g, "HardSwish"), 1) << ir::to_text(g);
    EXPECT_EQ(g.nodes.size(), 1u) << ir::to_text(g);
    EXPECT_EQ(g.nodes[0].outputs[0], "y");
    EXPECT_EQ(g.nodes[0].inputs, std::vector<std::string>{"x"});
  }
}

TEST(RecognizeHardSwish, ClipBoundsAsAttributesBeforeOpset11) {
  ir::Graph g = apply_pass(recognize_hard_swish, R"(graph g opset=9
  input %x: f32[2,16]
  init %three: f32[1] = [3]
  init %six: f32[] = [6]
  %a = Add(%x, %three) : f32[2,16]
  %c = Clip(%a) {max=6.0, min=0.0} : f32[2,16]
  %m = Mul(%x, %c) : f32[2,16]
  %y = Div(%m, %six) : f32[2,16]
  output %y
)");
  EXPECT_EQ(count_op(g, "HardSwish"), 1) << ir::to_text(g);
}

TEST(RecognizeHardSwish, LeavesNearMisses) {
  const char* bodies[] = {
      // wrong constant (x + 2)
      "%a = Add(%x, %two) : f32[2,16]\n  %c = Clip(%a, %zero, %six) : f32[2,16]\n"
      "  %m = Mul(%x, %c) : f32[2,16]\n  %y = Div(%m, %six) : f32[2,16]\n  output %y\n",
      // multiplied by another tensor, not x
      "%a = Add(%x, %three) : f32[2,16]\n  %c = Clip(%a, %zero, %six) : f32[2,16]\n"
      "  %m = Mul(%x2, %c) : f32[2,16]\n  %y = Div(%m, %six) : f32[2,16]\n  output %y\n",
      // intermediate also an output
      "%a = Add(%x, %three) : f32[2,16]\n  %c = Clip(%a, %zero, %six) : f32[2,16]\n"
      "  %m = Mul(%x, %c) : f32[2,16]\n  %y = Div(%m, %six) : f32[2,16]\n  output %y\n  output %c\n",
      // HardSigmoid with the default alpha (0.2) is not the HardSwish one
      "%h = HardSigmoid(%x) : f32[2,16]\n  %y = Mul(%x, %h) : f32[2,16]\n  output %y\n",
  };
  for (const char* body : bodies) {
    SCOPED_TRACE(body);
    ir::Graph g = apply_pass(recognize_hard_swish, std::string(R"(graph g opset=13
  input %x: f32[2,16]
  input %x2: f32[2,16]
  init %two: f32[] = [2]
  init %three: f32[] = [3]
  init %zero: f32[] = [0]
  init %six: f32[] = [6]
  )") + body);
    EXPECT_EQ(count_op(g, "HardSwish"), 0) << ir::to_text(g);
  }
}

}  // namespace
}  // namespace edgeq::passes
