// The optimization pipeline on the model zoo (ctest fixture zoo_export → <build>/models):
// the optimized graph computes what the original computes, holds none of the node kinds
// the passes remove, and (for the CNNs whose convs all end in an activation) every such
// Conv is fused into edgeq.FusedConv.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "base/npy.h"
#include "exec/interpreter.h"
#include "onnx/onnx_io.h"
#include "passes/pass.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

namespace fs = std::filesystem;

const char* const kModels[] = {
    "resnet18",           "resnet50",       "mobilenet_v2",
    "mobilenet_v3_small", "efficientnet_b0", "efficientnet_lite0",
    "shufflenet_v2_x1_0", "squeezenet1_1",  "regnet_x_400mf",
};
const int kOpsets[] = {11, 13};
// Models whose every Conv feeding an activation must end up fused with it.
const std::set<std::string> kFullyFused = {"resnet18", "resnet50", "mobilenet_v2", "efficientnet_lite0"};
constexpr double kRelTolerance = 1e-4;  // max |after - before| <= kRelTolerance * max |before|
constexpr double kMaxPipelineMs = 1000;

struct ZooCase {
  std::string model;
  int opset;
  std::string stem() const { return model + "_op" + std::to_string(opset); }
};

void PrintTo(const ZooCase& c, std::ostream* os) { *os << c.stem(); }

std::vector<ZooCase> all_cases() {
  std::vector<ZooCase> cases;
  for (const char* m : kModels)
    for (int op : kOpsets) cases.push_back({m, op});
  return cases;
}

fs::path models_dir() { return fs::path(EDGEQ_BINARY_DIR) / "models"; }

std::map<std::string, int> op_counts(const ir::Graph& g) {
  std::map<std::string, int> counts;
  for (const ir::Node& n : g.nodes) ++counts[(n.domain.empty() ? "" : n.domain + ".") + n.op_type];
  return counts;
}

std::string counts_text(const std::map<std::string, int>& counts) {
  std::string s;
  for (const auto& [op, n] : counts) s += " " + op + "=" + std::to_string(n);
  return s;
}

Status run_graph(const ir::Graph& g, const Tensor& input, Tensor* out) {
  EDGEQ_ASSIGN_OR_RETURN(auto interp, exec::Interpreter::create(g));
  std::map<std::string, Tensor> fetches;
  EDGEQ_RETURN_IF_ERROR(interp->run({{"input", input}}, &fetches));
  if (!fetches.count("output")) return not_found("the graph has no output named 'output'");
  *out = fetches.at("output");
  return {};
}

class PipelineZoo : public testing::TestWithParam<ZooCase> {};

TEST_P(PipelineZoo, OptimizedGraphMatchesAndIsClean) {
  const ZooCase& c = GetParam();
  const fs::path model = models_dir() / (c.stem() + ".onnx");
  const fs::path input_path = models_dir() / (c.model + "_input.npy");
  ASSERT_TRUE(fs::exists(model) && fs::exists(input_path))
      << "missing zoo files for " << c.stem() << "; run /usr/bin/python3 scripts/export_models.py --out "
      << models_dir() << " (ctest fixture zoo_export)";
  StatusOr<ir::Graph> loaded = onnx::load_model(model.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  StatusOr<Tensor> input = load_npy(input_path.string());
  ASSERT_TRUE(input.ok()) << input.status().to_string();

  ir::Graph g = *loaded;
  const auto t0 = std::chrono::steady_clock::now();
  Status s = run_pipeline(g, PassContext{});
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(s.ok()) << s.to_string();
  std::cout << c.stem() << ": " << loaded->nodes.size() << " → " << g.nodes.size() << " nodes in " << ms
            << " ms\n  before:" << counts_text(op_counts(*loaded)) << "\n  after: " << counts_text(op_counts(g))
            << "\n";
  EXPECT_LT(ms, kMaxPipelineMs) << "the pipeline is too slow on " << c.stem();

  // (a) the same numbers.
  Tensor before, after;
  Status rb = run_graph(*loaded, *input, &before);
  ASSERT_TRUE(rb.ok()) << rb.to_string();
  Status ra = run_graph(g, *input, &after);
  ASSERT_TRUE(ra.ok()) << ra.to_string();
  ASSERT_EQ(after.shape(), before.shape());
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < before.numel(); ++i) {
    max_ref = std::max(max_ref, std::abs(static_cast<double>(before.data<float>()[i])));
    max_diff = std::max(max_diff, std::abs(static_cast<double>(after.data<float>()[i]) - before.data<float>()[i]));
  }
  std::cout << "  max|after - before| / max|before| = " << max_diff / max_ref << "\n";
  EXPECT_LE(max_diff, kRelTolerance * max_ref) << c.stem();

  // (b) nothing left that the passes remove.
  GraphIndex index(g);
  for (const ir::Node& n : g.nodes) {
    static const std::set<std::string> kGone = {"Identity", "Dropout", "BatchNormalization", "Shape", "Constant"};
    EXPECT_FALSE(n.domain.empty() && kGone.count(n.op_type)) << c.stem() << ": " << n.op_type << " " << n.name;
    if (n.op_type == "Reshape" && n.has_input(1)) {
      const int p = index.producer(n.input(1));
      EXPECT_LT(p, 0) << c.stem() << ": the shape of Reshape " << n.name << " is computed by "
                      << g.nodes[static_cast<size_t>(p)].op_type << " "
                      << g.nodes[static_cast<size_t>(p)].name;
    }
  }

  // (c) every Conv followed by its activation is fused.
  if (kFullyFused.count(c.model)) {
    int unfused = 0;
    std::string first;
    for (const ir::Node& n : g.nodes) {
      if (n.op_type != "Conv" || !n.domain.empty() || !index.has_single_consumer(n.outputs[0])) continue;
      const ir::Node& next = g.nodes[static_cast<size_t>(index.consumers(n.outputs[0])[0])];
      if (next.op_type == "Relu" || next.op_type == "Clip") {
        if (!unfused++) first = n.name + " → " + next.op_type;
      }
    }
    EXPECT_EQ(unfused, 0) << c.stem() << ": " << unfused << " Conv nodes are not fused with their activation, "
                          << "e.g. " << first;
  }
}

