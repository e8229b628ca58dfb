// ONNX Runtime and edgeq's interpreter run the same quantized ONNX file: every zoo model
// (opset 13 and 11), optimized, calibrated (8 random samples, max) and quantized, on 16
// other random inputs, is run by ORT twice in one node process:
//  - with all graph optimizations, so ORT executes its int8 kernels (QLinearConv, QGemm,
//    QLinearAdd...; its optimized model is saved and its int8 node types printed, and
//    for ResNet-18 the QLinearConv nodes are asserted);
//  - as written (graph optimizations off: ORT's reference QuantizeLinear/DequantizeLinear,
//    the float QDQ semantics).
// edgeq runs the file with its int8 simulation (InterpreterOptions::int8_simulation: the
// groups ORT fuses computed with edgeq's int8 kernels, which follow ORT's arithmetic) and
// must match ORT's int8 run: min cosine >= 0.999 over the 16 inputs and the same argmax on
// all of them, on every model in kReachesBar. Its float QDQ run must match ORT's reference
// run the same way. The table printed at the end gives all figures per model.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <regex>

#include "exec/interpreter.h"
#include "ir/expand.h"
#include "kernels/int8/ref.h"
#include "onnx/onnx_io.h"
#include "passes/pass.h"
#include "quant/quantize.h"
#include "tests/onnx/test_util.h"
#include "tests/common/zoo.h"
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
async function runAll(job, level, prefix, optimized) {
  const options = { graphOptimizationLevel: level };
  if (optimized) options.optimizedModelFilePath = optimized;
  const session = await ort.InferenceSession.create(job.model, options);
  for (let i = 0; i < job.inputs.length; ++i) {
    const buf = fs.readFileSync(job.inputs[i]);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    const feeds = {};
    feeds[session.inputNames[0]] = new ort.Tensor('float32', data, job.shape);
    const out = (await session.run(feeds))[session.outputNames[0]];
    fs.writeFileSync(prefix + i + '.bin', Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  }
}
async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  await runAll(job, 'all', job.prefix, job.optimized);          // int8 kernels
  await runAll(job, 'disabled', job.prefix + 'ref_', null);     // the QDQ graph as written
  await runAll({ ...job, model: job.calibrated, inputs: job.inputs.slice(0, 1) }, 'all', job.prefix + 'cal_', null);
}
main().catch((e) => { process.stderr.write(e.message + '\n'); process.exit(1); });
)JS";

// Zoo models (both opsets) on which the int8 simulation reaches the issue's bar against ORT's
// int8 kernels (measured; docs/quantization.md). All nine reach it.
const std::map<std::string, bool> kReachesBar = {
    {"efficientnet_b0", true},    {"efficientnet_lite0", true}, {"mobilenet_v2", true},
    {"mobilenet_v3_small", true}, {"regnet_x_400mf", true},     {"resnet18", true},
    {"resnet50", true},           {"shufflenet_v2_x1_0", true}, {"squeezenet1_1", true},
};

