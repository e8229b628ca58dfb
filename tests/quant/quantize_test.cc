// The QDQ layout on small graphs and on a zoo model, and numerical equivalence of the
// int8 simulation with the float graph (within the quantization error).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "onnx/onnx_io.h"
#include "quant/quantize.h"
#include "tests/quant/quant_test_util.h"

namespace edgeq::quant {
namespace {

const ir::Node* producer(const ir::Graph& g, const std::string& v) {
  int p = g.producer_index(v);
  return p < 0 ? nullptr : &g.nodes[static_cast<size_t>(p)];
}

std::string producer_op(const ir::Graph& g, const std::string& v) {
  const ir::Node* p = producer(g, v);
  return p ? p->op_type : (g.is_initializer(v) ? "<init>" : "<input>");
}

const ir::Node& only_node(const ir::Graph& g, const std::string& op) {
  const ir::Node* found = nullptr;
  for (const auto& n : g.nodes)
    if (n.op_type == op) {
      EXPECT_EQ(found, nullptr) << "more than one " << op;
      found = &n;
    }
  EXPECT_NE(found, nullptr) << "no " << op;
  return *found;
}

ir::ValueInfo fvalue(ir::Shape shape) { return ir::ValueInfo{DType::kFloat32, std::move(shape), std::nullopt}; }

int count(const ir::Graph& g, const std::string& op) {
  int c = 0;
  for (const auto& n : g.nodes) c += n.op_type == op;
  return c;
}

// The single consumer of `v`, which must be a QuantizeLinear.
const ir::Node* quantizer_of(const ir::Graph& g, const std::string& v) {
  std::vector<int> c = g.consumer_indices(v);
  for (int i : c)
    if (g.nodes[static_cast<size_t>(i)].op_type == "QuantizeLinear") return &g.nodes[static_cast<size_t>(i)];
  return nullptr;
}

// Quantizes g with max ranges from 4 random samples, checks the QDQ graph runs and is
// close to float: cosine >= 0.999 and max |q - f| within `lsb` output quantization steps
// plus 2% of the output's largest magnitude (the input quantization error carried through).
ir::Graph quantize_and_check(const ir::Graph& g, double lsb = 3.0) {
  auto cal = test::random_feeds(g, 4, 11);
  RangeTable ranges = test::max_ranges(g, cal);
  auto q = quantize(g, ranges, {});
  EXPECT_TRUE(q.ok()) << q.status().to_string();
  if (!q.ok()) return {};
  EXPECT_GE(q->opset(), 13);
  auto feeds = test::random_feeds(g, 1, 11);  // same as a calibration sample: inside the ranges
  auto f = test::run(g, feeds[0]);
  auto r = test::run(*q, feeds[0]);
  for (const auto& out : g.outputs) {
    EXPECT_TRUE(r.count(out)) << out;
    if (!r.count(out)) continue;
    const ir::ValueInfo& info = q->values.at(out);
    EXPECT_TRUE(info.quant.has_value()) << out;
    double step = info.quant ? info.quant->scale[0] : 0.0;
    double worst = 0, peak = 0;
    for (int64_t i = 0; i < f[out].numel(); ++i) {
      worst = std::max(worst, std::abs(f[out].at_double(i) - r[out].at_double(i)));
      peak = std::max(peak, std::abs(f[out].at_double(i)));
    }
    EXPECT_LE(worst, lsb * step + 0.02 * peak) << out << ": max error " << worst << " with output step " << step;
    EXPECT_GE(test::cosine(f[out], r[out]), 0.999) << out;
    EXPECT_EQ(r[out].dtype(), DType::kFloat32);
  }
  return std::move(*q);
}

ir::Graph conv_relu_graph(bool relu6) {
  std::mt19937 rng(1);
  ir::Graph g;
  g.name = "conv_relu";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 3, 8, 8}));
  g.add_initializer("w", test::random_tensor({4, 3, 3, 3}, rng, 0.3f));
  g.add_initializer("b", test::random_tensor({4}, rng, 0.1f));
  ir::Node& c = g.add_node("Conv", {"x", "w", "b"}, {"c"}, "conv");
  c.attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  if (relu6) {
    g.add_initializer("lo", Tensor::scalar<float>(0.0f));
    g.add_initializer("hi", Tensor::scalar<float>(2.0f));
    g.add_node("Clip", {"c", "lo", "hi"}, {"y"}, "relu6");
  } else {
    g.add_node("Relu", {"c"}, {"y"}, "relu");
  }
  g.outputs = {"y"};
  g.values["c"] = fvalue(ir::make_shape({1, 4, 8, 8}));
  g.values["y"] = fvalue(ir::make_shape({1, 4, 8, 8}));
  return g;
}

