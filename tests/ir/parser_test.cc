#include "ir/parser.h"

#include <gtest/gtest.h>

namespace edgeq::ir {
namespace {

// print → parse → print must give the same text.
void expect_round_trip(const std::string& text) {
  StatusOr<Graph> g = parse_text(text);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(to_text(*g), text);
}

TEST(Parser, RoundTripsPrintedGraphs) {
  expect_round_trip(
      "graph tiny opset=13\n"
      "  input %x: f32[1,8]\n"
      "  init %w: f32[8,4]\n"
      "  %m = MatMul(%x, %w) name=mm0 : f32[1,4]\n"
      "  %y = Relu(%m) {alpha=[1,2]} name=relu0 : f32[batch,4]\n"
      "  output %y\n");
  expect_round_trip(
      "graph exporter opset=11\n"
      "  input %onnx::input.1: f32[?,3,N,4]\n"
      "  input %mask: bool[*]\n"
      "  init %/conv/w: f32[4,3,3,3]\n"
      "  %/conv/Conv_output_0 = Conv(%onnx::input.1, %/conv/w, none) {dilations=[1,1], "
      "kernel_shape=[3,3], pads=[1,1,1,1]} name=/conv/Conv : f32[?,4,N,?]\n"
      "  %d, % = Dropout(%/conv/Conv_output_0) {ratio=0.5} : f32[?,4,N,?] ?\n"
      "  %s = Resize(%d, none, none) {mode=\"nearest\", names=[\"a\",\"b\"], scales=[0.5,2.25]} : ?\n"
      "  %e = edgeq.FusedConv(%s, %/conv/w) {activation=\"\", eps=1e-05, lo=-inf, "
      "value=tensor f32[2]} : f32[*]\n"
      "  output %e\n"
      "  output %d\n");
  expect_round_trip("graph empty opset=0\n");
  expect_round_trip(
      "graph sink opset=13\n"
      "  input %x: f32[1]\n"
      "   = Print(%x) :\n");
}

TEST(Parser, ReadsNodesAndTypes) {
  StatusOr<Graph> g = parse_text(R"(
    // a comment
    graph g opset=13
      input %x: f32[1,2]
      %a, %b = Split(%x) {axis=1, split=[1,1]} name=split0 : f32[1,1] f32[1,1]
      %c = Add(%a, none) : i64[]
      output %c
  )");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  ASSERT_EQ(g->nodes.size(), 2u);
  const Node& split = g->nodes[0];
  EXPECT_EQ(split.op_type, "Split");
  EXPECT_EQ(split.name, "split0");
  EXPECT_EQ(split.outputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split.attrs.get_int("axis"), 1);
  EXPECT_EQ(split.attrs.get_ints("split"), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(g->nodes[1].inputs, (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(g->values.at("c").dtype, DType::kInt64);
  EXPECT_EQ(g->values.at("c").shape->size(), 0u);
  EXPECT_EQ(g->opset(), 13);
  EXPECT_TRUE(verify(*g).ok());
}

TEST(Parser, InitializerAndTensorAttributeValues) {
  StatusOr<Graph> g = parse_text(
      "graph v opset=13\n"
      "  init %w: f32[2,2] = [[1, 2], [3, -4.5]]\n"
      "  init %h: f32[3] = fill(0.25)\n"
      "  init %i: i64[2] = [-9007199254740993, 7]\n"
      "  init %b: bool[2] = [true, 0]\n"
      "  init %z: f16[1]\n"
      "  %c = Constant() {value=tensor i32[3]=[4,5,6], f=1.5, s=\"x y\"} : i32[3]\n"
      "  output %c\n");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  const Tensor& w = g->initializers.at("w");
  EXPECT_EQ(w.shape(), (Dims{2, 2}));
  EXPECT_FLOAT_EQ(w.data<float>()[1], 2.0f);
  EXPECT_FLOAT_EQ(w.data<float>()[3], -4.5f);
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(g->initializers.at("h").data<float>()[i], 0.25f);
  EXPECT_EQ(g->initializers.at("i").data<int64_t>()[0], -9007199254740993);
  EXPECT_TRUE(g->initializers.at("b").data<bool>()[0]);
  EXPECT_FALSE(g->initializers.at("b").data<bool>()[1]);
  EXPECT_EQ(g->initializers.at("z").dtype(), DType::kFloat16);
  const Node& c = g->nodes[0];
  const Tensor* v = c.attrs.get_tensor("value");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->dtype(), DType::kInt32);
  EXPECT_EQ(v->data<int32_t>()[2], 6);
  EXPECT_FLOAT_EQ(c.attrs.get_float("f"), 1.5f);
  EXPECT_EQ(c.attrs.get_string("s"), "x y");
  EXPECT_EQ(g->values.at("w").dtype, DType::kFloat32);
}

// Each bad input fails with the line number and a sentence about the problem.
TEST(Parser, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"input %x: f32[1]\n", "line 1: expected 'graph"},
      {"graph g opset=13\n  input %x: q9[1]\n", "line 2: unknown dtype 'q9'"},
      {"graph g opset=13\n\n  %y = Relu %x : f32[1]\n", "line 3: expected '(' after the op type Relu"},
      {"graph g opset=13\n  init %w: f32[2] = [1, 2, 3]\n", "line 2: the tensor has 2 elements but 3 values"},
      {"graph g opset=13\n  init %w: f32[2,n]\n", "line 2: a tensor needs a static shape"},
      {"graph g opset=13\n  %y = Relu(%x) {alpha=}\n", "line 2: expected an attribute value"},
      {"graph g opset=13\n  %y = Relu(%x) {s=\"abc}\n", "line 2: unterminated string"},
      {"graph g opset=13\n  %y = Relu(%x) : f32[1] extra\n", "line 2: unexpected text 'extra'"},
      {"graph g opset=13\n  bogus\n", "line 2: expected input, init, output or a node"},
      {"graph g opset=13\n  input %x: f32[1,2\n", "line 2: expected ']' to close the shape"},
      {"", "no 'graph"},
  };
  for (const Case& c : cases) {
    StatusOr<Graph> g = parse_text(c.text);
    ASSERT_FALSE(g.ok()) << c.text;
    EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(g.status().message().find(c.expect), std::string::npos)
        << "text: " << c.text << "\nmessage: " << g.status().message();
  }
}

}  // namespace
}  // namespace edgeq::ir