std::vector<std::string> zoo_models() {
  std::vector<std::string> names;
  for (const testing_zoo::ZooCase& c : testing_zoo::all_cases()) names.push_back(c.stem());
  // EDGEQ_QUANT_MODELS=<regex> runs a subset (debugging).
  if (const char* filter = std::getenv("EDGEQ_QUANT_MODELS")) {
    std::regex re(filter);
    std::erase_if(names, [&](const std::string& n) { return !std::regex_search(n, re); });
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

// Minimum cosines over the inputs and argmax agreement counts.
struct Agreement {
  double min_int8 = 1.0;        // edgeq int8 simulation vs ORT int8 kernels
  double min_float_int8 = 1.0;  // edgeq float QDQ vs ORT int8 kernels (before the simulation)
  double min_ref = 1.0;         // edgeq float QDQ vs ORT reference (graph optimizations off)
  double min_ort_self = 1.0;    // ORT reference vs ORT int8
  int argmax_same = 0, float_argmax_same = 0, ort_argmax_same = 0;
  int groups = 0;               // node groups the simulation ran as int8 kernels
  double calibrated = 0.0;      // calibrated model: edgeq vs ORT on one input
};

Tensor read_f32(const std::string& file, const Dims& shape) {
  const std::string bytes = read_file(file);
  Tensor t(DType::kFloat32, shape);
  if (bytes.size() != t.nbytes()) return {};
  std::memcpy(t.raw(), bytes.data(), bytes.size());
  return t;
}

// ---- Op by op: each fused group equals ORT's int8 kernel bit for bit ------------------------

namespace q8 = kernels::int8;

void add_u8_params(ir::Graph& g, const std::string& v, q8::QParam q) {
  g.add_initializer(v + "_scale", Tensor::scalar<float>(q.scale));
  g.add_initializer(v + "_zp", Tensor::scalar<uint8_t>(static_cast<uint8_t>(q.zero_point)));
}

// v → QuantizeLinear → DequantizeLinear; returns the DequantizeLinear output.
std::string qdq(ir::Graph& g, const std::string& v, q8::QParam q) {
  add_u8_params(g, v, q);
  g.add_node("QuantizeLinear", {v, v + "_scale", v + "_zp"}, {v + "_q"}, v + "_Q");
  g.add_node("DequantizeLinear", {v + "_q", v + "_scale", v + "_zp"}, {v + "_dq"}, v + "_DQ");
  return v + "_dq";
}

struct OpProbeParams {
  q8::QParam qa, qb, q_add, q_mul, q_sig, q_lrelu, q_conv, q_pool, q_gap, q_cat;
  std::vector<float> ws;  // conv weight scales
};

// Runs one QDQ model of every fused op in ORT (all optimizations: its int8 kernels) and in
// edgeq; returns the number of elements where edgeq's float QDQ form differs from ORT.
int probe_ops(const OpProbeParams& pp) {
  const auto& [qa, qb, q_add, q_mul, q_sig, q_lrelu, q_conv, q_pool, q_gap, q_cat, ws] = pp;
  ir::Graph g;
  g.opset_imports[""] = 13;
  g.add_input("a", DType::kFloat32, {ir::Dim(1), ir::Dim(1), ir::Dim(256), ir::Dim(256)});
  g.add_input("b", DType::kFloat32, {ir::Dim(1), ir::Dim(1), ir::Dim(256), ir::Dim(256)});
  const std::string ad = qdq(g, "a", qa), bd = qdq(g, "b", qb);
  auto op = [&](const std::string& type, std::vector<std::string> ins, const std::string& out, q8::QParam q) -> ir::Node& {
    ir::Node& n = g.add_node(type, std::move(ins), {out}, out + "_op");
    g.outputs.push_back(qdq(g, out, q));
    return n;
  };
  op("Add", {ad, bd}, "add", q_add);
  op("Mul", {ad, bd}, "mul", q_mul);
  op("Sigmoid", {ad}, "sig", q_sig);
  op("LeakyRelu", {ad}, "lrelu", q_lrelu).attrs.set("alpha", 0.13f);
  ir::Node& pool = op("AveragePool", {ad}, "pool", q_pool);
  pool.attrs.set("kernel_shape", std::vector<int64_t>{3, 3});
  pool.attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  op("GlobalAveragePool", {ad}, "gap", q_gap);
  op("Concat", {ad, bd}, "cat", q_cat).attrs.set("axis", int64_t{1});
  // Conv 1 → 4 channels, 3x3, pads 1, per-channel s8 weights and an s32 bias.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> wd(-127, 127), bd_dist(-20000, 20000);
  Tensor w(DType::kInt8, {4, 1, 3, 3});
  for (auto& v : w.span<int8_t>()) v = static_cast<int8_t>(wd(rng));
  Tensor bias(DType::kInt32, {4});
  for (auto& v : bias.span<int32_t>()) v = bd_dist(rng);
  std::vector<float> bs;
  for (float s : ws) bs.push_back(qa.scale * s);
  g.add_initializer("w_q", w);
  g.add_initializer("w_scale", Tensor::from_vector<float>({4}, ws));
  g.add_initializer("w_zp", Tensor(DType::kInt8, {4}));
  g.add_initializer("bias_q", bias);
  g.add_initializer("bias_scale", Tensor::from_vector<float>({4}, bs));
  g.add_initializer("bias_zp", Tensor(DType::kInt32, {4}));
  g.add_node("DequantizeLinear", {"w_q", "w_scale", "w_zp"}, {"w"}, "w_DQ").attrs.set("axis", int64_t{0});
  g.add_node("DequantizeLinear", {"bias_q", "bias_scale", "bias_zp"}, {"bias"}, "bias_DQ").attrs.set("axis", int64_t{0});
  op("Conv", {ad, "w", "bias"}, "conv", q_conv).attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});

  Tensor a(DType::kFloat32, {1, 1, 256, 256}), b(DType::kFloat32, {1, 1, 256, 256});
  Tensor ua(DType::kUInt8, {1, 1, 256, 256}), ub(DType::kUInt8, {1, 1, 256, 256});
  for (int i = 0; i < 65536; ++i) {
    ua.data<uint8_t>()[i] = static_cast<uint8_t>(i / 256);
    ub.data<uint8_t>()[i] = static_cast<uint8_t>(i % 256);
    a.data<float>()[i] = q8::dequantize(ua.data<uint8_t>()[i], qa);
    b.data<float>()[i] = q8::dequantize(ub.data<uint8_t>()[i], qb);
  }
  TempDir dir;
  const std::string model = dir.file("ops.onnx");
  EXPECT_TRUE(onnx::save_model(g, model).ok());
  setenv("EDGEQ_ORT_OPT", "all", 1);
  std::vector<Tensor> ort_out;
  const std::string err = onnx::test::run_in_ort(model, {a, b}, dir.file(""), &ort_out);
  unsetenv("EDGEQ_ORT_OPT");
  EXPECT_EQ(err, "");
  if (ort_out.size() != g.outputs.size()) {
    ADD_FAILURE() << "ORT returned " << ort_out.size() << " outputs";
    return -1;
  }

  // edgeq: the reference kernels on the u8 tensors, and the interpreter's int8 simulation.
  q8::Window2d pad1;
  pad1.kernel = {3, 3};
  pad1.pads_begin = {1, 1};
  pad1.pads_end = {1, 1};
  const Tensor* cat_in[] = {&ua, &ub};
  const q8::QParam cat_q[] = {qa, qb};
  std::map<std::string, std::pair<Tensor, q8::QParam>> expected;
  expected["add"] = {*q8::qadd(ua, qa, ub, qb, q_add), q_add};
  expected["mul"] = {*q8::qmul(ua, qa, ub, qb, q_mul), q_mul};
  expected["sig"] = {q8::qlut(ua, q8::sigmoid_table(qa, q_sig)), q_sig};
  expected["lrelu"] = {q8::qlut(ua, q8::leaky_relu_table(0.13f, qa, q_lrelu)), q_lrelu};
  expected["pool"] = {*q8::qaverage_pool(ua, qa, q_pool, pad1), q_pool};
  expected["gap"] = {*q8::qglobal_average_pool(ua, qa, q_gap), q_gap};
  expected["cat"] = {*q8::qconcat(cat_in, cat_q, q_cat, 1), q_cat};
  expected["conv"] = {*q8::qconv(ua, qa, w, ws, &bias, q_conv, pad1, 1), q_conv};
  exec::InterpreterOptions sim_options;
  sim_options.int8_simulation = true;
  auto sim = exec::Interpreter::create(g, sim_options);
  auto float_interp = exec::Interpreter::create(g);  // the float QDQ form, for comparison
  std::map<std::string, Tensor> sim_out, float_out;
  if (!sim.ok() || !float_interp.ok() || !(*sim)->run({{"a", a}, {"b", b}}, &sim_out).ok() ||
      !(*float_interp)->run({{"a", a}, {"b", b}}, &float_out).ok()) {
    ADD_FAILURE() << "edgeq's interpreter failed on the op probe model";
    return -1;
  }
  EXPECT_EQ((*sim)->int8_group_count(), expected.size());
  int total_float_differ = 0;

  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const std::string name = g.outputs[k].substr(0, g.outputs[k].size() - 3);  // "<op>_dq"
    SCOPED_TRACE(name);
    const auto& [want, q] = expected.at(name);
    const Tensor& theirs = ort_out[k];
    const Tensor& ours = sim_out.at(g.outputs[k]);
    if (theirs.numel() != want.numel()) {
      ADD_FAILURE() << "ORT output has " << theirs.numel() << " elements";
      continue;
    }
    int differ = 0, sim_differ = 0, float_differ = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
      const float ref_value = q8::dequantize(want.data<uint8_t>()[i], q);
      differ += theirs.data<float>()[i] != ref_value;
      sim_differ += ours.data<float>()[i] != ref_value;
      float_differ += float_out.at(g.outputs[k]).data<float>()[i] != theirs.data<float>()[i];
    }
    EXPECT_EQ(differ, 0) << "elements where ORT's int8 kernel and edgeq's reference kernel differ";
    EXPECT_EQ(sim_differ, 0) << "elements where the interpreter's int8 simulation and the reference kernel differ";
    std::cout << name << ": " << differ << " of " << want.numel() << " elements differ from ORT (float QDQ form: "
              << float_differ << ")\n";
    total_float_differ += float_differ;
  }
  return total_float_differ;
}

