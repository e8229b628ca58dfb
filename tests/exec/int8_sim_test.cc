// The interpreter's int8 simulation on a small QDQ model (Conv + residual Add + Sigmoid):
// each fused group equals the int8 reference kernels run by hand, the DQ/op/Q nodes of a
// group are skipped, groups that ORT would not fuse run in float, and the float path is
// unchanged when the option is off.
#include <gtest/gtest.h>

#include <random>

#include "exec/interpreter.h"
#include "kernels/int8/ref.h"
#include "kernels/kernel.h"

namespace edgeq::exec {
namespace {

namespace q8 = kernels::int8;

void add_params(ir::Graph& g, const std::string& v, q8::QParam q) {
  g.add_initializer(v + "_scale", Tensor::scalar<float>(q.scale));
  g.add_initializer(v + "_zp", Tensor::scalar<uint8_t>(static_cast<uint8_t>(q.zero_point)));
}

// v → Q → DQ; returns the DQ output name.
std::string add_qdq(ir::Graph& g, const std::string& v, q8::QParam q) {
  add_params(g, v, q);
  g.add_node("QuantizeLinear", {v, v + "_scale", v + "_zp"}, {v + "_q"}, v + "_Q");
  g.add_node("DequantizeLinear", {v + "_q", v + "_scale", v + "_zp"}, {v + "_dq"}, v + "_DQ");
  return v + "_dq";
}

const q8::QParam kX{0.03f, 120}, kR{0.02f, 7}, kConv{0.05f, 100}, kSum{0.06f, 90}, kSig{1.0f / 256, 0};

struct Model {
  ir::Graph graph;
  Tensor w, bias;
  std::vector<float> ws;
};

// x → Conv(3x3, pads 1, 4 → 4 channels) ─┐
//                               r ──────── Add → Sigmoid → y;  also returns the Add sum as "s"
Model small_qdq_model(bool conv_output_also_read_in_float = false) {
  Model m;
  ir::Graph& g = m.graph;
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, {ir::Dim(1), ir::Dim(4), ir::Dim(5), ir::Dim(6)});
  g.add_input("r", DType::kFloat32, {ir::Dim(1), ir::Dim(4), ir::Dim(5), ir::Dim(6)});
  const std::string xd = add_qdq(g, "x", kX), rd = add_qdq(g, "r", kR);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> wd(-127, 127), bd(-3000, 3000);
  m.w = Tensor(DType::kInt8, {4, 4, 3, 3});
  for (auto& v : m.w.span<int8_t>()) v = static_cast<int8_t>(wd(rng));
  m.bias = Tensor(DType::kInt32, {4});
  for (auto& v : m.bias.span<int32_t>()) v = bd(rng);
  m.ws = {0.004f, 0.006f, 0.005f, 0.003f};
  g.add_initializer("w_q", m.w);
  g.add_initializer("w_scale", Tensor::from_vector<float>({4}, m.ws));
  g.add_initializer("w_zp", Tensor(DType::kInt8, {4}));
  std::vector<float> bs;
  for (float s : m.ws) bs.push_back(kX.scale * s);
  g.add_initializer("b_q", m.bias);
  g.add_initializer("b_scale", Tensor::from_vector<float>({4}, bs));
  g.add_initializer("b_zp", Tensor(DType::kInt32, {4}));
  g.add_node("DequantizeLinear", {"w_q", "w_scale", "w_zp"}, {"w"}, "w_DQ").attrs.set("axis", int64_t{0});
  g.add_node("DequantizeLinear", {"b_q", "b_scale", "b_zp"}, {"b"}, "b_DQ").attrs.set("axis", int64_t{0});
  ir::Node& conv = g.add_node("Conv", {xd, "w", "b"}, {"c"}, "conv");
  conv.attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  const std::string cd = add_qdq(g, "c", kConv);
  g.add_node("Add", {cd, rd}, {"s"}, "add");
  const std::string sd = add_qdq(g, "s", kSum);
  g.add_node("Sigmoid", {sd}, {"y"}, "sigmoid");
  add_qdq(g, "y", kSig);
  g.outputs = {"y_dq", "s_dq"};
  if (conv_output_also_read_in_float) {
    g.add_node("Neg", {"c"}, {"n"}, "neg");
    g.outputs.push_back("n");
  }
  return m;
}

std::map<std::string, Tensor> feeds() {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> d(-3.0f, 3.0f);
  Tensor x(DType::kFloat32, {1, 4, 5, 6}), r(DType::kFloat32, {1, 4, 5, 6});
  for (auto& v : x.span<float>()) v = d(rng);
  for (auto& v : r.span<float>()) v = d(rng);
  return {{"x", x}, {"r", r}};
}

Tensor quantize_tensor(const Tensor& x, q8::QParam q) {
  Tensor y(DType::kUInt8, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data<uint8_t>()[i] = q8::quantize(x.data<float>()[i], q);
  return y;
}

TEST(Int8Simulation, GroupsEqualTheInt8ReferenceKernels) {
  Model m = small_qdq_model();
  InterpreterOptions opt;
  opt.int8_simulation = true;
  auto interp = Interpreter::create(m.graph, opt);
  ASSERT_TRUE(interp.ok()) << interp.status().to_string();
  EXPECT_EQ((*interp)->int8_group_count(), 3u);  // Conv, Add, Sigmoid
  std::vector<std::string> ran;
  std::map<std::string, Tensor> out;
  const auto in = feeds();
  ASSERT_TRUE((*interp)->run(in, &out, [&](const ir::Node& n, std::span<const Tensor>) { ran.push_back(n.name); }).ok());
  // The float Conv / Add / Sigmoid and the DQs only they read do not run; their Qs report the groups.
  for (const char* skipped : {"conv", "add", "sigmoid", "w_DQ", "b_DQ", "x_DQ", "r_DQ", "c_DQ"})
    EXPECT_EQ(std::count(ran.begin(), ran.end(), skipped), 0) << skipped;
  for (const char* reported : {"c_Q", "s_Q", "y_Q", "s_DQ", "y_DQ"})
    EXPECT_EQ(std::count(ran.begin(), ran.end(), reported), 1) << reported;

  // By hand with the reference kernels.
  const Tensor xq = quantize_tensor(in.at("x"), kX), rq = quantize_tensor(in.at("r"), kR);
  q8::Window2d win;
  win.pads_begin = {1, 1};
  win.pads_end = {1, 1};
  auto c = q8::qconv(xq, kX, m.w, m.ws, &m.bias, kConv, win, 1);
  ASSERT_TRUE(c.ok());
  auto s = q8::qadd(*c, kConv, rq, kR, kSum);
  ASSERT_TRUE(s.ok());
  const Tensor y = q8::qlut(*s, q8::sigmoid_table(kSum, kSig));
  ASSERT_EQ(out.at("y_dq").numel(), y.numel());
  for (int64_t i = 0; i < y.numel(); ++i) {
    EXPECT_EQ(out.at("s_dq").data<float>()[i], q8::dequantize(s->data<uint8_t>()[i], kSum)) << i;
    EXPECT_EQ(out.at("y_dq").data<float>()[i], q8::dequantize(y.data<uint8_t>()[i], kSig)) << i;
  }
}

TEST(Int8Simulation, FloatPathUnchangedWhenOffAndWithinOneStepOfIt) {
  Model m = small_qdq_model();
  auto plain = Interpreter::create(m.graph);
  InterpreterOptions opt;
  opt.int8_simulation = true;
  auto sim = Interpreter::create(m.graph, opt);
  ASSERT_TRUE(plain.ok() && sim.ok());
  EXPECT_EQ((*plain)->int8_group_count(), 0u);
  std::vector<std::string> ran;
  std::map<std::string, Tensor> a, b;
  const auto in = feeds();
  ASSERT_TRUE((*plain)->run(in, &a, [&](const ir::Node& n, std::span<const Tensor>) { ran.push_back(n.name); }).ok());
  EXPECT_EQ(ran.size(), m.graph.nodes.size());  // every node, in float
  ASSERT_TRUE((*sim)->run(in, &b).ok());

  // The float path, step by step with the kernels (what the interpreter ran before).
  auto run1 = [](const char* op, std::vector<const Tensor*> ins, const Attributes& attrs = {}) {
    std::vector<Tensor> outs;
    EXPECT_TRUE(kernels::run_kernel(op, attrs, 13, ins, 1, &outs).ok()) << op;
    return outs[0];
  };
  auto qdq = [&](const Tensor& v, q8::QParam q) {
    Tensor s = Tensor::scalar<float>(q.scale), z = Tensor::scalar<uint8_t>(static_cast<uint8_t>(q.zero_point));
    Tensor qv = run1("QuantizeLinear", {&v, &s, &z});
    return run1("DequantizeLinear", {&qv, &s, &z});
  };
  const ir::Graph& g = m.graph;
  Attributes axis0;
  axis0.set("axis", int64_t{0});
  const Tensor w = run1("DequantizeLinear", {&g.initializers.at("w_q"), &g.initializers.at("w_scale"),
                                            &g.initializers.at("w_zp")}, axis0);
  const Tensor bias = run1("DequantizeLinear", {&g.initializers.at("b_q"), &g.initializers.at("b_scale"),
                                               &g.initializers.at("b_zp")}, axis0);
  Attributes pads;
  pads.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  const Tensor xd = qdq(in.at("x"), kX), rd = qdq(in.at("r"), kR);
  const Tensor c = qdq(run1("Conv", {&xd, &w, &bias}, pads), kConv);
  const Tensor s = qdq(run1("Add", {&c, &rd}), kSum);
  // Conv runs on oneDNN in the interpreter: the same float values up to summation order.
  int differ = 0;
  for (int64_t i = 0; i < s.numel(); ++i) {
    EXPECT_NEAR(a.at("s_dq").data<float>()[i], s.data<float>()[i], kSum.scale * 1.01f) << i;
    differ += a.at("s_dq").data<float>()[i] != s.data<float>()[i];
    // The int8 simulation is at most one step from the float QDQ result here.
    EXPECT_NEAR(b.at("s_dq").data<float>()[i], a.at("s_dq").data<float>()[i], kSum.scale * 1.01f) << i;
  }
  EXPECT_LE(differ, 2);
}

TEST(Int8Simulation, GroupsOrtWouldNotFuseRunInFloat) {
  // The Conv output is also read by a float Neg: no single Q consumer, so the Conv stays float.
  Model m = small_qdq_model(true);
  InterpreterOptions opt;
  opt.int8_simulation = true;
  auto interp = Interpreter::create(m.graph, opt);
  ASSERT_TRUE(interp.ok());
  EXPECT_EQ((*interp)->int8_group_count(), 2u);
  std::map<std::string, Tensor> out;
  std::vector<std::string> ran;
  ASSERT_TRUE((*interp)->run(feeds(), &out, [&](const ir::Node& n, std::span<const Tensor>) { ran.push_back(n.name); }).ok());
  EXPECT_EQ(std::count(ran.begin(), ran.end(), "conv"), 1);
  EXPECT_EQ(out.count("n"), 1u);
}

}  // namespace
}  // namespace edgeq::exec
