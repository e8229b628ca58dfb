// ONNX Runtime and edgeq's interpreter run the same quantized ONNX file and agree: for
// every zoo model (opset 13 and 11), optimized, calibrated (8 random samples, max) and
// quantized, both give the same argmax and cosine >= 0.999 on 16 other random inputs.
// ORT runs with all graph optimizations, so it executes its int8 kernels (QLinearConv,
// ...): its optimized model is saved and its node types printed, and for ResNet-18 the
// QLinearConv nodes are asserted.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>

#include "onnx/onnx_io.h"
#include "passes/pass.h"
#include "quant/quantize.h"
#include "tests/onnx/test_util.h"
#include "tests/quant/quant_test_util.h"

namespace edgeq::quant {
namespace {

namespace fs = std::filesystem;
using onnx::test::read_file;
using onnx::test::TempDir;
using onnx::test::write_file;

// One ORT session for all inputs of a model: raw f32 in, raw f32 out (first output).
constexpr const char* kOrtScript = R"JS(
'use strict';
const fs = require('fs');
const ort = require(process.argv[2]);
async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const session = await ort.InferenceSession.create(job.model, {
    graphOptimizationLevel: 'all', optimizedModelFilePath: job.optimized });
  for (let i = 0; i < job.inputs.length; ++i) {
    const buf = fs.readFileSync(job.inputs[i]);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    const feeds = {};
    feeds[session.inputNames[0]] = new ort.Tensor('float32', data, job.shape);
    const out = (await session.run(feeds))[session.outputNames[0]];
    fs.writeFileSync(job.prefix + i + '.bin', Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  }
}
main().catch((e) => { process.stderr.write(e.message + '\n'); process.exit(1); });
)JS";

std::vector<std::string> zoo_models() {
  std::vector<std::string> names;
  const fs::path dir = fs::path(EDGEQ_BINARY_DIR) / "models";
  if (!fs::exists(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string f = e.path().filename().string();
    if (f.size() > 10 && (f.ends_with("_op11.onnx") || f.ends_with("_op13.onnx"))) names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::map<std::string, int> op_counts(const std::string& model_file) {
  std::map<std::string, int> counts;
  ::onnx::ModelProto m;
  if (!m.ParseFromString(read_file(model_file))) return counts;
  for (const auto& n : m.graph().node()) ++counts[n.op_type()];
  return counts;
}

TEST(OrtAgreement, ZooModelsQuantizedRunTheSameInOnnxRuntime) {
  ASSERT_TRUE(onnx::test::ort_available()) << "bench/node/node_modules is missing; run scripts/setup.sh";
  const std::vector<std::string> models = zoo_models();
  ASSERT_FALSE(models.empty()) << "no zoo models in build/models: run scripts/export_models.py";
  std::map<std::string, double> min_cosines;
  for (const std::string& name : models) {
    SCOPED_TRACE(name);
    TempDir dir;
    auto g = onnx::load_model((fs::path(EDGEQ_BINARY_DIR) / "models" / (name + ".onnx")).string());
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    passes::PassContext ctx;
    ASSERT_TRUE(passes::run_pipeline(*g, ctx).ok());
    RangeTable ranges = test::max_ranges(*g, test::random_feeds(*g, 8, 1));
    auto q = quantize(*g, ranges, {});
    ASSERT_TRUE(q.ok()) << q.status().to_string();
    const std::string model_file = dir.file("quantized.onnx");
    ASSERT_TRUE(onnx::save_model(*q, model_file).ok());
    auto loaded = onnx::load_model(model_file);  // the saved file, as ORT sees it
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();

    auto feeds = test::random_feeds(*g, 16, 2);
    nlohmann::json job = {{"model", model_file}, {"optimized", dir.file("ort_optimized.onnx")},
                          {"prefix", dir.file("ort_out_")}, {"inputs", nlohmann::json::array()}};
    const std::string input = g->inputs.at(0);
    job["shape"] = feeds[0].at(input).shape();
    for (size_t i = 0; i < feeds.size(); ++i) {
      const std::string f = dir.file("in" + std::to_string(i) + ".bin");
      const Tensor& t = feeds[i].at(input);
      write_file(f, std::string(static_cast<const char*>(t.raw()), t.nbytes()));
      job["inputs"].push_back(f);
    }
    write_file(dir.file("job.json"), job.dump());
    write_file(dir.file("run.js"), kOrtScript);
    const std::string ort_module = (onnx::test::ort_runner_dir() / "node_modules" / "onnxruntime-node").string();
    const std::string cmd = "node '" + dir.file("run.js") + "' '" + ort_module + "' '" + dir.file("job.json") +
                            "' > '" + dir.file("log.txt") + "' 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir.file("log.txt"));

    std::map<std::string, int> ort_ops = op_counts(dir.file("ort_optimized.onnx"));
    std::string int8_ops;
    for (const auto& [op, c] : ort_ops)
      if (op.starts_with("QLinear") || op.starts_with("QGemm") || op.find("Integer") != std::string::npos)
        int8_ops += " " + op + "x" + std::to_string(c);
    std::cout << name << ": ORT int8 kernels:" << (int8_ops.empty() ? " none" : int8_ops) << "\n";
    if (name.starts_with("resnet18")) {
      EXPECT_GT(ort_ops["QLinearConv"], 10) << "ORT does not run int8 convs";
    }

    auto interp = exec::Interpreter::create(*loaded);
    ASSERT_TRUE(interp.ok()) << interp.status().to_string();
    double min_cos = 1.0;
    for (size_t i = 0; i < feeds.size(); ++i) {
      std::map<std::string, Tensor> out;
      Status s = (*interp)->run(feeds[i], &out);
      ASSERT_TRUE(s.ok()) << s.to_string();
      const Tensor& ours = out.at(loaded->outputs.at(0));
      const std::string ort_bytes = read_file(dir.file("ort_out_" + std::to_string(i) + ".bin"));
      ASSERT_EQ(ort_bytes.size(), ours.nbytes()) << "input " << i;
      Tensor theirs(DType::kFloat32, ours.shape());
      std::memcpy(theirs.raw(), ort_bytes.data(), ort_bytes.size());
      const double cos = test::cosine(ours, theirs);
      min_cos = std::min(min_cos, cos);
      EXPECT_EQ(test::argmax(ours), test::argmax(theirs)) << "input " << i;
      EXPECT_GE(cos, 0.999) << "input " << i;
    }
    min_cosines[name] = min_cos;
    std::cout << name << ": min cosine ORT vs edgeq over 16 inputs " << min_cos << "\n";
  }
  std::cout << "model                      min cosine (ORT vs edgeq, quantized)\n";
  for (const auto& [name, c] : min_cosines) std::printf("%-26s %.6f\n", name.c_str(), c);
}

}  // namespace
}  // namespace edgeq::quant