TEST(OrtAgreement, EachInt8OpMatchesOnnxRuntimeBitForBit) {
  ASSERT_TRUE(onnx::test::ort_available()) << "bench/node/node_modules is missing; run scripts/setup.sh";
  // a and b hold every pair of u8 values (a = i / 256, b = i % 256). Awkward params first.
  {
    SCOPED_TRACE("awkward scales");
    probe_ops({{0.0173f, 117}, {0.0291f, 93}, {0.0407f, 131}, {0.37f, 20}, {1.0f / 255, 0}, {0.019f, 40},
               {0.21f, 101}, {0.0171f, 119}, {0.0003f, 128}, {0.031f, 100}, {0.0071f, 0.0113f, 0.0093f, 0.0157f}});
  }
  // Power-of-two scales make many exact rounding ties: there the int8 kernels (zero point
  // added before rounding, fused multiply-adds) and the float QDQ form disagree, so this
  // shows that ORT ran its int8 kernels and that edgeq's simulation follows them.
  SCOPED_TRACE("power-of-two scales");
  const int float_differ =
      probe_ops({{0.25f, 117}, {0.125f, 93}, {0.5f, 131}, {0.5f, 21}, {1.0f / 256, 0}, {0.25f, 41}, {0.5f, 101},
                 {0.125f, 119}, {0.0625f, 127}, {0.25f, 100}, {1.0f / 64, 1.0f / 128, 1.0f / 32, 1.0f / 16}});
  EXPECT_GT(float_differ, 1000) << "the float QDQ form should differ from ORT's int8 kernels on ties";
}

