// End to end on zoo models: `edgeq makertbin --fast-perf` writes the .bin, `edgeq perf`
// estimates it. The MAC totals are checked against the published figures of the
// torchvision models (counted independently of edgeq).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/graph_picture.h"
#include "tests/common/zoo.h"

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  std::string out;
};

CliResult run(const std::string& cmd) {
  CliResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string slurp(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct ZooPerfCase {
  std::string model;
  double gmacs;  // published multiply-accumulates per 224x224 frame
};

void PrintTo(const ZooPerfCase& c, std::ostream* os) { *os << c.model; }

class PerfZoo : public ::testing::TestWithParam<ZooPerfCase> {};

TEST_P(PerfZoo, MakertbinThenPerf) {
  const ZooPerfCase& c = GetParam();
  ASSERT_GT(c.gmacs, 0) << "no published MAC figure for " << c.model;
  testing_zoo::ZooCase zc{c.model, 13};
  fs::path model = testing_zoo::model_path(zc);
  ASSERT_TRUE(fs::exists(model)) << model;
  fs::path dir = fs::path(EDGEQ_BINARY_DIR) / "test_estimator" / "zoo" / zc.stem();
  fs::remove_all(dir);
  std::string edgeq = std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq";

  CliResult mk = run(edgeq + " makertbin --fast-perf --model " + model.string() +
                     " --model-type onnx --march host --output-dir " + (dir / "model_output").string());
  ASSERT_EQ(mk.exit_code, 0) << mk.out;
  fs::path bin = dir / "model_output" / (zc.stem() + ".bin");
  ASSERT_TRUE(fs::exists(bin)) << mk.out;

  // CPU seconds of edgeq perf and its Graphviz children: the work done, which unlike wall
  // time does not grow when the machine is busy with other jobs.
  rusage before{}, after{};
  getrusage(RUSAGE_CHILDREN, &before);
  CliResult perf = run(edgeq + " perf " + bin.string() + " --output-dir " + (dir / "perf_result").string());
  getrusage(RUSAGE_CHILDREN, &after);
  auto secs = [](const rusage& u) {
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  ASSERT_EQ(perf.exit_code, 0) << perf.out;
  EXPECT_LT(secs(after) - secs(before), 2.0) << "edgeq perf must not run the model";
  EXPECT_NE(perf.out.find("latency (1 frame"), std::string::npos) << perf.out;

  fs::path out = dir / "perf_result" / zc.stem();
  for (const char* ext : {".html", ".json", ".svg", ".png"})
    ASSERT_TRUE(fs::exists(out / (zc.stem() + ext))) << ext;
  auto j = nlohmann::json::parse(slurp(out / (zc.stem() + ".json")));
  EXPECT_NEAR(j["summary"]["total_macs"].get<double>() / 1e9, c.gmacs, 0.03 * c.gmacs);
  EXPECT_GT(j["summary"]["latency_ms"].get<double>(), 0);
  EXPECT_GT(j["summary"]["fps"].get<double>(), 0);
  EXPECT_GT(j["summary"]["arena_bytes"].get<int64_t>(), 0);
  EXPECT_GT(j["ops"].size(), 20u);
  double sum_ms = 0;
  bool has_cpu = false;
  for (const auto& op : j["ops"]) {
    EXPECT_GT(op["time_ms"].get<double>(), 0) << op["name"];
    sum_ms += op["time_ms"].get<double>();
    has_cpu |= op["placement"] == "cpu";
  }
  EXPECT_LE(sum_ms, j["summary"]["latency_ms"].get<double>() + 1e-9);

  std::string svg = slurp(out / (zc.stem() + ".svg"));
  EXPECT_NE(svg.find(edgeq::estimator::kAcceleratorColor), std::string::npos);
  EXPECT_EQ(svg.find(edgeq::estimator::kCpuColor) != std::string::npos, has_cpu);
  if (!j["removed_ops"].empty()) {
    EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  }
  std::string png = slurp(out / (zc.stem() + ".png"));
  ASSERT_GT(png.size(), 10000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

// GMACs as published (torchvision's model table; the papers for MobileNetV3-Small,
// ShuffleNetV2 and EfficientNet-Lite0). Every zoo model, so the test fails when the zoo
// grows without a figure here.
std::vector<ZooPerfCase> zoo_cases() {
  const std::map<std::string, double> gmacs = {
      {"resnet18", 1.81},          {"resnet50", 4.09},         {"mobilenet_v2", 0.30},
      {"mobilenet_v3_small", 0.056}, {"efficientnet_b0", 0.39}, {"efficientnet_lite0", 0.39},
      {"shufflenet_v2_x1_0", 0.146}, {"squeezenet1_1", 0.349},  {"regnet_x_400mf", 0.414},
  };
  std::vector<ZooPerfCase> cases;
  for (const std::string& m : testing_zoo::model_names()) {
    auto it = gmacs.find(m);
    cases.push_back({m, it == gmacs.end() ? -1.0 : it->second});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Models, PerfZoo, ::testing::ValuesIn(zoo_cases()),
                         [](const auto& info) { return info.param.model; });

}  // namespace
