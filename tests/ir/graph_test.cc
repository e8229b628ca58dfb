#include "ir/graph.h"

#include <gtest/gtest.h>

namespace edgeq::ir {
namespace {

Graph tiny() {
  Graph g;
  g.name = "tiny";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, {Dim(1), Dim(8)});
  g.add_initializer("w", Tensor(DType::kFloat32, {8, 4}));
  // Out of order on purpose: the Relu reads the MatMul's output.
  g.add_node("Relu", {"m"}, {"y"}, "relu0");
  g.add_node("MatMul", {"x", "w"}, {"m"}, "mm0");
  g.outputs.push_back("y");
  return g;
}

TEST(Graph, TopologicalSortOrdersProducersFirst) {
  Graph g = tiny();
  EXPECT_FALSE(verify(g).ok());
  ASSERT_TRUE(g.topological_sort().ok());
  EXPECT_EQ(g.nodes[0].op_type, "MatMul");
  EXPECT_EQ(g.nodes[1].op_type, "Relu");
  EXPECT_TRUE(verify(g).ok());
  EXPECT_EQ(g.producer_index("m"), 0);
  EXPECT_EQ(g.consumer_indices("m"), std::vector<int>{1});
  EXPECT_EQ(g.parameter_count(), 32);
}

TEST(Graph, SortRejectsUndefinedInputAndCycle) {
  Graph g = tiny();
  g.add_node("Add", {"y", "nowhere"}, {"z"}, "add0");
  Status s = g.topological_sort();
  EXPECT_NE(s.message().find("nowhere"), std::string::npos) << s.message();

  Graph c;
  c.opset_imports[""] = 13;
  c.add_node("Relu", {"b"}, {"a"}, "r1");
  c.add_node("Relu", {"a"}, {"b"}, "r2");
  EXPECT_NE(c.topological_sort().message().find("cycle"), std::string::npos);
}

TEST(Graph, VerifyRejectsDuplicateDefinitions) {
  Graph g = tiny();
  ASSERT_TRUE(g.topological_sort().ok());
  g.add_node("Relu", {"x"}, {"y"}, "relu1");
  EXPECT_NE(verify(g).message().find("defined twice"), std::string::npos);
}

TEST(Graph, TextForm) {
  Graph g = tiny();
  ASSERT_TRUE(g.topological_sort().ok());
  g.values["m"] = {DType::kFloat32, Shape{Dim(1), Dim(4)}, std::nullopt};
  g.values["y"] = {DType::kFloat32, Shape{Dim("batch"), Dim(4)}, std::nullopt};
  g.nodes[1].attrs.set("alpha", std::vector<int64_t>{1, 2});
  EXPECT_EQ(to_text(g),
            "graph tiny opset=13\n"
            "  input %x: f32[1,8]\n"
            "  init %w: f32[8,4]\n"
            "  %m = MatMul(%x, %w) name=mm0 : f32[1,4]\n"
            "  %y = Relu(%m) {alpha=[1,2]} name=relu0 : f32[batch,4]\n"
            "  output %y\n");
}

}  // namespace
}  // namespace edgeq::ir