TEST(Quantize, ConvReluIsLaidOutAsOnnxRuntimeDoes) {
  ir::Graph q = quantize_and_check(conv_relu_graph(false));
  // Relu absorbed into the Conv's output quantization.
  EXPECT_EQ(count(q, "Relu"), 0);
  const ir::Node& conv = only_node(q, "Conv");
  EXPECT_EQ(conv.name, "conv");
  EXPECT_EQ(conv.placement, ir::Placement::kAccelerator);
  EXPECT_EQ(conv.placement_reason, "int8 conv + Relu");
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(producer_op(q, conv.inputs[i]), "DequantizeLinear") << i;
  // x → Q → DQ → Conv.
  const ir::Node* dq_x = producer(q, conv.inputs[0]);
  EXPECT_EQ(producer_op(q, dq_x->inputs[0]), "QuantizeLinear");
  // Weight: int8 per-axis (axis 0), zero points 0.
  const ir::Node* dq_w = producer(q, conv.inputs[1]);
  EXPECT_EQ(dq_w->attrs.get_int("axis", 1), 0);
  const Tensor& wq = q.initializers.at(dq_w->inputs[0]);
  EXPECT_EQ(wq.dtype(), DType::kInt8);
  EXPECT_EQ(q.initializers.at(dq_w->inputs[1]).shape(), Dims{4});
  EXPECT_EQ(q.initializers.at(dq_w->inputs[2]).dtype(), DType::kInt8);
  EXPECT_FALSE(q.initializers.count("w")) << "the float weight is gone";
  // Bias: int32 at s_x * s_w[c].
  const ir::Node* dq_b = producer(q, conv.inputs[2]);
  EXPECT_EQ(q.initializers.at(dq_b->inputs[0]).dtype(), DType::kInt32);
  const float s_x = q.initializers.at(dq_x->inputs[1]).data<float>()[0];
  for (int c = 0; c < 4; ++c)
    EXPECT_FLOAT_EQ(q.initializers.at(dq_b->inputs[1]).data<float>()[c],
                    s_x * q.initializers.at(dq_w->inputs[1]).data<float>()[c]);
  // Output: Q with zero point 0 (the Relu), then DQ named as the graph output.
  const ir::Node* qy = quantizer_of(q, conv.outputs[0]);
  ASSERT_NE(qy, nullptr);
  EXPECT_EQ(q.initializers.at(qy->inputs[2]).dtype(), DType::kUInt8);
  EXPECT_EQ(q.initializers.at(qy->inputs[2]).data<uint8_t>()[0], 0);
  EXPECT_EQ(producer_op(q, "y"), "DequantizeLinear");
  // QuantParams recorded.
  ASSERT_TRUE(q.values.at("x").quant.has_value());
  EXPECT_EQ(q.values.at("x").quant->dtype, DType::kUInt8);
  EXPECT_EQ(q.values.at("y").quant->zero_point[0], 0);
  EXPECT_EQ(q.values.at(dq_w->inputs[0]).quant->scale.size(), 4u);
}

TEST(Quantize, ClipZeroToMaxIsAbsorbedWithItsRangeCapped) {
  ir::Graph q = quantize_and_check(conv_relu_graph(true));
  EXPECT_EQ(count(q, "Clip"), 0);
  const ir::QuantParams& p = *q.values.at("y").quant;
  EXPECT_EQ(p.zero_point[0], 0);
  EXPECT_LE(p.scale[0] * 255.0f, 2.0f * 1.0001f);
  EXPECT_GE(p.scale[0] * 255.0f, 2.0f * 0.9999f);  // the calibrated max exceeds the clip
}

