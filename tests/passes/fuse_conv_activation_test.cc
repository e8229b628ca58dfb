// fuse_conv_activation on text IR, and the whole pipeline on the zoo models.
#include <time.h>

#include <filesystem>
#include <cstdlib>
#include <set>
#include <sstream>

#include "base/npy.h"
#include "exec/interpreter.h"
#include "fusion_testing.h"
#include "onnx/onnx_io.h"

namespace edgeq::passes {
namespace {

using testing::apply_pass;
using testing::count_op;
using testing::find_op;
using testing::run_pass;

const char kConvHead[] = R"(
  input %x: f32[1,2,6,6]
  init %w: f32[4,2,3,3] = [0.3, -0.2, 0.1, 0.5, -0.4, 0.2, 0.1, 0.3, -0.1, 0.2, -0.3, 0.4, 0.1, -0.2, 0.3, 0.2, 0.1, -0.5, 0.4, 0.2, -0.1, 0.3, 0.1, -0.2, 0.2, 0.3, -0.4, 0.1, 0.2, 0.3, -0.3, 0.1, 0.5, -0.2, 0.1, 0.2, 0.3, -0.1, 0.2, 0.4, -0.3, 0.1, 0.2, 0.1, -0.2, 0.3, 0.5, -0.1, 0.2, 0.1, -0.3, 0.2, 0.4, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.3, 0.2, -0.4, 0.1, 0.3, 0.2, -0.2, 0.1, 0.4, -0.1, 0.2, 0.3, 0.1]
  init %b: f32[4] = [0.5, -0.5, 1.5, -2]
  %c = Conv(%x, %w, %b) {kernel_shape=[3,3], pads=[1,1,1,1]} name=conv : f32[1,4,6,6]
)";

std::string graph(int opset, const std::string& tail) {
  return "graph g opset=" + std::to_string(opset) + kConvHead + tail;
}

TEST(FuseConvActivation, ConvReluBecomesFusedConv) {
  const std::string after = run_pass(fuse_conv_activation, graph(13, R"(
  %y = Relu(%c) name=relu : f32[1,4,6,6]
  output %y
)"));
  EXPECT_NE(after.find("%y = edgeq.FusedConv(%x, %w, %b) {activation=\"Relu\", kernel_shape=[3,3], pads=[1,1,1,1]} "
                       "name=conv : f32[1,4,6,6]"),
            std::string::npos)
      << after;
  EXPECT_EQ(after.find("Relu("), std::string::npos) << after;
}

TEST(FuseConvActivation, EveryActivation) {
  const std::pair<const char*, std::vector<float>> cases[] = {
      {"%y = Sigmoid(%c) : f32[1,4,6,6]", {}},
      {"%y = Tanh(%c) : f32[1,4,6,6]", {}},
      {"%y = HardSwish(%c) : f32[1,4,6,6]", {}},
      {"%y = LeakyRelu(%c) {alpha=0.2} : f32[1,4,6,6]", {0.2f}},
      {"%y = HardSigmoid(%c) {alpha=0.3, beta=0.6} : f32[1,4,6,6]", {0.3f, 0.6f}},
      {"%y = HardSigmoid(%c) : f32[1,4,6,6]", {0.2f, 0.5f}},
      {"%y = Clip(%c, %lo, %hi) : f32[1,4,6,6]", {0.0f, 6.0f}},
      {"%y = Clip(%c, none, %hi) : f32[1,4,6,6]", {-INFINITY, 6.0f}},
  };
  for (const auto& [line, params] : cases) {
    SCOPED_TRACE(line);
    ir::Graph g = apply_pass(fuse_conv_activation, graph(13, std::string("  init %lo: f32[] = [0]\n  init %hi: f32[] = [6]\n  ") +
                                                            line + "\n  output %y\n"));
    ASSERT_EQ(count_op(g, "FusedConv"), 1) << ir::to_text(g);
    EXPECT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.opset_imports.at("edgeq"), 1);
    const ir::Node& n = g.nodes[0];
    EXPECT_EQ(n.attrs.get_floats("activation_params"), params);
    EXPECT_EQ(n.outputs[0], "y");
  }
}

TEST(FuseConvActivation, Relu6ClipWithAttributesBeforeOpset11) {
  ir::Graph g = apply_pass(fuse_conv_activation, graph(9, R"(
  %y = Clip(%c) {max=6.0, min=0.0} : f32[1,4,6,6]
  output %y
)"));
  ASSERT_EQ(count_op(g, "FusedConv"), 1);
  EXPECT_EQ(g.nodes[0].attrs.get_string("activation"), "Clip");
  EXPECT_EQ(g.nodes[0].attrs.get_floats("activation_params"), (std::vector<float>{0.0f, 6.0f}));
}

TEST(FuseConvActivation, FusedConvWithResidualTakesTheActivation) {
  ir::Graph g = apply_pass(fuse_conv_activation, graph(13, R"(
  %f = edgeq.FusedConv(%c, %w2, none, %c) {kernel_shape=[1,1]} name=fc : f32[1,4,6,6]
  %y = Relu(%f) : f32[1,4,6,6]
  output %y
  init %w2: f32[4,4,1,1] = fill(0.25)
)"));
  const ir::Node* fc = find_op(g, "FusedConv");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->name, "fc");
  EXPECT_EQ(fc->attrs.get_string("activation"), "Relu");
  EXPECT_EQ(count_op(g, "Relu"), 0);
}

TEST(FuseConvActivation, LeavesSharedOrOutputConvsAndVariableBounds) {
  const char* tails[] = {
      // the conv output is also a graph output
      "  %y = Relu(%c) : f32[1,4,6,6]\n  output %y\n  output %c\n",
      // the conv output has another reader
      "  %y = Relu(%c) : f32[1,4,6,6]\n  %z = Sigmoid(%c) : f32[1,4,6,6]\n  output %y\n  output %z\n",
      // Clip bound computed at run time
      "  input %m: f32[]\n  %y = Clip(%c, %m) : f32[1,4,6,6]\n  output %y\n",
      // not an activation
      "  %y = Softplus(%c) : f32[1,4,6,6]\n  output %y\n",
  };
  for (const char* tail : tails) {
    SCOPED_TRACE(tail);
    std::string text = graph(13, tail);
    if (std::string(tail).find("%m") != std::string::npos) {  // feeds need a static shape
      ir::Graph g = testing::parse(text);
      ASSERT_TRUE(fuse_conv_activation(g, PassContext{}).ok());
      EXPECT_EQ(count_op(g, "FusedConv"), 0);
      continue;
    }
    ir::Graph g = apply_pass(fuse_conv_activation, text);
    EXPECT_EQ(count_op(g, "FusedConv"), 0) << ir::to_text(g);
    EXPECT_EQ(count_op(g, "Conv"), 1);
  }
}

}  // namespace
}  // namespace edgeq::passes

