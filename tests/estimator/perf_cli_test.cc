// Runs `edgeq perf` the way a user does on .bin files written by format::write_bin.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "estimator/graph_picture.h"
#include "estimator/target_profile.h"
#include "format/bin.h"
#include "tests/estimator/test_programs.h"

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout (and stderr when `merge`)
};

CliResult run_cli(const std::string& args, bool merge = true) {
  std::string cmd = std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq " + args + (merge ? " 2>&1" : " 2>/dev/null");
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

void expect_one_sentence(const CliResult& r, const std::string& must_contain) {
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out.rfind("edgeq perf: error: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(must_contain), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}

class PerfCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(EDGEQ_BINARY_DIR) / "test_estimator" / "cli" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    bin_ = (dir_ / "hybrid.bin").string();
    edgeq::format::Program p = testing_estimator::hybrid_program();
    p.options.isa = "avx512_core_amx";  // any ISA: perf never runs the model
    ASSERT_TRUE(edgeq::format::write_bin(p, bin_).ok());
  }
  fs::path dir_;
  std::string bin_;
};

TEST_F(PerfCli, PrintsEstimateAndWritesFiveFiles) {
  fs::path out = dir_ / "perf_result";
  CliResult r = run_cli("perf " + bin_ + " --output-dir " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("latency (1 frame, core_num 1):"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FPS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DDR traffic per frame"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Softmax_3"), std::string::npos) << r.out;
  for (const char* ext : {".html", ".json", ".svg", ".png"})
    EXPECT_TRUE(fs::exists(out / "hybrid" / (std::string("hybrid") + ext))) << ext;
  std::ifstream svg(out / "hybrid" / "hybrid.svg");
  std::stringstream s;
  s << svg.rdbuf();
  EXPECT_NE(s.str().find(edgeq::estimator::kAcceleratorColor), std::string::npos);
  EXPECT_NE(s.str().find(edgeq::estimator::kCpuColor), std::string::npos);
}

TEST_F(PerfCli, JsonOnStdout) {
  CliResult r = run_cli("perf " + bin_ + " --json --output-dir " + (dir_ / "pr").string(), /*merge=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["ops"].size(), 4u);
  EXPECT_GT(j["summary"]["latency_ms"].get<double>(), 0);
  EXPECT_GT(j["summary"]["fps"].get<double>(), 0);
  EXPECT_TRUE(fs::exists(j["files"]["png"].get<std::string>()));
}

TEST_F(PerfCli, ChosenTargetProfile) {
  std::string profile = std::string(EDGEQ_SOURCE_DIR) + "/docs/estimator_example_profile.json";
  CliResult r = run_cli("perf " + bin_ + " --json --target-profile " + profile + " --output-dir " +
                            (dir_ / "pr").string(), false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["target_profile"]["name"], "a55x4-board");
  EXPECT_EQ(j["summary"]["core_count"], 4);
}

TEST_F(PerfCli, MissingBin) {
  expect_one_sentence(run_cli("perf " + (dir_ / "nope.bin").string() + " --output-dir " + dir_.string()),
                      "nope.bin");
}

TEST_F(PerfCli, CorruptedBin) {
  std::string bytes;
  {
    std::ifstream f(bin_, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    bytes = ss.str();
  }
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x5a;
  std::ofstream((dir_ / "flipped.bin").string(), std::ios::binary) << flipped;
  CliResult r = run_cli("perf " + (dir_ / "flipped.bin").string() + " --output-dir " + dir_.string());
  expect_one_sentence(r, "flipped.bin");
  std::ofstream((dir_ / "short.bin").string(), std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  expect_one_sentence(run_cli("perf " + (dir_ / "short.bin").string() + " --output-dir " + dir_.string()),
                      "short.bin");
  EXPECT_FALSE(fs::exists(dir_ / "flipped")) << "no report for a bad file";
}

TEST_F(PerfCli, BadTargetProfile) {
  auto doc = nlohmann::json::parse(edgeq::estimator::profile_to_json(edgeq::estimator::builtin_host_profile()));
  doc["core"]["memory_bandwidth_bytes_per_s"] = -4e9;
  std::string negative = (dir_ / "negative.json").string();
  std::ofstream(negative) << doc.dump();
  expect_one_sentence(run_cli("perf " + bin_ + " --target-profile " + negative),
                      "core.memory_bandwidth_bytes_per_s must be positive, got -4e+09");
  doc["core"].erase("memory_bandwidth_bytes_per_s");
  std::string missing = (dir_ / "missing.json").string();
  std::ofstream(missing) << doc.dump();
  expect_one_sentence(run_cli("perf " + bin_ + " --target-profile " + missing),
                      "core.memory_bandwidth_bytes_per_s is missing");
  expect_one_sentence(run_cli("perf " + bin_ + " --target-profile " + (dir_ / "none.json").string()),
                      "none.json cannot be opened");
}

}  // namespace

namespace {

// --calibrate-target measures the host with the runtime's kernels and writes a profile
// that loads and that perf then uses.
TEST_F(PerfCli, CalibrateTarget) {
  std::string profile = (dir_ / "measured" / "host_profile.json").string();
  CliResult r = run_cli("perf --calibrate-target --calibration-runs 2 --target-profile " + profile);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("QConv 3x3 64"), std::string::npos) << r.out;
  auto p = edgeq::estimator::load_profile(profile);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "host");
  EXPECT_NE(p->description.find("measured"), std::string::npos);
  // Peaks and bandwidths are what the benchmarks reached (on a busy machine, little):
  // int8 convolutions beat the float reference kernels, all cores together reach at
  // least one core's bandwidth, and the cache at least the DDR's.
  EXPECT_GT(p->core.int8_macs_per_s, p->core.fp32_flops_per_s);
  EXPECT_GT(p->core.memory_bandwidth_bytes_per_s, 0);
  EXPECT_GE(p->shared_memory_bandwidth_bytes_per_s, p->core.memory_bandwidth_bytes_per_s);
  EXPECT_GE(p->core.cache_bandwidth_bytes_per_s, p->core.memory_bandwidth_bytes_per_s);
  EXPECT_GT(p->efficiency[static_cast<int>(edgeq::estimator::OpKind::kConv)].points.size(), 1u);
  EXPECT_GT(p->efficiency[static_cast<int>(edgeq::estimator::OpKind::kQuantize)].points.size(), 1u);
  // Every benchmark is recorded with its time.
  auto cal = nlohmann::json::parse(p->calibration_json);
  ASSERT_GT(cal["benchmarks"].size(), 30u);
  for (const auto& b : cal["benchmarks"]) EXPECT_GT(b["op_ms"].get<double>(), 0) << b["benchmark"];
  // The conv curve is over MACs per output, from the benchmarks with more than one pixel.
  EXPECT_EQ(p->efficiency[static_cast<int>(edgeq::estimator::OpKind::kConv)].axis,
            edgeq::estimator::CurveAxis::kMacsPerOutput);
  EXPECT_TRUE(p->cold_op_overhead.empty());

  CliResult e = run_cli("perf " + bin_ + " --json --target-profile " + profile + " --output-dir " +
                            (dir_ / "pr").string(), false);
  ASSERT_EQ(e.exit_code, 0) << e.out;
  auto j = nlohmann::json::parse(e.out);
  EXPECT_EQ(j["target_profile"]["source"], profile);
  EXPECT_GT(j["summary"]["latency_ms"].get<double>(), 0);
}

TEST_F(PerfCli, NoModel) {
  expect_one_sentence(run_cli("perf"), "no model given");
}

}  // namespace
