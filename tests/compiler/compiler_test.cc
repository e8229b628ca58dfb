// compile() on small hand-written graphs, quantized with max ranges from random inputs:
// the lowered ops, their tensors and params, segments, the fast-perf head/tail cut,
// layouts per optimization level and the memory plan.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "compiler/compiler.h"
#include "exec/interpreter.h"
#include "format/bin.h"
#include "kernels/int8/qops.h"
#include "quant/quantize.h"
#include "tests/compiler/program_check.h"
#include "tests/compiler/program_eval.h"
#include "tests/quant/quant_test_util.h"

namespace edgeq::compiler {
namespace {

using format::Layout;
using format::Placement;
using quant::test::random_tensor;

ir::ValueInfo fvalue(Dims d) { return ir::ValueInfo{DType::kFloat32, ir::make_shape(d), std::nullopt}; }

ir::Graph quantized(const ir::Graph& g) {
  auto cal = quant::test::random_feeds(g, 4, 11);
  auto q = quant::quantize(g, quant::test::max_ranges(g, cal), {});
  EXPECT_TRUE(q.ok()) << q.status().to_string();
  return q.ok() ? std::move(*q) : ir::Graph{};
}

using test::compiled;

std::vector<std::string> op_types(const format::Program& p) {
  std::vector<std::string> t;
  for (const auto& op : p.ops) t.push_back(op.type);
  return t;
}

const format::TensorDesc& tensor(const format::Program& p, int i) { return p.tensors[static_cast<size_t>(i)]; }

format::Quant params_of(const ir::Graph& q, const std::string& value) {
  const ir::QuantParams& qp = *q.values.at(value).quant;
  return {qp.scale, qp.zero_point, -1};
}

// The QuantizeLinear output of a float value (the u8 tensor an int8 op writes).
std::string q_output(const ir::Graph& q, const std::string& value) {
  for (int c : q.consumer_indices(value))
    if (q.nodes[static_cast<size_t>(c)].op_type == "QuantizeLinear") return q.nodes[static_cast<size_t>(c)].outputs[0];
  ADD_FAILURE() << value << " has no QuantizeLinear";
  return {};
}

ir::Graph conv_relu_graph() {
  std::mt19937 rng(1);
  ir::Graph g;
  g.name = "conv_relu";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 3, 8, 8}));
  g.add_initializer("w", random_tensor({4, 3, 3, 3}, rng, 0.3f));
  g.add_initializer("b", random_tensor({4}, rng, 0.1f));
  g.add_node("Conv", {"x", "w", "b"}, {"c"}, "conv").attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node("Relu", {"c"}, {"y"}, "relu");
  g.outputs = {"y"};
  g.values["c"] = g.values["y"] = fvalue({1, 4, 8, 8});
  return g;
}