// Debugging aid: EDGEQ_QUANT_DEBUG_MODEL=<quantized.onnx> (e.g. one kept with
// EDGEQ_QUANT_KEEP) runs the model in ORT (all optimizations) and in the int8 simulation
// with every QuantizeLinear output fetched, and prints each one that differs, in node order.
TEST(OrtAgreement, DebugIntermediateQuantizedValues) {
  const char* path = std::getenv("EDGEQ_QUANT_DEBUG_MODEL");
  if (!path) GTEST_SKIP() << "set EDGEQ_QUANT_DEBUG_MODEL to a quantized model";
  auto g = onnx::load_model(path);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  std::vector<std::string> qs;
  for (const ir::Node& n : g->nodes)
    if (n.op_type == "QuantizeLinear" && std::find(g->outputs.begin(), g->outputs.end(), n.outputs[0]) == g->outputs.end())
      qs.push_back(n.outputs[0]);
  const std::vector<std::string> model_outputs = g->outputs;
  g->outputs.insert(g->outputs.end(), qs.begin(), qs.end());
  // EDGEQ_QUANT_DEBUG_FLOAT=<value>: also fetch a float value (the input of a QuantizeLinear).
  const char* float_value = std::getenv("EDGEQ_QUANT_DEBUG_FLOAT");
  if (float_value) g->outputs.push_back(float_value);
  TempDir dir;
  ASSERT_TRUE(onnx::save_model(*g, dir.file("debug.onnx")).ok());
  auto feeds = test::random_feeds(*g, 1, 2);
  std::vector<Tensor> ins;
  for (const auto& name : g->inputs) ins.push_back(feeds[0].at(name));
  const char* level = std::getenv("EDGEQ_QUANT_DEBUG_ORT_OPT");  // default: all
  setenv("EDGEQ_ORT_OPT", level ? level : "all", 1);
  std::vector<Tensor> ort_out;
  const std::string err = onnx::test::run_in_ort(dir.file("debug.onnx"), ins, dir.path(), &ort_out);
  unsetenv("EDGEQ_ORT_OPT");
  ASSERT_EQ(err, "");
  ASSERT_EQ(ort_out.size(), g->outputs.size());
  exec::InterpreterOptions options;
  options.int8_simulation = true;
  auto sim = exec::Interpreter::create(*g, options);
  ASSERT_TRUE(sim.ok()) << sim.status().to_string();
  std::map<std::string, Tensor> out;
  ASSERT_TRUE((*sim)->run(feeds[0], &out).ok());
  std::map<std::string, std::string> producer_op;
  for (const ir::Node& n : g->nodes)
    for (const auto& v : n.outputs) producer_op[v] = n.op_type;
  if (float_value) {
    const Tensor& a = out.at(float_value);
    const Tensor& b = ort_out.back();
    int64_t differ = 0;
    double max_diff = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
      const double d = std::abs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]);
      differ += d != 0;
      max_diff = std::max(max_diff, d);
    }
    // A Conv with float weights reading a DequantizeLinear: element 0 in double.
    const int pi = g->producer_index(float_value);
    if (pi >= 0 && g->nodes[static_cast<size_t>(pi)].op_type == "Conv") {
      const ir::Node& conv = g->nodes[static_cast<size_t>(pi)];
      const ir::Node& dq = g->nodes[static_cast<size_t>(g->producer_index(conv.inputs[0]))];
      const Tensor& xq = out.count(dq.inputs[0]) ? out.at(dq.inputs[0]) : ort_out[0];
      const float sx = g->initializers.at(dq.inputs[1]).data<float>()[0];
      const int zx = g->initializers.at(dq.inputs[2]).data<uint8_t>()[0];
      const Tensor& w = g->initializers.at(conv.inputs[1]);
      double acc = conv.has_input(2) ? g->initializers.at(conv.inputs[2]).data<float>()[0] : 0.0;
      const int64_t cin = w.dim(1), kh = w.dim(2), kw = w.dim(3), hw = xq.dim(2) * xq.dim(3);
      std::cout << "  conv x " << shape_to_string(xq.shape()) << " w " << shape_to_string(w.shape()) << " pads "
                << shape_to_string(conv.attrs.get_ints("pads")) << "\n";
      if (kh == 1 && kw == 1)
        for (int64_t ic = 0; ic < cin; ++ic)
          acc += static_cast<double>(sx) * (xq.data<uint8_t>()[ic * hw] - zx) * w.data<float>()[ic];
      std::printf("  element 0 in double: %.9g (bias %.9g, w[0] %.9g)\n", acc, conv.has_input(2) ? g->initializers.at(conv.inputs[2]).data<float>()[0] : 0.0f, w.data<float>()[0]);
      for (const ir::Node& other : g->nodes)
        for (const auto& v : other.inputs)
          if (v == conv.inputs[1] || v == conv.inputs[2]) std::cout << "  weight read by " << other.name << "\n";
    }
    std::printf("%s: %lld of %lld differ, max |diff| %.9g; element 0: edgeq %.9g, ORT %.9g\n", float_value,
                static_cast<long long>(differ), static_cast<long long>(a.numel()), max_diff, a.data<float>()[0],
                b.data<float>()[0]);
  }
  int shown = 0;
  for (size_t k = model_outputs.size(); k < g->outputs.size() - (float_value ? 1 : 0); ++k) {
    const Tensor& a = out.at(g->outputs[k]);
    const Tensor& b = ort_out[k];
    int64_t differ = 0, first = -1;
    for (int64_t i = 0; i < a.numel() && i < b.numel(); ++i)
      if (a.data<uint8_t>()[i] != b.data<uint8_t>()[i]) {
        if (first < 0) first = i;
        ++differ;
      }
    if (differ == 0) continue;
    const std::string& q_input = g->nodes[static_cast<size_t>(g->producer_index(g->outputs[k]))].inputs[0];
    std::cout << g->outputs[k] << " (from " << producer_op[q_input] << "): " << differ << " of " << a.numel()
              << " differ; first at " << first << ": edgeq " << int(a.data<uint8_t>()[first]) << ", ORT "
              << int(b.data<uint8_t>()[first]) << "\n";
    {
      const int pi = g->producer_index(q_input);
      if (pi >= 0) {
        const ir::Node& op = g->nodes[static_cast<size_t>(pi)];
        std::cout << "  " << op.op_type << " '" << op.name << "' inputs:";
        for (const auto& v : op.inputs) {
          const int p2 = g->producer_index(v);
          std::cout << " " << v << " <- " << (p2 >= 0 ? g->nodes[static_cast<size_t>(p2)].op_type : std::string("-"));
        }
        std::cout << "; output readers:";
        for (int c : g->consumer_indices(q_input)) std::cout << " " << g->nodes[static_cast<size_t>(c)].op_type;
        std::cout << "\n";
      }
    }
    // For a Conv group: the exact accumulator and multiplier of the first differing element.
    for (const exec::Int8Group& grp : exec::find_int8_groups(*g)) {
      if (grp.output != g->outputs[k] || grp.kind != exec::Int8Group::Kind::kConv) continue;
      const ir::Node& conv = g->nodes[grp.op_node];
      const Tensor& x = out.at(grp.inputs[0]);
      const auto pads = conv.attrs.get_ints("pads", {0, 0, 0, 0});
      const auto strides = conv.attrs.get_ints("strides", {1, 1});
      const auto dil = conv.attrs.get_ints("dilations", {1, 1});
      const int64_t m = a.dim(1), oh = a.dim(2), ow = a.dim(3), c = x.dim(1), h = x.dim(2), w = x.dim(3);
      const int64_t kh = grp.weight.dim(2), kw = grp.weight.dim(3), cg = grp.weight.dim(1);
      const int64_t oc = (first / (oh * ow)) % m, oy = (first / ow) % oh, ox = first % ow, b = first / (m * oh * ow);
      const int64_t gi = oc / (m / grp.group);
      int32_t acc = grp.bias.defined() ? grp.bias.data<int32_t>()[oc] : 0;
      for (int64_t ic = 0; ic < cg; ++ic)
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            const int64_t iy = oy * strides[0] - pads[0] + ky * dil[0], ix = ox * strides[1] - pads[1] + kx * dil[1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            acc += (x.data<uint8_t>()[((b * c + gi * cg + ic) * h + iy) * w + ix] - grp.input_params[0].zero_point) *
                   grp.weight.data<int8_t>()[((oc * cg + ic) * kh + ky) * kw + kx];
          }
      const float mult = kernels::int8::conv_multiplier(grp.input_params[0].scale,
                                                        grp.weight_scales[grp.weight_scales.size() == 1 ? 0 : oc],
                                                        grp.output_param.scale);
      std::printf("  conv: acc %d, multiplier %.9g, acc*M %.9g, zy %d, x %s zx %d, group %lld, kernel %lldx%lld\n", acc,
                  mult, static_cast<double>(static_cast<float>(acc) * mult), grp.output_param.zero_point,
                  shape_to_string(x.shape()).c_str(), grp.input_params[0].zero_point,
                  static_cast<long long>(grp.group), static_cast<long long>(kh), static_cast<long long>(kw));
    }
    if (++shown == 12) break;
  }
}

