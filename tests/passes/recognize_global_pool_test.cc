#include "fusion_testing.h"

namespace edgeq::passes {
namespace {

using testing::apply_pass;
using testing::count_op;
using testing::find_op;

TEST(RecognizeGlobalPool, KeepDims) {
  ir::Graph g = apply_pass(recognize_global_pool, R"(graph g opset=13
  input %x: f32[2,5,7,6]
  %y = ReduceMean(%x) {axes=[2, 3], keepdims=1} name=mean : f32[2,5,1,1]
  output %y
)");
  ASSERT_EQ(g.nodes.size(), 1u) << ir::to_text(g);
  EXPECT_EQ(g.nodes[0].op_type, "GlobalAveragePool");
  EXPECT_EQ(g.nodes[0].inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g.nodes[0].outputs, std::vector<std::string>{"y"});
}

// x.mean([2, 3]) as PyTorch exports it: keepdims 0, then [N, C] through a Flatten that keeps
// the output's name; negative axes and axes as an input (opset 18) too.
TEST(RecognizeGlobalPool, DropDimsAndAxisSpellings) {
  const char* graphs[] = {
      R"(graph g opset=13
  input %x: f32[2,5,7,6]
  %y = ReduceMean(%x) {axes=[3, 2], keepdims=0} : f32[2,5]
  output %y
)",
      R"(graph g opset=13
  input %x: f32[2,5,7,6]
  %y = ReduceMean(%x) {axes=[-2, -1], keepdims=0} : f32[2,5]
  output %y
)",
      R"(graph g opset=18
  input %x: f32[2,5,7,6]
  init %axes: i64[2] = [2, 3]
  %y = ReduceMean(%x, %axes) {keepdims=0} : f32[2,5]
  output %y
)"};
  for (const char* text : graphs) {
    SCOPED_TRACE(text);
    ir::Graph g = apply_pass(recognize_global_pool, text);
    EXPECT_EQ(count_op(g, "ReduceMean"), 0) << ir::to_text(g);
    EXPECT_EQ(count_op(g, "GlobalAveragePool"), 1) << ir::to_text(g);
    const ir::Node* flat = find_op(g, "Flatten");
    ASSERT_NE(flat, nullptr) << ir::to_text(g);
    EXPECT_EQ(flat->outputs, std::vector<std::string>{"y"});
    EXPECT_EQ(flat->attrs.get_int("axis", 0), 1);
    EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  }
}

TEST(RecognizeGlobalPool, LeavesOtherReductions) {
  const char* graphs[] = {
      // over channels
      "%y = ReduceMean(%x) {axes=[1], keepdims=1} : f32[2,1,7,6]\n",
      // over C, H and W
      "%y = ReduceMean(%x) {axes=[1, 2, 3], keepdims=1} : f32[2,1,1,1]\n",
      // over every axis (no axes)
      "%y = ReduceMean(%x) {keepdims=0} : f32[]\n",
      // one spatial axis
      "%y = ReduceMean(%x) {axes=[3], keepdims=1} : f32[2,5,7,1]\n",
  };
  for (const char* body : graphs) {
    SCOPED_TRACE(body);
    ir::Graph g = apply_pass(recognize_global_pool, std::string("graph g opset=13\n  input %x: f32[2,5,7,6]\n  ") +
                                                        body + "  output %y\n");
    EXPECT_EQ(count_op(g, "ReduceMean"), 1) << ir::to_text(g);
    EXPECT_EQ(count_op(g, "GlobalAveragePool"), 0) << ir::to_text(g);
  }
  // Axes 2 and 3 of a 3-D tensor are not H and W.
  ir::Graph g = apply_pass(recognize_global_pool, R"(graph g opset=13
  input %x: f32[5,7,6]
  %y = ReduceMean(%x) {axes=[1, 2], keepdims=1} : f32[5,1,1]
  output %y
)");
  EXPECT_EQ(count_op(g, "ReduceMean"), 1);
}

}  // namespace
}  // namespace edgeq::passes
