// The test model zoo (scripts/export_models.py, exported by the ctest fixture
// `zoo_export` into <build>/models): names, opsets, paths and gtest parameters.
//
//   class MyZooTest : public testing::TestWithParam<testing_zoo::ZooCase> {};
//   TEST_P(MyZooTest, Works) { auto path = testing_zoo::model_path(GetParam()); ... }
//   INSTANTIATE_TEST_SUITE_P(Models, MyZooTest, testing::ValuesIn(testing_zoo::all_cases()),
//                            testing_zoo::case_name);
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace testing_zoo {

inline const std::vector<std::string>& model_names() {
  static const std::vector<std::string> kModels = {
      "resnet18",           "resnet50",        "mobilenet_v2",
      "mobilenet_v3_small", "efficientnet_b0", "efficientnet_lite0",
      "shufflenet_v2_x1_0", "squeezenet1_1",   "regnet_x_400mf",
  };
  return kModels;
}
inline const std::vector<int>& opsets() {
  static const std::vector<int> kOpsets = {11, 13};
  return kOpsets;
}

inline std::filesystem::path models_dir() { return std::filesystem::path(EDGEQ_BINARY_DIR) / "models"; }

struct ZooCase {
  std::string model;
  int opset = 13;
  std::string stem() const { return model + "_op" + std::to_string(opset); }
};

inline void PrintTo(const ZooCase& c, std::ostream* os) { *os << c.stem(); }
inline std::string case_name(const testing::TestParamInfo<ZooCase>& info) { return info.param.stem(); }

inline std::filesystem::path model_path(const ZooCase& c) { return models_dir() / (c.stem() + ".onnx"); }
inline std::filesystem::path input_path(const ZooCase& c) { return models_dir() / (c.model + "_input.npy"); }
inline std::filesystem::path torch_output_path(const ZooCase& c) { return models_dir() / (c.stem() + "_output.npy"); }

// Every model at every opset.
inline std::vector<ZooCase> all_cases() {
  std::vector<ZooCase> cases;
  for (const auto& m : model_names())
    for (int op : opsets()) cases.push_back({m, op});
  return cases;
}

}  // namespace testing_zoo