TEST(OrtAgreement, ZooModelsQuantizedRunTheSameInOnnxRuntime) {
  ASSERT_TRUE(onnx::test::ort_available()) << "bench/node/node_modules is missing; run scripts/setup.sh";
  const std::vector<std::string> models = zoo_models();
  ASSERT_FALSE(models.empty()) << "no zoo models in build/models: run scripts/export_models.py";
  std::map<std::string, Agreement> table;
  for (const std::string& name : models) {
    SCOPED_TRACE(name);
    TempDir dir;
    const fs::path model_path = testing_zoo::models_dir() / (name + ".onnx");
    ASSERT_TRUE(fs::exists(model_path)) << model_path << " is missing: run scripts/export_models.py";
    auto g = onnx::load_model(model_path.string());
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    passes::PassContext ctx;
    Status optimized = passes::run_pipeline(*g, ctx);
    ASSERT_TRUE(optimized.ok()) << optimized.to_string();
    // Calibration ranges are keyed by the names of the expanded graph (FusedConv → Conv + act).
    ASSERT_TRUE(ir::expand_internal_ops(*g).ok());
    auto samples = random_samples(*g, 8, 1);
    ASSERT_TRUE(samples.ok()) << samples.status().to_string();
    auto cal = calibrate(*g, *samples, CalibrationOptions{});
    ASSERT_TRUE(cal.ok()) << cal.status().to_string();
    const RangeTable& ranges = cal->ranges.at(CalibrationMethod::kMax);
    auto q = quantize(*g, ranges, {});
    ASSERT_TRUE(q.ok()) << q.status().to_string();
    const std::string model_file = dir.file("quantized.onnx");
    ASSERT_TRUE(onnx::save_model(*q, model_file).ok());
    // EDGEQ_QUANT_KEEP=<dir> keeps a copy of each quantized model (debugging).
    if (const char* keep = std::getenv("EDGEQ_QUANT_KEEP")) fs::copy_file(model_file, fs::path(keep) / (name + "_quantized.onnx"), fs::copy_options::overwrite_existing);
    auto loaded = onnx::load_model(model_file);  // the saved file, as ORT sees it
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();

    // The calibrated model (QDQ pairs on the float graph) must load and run in ORT too.
    auto calibrated = attach_calibration(*g, ranges);
    ASSERT_TRUE(calibrated.ok()) << calibrated.status().to_string();
    ASSERT_TRUE(onnx::save_model(*calibrated, dir.file("calibrated.onnx")).ok());

    auto feeds = test::random_feeds(*g, 16, 2);
    nlohmann::json job = {{"model", model_file}, {"optimized", dir.file("ort_optimized.onnx")},
                          {"prefix", dir.file("ort_out_")}, {"inputs", nlohmann::json::array()},
                          {"calibrated", dir.file("calibrated.onnx")}};
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
    exec::InterpreterOptions sim_options;
    sim_options.int8_simulation = true;
    auto sim = exec::Interpreter::create(*loaded, sim_options);
    ASSERT_TRUE(sim.ok()) << sim.status().to_string();
    Agreement a;
    a.groups = static_cast<int>((*sim)->int8_group_count());
    EXPECT_GT(a.groups, 0) << "the int8 simulation found no groups";
    for (size_t i = 0; i < feeds.size(); ++i) {
      std::map<std::string, Tensor> out, sim_out;
      Status s = (*interp)->run(feeds[i], &out);
      ASSERT_TRUE(s.ok()) << s.to_string();
      s = (*sim)->run(feeds[i], &sim_out);
      ASSERT_TRUE(s.ok()) << s.to_string();
      const Tensor& ours = out.at(loaded->outputs.at(0));
      const Tensor& ours_int8 = sim_out.at(loaded->outputs.at(0));
      const Tensor int8 = read_f32(dir.file("ort_out_" + std::to_string(i) + ".bin"), ours.shape());
      const Tensor ref = read_f32(dir.file("ort_out_ref_" + std::to_string(i) + ".bin"), ours.shape());
      ASSERT_TRUE(int8.defined() && ref.defined()) << "ORT output " << i << " is missing or has the wrong size";
      const double cos = test::cosine(ours_int8, int8), ref_cos = test::cosine(ours, ref);
      const double float_cos = test::cosine(ours, int8), ort_self = test::cosine(ref, int8);
      // A wrong scale, zero point or layout drops far below this on any input.
      EXPECT_GE(cos, 0.98) << "input " << i;
      EXPECT_GE(ref_cos, 0.98) << "input " << i;
      a.min_int8 = std::min(a.min_int8, cos);
      a.min_float_int8 = std::min(a.min_float_int8, float_cos);
      a.min_ref = std::min(a.min_ref, ref_cos);
      a.min_ort_self = std::min(a.min_ort_self, ort_self);
      a.argmax_same += test::argmax(ours_int8) == test::argmax(int8);
      a.float_argmax_same += test::argmax(ours) == test::argmax(int8);
      a.ort_argmax_same += test::argmax(ref) == test::argmax(int8);
    }
    {
      auto cal_graph = onnx::load_model(dir.file("calibrated.onnx"));
      ASSERT_TRUE(cal_graph.ok()) << cal_graph.status().to_string();
      std::map<std::string, Tensor> out = test::run(*cal_graph, feeds[0]);
      const Tensor& ours = out.at(cal_graph->outputs.at(0));
      const Tensor theirs = read_f32(dir.file("ort_out_cal_0.bin"), ours.shape());
      ASSERT_TRUE(theirs.defined()) << "ORT did not run the calibrated model";
      a.calibrated = test::cosine(ours, theirs);
      // Every value quantized (pre-activation ones too): more ties to resolve differently.
      EXPECT_GE(a.calibrated, 0.95) << "calibrated model, edgeq vs ORT";
    }
    // The issue's bar: min cosine 0.999 over the 16 inputs and the same argmax on all of them.
    const auto bar = kReachesBar.find(name.substr(0, name.rfind("_op")));
    if (bar != kReachesBar.end() && bar->second) {
      EXPECT_GE(a.min_int8, 0.999) << "edgeq int8 simulation vs ORT int8 kernels";
      EXPECT_EQ(a.argmax_same, 16) << "argmax agreement with ORT's int8 kernels";
    } else {
      // Measured bound (see docs/quantization.md for why this model misses the bar).
      EXPECT_GE(a.min_int8, std::min(0.999, a.min_ort_self - 0.002)) << "edgeq int8 simulation vs ORT int8 kernels";
      EXPECT_GE(a.argmax_same + 2, a.ort_argmax_same) << "argmax agreement with ORT's int8 kernels";
    }
    // The float path against ORT's float QDQ (reference) run.
    EXPECT_GE(a.min_ref, std::min(0.999, a.min_ort_self - 0.002)) << "edgeq float QDQ vs ORT reference";
    if (a.min_int8 < 0.999 || a.argmax_same < 16)
      std::cout << name << ": below the issue's bar (cosine 0.999, same argmax on all 16 inputs): min cosine "
                << a.min_int8 << ", argmax " << a.argmax_same << "/16; ORT's own reference-vs-int8 runs: min cosine "
                << a.min_ort_self << ", argmax " << a.ort_argmax_same << "/16\n";
    table[name] = a;
  }
  std::cout << "model                     groups  int8sim~ORT-int8  float~ORT-int8  float~ORT-ref  ORT-ref~ORT-int8"
               "  argmax=ORT-int8 (int8sim, float, ORT-ref) of 16  calibrated edgeq~ORT\n";
  for (const auto& [name, a] : table)
    std::printf("%-26s %4d  %.6f          %.6f        %.6f       %.6f          %2d, %2d, %2d                 %.6f\n",
                name.c_str(), a.groups, a.min_int8, a.min_float_int8, a.min_ref, a.min_ort_self, a.argmax_same,
                a.float_argmax_same, a.ort_argmax_same, a.calibrated);
}

}  // namespace
}  // namespace edgeq::quant