TEST(Compile, ConvReluBecomesOneQConvBetweenQuantizeAndDequantize) {
  ir::Graph q = quantized(conv_relu_graph());
  format::Program p = compiled(q, 0, false);
  EXPECT_EQ(op_types(p), (std::vector<std::string>{"Quantize", "QConv", "Dequantize"}));
  ASSERT_EQ(p.segments.size(), 1u);
  EXPECT_EQ(p.segments[0].placement, Placement::kAccelerator);
  const format::Op& conv = p.ops[1];
  EXPECT_EQ(conv.source_nodes.front(), "conv");
  ASSERT_EQ(conv.inputs.size(), 3u);
  const auto& x = tensor(p, conv.inputs[0]);
  const auto& w = tensor(p, conv.inputs[1]);
  const auto& b = tensor(p, conv.inputs[2]);
  const auto& y = tensor(p, conv.outputs[0]);
  EXPECT_EQ(x.dtype, DType::kUInt8);
  EXPECT_EQ(x.quant->scale, params_of(q, q_output(q, "x")).scale);
  EXPECT_TRUE(w.is_constant);
  EXPECT_EQ(w.dtype, DType::kInt8);
  EXPECT_EQ(w.shape, (Dims{4, 3, 3, 3}));
  ASSERT_TRUE(w.quant.has_value());
  EXPECT_EQ(w.quant->scale.size(), 4u);
  EXPECT_EQ(w.quant->axis, 0);
  EXPECT_EQ(b.dtype, DType::kInt32);
  EXPECT_EQ(b.shape, (Dims{4}));
  // The absorbed Relu: the conv writes the u8 tensor of y with y's params (zero point 0).
  EXPECT_EQ(y.name, q_output(q, "y_QuantizeLinear_Input"));
  EXPECT_EQ(y.quant->zero_point, std::vector<int32_t>{0});
  EXPECT_EQ(conv.attrs.get_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(conv.attrs.get_ints("strides"), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(conv.attrs.get_int("group"), 1);
  // Float I/O, plain layouts, no reuse at O0.
  EXPECT_EQ(tensor(p, p.inputs[0].tensor).dtype, DType::kFloat32);
  EXPECT_EQ(tensor(p, p.outputs[0].tensor).dtype, DType::kFloat32);
  EXPECT_EQ(p.outputs[0].source_name, "y");
  for (const auto& t : p.tensors) EXPECT_EQ(t.layout, Layout::kPlain) << t.name;
  EXPECT_EQ(std::to_string(p.arena_bytes), p.metadata.at("arena_no_reuse_bytes"));
}

TEST(Compile, O1PutsNhwcBetweenReorders) {
  ir::Graph q = quantized(conv_relu_graph());
  format::Program p = compiled(q, 1, false);
  EXPECT_EQ(op_types(p), (std::vector<std::string>{"Quantize", "Reorder", "QConv", "Reorder", "Dequantize"}));
  EXPECT_EQ(p.ops[1].attrs.get_string("to_layout"), "NHWC");
  EXPECT_EQ(p.ops[3].attrs.get_string("to_layout"), "NCHW");
  EXPECT_EQ(tensor(p, p.ops[2].inputs[0]).layout, Layout::kNHWC);
  EXPECT_EQ(tensor(p, p.ops[2].outputs[0]).layout, Layout::kNHWC);
  EXPECT_EQ(tensor(p, p.ops[2].inputs[1]).layout, Layout::kPlain);  // weights keep [O, I, kH, kW]
  EXPECT_EQ(tensor(p, p.ops[4].inputs[0]).layout, Layout::kPlain);
}

TEST(Compile, FastPerfCutsQuantizeAndDequantize) {
  ir::Graph q = quantized(conv_relu_graph());
  format::Program p = compiled(q, 3, true);
  EXPECT_EQ(op_types(p), std::vector<std::string>{"QConv"});
  ASSERT_EQ(p.inputs.size(), 1u);
  const auto& in = tensor(p, p.inputs[0].tensor);
  EXPECT_EQ(in.dtype, DType::kUInt8);
  EXPECT_EQ(in.layout, Layout::kNHWC);
  EXPECT_EQ(in.shape, (Dims{1, 3, 8, 8}));  // logical shape stays NCHW
  EXPECT_EQ(in.quant->scale, params_of(q, q_output(q, "x")).scale);
  EXPECT_EQ(p.inputs[0].source_name, "x");
  EXPECT_EQ(p.inputs[0].removed_ops, std::vector<std::string>{"QuantizeLinear"});
  const auto& out = tensor(p, p.outputs[0].tensor);
  EXPECT_EQ(out.dtype, DType::kUInt8);
  EXPECT_EQ(out.layout, Layout::kNHWC);
  EXPECT_EQ(p.outputs[0].removed_ops, std::vector<std::string>{"DequantizeLinear"});
  EXPECT_EQ(p.outputs[0].source_name, "y");
  const Summary s = summarize(p);
  EXPECT_EQ(s.removed_head, std::vector<std::string>{"x: QuantizeLinear"});
  EXPECT_EQ(s.removed_tail, std::vector<std::string>{"y: DequantizeLinear"});
  // The report names the cut nodes.
  const nlohmann::json r = subgraphs_json(q, p);
  int removed = 0;
  for (const auto& n : r["nodes"]) removed += n["fate"] == "removed at head" || n["fate"] == "removed at tail";
  EXPECT_EQ(removed, 2);
}

// x → conv1 (+Relu) → a;  a + x → y: the residual Add reads both u8 tensors directly.
TEST(Compile, ResidualAddReadsTheU8TensorsDirectly) {
  std::mt19937 rng(2);
  ir::Graph g;
  g.name = "residual";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 4, 6, 6}));
  g.add_initializer("w", random_tensor({4, 4, 1, 1}, rng, 0.5f));
  g.add_node("Conv", {"x", "w"}, {"c"}, "conv");
  g.add_node("Relu", {"c"}, {"a"}, "relu");
  g.add_node("Add", {"a", "x"}, {"y"}, "add");
  g.outputs = {"y"};
  g.values["c"] = g.values["a"] = g.values["y"] = fvalue({1, 4, 6, 6});
  ir::Graph q = quantized(g);
  // O1 keeps the add an op of its own.
  format::Program p = compiled(q, 1, true);
  EXPECT_EQ(op_types(p), (std::vector<std::string>{"QConv", "QAdd"}));
  const format::Op& add = p.ops[1];
  EXPECT_EQ(add.inputs[0], p.ops[0].outputs[0]);
  EXPECT_EQ(add.inputs[1], p.inputs[0].tensor);
  EXPECT_EQ(tensor(p, add.outputs[0]).quant->scale, params_of(q, q_output(q, "y_QuantizeLinear_Input")).scale);
  const auto conv_params = tensor(p, p.ops[0].outputs[0]).quant;
  // The Q→DQ pair between conv and add is gone: its nodes are reported as elided.
  const nlohmann::json r = subgraphs_json(q, p);
  int elided = 0;
  for (const auto& n : r["nodes"]) elided += n["fate"] == "elided";
  EXPECT_EQ(elided, 2);

  // O3 folds the add into the conv: residual x (a model input, so not overwritten), the
  // conv result's params as attributes, both source nodes, the same report.
  format::Program f = compiled(q, 3, true);
  EXPECT_EQ(op_types(f), (std::vector<std::string>{"QConv"}));
  const format::Op& conv = f.ops[0];
  ASSERT_EQ(conv.inputs.size(), 4u);
  EXPECT_EQ(conv.inputs[3], f.inputs[0].tensor);
  EXPECT_EQ(conv.outputs[0], f.outputs[0].tensor);
  EXPECT_NE(tensor(f, conv.outputs[0]).arena_offset, tensor(f, conv.inputs[3]).arena_offset);
  EXPECT_EQ(conv.attrs.get_float("conv_scale"), conv_params->scale[0]);
  EXPECT_EQ(conv.attrs.get_int("conv_zero_point", -1), conv_params->zero_point[0]);
  EXPECT_EQ(conv.attrs.get_int("residual_first", -1), 0);
  EXPECT_NE(std::find(conv.source_nodes.begin(), conv.source_nodes.end(), "conv"), conv.source_nodes.end());
  EXPECT_NE(std::find(conv.source_nodes.begin(), conv.source_nodes.end(), "add"), conv.source_nodes.end());
  EXPECT_TRUE(format::validate(f).ok()) << format::validate(f).message();
  const nlohmann::json rf = subgraphs_json(q, f);
  int elided_f = 0;
  for (const auto& n : rf["nodes"]) elided_f += n["fate"] == "elided";
  EXPECT_EQ(elided_f, 2);
  EXPECT_EQ(rf["nodes"].size(), r["nodes"].size());
}

