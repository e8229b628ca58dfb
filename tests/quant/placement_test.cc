#include <gtest/gtest.h>

#include <random>

#include "quant/quantize.h"
#include "tests/quant/quant_test_util.h"

namespace edgeq::quant {
namespace {

const ir::Node& node(const ir::Graph& g, const std::string& name) {
  for (const auto& n : g.nodes)
    if (n.name == name) return n;
  ADD_FAILURE() << "no node " << name;
  return g.nodes.front();
}

ir::Graph placement_graph() {
  std::mt19937 rng(7);
  ir::Graph g;
  g.name = "placement";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 4, 8, 8}));
  g.add_input("v", DType::kFloat32, ir::make_shape({1, 4, 4, 8, 8}));
  g.add_input("a", DType::kFloat32, ir::make_shape({2, 16}));
  g.add_input("bm", DType::kFloat32, ir::make_shape({16, 4}));
  g.add_initializer("w2", test::random_tensor({4, 4, 3, 3}, rng));
  g.add_initializer("w3", test::random_tensor({4, 4, 1, 1, 1}, rng));
  g.add_initializer("wm", test::random_tensor({16, 4}, rng));
  g.add_node("Conv", {"x", "w2"}, {"c2"}, "conv2d").attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node("Conv", {"v", "w3"}, {"c3"}, "conv3d");
  g.add_node("Conv", {"x", "c2"}, {"cdyn"}, "conv_dynamic_weights");
  g.add_node("MatMul", {"a", "wm"}, {"m1"}, "matmul_const");
  g.add_node("MatMul", {"a", "bm"}, {"m2"}, "matmul_dynamic");
  g.add_node("Softmax", {"m1"}, {"sm"}, "softmax");
  g.add_node("Relu", {"c2"}, {"r"}, "relu");
  g.add_node("Sigmoid", {"r"}, {"s"}, "forced");
  g.add_node("Add", {"r", "x"}, {"sum"}, "add");
  g.add_node("Erf", {"sum"}, {"e"}, "erf");
  ir::Node& rs = g.add_node("Resize", {"x", "", "rscales"}, {"up"}, "resize_cubic");
  rs.attrs.set("mode", std::string("cubic"));
  g.add_initializer("rscales", Tensor::from_vector<float>({4}, {1, 1, 2, 2}));
  ir::Node& rn = g.add_node("Resize", {"x", "", "rscales"}, {"up2"}, "resize_nearest");
  rn.attrs.set("mode", std::string("nearest"));
  g.add_node("MaxPool", {"x"}, {"mp"}, "maxpool").attrs.set("kernel_shape", std::vector<int64_t>{2, 2});
  g.add_node("Shape", {"x"}, {"shape"}, "shape");
  g.add_node("Reshape", {"x", "shape"}, {"xr"}, "reshape");
  g.outputs = {"c3", "cdyn", "m2", "sm", "s", "e", "up", "up2", "mp", "xr"};
  EXPECT_TRUE(g.topological_sort().ok());
  for (const char* v : {"c2", "c3", "cdyn", "m1", "m2", "sm", "r", "s", "sum", "e", "up", "up2", "mp", "xr"})
    g.values[v].dtype = DType::kFloat32;
  g.values["shape"].dtype = DType::kInt64;
  return g;
}

TEST(Placement, AcceleratorWhenTheInt8PathSupportsTheOp) {
  ir::Graph g = placement_graph();
  QuantizeOptions options;
  options.cpu_nodes = {"forced"};
  ASSERT_TRUE(annotate_placement(g, options).ok());
  struct Want {
    const char* node;
    ir::Placement placement;
    const char* reason;
  };
  const Want wants[] = {
      {"conv2d", ir::Placement::kAccelerator, "int8 conv"},
      {"conv3d", ir::Placement::kCpu, "3-D conv"},
      {"conv_dynamic_weights", ir::Placement::kCpu, "non-constant weights"},
      {"matmul_const", ir::Placement::kAccelerator, "int8 matmul"},
      {"matmul_dynamic", ir::Placement::kCpu, "non-constant weights"},
      {"softmax", ir::Placement::kCpu, "op not on the int8 path"},
      {"relu", ir::Placement::kAccelerator, "int8 Relu"},
      {"forced", ir::Placement::kCpu, "forced to CPU by node options"},
      {"add", ir::Placement::kAccelerator, "int8 Add"},
      {"erf", ir::Placement::kCpu, "op not on the int8 path"},
      {"resize_cubic", ir::Placement::kCpu, "cubic resize"},
      {"resize_nearest", ir::Placement::kAccelerator, "int8 Resize"},
      {"maxpool", ir::Placement::kAccelerator, "int8 MaxPool"},
      {"shape", ir::Placement::kCpu, "op not on the int8 path"},
      {"reshape", ir::Placement::kAccelerator, "int8 data movement"},
  };
  for (const Want& w : wants) {
    const ir::Node& n = node(g, w.node);
    EXPECT_EQ(n.placement, w.placement) << w.node << ": " << n.placement_reason;
    EXPECT_EQ(n.placement_reason, w.reason) << w.node;
  }
}

TEST(Placement, QuantizedGraphKeepsPlacementsAndLeavesCpuNodesFloat) {
  ir::Graph g = placement_graph();
  // Keep only the parts our interpreter runs for calibration.
  auto feeds = test::random_feeds(g, 2, 3);
  RangeTable ranges = test::max_ranges(g, feeds);
  QuantizeOptions options;
  options.cpu_nodes = {"forced"};
  auto q = quantize(g, ranges, options);
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(node(*q, "conv3d").placement, ir::Placement::kCpu);
  EXPECT_EQ(node(*q, "conv2d").placement, ir::Placement::kAccelerator);
  // The 3-D conv keeps its float weight; the 2-D conv reads an int8 weight through DQ.
  EXPECT_EQ(node(*q, "conv3d").inputs[1], "w3");
  EXPECT_EQ(q->initializers.at("w3").dtype(), DType::kFloat32);
  const int p = q->producer_index(node(*q, "conv2d").inputs[1]);
  ASSERT_GE(p, 0);
  EXPECT_EQ(q->nodes[static_cast<size_t>(p)].op_type, "DequantizeLinear");
  EXPECT_EQ(q->initializers.at(q->nodes[static_cast<size_t>(p)].inputs[0]).dtype(), DType::kInt8);
  // The forced Sigmoid reads the Relu's dequantized output and writes float.
  EXPECT_FALSE(q->values.at("s").quant.has_value());
  EXPECT_EQ(q->producer_index("s") >= 0 ? q->nodes[static_cast<size_t>(q->producer_index("s"))].op_type : "", "Sigmoid");
  // The Shape → Reshape chain: the int64 shape is never quantized.
  EXPECT_EQ(q->values.at("shape").dtype, DType::kInt64);
  EXPECT_FALSE(q->values.at("shape").quant.has_value());
}

}  // namespace
}  // namespace edgeq::quant
