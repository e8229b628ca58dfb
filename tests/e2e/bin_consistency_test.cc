// The compiled model agrees with the quantized ONNX model it came from: for every zoo
// model, `<prefix>.bin` run by the runtime and `<prefix>_quantized_model.onnx` run by the
// interpreter's int8 simulation give the same argmax and dequantized outputs within one
// quantization step on at least 99.9% of the elements, on 8 random inputs. The fast-perf
// .bin takes u8 NHWC inputs and gives u8 outputs: the test quantizes and lays out the
// float input as the removed head ops would, and dequantizes the outputs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "exec/interpreter.h"
#include "format/bin.h"
#include "kernels/int8/qops.h"
#include "kernels/isa.h"
#include "onnx/onnx_io.h"
#include "runtime/executable.h"
#include "runtime/layout_copy.h"

namespace edgeq {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kModels = {
    "resnet18",           "resnet50",       "mobilenet_v2",
    "mobilenet_v3_small", "efficientnet_b0", "efficientnet_lite0",
    "shufflenet_v2_x1_0", "squeezenet1_1",  "regnet_x_400mf",
};
constexpr int kInputs = 8;

fs::path build_dir() { return fs::path(EDGEQ_BINARY_DIR); }

// Converts one model with the edgeq binary, as a user does; returns the output folder.
fs::path convert(const std::string& model) {
  fs::path out = build_dir() / "e2e_consistency" / model;
  fs::path onnx_path = build_dir() / "models" / (model + "_op13.onnx");
  std::string cmd = "'" + (build_dir() / "bin" / "edgeq").string() + "' makertbin --fast-perf --model '" +
                    onnx_path.string() + "' --model-type onnx --march host --output-dir '" + out.string() +
                    "' > '" + out.string() + ".log' 2>&1";
  fs::create_directories(out.parent_path());
  int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd;
  return out;
}

// Float NCHW → the runtime's input tensor (dtype/layout/quant of the IoDesc tensor).
std::vector<uint8_t> to_runtime_input(const Tensor& x, const format::TensorDesc& d) {
  std::vector<uint8_t> bytes(static_cast<size_t>(d.nbytes()));
  if (d.dtype == DType::kFloat32) {
    std::memcpy(bytes.data(), x.raw(), bytes.size());
    return bytes;
  }
  const kernels::int8::QParam q{d.quant->scale[0], d.quant->zero_point[0]};
  const float* src = x.data<float>();
  std::vector<uint8_t> logical(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) logical[i] = kernels::int8::quantize(src[i], q);
  if (d.layout == format::Layout::kNHWC && d.shape.size() == 4)
    runtime::nchw_to_nhwc(logical.data(), bytes.data(), d.shape[0], d.shape[1], d.shape[2] * d.shape[3], 1);
  else
    bytes = std::move(logical);
  return bytes;
}

// The runtime's output → float in logical (NCHW) order.
std::vector<float> from_runtime_output(const void* data, const format::TensorDesc& d) {
  const int64_t numel = d.numel();
  std::vector<float> out(static_cast<size_t>(numel));
  if (d.dtype == DType::kFloat32) {
    std::memcpy(out.data(), data, out.size() * sizeof(float));
    return out;
  }
  const kernels::int8::QParam p{d.quant->scale[0], d.quant->zero_point[0]};
  std::vector<uint8_t> q(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + numel);
  if (d.layout == format::Layout::kNHWC && d.shape.size() == 4) {
    std::vector<uint8_t> logical(q.size());
    runtime::nhwc_to_nchw(q.data(), logical.data(), d.shape[0], d.shape[1], d.shape[2] * d.shape[3], 1);
    q = std::move(logical);
  }
  for (int64_t i = 0; i < numel; ++i) out[i] = kernels::int8::dequantize(q[i], p);
  return out;
}

class BinConsistency : public testing::TestWithParam<std::string> {};

TEST_P(BinConsistency, RuntimeEqualsInt8Simulation) {
  const std::string model = GetParam();
  fs::path dir = convert(model);
  ASSERT_TRUE(fs::exists(dir / (model + "_op13.bin"))) << dir;

  auto graph = onnx::load_model((dir / (model + "_op13_quantized_model.onnx")).string());
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  exec::InterpreterOptions sim_options;
  sim_options.int8_simulation = true;
  auto sim = exec::Interpreter::create(*graph, sim_options);
  ASSERT_TRUE(sim.ok()) << sim.status().message();

  format::ReadOptions ro;
  ro.host_isa = kernels::host_isa();
  auto program = format::read_bin((dir / (model + "_op13.bin")).string(), ro);
  ASSERT_TRUE(program.ok()) << program.status().message();
  auto exe = runtime::Executable::create(*program);
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = runtime::Instance::create(*exe);
  ASSERT_TRUE(inst.ok()) << inst.status().message();
  const format::Program& p = (*exe)->program();
  ASSERT_EQ(p.inputs.size(), 1u);

  std::mt19937 rng(2024);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  int64_t total = 0, within = 0, identical = 0;
  for (int k = 0; k < kInputs; ++k) {
    const format::TensorDesc& in_desc = p.tensors[p.inputs[0].tensor];
    Tensor x(DType::kFloat32, in_desc.shape);
    for (float& v : x.span<float>()) v = dist(rng);

    std::map<std::string, Tensor> fetches;
    ASSERT_TRUE((*sim)->run({{p.inputs[0].source_name, x}}, &fetches).ok());

    std::vector<uint8_t> in_bytes = to_runtime_input(x, in_desc);
    std::memcpy((*inst)->input(0), in_bytes.data(), in_bytes.size());
    ASSERT_TRUE((*inst)->run().ok());

    for (size_t o = 0; o < p.outputs.size(); ++o) {
      const format::TensorDesc& od = p.tensors[p.outputs[o].tensor];
      std::vector<float> got = from_runtime_output((*inst)->output(static_cast<int>(o)), od);
      const Tensor& want_t = fetches.at(p.outputs[o].source_name);
      ASSERT_EQ(want_t.numel(), static_cast<int64_t>(got.size())) << p.outputs[o].source_name;
      const float* want = want_t.data<float>();
      const float step = od.quant ? od.quant->scale[0] : 0.0f;
      for (size_t i = 0; i < got.size(); ++i) {
        ++total;
        if (std::fabs(got[i] - want[i]) <= step * 1.0001f + 1e-6f) ++within;
        if (got[i] == want[i]) ++identical;
      }
      auto argmax = [](const float* v, size_t n) { return std::max_element(v, v + n) - v; };
      EXPECT_EQ(argmax(got.data(), got.size()), argmax(want, got.size())) << model << " input " << k;
    }
  }
  const double frac = static_cast<double>(within) / static_cast<double>(total);
  std::printf("%s: %.5f%% of %lld output elements within one quantization step, %.5f%% identical\n", model.c_str(),
              100.0 * frac, static_cast<long long>(total),
              100.0 * static_cast<double>(identical) / static_cast<double>(total));
  EXPECT_GE(frac, 0.999) << model;
}

INSTANTIATE_TEST_SUITE_P(Zoo, BinConsistency, testing::ValuesIn(kModels),
                         [](const testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace edgeq