ir::Graph gemm_graph(const std::string& op, bool trans_b) {
  std::mt19937 rng(3);
  ir::Graph g;
  g.name = "gemm";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({2, 16}));
  g.add_initializer("w", random_tensor(trans_b ? Dims{8, 16} : Dims{16, 8}, rng, 0.3f));
  if (op == "Gemm") {
    g.add_initializer("b", random_tensor({8}, rng, 0.1f));
    g.add_node("Gemm", {"x", "w", "b"}, {"y"}, "fc").attrs.set("transB", int64_t{trans_b ? 1 : 0});
  } else {
    g.add_node("MatMul", {"x", "w"}, {"y"}, "fc");
  }
  g.outputs = {"y"};
  g.values["y"] = fvalue({2, 8});
  return g;
}

TEST(Compile, GemmAndMatMulStoreWeightsAsNByK) {
  for (auto [op, trans_b] : {std::pair{"Gemm", true}, std::pair{"Gemm", false}, std::pair{"MatMul", false}}) {
    SCOPED_TRACE(std::string(op) + (trans_b ? " transB" : ""));
    ir::Graph q = quantized(gemm_graph(op, trans_b));
    format::Program p = compiled(q, 2, false);
    const auto gemms = test::ops_of_type(p, "QGemm");
    ASSERT_EQ(gemms.size(), 1u);
    const format::Op& fc = *gemms[0];
    EXPECT_EQ(fc.attrs.get_string("source_op"), op);
    const auto& w = tensor(p, fc.inputs[1]);
    EXPECT_EQ(w.shape, (Dims{8, 16}));
    EXPECT_EQ(w.quant->axis, 0);
    EXPECT_EQ(w.quant->scale.size(), 8u);
    // Element (n, k) of the stored weight is the quantized graph's w[n][k] or w[k][n].
    const ir::Node& node = *std::find_if(q.nodes.begin(), q.nodes.end(), [&](const ir::Node& n) { return n.name == "fc"; });
    const ir::Node& dq = q.nodes[static_cast<size_t>(q.producer_index(node.inputs[1]))];
    const Tensor& wq = q.initializers.at(dq.inputs[0]);
    for (int64_t n = 0; n < 8; ++n)
      for (int64_t k = 0; k < 16; ++k) {
        const int8_t expect = trans_b ? wq.data<int8_t>()[n * 16 + k] : wq.data<int8_t>()[k * 8 + n];
        ASSERT_EQ(static_cast<int8_t>(w.data[static_cast<size_t>(n * 16 + k)]), expect) << n << "," << k;
      }
    EXPECT_EQ(fc.inputs[2] >= 0, std::string(op) == "Gemm");
  }
}