TEST(Quantize, ResidualAddSharesOneQuantizerPerTensor) {
  std::mt19937 rng(2);
  ir::Graph g;
  g.name = "residual";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 4, 6, 6}));
  g.add_initializer("w", test::random_tensor({4, 4, 1, 1}, rng, 0.5f));
  g.add_node("Conv", {"x", "w"}, {"c"}, "conv");
  g.add_node("Add", {"c", "x"}, {"s"}, "add");
  g.add_node("Relu", {"s"}, {"y"}, "relu");
  g.outputs = {"y"};
  for (const char* v : {"c", "s", "y"}) g.values[v] = fvalue(ir::make_shape({1, 4, 6, 6}));
  ir::Graph q = quantize_and_check(g);
  EXPECT_EQ(count(q, "Relu"), 0);
  // x feeds the Conv and the Add through one Q→DQ.
  EXPECT_EQ(q.consumer_indices("x").size(), 1u);
  const ir::Node& add = only_node(q, "Add");
  EXPECT_EQ(producer_op(q, add.inputs[0]), "DequantizeLinear");
  EXPECT_EQ(producer_op(q, add.inputs[1]), "DequantizeLinear");
  EXPECT_EQ(add.inputs[1], only_node(q, "Conv").inputs[0]);
  EXPECT_EQ(q.values.at("y").quant->zero_point[0], 0);
  EXPECT_EQ(count(q, "QuantizeLinear"), 3);  // x, c, y
}

ir::Graph gemm_graph(bool trans_b) {
  std::mt19937 rng(3);
  ir::Graph g;
  g.name = "gemm";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({2, 16}));
  g.add_initializer("w", test::random_tensor(trans_b ? Dims{8, 16} : Dims{16, 8}, rng, 0.3f));
  g.add_initializer("b", test::random_tensor({8}, rng, 0.1f));
  g.add_node("Gemm", {"x", "w", "b"}, {"y"}, "gemm").attrs.set("transB", int64_t{trans_b ? 1 : 0});
  g.outputs = {"y"};
  g.values["y"] = fvalue(ir::make_shape({2, 8}));
  return g;
}

TEST(Quantize, GemmWeightsPerOutputColumn) {
  for (bool trans_b : {true, false}) {
    SCOPED_TRACE(trans_b ? "transB=1" : "transB=0");
    ir::Graph q = quantize_and_check(gemm_graph(trans_b));
    const ir::Node& gemm = only_node(q, "Gemm");
    const ir::Node* dq_w = producer(q, gemm.inputs[1]);
    ASSERT_NE(dq_w, nullptr);
    EXPECT_EQ(dq_w->attrs.get_int("axis", 1), trans_b ? 0 : 1);
    EXPECT_EQ(q.initializers.at(dq_w->inputs[1]).numel(), 8);
    EXPECT_EQ(q.initializers.at(producer(q, gemm.inputs[2])->inputs[0]).dtype(), DType::kInt32);
    // The output is asymmetric (a Gemm output has both signs).
    EXPECT_GT(q.values.at("y").quant->zero_point[0], 0);
  }
}

TEST(Quantize, MaxPoolKeepsItsInputParamsAndConcatHasItsOwn) {
  std::mt19937 rng(4);
  ir::Graph g;
  g.name = "pool_concat";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({1, 2, 8, 8}));
  g.add_initializer("w1", test::random_tensor({3, 2, 1, 1}, rng));
  g.add_initializer("w2", test::random_tensor({3, 2, 1, 1}, rng, 3.0f));
  g.add_node("Conv", {"x", "w1"}, {"c1"}, "conv1");
  g.add_node("Conv", {"x", "w2"}, {"c2"}, "conv2");
  ir::Node& mp = g.add_node("MaxPool", {"c1"}, {"p"}, "pool");
  mp.attrs.set("kernel_shape", std::vector<int64_t>{2, 2});
  mp.attrs.set("strides", std::vector<int64_t>{1, 1});
  g.add_node("Slice", {"c2", "starts", "ends", "axes"}, {"c2s"}, "slice");
  g.add_initializer("starts", Tensor::from_vector<int64_t>({2}, {0, 0}));
  g.add_initializer("ends", Tensor::from_vector<int64_t>({2}, {7, 7}));
  g.add_initializer("axes", Tensor::from_vector<int64_t>({2}, {2, 3}));
  g.add_node("Concat", {"p", "c2s"}, {"y"}, "concat").attrs.set("axis", int64_t{1});
  g.outputs = {"y"};
  g.values["c1"] = g.values["c2"] = fvalue(ir::make_shape({1, 3, 8, 8}));
  g.values["p"] = g.values["c2s"] = fvalue(ir::make_shape({1, 3, 7, 7}));
  g.values["y"] = fvalue(ir::make_shape({1, 6, 7, 7}));
  ir::Graph q = quantize_and_check(g);
  const ir::QuantParams& c1 = *q.values.at("c1").quant;
  const ir::QuantParams& p = *q.values.at("p").quant;
  EXPECT_EQ(c1.scale, p.scale);
  EXPECT_EQ(c1.zero_point, p.zero_point);
  EXPECT_EQ(q.values.at("c2").quant->scale, q.values.at("c2s").quant->scale);
  // Concat: its inputs each keep their own params; the output gets its own range.
  EXPECT_NE(q.values.at("p").quant->scale, q.values.at("c2s").quant->scale);
  const ir::Node& concat = only_node(q, "Concat");
  for (const auto& in : concat.inputs) EXPECT_EQ(producer_op(q, in), "DequantizeLinear");
  EXPECT_NE(quantizer_of(q, "p"), nullptr);
  EXPECT_NE(quantizer_of(q, concat.outputs[0]), nullptr);
}