// The zoo (build/models, exported by scripts/export_models.py): after the whole pipeline
// no activation reads a Conv (or a FusedConv without activation) any more, and the
// optimized graph computes what the original did (fast kernels, tolerance 1e-4 of max|y|).
namespace edgeq::passes {
namespace {

std::string zoo_model(const std::string& name) { return std::string(EDGEQ_BINARY_DIR) + "/models/" + name; }

// Activation nodes still fed directly by a conv that could have taken them.
int unfused_activations(const ir::Graph& g) {
  static const std::set<std::string> kActs = {"Relu", "Clip", "LeakyRelu", "HardSwish", "Sigmoid", "Tanh", "HardSigmoid"};
  int n = 0;
  for (const ir::Node& node : g.nodes) {
    if (!kActs.count(node.op_type)) continue;
    const int p = g.producer_index(node.input(0));
    if (p < 0) continue;
    const ir::Node& prod = g.nodes[static_cast<size_t>(p)];
    const bool conv = prod.op_type == "Conv" ||
                      (prod.op_type == "FusedConv" && prod.attrs.get_string("activation", "").empty());
    n += conv && g.consumer_indices(node.input(0)).size() == 1;
  }
  return n;
}

// Runs both graphs once (outputs into want/got), then `runs` more times each, interleaved so
// that load from other processes hits both alike; returns the two median thread CPU times in ms.
std::pair<double, double> run_both(const ir::Graph& a, const ir::Graph& b, const std::map<std::string, Tensor>& feeds,
                                   std::map<std::string, Tensor>* want, std::map<std::string, Tensor>* got, int runs) {
  auto ia = exec::Interpreter::create(a, {kernels::Backend::kFast});
  auto ib = exec::Interpreter::create(b, {kernels::Backend::kFast});
  EXPECT_TRUE(ia.ok() && ib.ok());
  if (!ia.ok() || !ib.ok()) return {0, 0};
  EXPECT_TRUE((*ia)->run(feeds, want).ok());
  EXPECT_TRUE((*ib)->run(feeds, got).ok());
  std::vector<double> ta, tb;
  std::map<std::string, Tensor> scratch;
  // Thread CPU time: with one thread all work runs on this thread, and the figure does not
  // depend on how busy the (shared) machine is.
  auto cpu_ms = [] {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
  };
  auto time = [&](exec::Interpreter& interp) {
    const double t0 = cpu_ms();
    EXPECT_TRUE(interp.run(feeds, &scratch).ok());
    return cpu_ms() - t0;
  };
  for (int i = 0; i < runs; ++i) {
    ta.push_back(time(**ia));
    tb.push_back(time(**ib));
  }
  std::sort(ta.begin(), ta.end());
  std::sort(tb.begin(), tb.end());
  return runs > 0 ? std::pair(ta[ta.size() / 2], tb[tb.size() / 2]) : std::pair(0.0, 0.0);
}

void check_zoo_model(const std::string& name, int timed_runs) {
  const std::string path = zoo_model(name + "_op13.onnx");
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing; run scripts/export_models.py --out build/models";
  auto g = onnx::load_model(path);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  ir::Graph optimized = *g;
  PassContext ctx;
  Status s = run_pipeline(optimized, ctx);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(unfused_activations(optimized), 0) << name;
  int convs = 0, fused = 0;
  for (const ir::Node& n : optimized.nodes) {
    convs += n.op_type == "Conv";
    fused += n.op_type == "FusedConv";
  }
  auto x = load_npy(zoo_model(name + "_input.npy"));
  ASSERT_TRUE(x.ok()) << x.status().to_string();
  std::map<std::string, Tensor> feeds{{g->inputs[0], *x}}, want, got;
  kernels::set_num_threads(1);
  const auto [before, after] = run_both(*g, optimized, feeds, &want, &got, timed_runs);
  kernels::set_num_threads(0);
  std::cout << name << ": " << g->nodes.size() << " → " << optimized.nodes.size() << " nodes, " << fused
            << " FusedConv, " << convs << " Conv left";
  if (timed_runs > 0) std::cout << "; 1 thread, median thread CPU " << before << " ms → " << after << " ms";
  std::cout << "\n";
  for (const auto& [out_name, w] : want) {
    ASSERT_TRUE(got.count(out_name));
    double max_ref = 0, max_diff = 0;
    for (int64_t i = 0; i < w.numel(); ++i) {
      max_ref = std::max(max_ref, std::abs(w.at_double(i)));
      max_diff = std::max(max_diff, std::abs(w.at_double(i) - got.at(out_name).at_double(i)));
    }
    EXPECT_LE(max_diff, 1e-4 * max_ref) << name << " output " << out_name;
  }
}

TEST(FuseConvActivationZoo, EveryConvActivationFusedAndNumbersKept) {
  for (const char* name : {"resnet18", "resnet50", "mobilenet_v2", "efficientnet_lite0"}) {
    SCOPED_TRACE(name);
    check_zoo_model(name, 0);
  }
}

// MobileNetV3 exports HardSwish as HardSigmoid + Mul at opset 13: recognized, then fused.
TEST(FuseConvActivationZoo, MobileNetV3HardSwishRecognizedAndFused) {
  check_zoo_model("mobilenet_v3_small", 0);
  auto g = onnx::load_model(zoo_model("mobilenet_v3_small_op13.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  ASSERT_TRUE(run_pipeline(*g, PassContext{}).ok());
  int hard_swish = 0;
  for (const ir::Node& n : g->nodes)
    hard_swish += n.op_type == "HardSwish" || n.attrs.get_string("activation", "") == "HardSwish";
  EXPECT_GT(hard_swish, 10);
  EXPECT_EQ(testing::count_op(*g, "HardSigmoid"), 0);
}

// Timing (not a check): ./edgeq_passes_tests --gtest_also_run_disabled_tests
//   --gtest_filter='*DISABLED_FloatInterpreterSpeedup*'
// EDGEQ_BENCH_MODELS=resnet50,mobilenet_v2 picks the models.
TEST(FuseConvActivationZoo, DISABLED_FloatInterpreterSpeedup) {
  std::vector<std::string> names = {"efficientnet_lite0", "resnet50", "mobilenet_v2", "resnet18"};
  if (const char* env = std::getenv("EDGEQ_BENCH_MODELS")) {
    names.clear();
    std::stringstream list(env);
    for (std::string n; std::getline(list, n, ',');) names.push_back(n);
  }
  for (const auto& name : names) check_zoo_model(name, 20);
}

}  // namespace
}  // namespace edgeq::passes