// conv → Softmax (CPU) → conv: three segments, Dequantize/Quantize at the boundaries,
// Reorders around them at O1+.
TEST(Compile, CpuOpInTheMiddleSplitsTheSegments) {
  std::mt19937 rng(5);
  ir::Graph g;
  g.name = "cpu_middle";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 3, 5, 5}));
  g.add_initializer("w1", random_tensor({4, 3, 3, 3}, rng, 0.3f));
  g.add_initializer("w2", random_tensor({2, 4, 1, 1}, rng, 0.3f));
  g.add_node("Conv", {"x", "w1"}, {"c1"}, "conv1").attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node("Softmax", {"c1"}, {"s"}, "softmax").attrs.set("axis", int64_t{1});
  g.add_node("Conv", {"s", "w2"}, {"y"}, "conv2");
  g.outputs = {"y"};
  g.values["c1"] = g.values["s"] = fvalue({1, 4, 5, 5});
  g.values["y"] = fvalue({1, 2, 5, 5});
  ir::Graph q = quantized(g);
  format::Program p0 = compiled(q, 0, false);
  EXPECT_EQ(op_types(p0), (std::vector<std::string>{"Quantize", "QConv", "Dequantize", "Softmax", "Quantize", "QConv",
                                                     "Dequantize"}));
  ASSERT_EQ(p0.segments.size(), 3u);
  EXPECT_EQ(p0.segments[1].placement, Placement::kCpu);
  EXPECT_EQ(p0.segments[1].num_ops, 1);
  EXPECT_EQ(p0.ops[3].attrs.get_int("axis"), 1);
  EXPECT_EQ(tensor(p0, p0.ops[3].inputs[0]).dtype, DType::kFloat32);

  format::Program p3 = compiled(q, 3, true);
  EXPECT_EQ(op_types(p3), (std::vector<std::string>{"QConv", "Reorder", "Dequantize", "Softmax", "Quantize", "Reorder",
                                                     "QConv"}));
  EXPECT_EQ(p3.segments.size(), 3u);
  EXPECT_EQ(tensor(p3, p3.ops[3].inputs[0]).layout, Layout::kPlain);
  EXPECT_EQ(tensor(p3, p3.outputs[0].tensor).layout, Layout::kNHWC);
}