// The zoo is exported with torch's constant folding, which already folds BatchNorm into
// the convs; this exports MobileNetV2 (depthwise convs) with BatchNormalization kept and
// non-trivial statistics, once, into the build folder.
TEST(PipelineBatchNorm, FoldsEveryBatchNormOfATorchModel) {
  const fs::path dir = fs::path(EDGEQ_BINARY_DIR) / "passes_models";
  const fs::path model = dir / "mobilenet_v2_bn_op13.onnx";
  const fs::path input_path = dir / "mobilenet_v2_bn_input.npy";
  if (!fs::exists(model) || !fs::exists(input_path)) {
    fs::create_directories(dir);
    const std::string script =
        "import torch, torchvision, numpy as np\n"
        "torch.manual_seed(5)\n"
        "m = torchvision.models.mobilenet_v2()\n"
        "for b in m.modules():\n"
        "    if isinstance(b, torch.nn.BatchNorm2d):\n"
        "        b.running_mean.uniform_(-0.5, 0.5); b.running_var.uniform_(0.5, 2)\n"
        "        b.weight.data.uniform_(0.5, 1.5); b.bias.data.uniform_(-0.2, 0.2)\n"
        "m.eval()\n"
        "x = torch.randn(1, 3, 224, 224)\n"
        "torch.onnx.export(m, x, '" + model.string() + "', opset_version=13, do_constant_folding=False,\n"
        "    input_names=['input'], output_names=['output'], training=torch.onnx.TrainingMode.PRESERVE)\n"
        "np.save('" + input_path.string() + "', x.numpy())\n";
    const fs::path script_path = dir / "export_bn.py";
    FILE* f = std::fopen(script_path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(script.c_str(), f);
    std::fclose(f);
    const std::string cmd = "/usr/bin/python3 '" + script_path.string() + "' > '" + (dir / "export_bn.log").string() + "' 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "exporting failed; see " << dir / "export_bn.log";
  }
  StatusOr<ir::Graph> loaded = onnx::load_model(model.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  StatusOr<Tensor> input = load_npy(input_path.string());
  ASSERT_TRUE(input.ok()) << input.status().to_string();
  ASSERT_GT(op_counts(*loaded)["BatchNormalization"], 0);
  ir::Graph g = *loaded;
  ASSERT_TRUE(run_pipeline(g, PassContext{}).ok());
  std::cout << "mobilenet_v2 with BatchNorm: " << loaded->nodes.size() << " → " << g.nodes.size() << " nodes\n  after:"
            << counts_text(op_counts(g)) << "\n";
  EXPECT_EQ(op_counts(g)["BatchNormalization"], 0);
  Tensor before, after;
  ASSERT_TRUE(run_graph(*loaded, *input, &before).ok());
  ASSERT_TRUE(run_graph(g, *input, &after).ok());
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < before.numel(); ++i) {
    max_ref = std::max(max_ref, std::abs(static_cast<double>(before.data<float>()[i])));
    max_diff = std::max(max_diff, std::abs(static_cast<double>(after.data<float>()[i]) - before.data<float>()[i]));
  }
  std::cout << "  max|after - before| / max|before| = " << max_diff / max_ref << "\n";
  EXPECT_LE(max_diff, kRelTolerance * max_ref);
}

INSTANTIATE_TEST_SUITE_P(Models, PipelineZoo, testing::ValuesIn(all_cases()),
                         [](const testing::TestParamInfo<ZooCase>& info) { return info.param.stem(); });

}  // namespace
}  // namespace edgeq::passes
