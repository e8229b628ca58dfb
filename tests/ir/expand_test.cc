// expand_internal_ops: the expanded graph has only standard ops of its opset and computes
// what the original computed (interpreter, reference kernels); ONNX Runtime loads and runs
// saved graphs that held FusedConv / HardSwish / Gelu / LayerNormalization at opsets 11, 13.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "exec/interpreter.h"
#include "ir/expand.h"
#include "ir/parser.h"
#include "onnx/onnx_io.h"
#include "tests/onnx/test_util.h"

namespace edgeq::ir {
namespace {

Graph parse(const std::string& text) {
  StatusOr<Graph> g = parse_text(text);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return g.ok() ? *g : Graph();
}

std::map<std::string, Tensor> feeds_for(const Graph& g, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  std::map<std::string, Tensor> feeds;
  for (const auto& name : g.inputs) {
    Tensor t(DType::kFloat32, *static_dims(*g.value_info(name)->shape));
    for (float& v : t.span<float>()) v = dist(rng);
    feeds[name] = t;
  }
  return feeds;
}

std::map<std::string, Tensor> run(const Graph& g, const std::map<std::string, Tensor>& feeds) {
  std::map<std::string, Tensor> out;
  auto interp = exec::Interpreter::create(g, {kernels::Backend::kReference});
  EXPECT_TRUE(interp.ok()) << interp.status().to_string();
  if (!interp.ok()) return out;
  Status s = (*interp)->run(feeds, &out);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < want.numel(); ++i)
    ASSERT_NEAR(got.at_double(i), want.at_double(i), tol * (1 + std::abs(want.at_double(i))))
        << what << " element " << i;
}

int count_op(const Graph& g, const std::string& op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op_type == op;
  return n;
}

// Expands `text`, checks no listed op remains and that the outputs did not change.
Graph expand_and_compare(const std::string& text, const std::vector<std::string>& gone) {
  Graph g = parse(text);
  Graph e = g;
  Status s = expand_internal_ops(e);
  EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(verify(e).ok()) << to_text(e);
  for (const auto& op : gone) EXPECT_EQ(count_op(e, op), 0) << op << " left in\n" << to_text(e);
  for (const auto& [name, info] : e.values) EXPECT_NE(info.dtype, DType::kUndefined) << name;
  for (const Node& n : e.nodes)
    for (const auto& o : n.outputs) EXPECT_TRUE(e.values.count(o)) << "no ValueInfo for " << o;
  const auto feeds = feeds_for(g, 3);
  auto want = run(g, feeds), got = run(e, feeds);
  for (const auto& [name, w] : want) {
    EXPECT_TRUE(got.count(name)) << name;
    if (got.count(name)) expect_close(got.at(name), w, 2e-5, name);
  }
  return e;
}

std::string fused_conv_graph(int64_t opset, const std::string& act, const std::string& params, bool with_z) {
  std::string attrs = "{activation=\"" + act + "\"" + (params.empty() ? "" : ", activation_params=" + params) +
                      ", kernel_shape=[3,3], pads=[1,1,1,1]}";
  return "graph g opset=" + std::to_string(opset) + R"(
  input %x: f32[1,2,5,5]
  input %z: f32[1,3,5,5]
  init %w: f32[3,2,3,3] = [0.1, -0.2, 0.3, 0.05, 0.4, -0.1, 0.2, 0.1, -0.3, 0.2, 0.1, -0.1, 0.3, 0.2, -0.2, 0.1, 0.05, 0.3, -0.4, 0.1, 0.2, 0.3, -0.1, 0.1, 0.2, -0.3, 0.1, 0.2, 0.2, -0.1, 0.1, 0.3, 0.2, -0.2, 0.1, 0.4, -0.1, 0.1, 0.2, 0.3, -0.2, 0.1, 0.3, 0.05, -0.1, 0.2, 0.1, 0.3, -0.3, 0.2, 0.1, 0.1, -0.2, 0.3]
  init %b: f32[3] = [0.5, -0.5, 0.1]
  %y = edgeq.FusedConv(%x, %w, %b)" + (with_z ? ", %z" : "") + ") " + attrs + R"( name=fc : f32[1,3,5,5]
  output %y
)";
}

TEST(ExpandInternalOps, FusedConvEveryActivationAndOpset) {
  const std::pair<const char*, const char*> acts[] = {{"", ""},
                                                      {"Relu", ""},
                                                      {"Clip", "[0.0, 6.0]"},
                                                      {"LeakyRelu", "[0.1]"},
                                                      {"HardSwish", ""},
                                                      {"Sigmoid", ""},
                                                      {"Tanh", ""},
                                                      {"HardSigmoid", "[0.2, 0.5]"}};
  for (int64_t opset : {9, 11, 13, 14}) {
    for (const auto& [act, params] : acts) {
      for (bool with_z : {false, true}) {
        SCOPED_TRACE("opset " + std::to_string(opset) + " act '" + act + "'" + (with_z ? " with Z" : ""));
        Graph e = expand_and_compare(fused_conv_graph(opset, act, params, with_z), {"FusedConv"});
        EXPECT_EQ(count_op(e, "Conv"), 1);
        EXPECT_EQ(count_op(e, "Add"), with_z ? 1 : 0);
        EXPECT_EQ(count_op(e, "HardSwish"), std::string(act) == "HardSwish" && opset >= 14 ? 1 : 0);
        EXPECT_EQ(e.nodes.back().outputs[0], "y");
        EXPECT_EQ(e.opset_imports.count("edgeq"), 0u);
        if (std::string(act) == "Clip") {
          const Node& clip = e.nodes.back();
          EXPECT_EQ(clip.inputs.size(), opset < 11 ? 1u : 3u);
          EXPECT_EQ(clip.attrs.has("min"), opset < 11);
        }
      }
    }
  }
}