// Two convs → MaxPool / Slice → Concat → Sigmoid: QConcat reads both u8 tensors, the
// Sigmoid is a QLut whose table is the float Sigmoid requantized.
TEST(Compile, ConcatAndLookupTable) {
  std::mt19937 rng(4);
  ir::Graph g;
  g.name = "concat";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 2, 8, 8}));
  g.add_initializer("w1", random_tensor({3, 2, 1, 1}, rng));
  g.add_initializer("w2", random_tensor({3, 2, 1, 1}, rng, 3.0f));
  g.add_node("Conv", {"x", "w1"}, {"c1"}, "conv1");
  g.add_node("Conv", {"x", "w2"}, {"c2"}, "conv2");
  ir::Node& mp = g.add_node("MaxPool", {"c1"}, {"p"}, "pool");
  mp.attrs.set("kernel_shape", std::vector<int64_t>{2, 2});
  mp.attrs.set("strides", std::vector<int64_t>{1, 1});
  g.add_initializer("starts", Tensor::from_vector<int64_t>({2}, {0, 0}));
  g.add_initializer("ends", Tensor::from_vector<int64_t>({2}, {7, 7}));
  g.add_initializer("axes", Tensor::from_vector<int64_t>({2}, {2, 3}));
  g.add_node("Slice", {"c2", "starts", "ends", "axes"}, {"c2s"}, "slice");
  g.add_node("Concat", {"p", "c2s"}, {"cat"}, "concat").attrs.set("axis", int64_t{-3});
  g.add_node("Sigmoid", {"cat"}, {"y"}, "sigmoid");
  g.outputs = {"y"};
  g.values["c1"] = g.values["c2"] = fvalue({1, 3, 8, 8});
  g.values["p"] = g.values["c2s"] = fvalue({1, 3, 7, 7});
  g.values["cat"] = g.values["y"] = fvalue({1, 6, 7, 7});
  ir::Graph q = quantized(g);
  format::Program p = compiled(q, 3, true);
  const auto concat = test::ops_of_type(p, "QConcat");
  ASSERT_EQ(concat.size(), 1u);
  EXPECT_EQ(concat[0]->attrs.get_int("axis"), 1);
  ASSERT_EQ(concat[0]->inputs.size(), 2u);
  EXPECT_EQ(tensor(p, concat[0]->inputs[0]).layout, Layout::kNHWC);  // MaxPool output
  EXPECT_EQ(tensor(p, concat[0]->inputs[1]).layout, Layout::kNHWC);  // Slice output, reordered
  const auto slice = test::ops_of_type(p, "Slice");
  ASSERT_EQ(slice.size(), 1u);
  EXPECT_EQ(tensor(p, slice[0]->inputs[0]).layout, Layout::kPlain);
  for (size_t i = 1; i < slice[0]->inputs.size(); ++i) EXPECT_TRUE(tensor(p, slice[0]->inputs[i]).is_constant);
  EXPECT_EQ(test::ops_of_type(p, "Reorder").size(), 2u);  // conv2 → Slice, Slice → Concat

  const auto lut = test::ops_of_type(p, "QLut");
  ASSERT_EQ(lut.size(), 1u);
  EXPECT_EQ(lut[0]->attrs.get_string("source_op"), "Sigmoid");
  const auto& x = tensor(p, lut[0]->inputs[0]);
  const auto& y = tensor(p, lut[0]->outputs[0]);
  const auto& table = tensor(p, lut[0]->inputs[1]);
  ASSERT_EQ(table.shape, Dims{256});
  const kernels::int8::QParam xp{x.quant->scale[0], x.quant->zero_point[0]}, yp{y.quant->scale[0], y.quant->zero_point[0]};
  for (int v = 0; v < 256; ++v) {
    const float real = kernels::int8::dequantize(static_cast<uint8_t>(v), xp);
    // The reference kernel's formula (split by sign), so the table matches the QDQ graph.
    const float sig = real >= 0 ? 1.0f / (1.0f + std::exp(-real)) : std::exp(real) / (1.0f + std::exp(real));
    EXPECT_EQ(table.data[static_cast<size_t>(v)], kernels::int8::quantize(sig, yp)) << v;
  }
}

