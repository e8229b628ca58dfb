// edgeq_model_exec end to end: `edgeq makertbin --fast-perf` on a zoo model, then perf
// (latency and FPS forms), model_info, infer, and every bad input getting one sentence
// and a non-zero exit.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct CmdResult {
  int code = -1;
  bool signaled = false;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// One folder per test process (ctest runs the tests of this file in parallel processes),
// removed when the process ends.
const fs::path& work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::path(EDGEQ_BINARY_DIR) / "model_exec_test" / std::to_string(::getpid());
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

class CleanUp : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    if (!::testing::UnitTest::GetInstance()->Failed()) fs::remove_all(work_dir(), ec);
  }
};
const auto* const kCleanUp = ::testing::AddGlobalTestEnvironment(new CleanUp);

CmdResult run(const std::string& args) {
  static int counter = 0;
  const fs::path out = work_dir() / ("stdout_" + std::to_string(counter) + ".txt");
  const fs::path err = work_dir() / ("stderr_" + std::to_string(counter++) + ".txt");
  const std::string cmd = std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq_model_exec " + args + " >" + out.string() +
                          " 2>" + err.string();
  int status = std::system(cmd.c_str());
  CmdResult r;
  r.signaled = !WIFEXITED(status);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// The model under test: MobileNetV2 (fast to convert), converted once per test binary.
const std::string& model_bin() {
  static const std::string path = [] {
    const fs::path onnx = fs::path(EDGEQ_BINARY_DIR) / "models" / "mobilenet_v2_op13.onnx";
    EXPECT_TRUE(fs::exists(onnx)) << onnx << " is missing; run scripts/export_models.py";
    const fs::path out = work_dir() / "mobilenet_v2_output";
    const std::string cmd = std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq makertbin --fast-perf --model " +
                            onnx.string() + " --model-type onnx --march host --output-dir " + out.string() + " >" +
                            (work_dir() / "makertbin.log").string() + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << slurp(work_dir() / "makertbin.log");
    for (const auto& e : fs::directory_iterator(out))
      if (e.path().extension() == ".bin") return e.path().string();
    ADD_FAILURE() << "makertbin wrote no .bin into " << out;
    return std::string();
  }();
  return path;
}

// A bad input: non-zero exit without a crash, and exactly one line on stderr.
void expect_one_sentence(const CmdResult& r, const std::string& words, int code = 2) {
  EXPECT_FALSE(r.signaled);
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
}

// A float32 .npy of the given shape.
void write_npy(const fs::path& p, const std::vector<int64_t>& shape, const std::vector<float>& data) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::ofstream f(p, std::ios::binary);
  f.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  f.write(reinterpret_cast<const char*>(&len), 2);
  f << header;
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * 4));
}

// The data of a .npy file (any dtype): the bytes after the header.
std::string npy_data(const fs::path& p) {
  std::string s = slurp(p);
  if (s.size() < 10) return {};
  const size_t len = static_cast<uint8_t>(s[8]) | (static_cast<uint8_t>(s[9]) << 8);
  return s.substr(10 + len);
}