std::filesystem::path zoo_dir() { return std::filesystem::path(EDGEQ_BINARY_DIR) / "models"; }

// A zoo model: every Conv reads DQ inputs and its output goes through a Q; it runs in
// the interpreter, and opset-11 models come out as opset 13.
TEST(Quantize, ZooModelsHaveTheQdqLayout) {
  for (const char* name : {"resnet18_op13", "mobilenet_v2_op11"}) {
    SCOPED_TRACE(name);
    const auto path = zoo_dir() / (std::string(name) + ".onnx");
    ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing: run scripts/export_models.py";
    auto g = onnx::load_model(path.string());
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    auto cal = test::random_feeds(*g, 2, 5);
    RangeTable ranges = test::max_ranges(*g, cal);
    auto q = quantize(*g, ranges, {});
    ASSERT_TRUE(q.ok()) << q.status().to_string();
    EXPECT_GE(q->opset(), 13);
    int convs = 0;
    for (const auto& n : q->nodes) {
      if (n.op_type != "Conv") continue;
      ++convs;
      EXPECT_EQ(n.placement, ir::Placement::kAccelerator) << n.name;
      for (size_t i = 0; i < n.inputs.size(); ++i)
        EXPECT_EQ(producer_op(*q, n.inputs[i]), "DequantizeLinear") << n.name << " input " << i;
      EXPECT_NE(quantizer_of(*q, n.outputs[0]), nullptr) << n.name;
    }
    EXPECT_GT(convs, 10);
    auto f = test::run(*g, cal[0]);
    auto r = test::run(*q, cal[0]);
    for (const auto& out : g->outputs) {
      double cos = test::cosine(f[out], r[out]);
      std::cout << name << " float vs int8 simulation cosine " << cos << "\n";
      EXPECT_GT(cos, 0.9);
    }
  }
}

TEST(AttachCalibration, EveryCalibratedValueGetsAQdqPair) {
  ir::Graph g = conv_relu_graph(false);
  auto cal = test::random_feeds(g, 2, 9);
  RangeTable ranges = test::max_ranges(g, cal);
  ASSERT_EQ(ranges.size(), 3u);  // x, c, y
  auto a = attach_calibration(g, ranges);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(count(*a, "QuantizeLinear"), 3);
  EXPECT_EQ(count(*a, "DequantizeLinear"), 3);
  EXPECT_EQ(count(*a, "Relu"), 1);
  EXPECT_EQ(a->initializers.at("w").dtype(), DType::kFloat32);  // weights stay float
  EXPECT_EQ(producer_op(*a, "y"), "DequantizeLinear");
  EXPECT_EQ(a->values.at("c").quant->dtype, DType::kUInt8);
  auto f = test::run(g, cal[0]);
  auto r = test::run(*a, cal[0]);
  EXPECT_GT(test::cosine(f["y"], r["y"]), 0.999);
}

}  // namespace
}  // namespace edgeq::quant