// GlobalAveragePool → Flatten → Gemm: at O2 the Flatten of the dying 1x1 tensor aliases it.
TEST(Compile, O2AliasesAFlattenOfADyingTensor) {
  std::mt19937 rng(6);
  ir::Graph g;
  g.name = "head";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 8, 4, 4}));
  g.add_initializer("w", random_tensor({8, 8, 1, 1}, rng, 0.3f));
  g.add_initializer("fc", random_tensor({5, 8}, rng, 0.3f));
  g.add_node("Conv", {"x", "w"}, {"c"}, "conv");
  g.add_node("GlobalAveragePool", {"c"}, {"gap"}, "gap");
  g.add_node("Flatten", {"gap"}, {"f"}, "flatten");
  g.add_node("Gemm", {"f", "fc"}, {"y"}, "fc").attrs.set("transB", int64_t{1});
  g.outputs = {"y"};
  g.values["c"] = fvalue({1, 8, 4, 4});
  g.values["gap"] = fvalue({1, 8, 1, 1});
  g.values["f"] = fvalue({1, 8});
  g.values["y"] = fvalue({1, 5});
  ir::Graph q = quantized(g);
  for (int level : {1, 2, 3}) {
    SCOPED_TRACE("O" + std::to_string(level));
    format::Program p = compiled(q, level, true);
    EXPECT_EQ(op_types(p), (std::vector<std::string>{"QConv", "QGlobalAveragePool", "Flatten", "QGemm"}));
    const format::Op& flatten = p.ops[2];
    const bool alias = flatten.attrs.get_int("alias", 0) != 0;
    EXPECT_EQ(alias, level >= 2);
    if (alias) {
      EXPECT_EQ(tensor(p, flatten.inputs[0]).arena_offset, tensor(p, flatten.outputs[0]).arena_offset);
    }
    const Summary s = summarize(p);
    if (level >= 2) {
      EXPECT_LT(s.arena_bytes, s.arena_no_reuse_bytes);
    }
    else EXPECT_EQ(s.arena_bytes, s.arena_no_reuse_bytes);
  }
}

// A float Cast after the output's DequantizeLinear is cut with it, in model order.
TEST(Compile, FastPerfCutsRemovableOpsAfterTheDequantize) {
  std::mt19937 rng(7);
  ir::Graph g;
  g.name = "tail";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 3, 4, 4}));
  g.add_initializer("w", random_tensor({2, 3, 1, 1}, rng, 0.3f));
  g.add_node("Conv", {"x", "w"}, {"c"}, "conv");
  g.add_node("Cast", {"c"}, {"y"}, "cast").attrs.set("to", int64_t{1});
  g.outputs = {"y"};
  g.values["c"] = g.values["y"] = fvalue({1, 2, 4, 4});
  ir::Graph q = quantized(g);
  format::Program kept = compiled(q, 3, false);
  EXPECT_EQ(op_types(kept), (std::vector<std::string>{"Quantize", "Reorder", "QConv", "Reorder", "Dequantize", "Cast"}));
  format::Program p = compiled(q, 3, true);
  EXPECT_EQ(op_types(p), std::vector<std::string>{"QConv"});
  EXPECT_EQ(p.outputs[0].removed_ops, (std::vector<std::string>{"DequantizeLinear", "Cast"}));
  EXPECT_EQ(p.outputs[0].source_name, "y");
}