nlohmann::json perf_json(const std::string& args) {
  CmdResult r = run("perf --model_file " + model_bin() + " " + args + " --json");
  EXPECT_EQ(r.code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

void check_result_block(const nlohmann::json& j, int64_t frames, int threads, int core_id) {
  ASSERT_FALSE(j.is_discarded());
  const auto& c = j["running_condition"];
  EXPECT_EQ(c["thread_num"], threads);
  EXPECT_EQ(c["frame_count"], frames);
  EXPECT_EQ(c["core_id"], core_id);
  const auto& r = j["result"];
  const double mn = r["min_latency_ms"], p50 = r["p50_latency_ms"], p90 = r["p90_latency_ms"],
               p99 = r["p99_latency_ms"], mx = r["max_latency_ms"], avg = r["avg_latency_ms"];
  EXPECT_GT(mn, 0.0);
  EXPECT_LE(mn, p50);
  EXPECT_LE(p50, p90);
  EXPECT_LE(p90, p99);
  EXPECT_LE(p99, mx);
  EXPECT_LE(mn, avg);
  EXPECT_LE(avg, mx);
  EXPECT_NEAR(r["frame_total_latency_ms"].get<double>(), avg * frames, 1e-6 * avg * frames + 1e-9);
  EXPECT_NEAR(r["fps"].get<double>(), frames * 1000.0 / c["run_time_ms"].get<double>(), 1e-6 * r["fps"].get<double>());
}

TEST(ModelExec, PerfLatencyOneCoreOneThread) {
  CmdResult r = run("perf --model_file " + model_bin() + " --core_id 1 --thread_num 1 --frame_count 20");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* line : {"Running condition:", "Thread number is: 1", "Frame count   is: 20", "Core id       is: 1",
                           "Program run time:", "Perf result:", "Frame totally latency is:", "Average    latency    is:",
                           "Min        latency    is:", "Max        latency    is:", "P50        latency    is:",
                           "P90        latency    is:", "P99        latency    is:", "Frame      rate       is:", "FPS"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  check_result_block(perf_json("--core_id 1 --thread_num 1 --frame_count 20"), 20, 1, 1);
}

TEST(ModelExec, PerfAnyCoreEightThreadsWithProgress) {
  CmdResult r = run("perf --model_file " + model_bin() + " --core_id 0 --thread_num 8 --frame_count 200 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  check_result_block(nlohmann::json::parse(r.out, nullptr, false), 200, 8, 0);
  EXPECT_NE(r.err.find("200/200 frames"), std::string::npos) << r.err;  // the progress line
}

TEST(ModelExec, PerfForAGivenTime) {
  // --perf_time is in minutes: 0.005 min = 0.3 s of frames, however many that is.
  auto j = perf_json("--core_id 0 --thread_num 2 --perf_time 0.005 --model_name mobilenet_v2_op13");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_GT(j["running_condition"]["frame_count"].get<int64_t>(), 0);
  EXPECT_GE(j["running_condition"]["run_time_ms"].get<double>(), 300.0);
}

TEST(ModelExec, PerfProfileWritesPerOpAndPerSegmentTimes) {
  const fs::path dir = work_dir() / "profile";
  fs::remove_all(dir);
  CmdResult r = run("perf --model_file " + model_bin() + " --core_id 1 --thread_num 1 --frame_count 6 --profile_path " +
              dir.string());
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(slurp(dir / "profiler.json"), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["frames"], 6);
  ASSERT_FALSE(j["ops"].empty());
  ASSERT_FALSE(j["segments"].empty());
  for (const auto& op : j["ops"]) {
    EXPECT_EQ(op["count"], 6) << op.dump();
    EXPECT_LE(op["min_ms"].get<double>(), op["max_ms"].get<double>());
  }
}

TEST(ModelExec, ModelInfo) {
  CmdResult r = run("model_info --model_file " + model_bin());
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* words : {"Build:", "march host", "fast-perf", "Inputs:", "input '", "u8 [1,3,224,224] NHWC",
                            "removed ops:", "Outputs:", "Segments", "accelerator", "Arena:", "Load time:"})
    EXPECT_NE(r.out.find(words), std::string::npos) << words << "\n" << r.out;
  CmdResult v = run("model_info -v --model_file " + model_bin());
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find("Kernels:"), std::string::npos);
  auto j = nlohmann::json::parse(run("model_info --json --model_file " + model_bin()).out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["inputs"][0]["dtype"], "u8");
  EXPECT_EQ(j["inputs"][0]["layout"], "NHWC");
  EXPECT_GT(j["arena_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(j["options"]["optimize_level"], 3);
}

TEST(ModelExec, InferFloatNpyMatchesPreQuantizedRawInput) {
  const fs::path npy = fs::path(EDGEQ_BINARY_DIR) / "models" / "mobilenet_v2_input.npy";
  const fs::path a = work_dir() / "infer_float", b = work_dir() / "infer_raw";
  fs::remove_all(a);
  fs::remove_all(b);
  CmdResult r = run("infer --model_file " + model_bin() + " --input_file " + npy.string() + " --dump_path " + a.string() +
              " --enable_dump --dump_format txt");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("top-5"), std::string::npos) << r.out;
  auto info = nlohmann::json::parse(run("model_info --json --model_file " + model_bin()).out);
  const std::string out_name = info["outputs"][0]["name"];
  std::string stem;
  for (char c : out_name) stem += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  for (const char* suffix : {".npy", "_float.npy", ".txt", "_float.txt"})
    EXPECT_TRUE(fs::exists(a / (stem + suffix))) << stem + suffix;
  const std::string txt = slurp(a / (stem + "_float.txt"));
  EXPECT_EQ(std::count(txt.begin(), txt.end(), '\n'), 1000);

  // The same image quantized here (the input's scale/zero point, NCHW → NHWC) as a raw file.
  const std::string data = npy_data(npy);
  ASSERT_EQ(data.size(), 3u * 224 * 224 * 4);
  const float* x = reinterpret_cast<const float*>(data.data());
  const float scale = info["inputs"][0]["quant"]["scale"][0];
  const int zp = info["inputs"][0]["quant"]["zero_point"][0];
  std::vector<uint8_t> q(3 * 224 * 224);
  for (int c = 0; c < 3; ++c)
    for (int s = 0; s < 224 * 224; ++s) {
      float v = std::nearbyint(x[c * 224 * 224 + s] / scale) + zp;
      q[s * 3 + c] = static_cast<uint8_t>(std::min(255.f, std::max(0.f, v)));
    }
  const fs::path raw = work_dir() / "input_nhwc_u8.bin";
  std::ofstream(raw, std::ios::binary).write(reinterpret_cast<const char*>(q.data()), static_cast<std::streamsize>(q.size()));
  CmdResult r2 = run("infer --model_file " + model_bin() + " --input_file " + raw.string() + " --dump_path " + b.string());
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(npy_data(a / (stem + ".npy")), npy_data(b / (stem + ".npy")));
  EXPECT_FALSE(npy_data(b / (stem + "_float.npy")).empty());
}

// The example a user copies (examples/classify.cc: public C++ API, edgeq_convert_layout)
// ranks the same five classes as `infer` on the same float image.
TEST(ModelExec, ExampleProgramAgreesWithInfer) {
  const fs::path npy = fs::path(EDGEQ_BINARY_DIR) / "models" / "mobilenet_v2_input.npy";
  const fs::path out = work_dir() / "example.txt", dump = work_dir() / "infer_for_example";
  const std::string cmd = std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq_example_classify " + model_bin() + " " +
                          npy.string() + " >" + out.string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(out);
  std::vector<int> example;
  const std::string text = slurp(out);
  for (size_t at = text.find("class "); at != std::string::npos; at = text.find("class ", at + 1))
    example.push_back(std::stoi(text.substr(at + 6)));
  CmdResult r = run("infer --model_file " + model_bin() + " --input_file " + npy.string() + " --dump_path " +
                    dump.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const size_t top = r.out.find("top-5");
  ASSERT_NE(top, std::string::npos) << r.out;
  std::vector<int> infer;
  // "top-5 (index: dequantized value):  383: 0.51169  926: 0.45966 ..."
  std::istringstream line(r.out.substr(r.out.find("):", top) + 2));
  std::string index, value;
  while (infer.size() < 5 && line >> index >> value) infer.push_back(std::stoi(index));
  EXPECT_EQ(example, infer) << text << r.out;
}

TEST(ModelExec, BadModelFiles) {
  expect_one_sentence(run("perf --model_file /nonexistent/model.bin --core_id 1 --thread_num 1 --frame_count 1"),
                      "/nonexistent/model.bin");
  const std::string good = slurp(model_bin());
  ASSERT_GT(good.size(), 1000u);
  const fs::path truncated = work_dir() / "truncated.bin", flipped = work_dir() / "flipped.bin";
  std::ofstream(truncated, std::ios::binary) << good.substr(0, good.size() / 2);
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x20;
  std::ofstream(flipped, std::ios::binary) << bad;
  // A file from a later edgeq: format_version (u32 LE at byte 8, docs/format.md) + 1.
  const fs::path newer = work_dir() / "newer.bin";
  std::string later = good;
  later[8] = static_cast<char>(later[8] + 1);
  std::ofstream(newer, std::ios::binary) << later;
  expect_one_sentence(run("model_info --model_file " + newer.string()), "newer");
  for (const fs::path& p : {truncated, flipped, newer}) {
    SCOPED_TRACE(p.string());
    expect_one_sentence(run("perf --model_file " + p.string() + " --core_id 1 --thread_num 1 --frame_count 1"), "error:");
    expect_one_sentence(run("model_info --model_file " + p.string()), "error:");
  }
}

TEST(ModelExec, BadFlags) {
  const std::string m = " --model_file " + model_bin();
  expect_one_sentence(run("perf" + m + " --core_id 9 --thread_num 1 --frame_count 1"), "--core_id 9 is out of range");
  expect_one_sentence(run("perf" + m + " --core_id -1 --thread_num 1 --frame_count 1"), "--core_id");
  expect_one_sentence(run("perf" + m + " --core_id 1 --thread_num 0 --frame_count 1"), "--thread_num must be at least 1");
  expect_one_sentence(run("perf" + m + " --core_id 1 --thread_num 1 --frame_count 0"), "--frame_count must be at least 1");
  expect_one_sentence(run("infer" + m + " --input_file a.npy --dump_format png"), "--dump_format");
  expect_one_sentence(run("model_info" + m + " --model_name resnet50"), "not 'resnet50'");
  CmdResult missing = run("perf --core_id 1");
  EXPECT_EQ(missing.code, 2);
  EXPECT_FALSE(missing.signaled);
}

TEST(ModelExec, WrongInputFiles) {
  const std::string m = " --model_file " + model_bin();
  const fs::path small = work_dir() / "small.npy", raw = work_dir() / "short.bin";
  write_npy(small, {1, 3, 200, 200}, std::vector<float>(3 * 200 * 200, 0.5f));
  expect_one_sentence(run("infer" + m + " --input_file " + small.string()), "Wrong shape");
  expect_one_sentence(run("perf" + m + " --core_id 1 --thread_num 1 --frame_count 1 --input_file " + small.string()),
                      "[1,3,200,200]");
  std::ofstream(raw, std::ios::binary) << std::string(1000, 'x');
  expect_one_sentence(run("infer" + m + " --input_file " + raw.string()), "needs exactly 150528");
  expect_one_sentence(run("infer" + m + " --input_file " + small.string() + "," + small.string()), "1 input(s)");
  expect_one_sentence(run("infer" + m + " --input_file /nonexistent/x.npy"), "/nonexistent/x.npy");
}

}  // namespace

namespace {

// The vendor workflow as written, on every zoo model: makertbin --fast-perf → <prefix>.bin,
// perf in both forms (small frame counts), model_info and infer.
class ModelExecZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelExecZoo, WorkflowAsWritten) {
  const std::string m = GetParam();
  const fs::path onnx = fs::path(EDGEQ_BINARY_DIR) / "models" / (m + "_op13.onnx");
  ASSERT_TRUE(fs::exists(onnx)) << onnx << " is missing; run scripts/export_models.py";
  const fs::path out = work_dir() / (m + "_output");
  const fs::path log = work_dir() / (m + "_makertbin.log");
  const std::string cmd = std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq makertbin --fast-perf --model " + onnx.string() +
                          " --model-type onnx --march host --output-dir " + out.string() + " >" + log.string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(log);
  const fs::path bin = out / (m + "_op13.bin");
  ASSERT_TRUE(fs::exists(bin)) << bin;

  CmdResult r = run("perf --model_file " + bin.string() + " --core_id 1 --thread_num 1 --frame_count 5 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  check_result_block(nlohmann::json::parse(r.out, nullptr, false), 5, 1, 1);
  r = run("perf --model_file " + bin.string() + " --core_id 0 --thread_num 8 --frame_count 16 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  check_result_block(nlohmann::json::parse(r.out, nullptr, false), 16, 8, 0);

  r = run("model_info --model_file " + bin.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(": u8 ["), std::string::npos) << r.out;  // fast-perf I/O in the accelerator's type

  const fs::path npy = fs::path(EDGEQ_BINARY_DIR) / "models" / (m + "_input.npy");
  const fs::path dump = work_dir() / (m + "_infer");
  r = run("infer --model_file " + bin.string() + " --input_file " + npy.string() + " --dump_path " + dump.string());
  ASSERT_EQ(r.code, 0) << r.err;
  size_t outputs = 0;
  for (const auto& e : fs::directory_iterator(dump)) outputs += e.path().string().ends_with("_float.npy");
  EXPECT_GE(outputs, 1u) << "infer wrote no dequantized output into " << dump;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ModelExecZoo,
                         ::testing::Values("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small",
                                           "efficientnet_b0", "efficientnet_lite0", "shufflenet_v2_x1_0",
                                           "squeezenet1_1", "regnet_x_400mf"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
