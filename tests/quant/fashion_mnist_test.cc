// Accuracy on real data: a small CNN trained on Fashion-MNIST (scripts/train_fashion_mnist.py,
// ctest fixture fashion_mnist, cached in <build>/fashion_mnist) is quantized by
// `edgeq makertbin --cal-data-dir` with 100 training images, once per calibration method;
// top-1 on the 10,000 test images may drop at most 0.5 points with the best method.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "base/npy.h"
#include "exec/interpreter.h"
#include "onnx/onnx_io.h"

namespace edgeq {
namespace {

namespace fs = std::filesystem;

constexpr double kMaxDropPoints = 0.5;
constexpr int64_t kBatch = 500;

fs::path data_dir() { return fs::path(EDGEQ_BINARY_DIR) / "fashion_mnist"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Rows [begin, begin + count) of an [N, ...] tensor.
Tensor rows(const Tensor& all, int64_t begin, int64_t count) {
  Dims dims = all.shape();
  dims[0] = count;
  Tensor t(all.dtype(), dims);
  size_t row_bytes = all.nbytes() / static_cast<size_t>(all.dim(0));
  std::memcpy(t.raw(), static_cast<const char*>(all.raw()) + row_bytes * static_cast<size_t>(begin),
              row_bytes * static_cast<size_t>(count));
  return t;
}

// Top-1 accuracy (percent) of a model on the test set: batched when the model accepts
// another batch size, one image at a time otherwise.
double top1(const fs::path& model, const Tensor& images, const Tensor& labels) {
  for (int64_t batch : {kBatch, int64_t{1}}) {
    onnx::LoadOptions load;
    load.input_shapes["input"] = {batch, 1, 28, 28};
    auto g = onnx::load_model(model.string(), load);
    if (!g.ok()) continue;
    auto interp = exec::Interpreter::create(*g);
    if (!interp.ok()) continue;
    int64_t correct = 0;
    bool ok = true;
    for (int64_t b = 0; ok && b < images.dim(0); b += batch) {
      std::map<std::string, Tensor> out;
      Status s = (*interp)->run({{"input", rows(images, b, batch)}}, &out);
      if (!s.ok()) {
        ok = false;
        break;
      }
      Tensor logits = out.at(g->outputs[0]).to_float();
      const int64_t classes = logits.numel() / batch;
      for (int64_t i = 0; i < batch; ++i) {
        const float* row = logits.data<float>() + i * classes;
        int64_t pred = std::max_element(row, row + classes) - row;
        correct += pred == labels.data<int64_t>()[b + i];
      }
    }
    if (ok) return 100.0 * static_cast<double>(correct) / static_cast<double>(images.dim(0));
  }
  ADD_FAILURE() << model << " cannot be run on the test images";
  return 0;
}

TEST(FashionMnist, QuantizedTop1DropsAtMostHalfAPoint) {
  if (!fs::exists(data_dir() / "info.json")) {
    std::string cmd = "/usr/bin/python3 '" + std::string(EDGEQ_SOURCE_DIR) + "/scripts/train_fashion_mnist.py' --out '" +
                      data_dir().string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "training failed: " << cmd;
  }
  auto images = load_npy((data_dir() / "test_images.npy").string());
  auto labels = load_npy((data_dir() / "test_labels.npy").string());
  ASSERT_TRUE(images.ok() && labels.ok());
  ASSERT_EQ(images->dim(0), 10000);
  ASSERT_EQ(labels->dtype(), DType::kInt64);

  const double float_top1 = top1(data_dir() / "model.onnx", *images, *labels);
  std::printf("float: top-1 %.2f%%\n", float_top1);
  EXPECT_GT(float_top1, 80.0) << "the trained model is too weak to tell anything";
  double best = -1;
  std::string best_method;
  for (const char* method : {"max", "percentile", "kl", "mse", "default"}) {
    fs::path out = data_dir() / (std::string("out_") + method);
    std::string cmd = "'" + std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq' makertbin --model '" +
                      (data_dir() / "model.onnx").string() +
                      "' --model-type onnx --march host --input-shape input:1x1x28x28 --cal-data-dir '" +
                      (data_dir() / "cal").string() + "' --calibration-method " + method + " --output-dir '" +
                      out.string() + "' > '" + out.string() + ".log' 2>&1";
    int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << read_file(out.string() + ".log");
    double q = top1(out / "model_quantized_model.onnx", *images, *labels);
    std::printf("%-10s top-1 %.2f%% (drop %.2f points)\n", method, q, float_top1 - q);
    if (std::string(method) != "default" && q > best) {
      best = q;
      best_method = method;
    }
  }
  std::printf("best method: %s, drop %.2f points\n", best_method.c_str(), float_top1 - best);
  EXPECT_LE(float_top1 - best, kMaxDropPoints) << "best method " << best_method;
}

}  // namespace
}  // namespace edgeq
