// fold_lut_mul (O2+): y = QMul(x, QLut(x)) becomes one QLut on x. The folded program must
// give the unfolded one's bytes on every input byte, run by the runtime; the fold must not
// happen when the table's output has another reader, is a model output, or when the QMul's
// other operand is not the table's input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "compiler/compiler.h"
#include "quant/quantize.h"
#include "runtime/executable.h"
#include "tests/compiler/program_check.h"
#include "tests/quant/quant_test_util.h"

namespace edgeq::compiler {
namespace {

ir::ValueInfo fvalue(Dims d) { return ir::ValueInfo{DType::kFloat32, ir::make_shape(d), std::nullopt}; }

const Dims kShape = {1, 4, 8, 8};  // 256 elements: one of each input byte

// x → act → s;  y = Mul(x, s) (or Mul(s, x)); outputs y and any extra ones.
ir::Graph act_mul_graph(const std::string& act, bool s_first) {
  ir::Graph g;
  g.name = "act_mul";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape(kShape));
  g.add_node(act, {"x"}, {"s"}, "act");
  g.add_node("Mul", s_first ? std::vector<std::string>{"s", "x"} : std::vector<std::string>{"x", "s"}, {"y"}, "mul");
  g.outputs = {"y"};
  g.values["s"] = g.values["y"] = fvalue(kShape);
  return g;
}

ir::Graph quantized(const ir::Graph& g) {
  auto cal = quant::test::random_feeds(g, 4, 7);
  auto q = quant::quantize(g, quant::test::max_ranges(g, cal), {});
  EXPECT_TRUE(q.ok()) << q.status().to_string();
  return q.ok() ? std::move(*q) : ir::Graph{};
}

using test::compiled;

size_t count(const format::Program& p, const std::string& type) {
  return static_cast<size_t>(std::count_if(p.ops.begin(), p.ops.end(), [&](const format::Op& o) { return o.type == type; }));
}

// The runtime's output 0 on input 0 = bytes 0..255 (logical order).
std::vector<uint8_t> run_all_bytes(const format::Program& p) {
  auto exe = runtime::Executable::create(p, {});
  EXPECT_TRUE(exe.ok()) << exe.status().to_string();
  if (!exe.ok()) return {};
  auto inst = runtime::Instance::create(*exe);
  EXPECT_TRUE(inst.ok()) << inst.status().to_string();
  if (!inst.ok()) return {};
  EXPECT_EQ((*exe)->input_bytes(0), 256u);
  EXPECT_EQ((*exe)->output_bytes(0), 256u);
  std::vector<uint8_t> in(256);
  std::iota(in.begin(), in.end(), 0);
  std::memcpy((*inst)->input(0), in.data(), in.size());
  const Status s = (*inst)->run();
  EXPECT_TRUE(s.ok()) << s.to_string();
  std::vector<uint8_t> out(256);
  std::memcpy(out.data(), (*inst)->output(0), out.size());
  return out;
}

struct Case {
  const char* act;
  bool s_first;
};

class FoldLutMul : public ::testing::TestWithParam<Case> {};

TEST_P(FoldLutMul, OneTableGivesTheUnfoldedBytesOnEveryInput) {
  const ir::Graph q = quantized(act_mul_graph(GetParam().act, GetParam().s_first));
  // O1 keeps the table and the multiply apart.
  const format::Program plain = compiled(q, 1, /*fast_perf=*/true);
  EXPECT_EQ(count(plain, "QLut"), 1u);
  EXPECT_EQ(count(plain, "QMul"), 1u);
  // O2 folds them: one QLut from the model input to the model output.
  const format::Program folded = compiled(q, 2, /*fast_perf=*/true);
  ASSERT_EQ(folded.ops.size(), 1u);
  const format::Op& lut = folded.ops[0];
  EXPECT_EQ(lut.type, "QLut");
  EXPECT_EQ(lut.name, "mul");
  EXPECT_EQ(lut.attrs.get_string("source_op"), std::string("Mul(x, ") + GetParam().act + "(x))");
  EXPECT_NE(std::find(lut.source_nodes.begin(), lut.source_nodes.end(), "act"), lut.source_nodes.end());
  EXPECT_NE(std::find(lut.source_nodes.begin(), lut.source_nodes.end(), "mul"), lut.source_nodes.end());
  ASSERT_EQ(lut.inputs.size(), 2u);
  EXPECT_EQ(lut.inputs[0], folded.inputs[0].tensor);
  EXPECT_EQ(lut.outputs[0], folded.outputs[0].tensor);
  // The output keeps the multiply's params.
  const format::TensorDesc& y_plain = plain.tensors[static_cast<size_t>(plain.outputs[0].tensor)];
  const format::TensorDesc& y_folded = folded.tensors[static_cast<size_t>(folded.outputs[0].tensor)];
  EXPECT_EQ(y_folded.quant->scale, y_plain.quant->scale);
  EXPECT_EQ(y_folded.quant->zero_point, y_plain.quant->zero_point);

  const std::vector<uint8_t> want = run_all_bytes(plain), got = run_all_bytes(folded);
  ASSERT_EQ(want.size(), 256u);
  ASSERT_EQ(got.size(), 256u);
  const format::TensorDesc& table = folded.tensors[static_cast<size_t>(lut.inputs[1])];
  ASSERT_TRUE(table.is_constant);
  ASSERT_EQ(table.data.size(), 256u);
  int distinct = 0;
  for (int v = 0; v < 256; ++v) {
    EXPECT_EQ(got[static_cast<size_t>(v)], want[static_cast<size_t>(v)]) << "input byte " << v;
    EXPECT_EQ(table.data[static_cast<size_t>(v)], want[static_cast<size_t>(v)]) << "input byte " << v;
    distinct += v > 0 && want[static_cast<size_t>(v)] != want[static_cast<size_t>(v - 1)];
  }
  EXPECT_GT(distinct, 16);  // a real curve, not a constant
}

INSTANTIATE_TEST_SUITE_P(Compile, FoldLutMul,
                         ::testing::Values(Case{"Sigmoid", false}, Case{"Sigmoid", true}, Case{"HardSigmoid", true},
                                           Case{"HardSigmoid", false}),
                         [](const auto& info) {
                           return std::string(info.param.act) + (info.param.s_first ? "_TableFirst" : "_XFirst");
                         });

TEST(Compile, FoldLutMulLeavesASharedTable) {
  // s read by two multiplies.
  ir::Graph g = act_mul_graph("Sigmoid", false);
  g.add_node("Mul", {"s", "x"}, {"z"}, "mul2");
  g.outputs.push_back("z");
  g.values["z"] = fvalue(kShape);
  format::Program p = compiled(quantized(g), 2, /*fast_perf=*/true);
  EXPECT_EQ(count(p, "QLut"), 1u);
  EXPECT_EQ(count(p, "QMul"), 2u);

  // s a model output.
  ir::Graph h = act_mul_graph("Sigmoid", false);
  h.outputs.push_back("s");
  p = compiled(quantized(h), 2, /*fast_perf=*/true);
  EXPECT_EQ(count(p, "QLut"), 1u);
  EXPECT_EQ(count(p, "QMul"), 1u);
}

TEST(Compile, FoldLutMulLeavesAGateOfAnotherTensor) {
  // y = Mul(w, Sigmoid(x)) with w = Relu(x) ≠ x: the SE block's gate, not x·f(x).
  ir::Graph g;
  g.name = "gate";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape(kShape));
  g.add_node("Relu", {"x"}, {"w"}, "relu");
  g.add_node("Sigmoid", {"x"}, {"s"}, "act");
  g.add_node("Mul", {"w", "s"}, {"y"}, "mul");
  g.outputs = {"y"};
  g.values["w"] = g.values["s"] = g.values["y"] = fvalue(kShape);
  format::Program p = compiled(quantized(g), 2, /*fast_perf=*/true);
  EXPECT_EQ(count(p, "QMul"), 1u);
}

}  // namespace
}  // namespace edgeq::compiler