TEST(ExpandInternalOps, HardSwishBelowOpset14) {
  auto text = [](int opset) {
    return "graph g opset=" + std::to_string(opset) + R"(
  input %x: f32[2,8]
  %y = HardSwish(%x) name=hs : f32[2,8]
  output %y
)";
  };
  Graph e = expand_and_compare(text(13), {"HardSwish"});
  EXPECT_EQ(count_op(e, "HardSigmoid"), 1);
  EXPECT_EQ(count_op(expand_and_compare(text(14), {}), "HardSwish"), 1);
}

TEST(ExpandInternalOps, GeluBothForms) {
  for (const char* approx : {"none", "tanh"}) {
    SCOPED_TRACE(approx);
    Graph e = expand_and_compare(std::string(R"(
graph g opset=13
  input %x: f32[3,7]
  %y = Gelu(%x) {approximate=")") + approx + R"("} name=gelu : f32[3,7]
  output %y
)", {"Gelu"});
    EXPECT_EQ(count_op(e, std::string(approx) == "none" ? "Erf" : "Tanh"), 1);
  }
}

TEST(ExpandInternalOps, LayerNormalizationBelowOpset17) {
  for (const char* axis : {"-1", "1", "-2"}) {
    SCOPED_TRACE(axis);
    Graph e = expand_and_compare(std::string(R"(
graph g opset=13
  input %x: f32[2,3,4]
  init %scale: f32[4] = [1, 0.5, -2, 1.5]
  init %bias: f32[4] = [0.1, 0.2, -0.3, 0]
  %y = LayerNormalization(%x, %scale, %bias) {axis=)") + axis + R"(, epsilon=0.001} name=ln : f32[2,3,4]
  output %y
)", {"LayerNormalization"});
    EXPECT_EQ(count_op(e, "ReduceMean"), 2);
    EXPECT_TRUE(e.nodes[0].attrs.has("axes"));
  }
  Graph kept = expand_and_compare(R"(
graph g opset=17
  input %x: f32[2,4]
  init %scale: f32[4] = [1, 0.5, -2, 1.5]
  %y = LayerNormalization(%x, %scale) name=ln : f32[2,4]
  output %y
)", {});
  EXPECT_EQ(count_op(kept, "LayerNormalization"), 1);
}

TEST(ExpandInternalOps, UnknownActivationIsAnError) {
  Graph g = parse(fused_conv_graph(13, "Swish", "", false));
  EXPECT_EQ(expand_internal_ops(g).code(), StatusCode::kInvalidArgument);
}

// One graph with every op that needs expanding, saved at opsets 11 and 13 and run by ORT.
TEST(ExpandInternalOps, OnnxRuntimeRunsSavedGraphs) {
  ASSERT_TRUE(onnx::test::ort_available()) << "bench/node/node_modules is missing; run scripts/setup.sh";
  for (int64_t opset : {11, 13}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    Graph g = parse("graph g opset=" + std::to_string(opset) + R"(
  input %x: f32[1,2,5,5]
  input %z: f32[1,4,5,5]
  init %w: f32[4,2,3,3] = fill(0.1)
  init %w1: f32[4,4,1,1] = fill(-0.2)
  init %w2: f32[4,1,3,3] = fill(0.05)
  init %scale: f32[5] = [1, 0.5, -2, 1.5, 1]
  init %bias: f32[5] = [0.1, 0.2, -0.3, 0, 0.5]
  %a = edgeq.FusedConv(%x, %w, none, %z) {activation="Clip", activation_params=[0.0, 6.0], kernel_shape=[3,3], pads=[1,1,1,1]} name=c0 : f32[1,4,5,5]
  %b = edgeq.FusedConv(%a, %w1) {activation="HardSwish", kernel_shape=[1,1]} name=c1 : f32[1,4,5,5]
  %c = edgeq.FusedConv(%b, %w2) {activation="LeakyRelu", activation_params=[0.2], group=4, kernel_shape=[3,3], pads=[1,1,1,1]} name=c2 : f32[1,4,5,5]
  %d = HardSwish(%c) name=hs : f32[1,4,5,5]
  %e = Gelu(%d) name=gelu : f32[1,4,5,5]
  %y = LayerNormalization(%e, %scale, %bias) name=ln : f32[1,4,5,5]
  output %y
)");
    g.opset_imports["edgeq"] = 1;
    onnx::test::TempDir dir;
    Status s = onnx::save_model(g, dir.file("m.onnx"));
    ASSERT_TRUE(s.ok()) << s.to_string();
    auto loaded = onnx::load_model(dir.file("m.onnx"));
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    for (const Node& n : loaded->nodes) EXPECT_TRUE(n.domain.empty()) << n.op_type;
    const auto feeds = feeds_for(g, 5);
    const auto want = run(g, feeds);
    std::vector<Tensor> outs;
    std::string err = onnx::test::run_in_ort(dir.file("m.onnx"), {feeds.at("x"), feeds.at("z")}, dir.path(), &outs);
    ASSERT_EQ(err, "");
    ASSERT_EQ(outs.size(), 1u);
    expect_close(outs[0], want.at("y"), 1e-4, "y");
  }
}

}  // namespace
}  // namespace edgeq::ir
