// `edgeq checker` on every zoo model: the table, the totals, and MACs that agree with the
// published figures for these architectures.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct ZooModel {
  const char* name;
  double published_gmacs;  // torchvision's reference figures (multiply-adds at 224x224)
};

// EfficientNet-Lite0 is EfficientNet-B0 without squeeze-excitation: the SE blocks add
// under 1% of the MACs, so B0's figure applies.
constexpr ZooModel kZoo[] = {
    {"resnet18", 1.81},          {"resnet50", 4.09},        {"mobilenet_v2", 0.30},
    {"mobilenet_v3_small", 0.06}, {"efficientnet_b0", 0.39}, {"shufflenet_v2_x1_0", 0.14},
    {"squeezenet1_1", 0.35},     {"regnet_x_400mf", 0.41},  {"efficientnet_lite0", 0.39},
};

void PrintTo(const ZooModel& m, std::ostream* os) { *os << m.name; }

std::string capture(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class CheckerZoo : public ::testing::TestWithParam<ZooModel> {};

TEST_P(CheckerZoo, TableTotalsAndMacs) {
  const ZooModel& m = GetParam();
  const std::string model = std::string(EDGEQ_BINARY_DIR) + "/models/" + m.name + "_op13.onnx";
  ASSERT_TRUE(std::filesystem::exists(model)) << model << " is missing; run scripts/export_models.py";
  const std::string edgeq = std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq";

  int code = -1;
  std::string table = capture(edgeq + " checker --model " + model + " --model-type onnx --march host", &code);
  EXPECT_EQ(code, 0) << table;
  EXPECT_NE(table.find("totals: "), std::string::npos) << table;
  EXPECT_NE(table.find("the model can be converted"), std::string::npos) << table;

  std::string out = capture(edgeq + " checker --model " + model + " --json", &code);
  ASSERT_EQ(code, 0) << out;
  auto j = nlohmann::json::parse(out);
  const auto& nodes = j["nodes"];
  EXPECT_EQ(j["totals"]["ops"].get<size_t>(), nodes.size());
  for (const auto& n : nodes) {
    EXPECT_TRUE(n["supported"].get<bool>()) << n.dump();
    // Every output shape is known and static after the checker runs the model.
    for (const auto& s : n["outputs"]) EXPECT_EQ(s.get<std::string>().find('?'), std::string::npos) << n.dump();
    // Each node appears in the table.
    EXPECT_NE(table.find(n["name"].get<std::string>()), std::string::npos) << n["name"];
  }
  const double gmacs = j["totals"]["macs"].get<double>() / 1e9;
  std::printf("%s: %zu ops, %.2f M parameters, %.3f GMACs (published %.2f)\n", m.name, nodes.size(),
              j["totals"]["parameters"].get<double>() / 1e6, gmacs, m.published_gmacs);
  EXPECT_NEAR(gmacs, m.published_gmacs, 0.1 * m.published_gmacs + 0.006) << m.name;
  EXPECT_GT(j["totals"]["parameters"].get<double>(), 1e6);
}

INSTANTIATE_TEST_SUITE_P(Models, CheckerZoo, ::testing::ValuesIn(kZoo),
                         [](const ::testing::TestParamInfo<ZooModel>& info) { return std::string(info.param.name); });

}  // namespace