TEST(Compile, RejectsBadOptions) {
  ir::Graph q = quantized(conv_relu_graph());
  format::CompileOptions o;
  o.optimize_level = 4;
  EXPECT_EQ(compile(q, o).status().code(), StatusCode::kInvalidArgument);
  o.optimize_level = 2;
  o.core_num = 0;
  EXPECT_EQ(compile(q, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(Compile, ReportListsEveryNodeAndIsStandaloneHtml) {
  ir::Graph q = quantized(conv_relu_graph());
  format::Program p = compiled(q, 3, true);
  const nlohmann::json r = subgraphs_json(q, p);
  ASSERT_EQ(r["nodes"].size(), q.nodes.size());
  for (const auto& n : r["nodes"]) EXPECT_TRUE(n.contains("fate")) << n.dump();
  EXPECT_EQ(r["segments"].size(), 1u);
  EXPECT_EQ(r["segments"][0]["op_counts"]["QConv"], 1);
  EXPECT_EQ(r["inputs"][0]["removed_ops"][0], "QuantizeLinear");
  const std::string html = subgraphs_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("int8 conv"), std::string::npos);  // the placement reason
}

// ShuffleNet's unit: Concat on C → Reshape [N,2,C/2,H,W] → Transpose (0,2,1,3,4) →
// Reshape back → two Slices on C. At O1+ it becomes one NHWC ChannelShuffle between the
// convolutions, without Reorders; at O0 it stays as it is.
ir::Graph shuffle_unit_graph() {
  std::mt19937 rng(9);
  ir::Graph g;
  g.name = "shuffle";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 4, 6, 6}));
  g.add_initializer("w1", random_tensor({8, 4, 1, 1}, rng));
  g.add_initializer("w2", random_tensor({8, 4, 3, 3}, rng, 2.0f));
  g.add_initializer("w3", random_tensor({8, 8, 1, 1}, rng));
  g.add_node("Conv", {"x", "w1"}, {"a"}, "conv_a");
  g.add_node("Conv", {"x", "w2"}, {"b"}, "conv_b").attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node("Concat", {"a", "b"}, {"cat"}, "concat").attrs.set("axis", int64_t{1});
  g.add_initializer("shape5", Tensor::from_vector<int64_t>({5}, {1, 2, 8, 6, 6}));
  g.add_initializer("shape4", Tensor::from_vector<int64_t>({4}, {1, 16, 6, 6}));
  g.add_node("Reshape", {"cat", "shape5"}, {"r1"}, "reshape1");
  g.add_node("Transpose", {"r1"}, {"t"}, "transpose").attrs.set("perm", std::vector<int64_t>{0, 2, 1, 3, 4});
  g.add_node("Reshape", {"t", "shape4"}, {"s"}, "reshape2");
  g.add_initializer("axes", Tensor::from_vector<int64_t>({1}, {1}));
  g.add_initializer("s0", Tensor::from_vector<int64_t>({1}, {0}));
  g.add_initializer("e0", Tensor::from_vector<int64_t>({1}, {8}));
  g.add_initializer("s1", Tensor::from_vector<int64_t>({1}, {8}));
  g.add_initializer("e1", Tensor::from_vector<int64_t>({1}, {16}));
  g.add_node("Slice", {"s", "s0", "e0", "axes"}, {"h0"}, "slice0");
  g.add_node("Slice", {"s", "s1", "e1", "axes"}, {"h1"}, "slice1");
  g.add_node("Conv", {"h1", "w3"}, {"c"}, "conv_c");
  g.add_node("Concat", {"h0", "c"}, {"y"}, "concat_out").attrs.set("axis", int64_t{1});
  g.outputs = {"y"};
  for (const char* v : {"a", "b", "h0", "h1", "c"}) g.values[v] = fvalue({1, 8, 6, 6});
  for (const char* v : {"cat", "s", "y"}) g.values[v] = fvalue({1, 16, 6, 6});
  g.values["r1"] = fvalue({1, 2, 8, 6, 6});
  g.values["t"] = fvalue({1, 8, 2, 6, 6});
  return g;
}

