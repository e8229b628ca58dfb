// Models written by save_model must load and run in ONNX Runtime (bench/node/run_ort.js)
// and give the expected values. These tests fail, not skip, when ORT is not installed.
#include <cmath>
#include <cstring>
#include <iostream>
#include <set>

#include "onnx/onnx_io.h"
#include "tests/onnx/test_util.h"

namespace edgeq::onnx {
namespace {

using test::TempDir;
using TP = ::onnx::TensorProto;

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double g = got.at_double(i), w = want.at_double(i);
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(g)) << what << " element " << i;
      continue;
    }
    ASSERT_NEAR(g, w, tol + tol * std::abs(w)) << what << " element " << i;
  }
}

// y = Clip(Relu(x @ W + b), <no min>, max=6), z = Dropout mask is not used; the empty
// optional input of Clip must survive the round trip for ORT to accept the model.
ir::Graph small_graph() {
  ir::Graph g;
  g.name = "small";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, ir::make_shape({2, 3}));
  g.add_initializer("W", Tensor::from_vector<float>({3, 4}, {1, -2, 3, 0.5f, 2, 1, -1, 4, -3, 0, 2, 1}));
  g.add_initializer("b", Tensor::from_vector<float>({4}, {0.5f, -1, 2, 0}));
  g.add_initializer("max", Tensor::scalar<float>(6.0f));
  g.add_node("MatMul", {"x", "W"}, {"xw"}, "matmul");
  g.add_node("Add", {"xw", "b"}, {"h"}, "add");
  g.add_node("Relu", {"h"}, {"r"}, "relu");
  g.add_node("Clip", {"r", "", "max"}, {"y"}, "clip");
  ir::Node& t = g.add_node("Transpose", {"x"}, {"xt"}, "transpose");
  t.attrs.set("perm", std::vector<int64_t>{1, 0});
  ir::Node& l = g.add_node("LeakyRelu", {"xt"}, {"z"}, "leaky");
  l.attrs.set("alpha", 0.25f);
  g.outputs = {"y", "z"};
  g.values["y"] = {DType::kFloat32, ir::make_shape({2, 4}), std::nullopt};
  g.values["z"] = {DType::kFloat32, ir::make_shape({3, 2}), std::nullopt};
  return g;
}

TEST(OrtExport, SavedModelRunsInOnnxRuntime) {
  ASSERT_TRUE(test::ort_available()) << "bench/node/node_modules is missing; run scripts/setup.sh";
  TempDir dir;
  ir::Graph g = small_graph();
  ASSERT_TRUE(g.topological_sort().ok());
  ASSERT_TRUE(save_model(g, dir.file("small.onnx")).ok());
  // Through our own loader and exporter once more, as the pipeline does.
  auto loaded = load_model(dir.file("small.onnx"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  ASSERT_TRUE(save_model(*loaded, dir.file("small2.onnx")).ok());

  Tensor x = Tensor::from_vector<float>({2, 3}, {1, 2, 3, -1, 0.5f, 2});
  std::vector<Tensor> outs;
  std::string err = test::run_in_ort(dir.file("small2.onnx"), {x}, dir.path(), &outs);
  ASSERT_EQ(err, "");
  ASSERT_EQ(outs.size(), 2u);

  const Tensor& W = g.initializers.at("W");
  const Tensor& b = g.initializers.at("b");
  Tensor y(DType::kFloat32, {2, 4});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      float acc = b.data<float>()[j];
      for (int k = 0; k < 3; ++k) acc += x.data<float>()[i * 3 + k] * W.data<float>()[k * 4 + j];
      y.data<float>()[i * 4 + j] = std::min(std::max(acc, 0.0f), 6.0f);
    }
  Tensor z(DType::kFloat32, {3, 2});
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      float v = x.data<float>()[j * 3 + i];
      z.data<float>()[i * 2 + j] = v > 0 ? v : 0.25f * v;
    }
  expect_close(outs[0], y, 1e-6, "y");
  expect_close(outs[1], z, 1e-6, "z");
}

// Backend test models through load → save → ORT, compared with their expected outputs:
// opset 7..17, IR 3..8, optional inputs left empty, several outputs, int and bool dtypes.
TEST(OrtExport, BackendTestModelsSurviveTheRoundTrip) {
  ASSERT_TRUE(test::ort_available()) << "bench/node/node_modules is missing; run scripts/setup.sh";
  const std::string root = "/usr/share/libonnx-testdata/data/node/";
  ASSERT_TRUE(test::fs::exists(root)) << root << " is missing; run scripts/setup.sh";
  const char* tests[] = {"test_conv_with_strides_padding", "test_gemm_default_no_bias", "test_batchnorm_example",
                         "test_maxpool_2d_pads",           "test_resize_downsample_scales_linear",
                         "test_clip_default_int8_min",     "test_dropout_default_mask", "test_lstm_defaults",
                         "test_slice_default_axes",        "test_argmax_keepdims_example", "test_cast_FLOAT_to_DOUBLE",
                         "test_equal",                     "test_constant", "test_upsample_nearest"};
  for (const char* name : tests) {
    SCOPED_TRACE(name);
    TempDir dir;
    LoadOptions options;
    options.require_static_inputs = false;
    auto g = load_model(root + name + "/model.onnx", options);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    ASSERT_TRUE(save_model(*g, dir.file("m.onnx")).ok());
    test::fs::path set = test::fs::path(root) / name / "test_data_set_0";
    std::vector<Tensor> inputs, outs;
    for (int k = 0; test::fs::exists(set / ("input_" + std::to_string(k) + ".pb")); ++k) {
      auto t = load_tensor_proto_file((set / ("input_" + std::to_string(k) + ".pb")).string());
      ASSERT_TRUE(t.ok()) << t.status().to_string();
      inputs.push_back(*t);
    }
    std::string err = test::run_in_ort(dir.file("m.onnx"), inputs, dir.path(), &outs);
    ASSERT_EQ(err, "");
    for (size_t k = 0; k < outs.size(); ++k) {
      auto want = load_tensor_proto_file((set / ("output_" + std::to_string(k) + ".pb")).string());
      ASSERT_TRUE(want.ok()) << want.status().to_string();
      expect_close(outs[k], *want, 1e-4, std::string(name) + " output " + std::to_string(k));
    }
  }
}

bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0) return true;
  if (!dtype_is_float(a.dtype())) return false;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = a.at_double(i), y = b.at_double(i);
    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}

// Every backend test model edgeq loads, saved by edgeq, runs in ONNX Runtime exactly as
// the original does (one node process for all models). Models ORT itself cannot run are
// counted, not failed; random ops are left out.
TEST(OrtExport, EveryLoadableBackendModelRunsTheSameAfterSaving) {
  ASSERT_TRUE(test::ort_available()) << "bench/node/node_modules is missing; run scripts/setup.sh";
  const test::fs::path root = "/usr/share/libonnx-testdata/data";
  ASSERT_TRUE(test::fs::exists(root)) << root << " is missing; run scripts/setup.sh";
  const std::set<std::string> random_ops = {"RandomUniform", "RandomUniformLike", "RandomNormal",
                                            "RandomNormalLike", "Bernoulli", "Multinomial", "Dropout"};
  TempDir dir;
  nlohmann::json jobs = nlohmann::json::array();
  std::vector<std::string> names;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator"}) {
    for (const auto& e : test::fs::directory_iterator(root / suite)) {
      LoadOptions options;
      options.require_static_inputs = false;
      auto g = load_model((e.path() / "model.onnx").string(), options);
      if (!g.ok()) continue;
      bool random = false;
      for (const auto& n : g->nodes) random |= random_ops.count(n.op_type) > 0;
      if (random) continue;
      const std::string name = e.path().filename().string();
      const std::string saved = dir.file(name + ".onnx");
      ASSERT_TRUE(save_model(*g, saved).ok()) << name;
      nlohmann::json inputs = nlohmann::json::array();
      bool writable = true;
      const test::fs::path set = e.path() / "test_data_set_0";
      for (int k = 0; test::fs::exists(set / ("input_" + std::to_string(k) + ".pb")); ++k) {
        ::onnx::TensorProto proto;
        proto.ParseFromString(test::read_file((set / ("input_" + std::to_string(k) + ".pb")).string()));
        auto t = load_tensor_proto_file((set / ("input_" + std::to_string(k) + ".pb")).string());
        if (!t.ok() || !test::npy_descrs().count(t->dtype())) {
          writable = false;
          break;
        }
        std::string npy = dir.file(name + "_in" + std::to_string(k) + ".npy");
        test::write_npy(npy, *t);
        inputs.push_back(proto.name().empty() ? npy : proto.name() + "=" + npy);
      }
      if (!writable) continue;
      jobs.push_back({{"model", (e.path() / "model.onnx").string()}, {"inputs", inputs}, {"prefix", dir.file(name + "_orig_")}});
      jobs.push_back({{"model", saved}, {"inputs", inputs}, {"prefix", dir.file(name + "_saved_")}});
      names.push_back(name);
    }
  }
  const std::string jobs_file = dir.file("jobs.json");
  test::write_file(jobs_file, jobs.dump());
  std::string cmd = "node '" + (test::ort_runner_dir() / "run_ort.js").string() + "' --batch '" + jobs_file + "' > '" +
                    dir.file("log.txt") + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::read_file(dir.file("log.txt"));
  nlohmann::json results = nlohmann::json::parse(test::read_file(jobs_file + ".results.json"));
  ASSERT_EQ(results.size(), jobs.size());
  int same = 0, ort_cannot = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& orig = results[2 * i];
    const auto& saved = results[2 * i + 1];
    if (!orig["ok"].get<bool>()) {
      ++ort_cannot;
      continue;
    }
    ASSERT_TRUE(saved["ok"].get<bool>()) << names[i] << ": " << saved["error"].get<std::string>();
    auto a = nlohmann::json::parse(test::read_file(dir.file(names[i] + "_orig_outputs.json")));
    auto b = nlohmann::json::parse(test::read_file(dir.file(names[i] + "_saved_outputs.json")));
    ASSERT_EQ(a["outputs"].size(), b["outputs"].size()) << names[i];
    for (size_t k = 0; k < a["outputs"].size(); ++k) {
      Tensor x = test::read_npy(a["outputs"][k]["file"].get<std::string>());
      Tensor y = test::read_npy(b["outputs"][k]["file"].get<std::string>());
      EXPECT_TRUE(bit_equal(x, y)) << names[i] << " output " << k;
    }
    ++same;
  }
  std::cout << "ORT ran " << same << " saved backend models like their originals (" << ort_cannot
            << " originals ORT cannot run)\n";
  EXPECT_GT(same, 700);
}

}  // namespace
}  // namespace edgeq::onnx
