// End-to-end checks on the model zoo (scripts/export_models.py, run by the ctest fixture
// `zoo_export` into <build>/models): for each model and opset, edgeq's float interpreter
// must match torch, survive an ONNX save/load round trip bit-exactly, and agree with ONNX
// Runtime running edgeq's re-exported file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/npy.h"
#include "exec/interpreter.h"
#include "onnx/onnx_io.h"
#include "tests/common/zoo.h"

namespace edgeq {
namespace {

namespace fs = std::filesystem;

constexpr double kRelTolerance = 1e-3;  // max |got - ref| <= kRelTolerance * max |ref|

using testing_zoo::all_cases;
using testing_zoo::case_name;
using testing_zoo::models_dir;
using testing_zoo::ZooCase;

fs::path scratch_dir() {
  fs::path dir = fs::path(EDGEQ_BINARY_DIR) / "e2e_scratch";
  fs::create_directories(dir);
  return dir;
}


// Max |a - b| / max |b| over two f32 tensors of one shape (fails the test otherwise).
double relative_error(const Tensor& got, const Tensor& ref) {
  EXPECT_EQ(got.dtype(), DType::kFloat32);
  EXPECT_EQ(got.shape(), ref.shape());
  if (got.dtype() != DType::kFloat32 || ref.dtype() != DType::kFloat32 || got.shape() != ref.shape())
    return INFINITY;
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    double r = ref.data<float>()[i], g = got.data<float>()[i];
    if (std::isnan(g) || std::isnan(r)) return INFINITY;
    max_diff = std::max(max_diff, std::abs(g - r));
    max_ref = std::max(max_ref, std::abs(r));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

class Zoo : public testing::TestWithParam<ZooCase> {
 protected:
  void SetUp() override {
    const ZooCase& c = GetParam();
    model_path_ = models_dir() / (c.stem() + ".onnx");
    fs::path input_path = models_dir() / (c.model + "_input.npy");
    fs::path output_path = models_dir() / (c.stem() + "_output.npy");
    for (const fs::path& p : {model_path_, input_path, output_path})
      ASSERT_TRUE(fs::exists(p)) << "missing zoo file " << p
                                 << "; run /usr/bin/python3 scripts/export_models.py --out "
                                 << models_dir() << " (ctest fixture zoo_export)";
    StatusOr<Tensor> input = load_npy(input_path.string());
    ASSERT_TRUE(input.ok()) << input.status().to_string();
    input_ = *input;
    StatusOr<Tensor> reference = load_npy(output_path.string());
    ASSERT_TRUE(reference.ok()) << reference.status().to_string();
    reference_ = *reference;
  }

  // Loads `path` and runs it on the zoo input; returns the "output" tensor.
  void run_model(const fs::path& path, Tensor* output) {
    StatusOr<ir::Graph> graph = onnx::load_model(path.string());
    ASSERT_TRUE(graph.ok()) << "loading " << path << ": " << graph.status().to_string();
    StatusOr<std::unique_ptr<exec::Interpreter>> interp = exec::Interpreter::create(*graph);
    ASSERT_TRUE(interp.ok()) << "preparing " << path << ": " << interp.status().to_string();
    std::map<std::string, Tensor> fetches;
    Status s = (*interp)->run({{"input", input_}}, &fetches);
    ASSERT_TRUE(s.ok()) << "running " << path << ": " << s.to_string();
    ASSERT_EQ(fetches.count("output"), 1u) << path << " produced no tensor named 'output'";
    *output = fetches.at("output");
  }

  // Saves the loaded model back to ONNX in the scratch folder; returns the new path. `tag`
  // keeps the files of tests that ctest runs in parallel apart.
  void resave(const std::string& tag, fs::path* out) {
    StatusOr<ir::Graph> graph = onnx::load_model(model_path_.string());
    ASSERT_TRUE(graph.ok()) << graph.status().to_string();
    *out = scratch_dir() / (GetParam().stem() + "_" + tag + ".onnx");
    Status s = onnx::save_model(*graph, out->string());
    ASSERT_TRUE(s.ok()) << "saving " << *out << ": " << s.to_string();
  }

  fs::path model_path_;
  Tensor input_;
  Tensor reference_;
};

TEST_P(Zoo, MatchesTorch) {
  Tensor got;
  ASSERT_NO_FATAL_FAILURE(run_model(model_path_, &got));
  double ratio = relative_error(got, reference_);
  std::cout << GetParam().stem() << ": max|edgeq - torch| / max|torch| = " << ratio << "\n";
  RecordProperty("relative_error", std::to_string(ratio));
  EXPECT_LE(ratio, kRelTolerance) << GetParam().stem() << " differs from torch";
}

TEST_P(Zoo, SaveLoadRoundTripIsBitExact) {
  Tensor first, second;
  ASSERT_NO_FATAL_FAILURE(run_model(model_path_, &first));
  fs::path resaved;
  ASSERT_NO_FATAL_FAILURE(resave("roundtrip", &resaved));
  ASSERT_NO_FATAL_FAILURE(run_model(resaved, &second));
  ASSERT_EQ(first.dtype(), second.dtype());
  ASSERT_EQ(first.shape(), second.shape());
  int64_t differing = 0;
  for (int64_t i = 0; i < first.numel(); ++i)
    differing += std::memcmp(first.data<float>() + i, second.data<float>() + i, sizeof(float)) != 0;
  EXPECT_EQ(differing, 0) << "outputs of " << resaved << " differ from the original's in "
                          << differing << " of " << first.numel() << " elements";
  fs::remove(resaved);
}

TEST_P(Zoo, OnnxRuntimeAgreesOnReexportedModel) {
  Tensor ours;
  ASSERT_NO_FATAL_FAILURE(run_model(model_path_, &ours));
  fs::path resaved;
  ASSERT_NO_FATAL_FAILURE(resave("for_ort", &resaved));
  fs::path input_path = models_dir() / (GetParam().model + "_input.npy");
  fs::path ort_out = scratch_dir() / (GetParam().stem() + "_ort_output.npy");
  fs::path log = scratch_dir() / (GetParam().stem() + "_ort.log");
  fs::remove(ort_out);
  std::string cmd = "node '" + (fs::path(EDGEQ_SOURCE_DIR) / "bench/node/ort_run_npy.js").string() +
                    "' --model '" + resaved.string() + "' --input 'input=" + input_path.string() +
                    "' --output 'output=" + ort_out.string() + "' > '" + log.string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream log_in(log);
  std::stringstream log_text;
  log_text << log_in.rdbuf();
  ASSERT_EQ(rc, 0) << "ONNX Runtime failed on " << resaved << ":\n" << log_text.str();
  StatusOr<Tensor> theirs = load_npy(ort_out.string());
  ASSERT_TRUE(theirs.ok()) << theirs.status().to_string();
  double ratio = relative_error(ours, *theirs);
  std::cout << GetParam().stem() << ": max|edgeq - ort| / max|ort| = " << ratio << "\n";
  RecordProperty("relative_error_vs_ort", std::to_string(ratio));
  EXPECT_LE(ratio, kRelTolerance) << "ONNX Runtime on the re-exported " << GetParam().stem()
                                  << " disagrees with edgeq";
  fs::remove(resaved);
  fs::remove(ort_out);
  fs::remove(log);
}

INSTANTIATE_TEST_SUITE_P(Models, Zoo, testing::ValuesIn(all_cases()), case_name);

TEST(ZooManifest, ListsEveryModelAndFile) {
  fs::path path = models_dir() / "manifest.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path << " (ctest fixture zoo_export writes it)";
  nlohmann::json manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(manifest.is_discarded()) << path << " is not valid JSON";
  ASSERT_TRUE(manifest.contains("models") && manifest["models"].is_array());
  std::vector<std::string> names;
  for (const auto& m : manifest["models"]) {
    names.push_back(m.value("name", ""));
    ASSERT_TRUE(m.contains("files")) << m.dump();
    for (const auto& [key, file] : m["files"].items())
      EXPECT_TRUE(fs::exists(models_dir() / file.get<std::string>())) << "manifest names missing file " << file;
  }
  EXPECT_EQ(names, testing_zoo::model_names());
}

}  // namespace
}  // namespace edgeq