TEST(Compile, ChannelShuffleIsOneNhwcOpWithoutReorders) {
  ir::Graph q = quantized(shuffle_unit_graph());
  const auto feeds = quant::test::random_feeds(q, 1, 5)[0];
  auto interp = exec::Interpreter::create(q);
  ASSERT_TRUE(interp.ok()) << interp.status().to_string();
  std::map<std::string, Tensor> expected;
  ASSERT_TRUE((*interp)->run(feeds, &expected).ok());

  const format::Program p0 = compiled(q, 0, false);
  EXPECT_TRUE(test::ops_of_type(p0, "ChannelShuffle").empty());
  EXPECT_EQ(test::ops_of_type(p0, "Transpose").size(), 1u);

  for (int level : {1, 3}) {
    SCOPED_TRACE("O" + std::to_string(level));
    const format::Program p = compiled(q, level, true);
    EXPECT_EQ(op_types(p), (std::vector<std::string>{"QConv", "QConv", "ChannelShuffle", "QConv", "QConcat"}));
    const auto shuffle = test::ops_of_type(p, "ChannelShuffle");
    ASSERT_EQ(shuffle.size(), 1u);
    EXPECT_EQ(shuffle[0]->attrs.get_int("group"), 2);
    EXPECT_EQ(shuffle[0]->attrs.get_ints("channel_starts"), (std::vector<int64_t>{0, 8}));
    ASSERT_EQ(shuffle[0]->inputs.size(), 2u);   // the Concat's inputs
    ASSERT_EQ(shuffle[0]->outputs.size(), 2u);  // the Slices' outputs
    for (int t : shuffle[0]->inputs) EXPECT_EQ(tensor(p, t).layout, Layout::kNHWC);
    for (int t : shuffle[0]->outputs) EXPECT_EQ(tensor(p, t).layout, Layout::kNHWC);
    for (const char* n : {"concat", "reshape1", "transpose", "reshape2", "slice0", "slice1"})
      EXPECT_NE(std::find(shuffle[0]->source_nodes.begin(), shuffle[0]->source_nodes.end(), n),
                shuffle[0]->source_nodes.end())
          << n;
    // Same values as the quantized graph.
    test::ProgramEval eval(p);
    auto got = eval.run(feeds);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    const Tensor& have = got->at("y");
    const Tensor& want = expected.at("y");
    ASSERT_EQ(have.shape(), want.shape());
    const format::TensorDesc& yt = tensor(p, p.outputs[0].tensor);  // fast-perf: the u8 output
    ASSERT_TRUE(yt.quant.has_value());
    const double step = yt.quant->scale[0];
    for (int64_t i = 0; i < want.numel(); ++i) EXPECT_NEAR(have.at_double(i), want.at_double(i), step * 1.001) << i;
  }
}

// A Slice on C whose input a QConv writes in NHWC: a ChannelShuffle of group 1 that reads
// the NHWC bytes (no Reorder on either side).
TEST(Compile, ChannelSliceAfterNhwcOpIsAGroupOneChannelShuffle) {
  std::mt19937 rng(12);
  ir::Graph g;
  g.name = "slice_c";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 4, 5, 5}));
  g.add_initializer("w1", random_tensor({8, 4, 1, 1}, rng));
  g.add_initializer("w2", random_tensor({6, 4, 3, 3}, rng));
  g.add_node("Conv", {"x", "w1"}, {"a"}, "conv_a");
  g.add_initializer("axes", Tensor::from_vector<int64_t>({1}, {1}));
  g.add_initializer("s0", Tensor::from_vector<int64_t>({1}, {2}));
  g.add_initializer("e0", Tensor::from_vector<int64_t>({1}, {6}));
  g.add_node("Slice", {"a", "s0", "e0", "axes"}, {"h"}, "slice");
  g.add_node("Conv", {"h", "w2"}, {"y"}, "conv_y");
  g.outputs = {"y"};
  g.values["a"] = fvalue({1, 8, 5, 5});
  g.values["h"] = fvalue({1, 4, 5, 5});
  g.values["y"] = fvalue({1, 6, 3, 3});
  ir::Graph q = quantized(g);
  const format::Program p = compiled(q, 3, true);
  EXPECT_EQ(op_types(p), (std::vector<std::string>{"QConv", "ChannelShuffle", "QConv"}));
  const auto shuffle = test::ops_of_type(p, "ChannelShuffle");
  ASSERT_EQ(shuffle.size(), 1u);
  EXPECT_EQ(shuffle[0]->attrs.get_int("group"), 1);
  EXPECT_EQ(shuffle[0]->attrs.get_ints("channel_starts"), (std::vector<int64_t>{2}));
  EXPECT_EQ(tensor(p, shuffle[0]->outputs[0]).layout, Layout::kNHWC);

  const auto feeds = quant::test::random_feeds(q, 1, 6)[0];
  auto interp = exec::Interpreter::create(q);
  ASSERT_TRUE(interp.ok()) << interp.status().to_string();
  std::map<std::string, Tensor> expected;
  ASSERT_TRUE((*interp)->run(feeds, &expected).ok());
  test::ProgramEval eval(p);
  auto got = eval.run(feeds);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  const double step = tensor(p, p.outputs[0].tensor).quant->scale[0];
  const Tensor& have = got->at("y");
  const Tensor& want = expected.at("y");
  ASSERT_EQ(have.shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i) EXPECT_NEAR(have.at_double(i), want.at_double(i), step * 1.001) << i;
}

}  // namespace
}  // namespace edgeq::compiler
