#include "passes/rewrite_util.h"

#include "pass_testing.h"

namespace edgeq::passes {
namespace {

const char kChain[] = R"(
graph g opset=13
  input %x: f32[2]
  init %w: f32[2] = [1, 2]
  init %k: f32[] = [0.5]
  %a = Add(%x, %w) name=add : f32[2]
  %b = Identity(%a) name=id : f32[2]
  %c = Mul(%b, %b) name=mul : f32[2]
  %d = Relu(%b) name=relu : f32[2]
  output %c
  output %d
)";

TEST(RewriteUtil, IndexProducersConsumersAndUses) {
  ir::Graph g = testing::parse(kChain);
  GraphIndex index(g);
  EXPECT_EQ(index.producer("a"), 0);
  EXPECT_EQ(index.producer("x"), -1);
  EXPECT_EQ(index.producer("w"), -1);
  EXPECT_EQ(index.consumers("b"), (std::vector<int>{2, 3}));  // Mul reads it twice, listed once
  EXPECT_TRUE(index.has_single_consumer("a"));
  EXPECT_FALSE(index.has_single_consumer("c"));  // a graph output
  EXPECT_EQ(index.use_count("c"), 1u);
  EXPECT_TRUE(index.is_unused("k"));

  set_input(g, index, 3, 0, "a");
  EXPECT_EQ(g.nodes[3].inputs[0], "a");
  EXPECT_EQ(index.consumers("a"), (std::vector<int>{1, 3}));
  EXPECT_EQ(index.consumers("b"), (std::vector<int>{2}));
}

TEST(RewriteUtil, ReplaceValueRewiresReaders) {
  ir::Graph g = testing::parse(kChain);
  GraphIndex index(g);
  std::vector<bool> dead;
  ASSERT_TRUE(replace_value(g, index, "b", "a"));
  mark_dead(g, index, dead, 1);
  erase_nodes(g, dead);
  EXPECT_EQ(ir::to_text(g),
            "graph g opset=13\n"
            "  input %x: f32[2]\n"
            "  init %k: f32[]\n"
            "  init %w: f32[2]\n"
            "  %a = Add(%x, %w) name=add : f32[2]\n"
            "  %c = Mul(%a, %a) name=mul : f32[2]\n"
            "  %d = Relu(%a) name=relu : f32[2]\n"
            "  output %c\n"
            "  output %d\n");
  EXPECT_EQ(g.values.count("b"), 0u);
  EXPECT_EQ(index.consumers("a"), (std::vector<int>{2, 3}));  // indices before erasing
}

TEST(RewriteUtil, ReplaceValueKeepsGraphOutputNames) {
  ir::Graph g = testing::parse(R"(
graph g opset=13
  input %x: f32[2]
  init %w: f32[2] = [1, 2]
  %a = Add(%x, %w) name=add : f32[2]
  %y = Identity(%a) name=id : f32[2]
  %z = Identity(%w) name=idw : f32[2]
  %v = Identity(%x) name=idx : f32[2]
  %u = Relu(%a) name=relu : f32[2]
  output %y
  output %z
  output %v
  output %u
)");
  GraphIndex index(g);
  std::vector<bool> dead(g.nodes.size());
  ASSERT_TRUE(replace_value(g, index, "y", "a"));  // Add renamed to y; Relu reads y
  mark_dead(g, index, dead, 1);
  ASSERT_TRUE(replace_value(g, index, "z", "w"));  // the initializer is renamed
  mark_dead(g, index, dead, 2);
  EXPECT_FALSE(replace_value(g, index, "v", "x"));  // a graph input keeps its name
  erase_nodes(g, dead);
  EXPECT_EQ(ir::to_text(g),
            "graph g opset=13\n"
            "  input %x: f32[2]\n"
            "  init %z: f32[2]\n"
            "  %y = Add(%x, %z) name=add : f32[2]\n"
            "  %v = Identity(%x) name=idx : f32[2]\n"
            "  %u = Relu(%y) name=relu : f32[2]\n"
            "  output %y\n"
            "  output %z\n"
            "  output %v\n"
            "  output %u\n");
  EXPECT_TRUE(ir::verify(g).ok());
  EXPECT_EQ(index.producer("y"), 0);
  EXPECT_EQ(index.producer("a"), -1);
}

TEST(RewriteUtil, NamesInitializersAndConstants) {
  ir::Graph g = testing::parse(kChain);
  NameGenerator names(g);
  EXPECT_EQ(names.value("a"), "a_1");
  EXPECT_EQ(names.value("a"), "a_2");
  EXPECT_EQ(names.value("fresh"), "fresh");
  EXPECT_EQ(names.node("add"), "add_1");
  EXPECT_EQ(names.node("new"), "new");
  std::string w = add_initializer(g, names, "w", Tensor::from_vector<float>({3}, {1, 2, 3}));
  EXPECT_EQ(w, "w_1");
  EXPECT_EQ(g.values.at("w_1").shape, ir::make_shape({3}));
  EXPECT_EQ(constant_scalar(g, "k"), 0.5);
  EXPECT_FALSE(constant_scalar(g, "w").has_value());  // two elements
  EXPECT_FALSE(constant_scalar(g, "a").has_value());  // not constant
  EXPECT_EQ(static_shape(g, "a"), (Dims{2}));
  EXPECT_EQ(constant_value(g, "x"), nullptr);
  copy_value_info(g, "a", "q");
  EXPECT_EQ(static_shape(g, "q"), (Dims{2}));

  Tensor shared = g.initializers.at("w");
  Tensor* editable = writable_initializer(g, "w");
  ASSERT_NE(editable, nullptr);
  editable->data<float>()[0] = 9;
  EXPECT_FLOAT_EQ(shared.data<float>()[0], 1.0f);  // the earlier copy is untouched
  EXPECT_FLOAT_EQ(g.initializers.at("w").data<float>()[0], 9.0f);
  EXPECT_EQ(writable_initializer(g, "x"), nullptr);

  remove_unused_initializers(g);
  EXPECT_EQ(g.initializers.count("k"), 0u);
  EXPECT_EQ(g.initializers.count("w_1"), 0u);
  EXPECT_EQ(g.values.count("k"), 0u);
  EXPECT_EQ(g.initializers.count("w"), 1u);
}

TEST(RewriteUtil, RemoveDeadNodesCountsWhatItRemoved) {
  ir::Graph g = testing::parse(kChain);
  g.outputs = {"c"};
  EXPECT_EQ(remove_dead_nodes(g), 1u);  // the Relu
  EXPECT_EQ(g.values.count("d"), 0u);
  EXPECT_EQ(g.initializers.count("k"), 0u);
  EXPECT_TRUE(ir::verify(g).ok());
}

}  // namespace
}  // namespace edgeq::passes
