// Runs the `edgeq checker` binary the way a user does and checks what it prints.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

CliResult run_cli(const std::string& args) {
  std::string cmd = std::string(EDGEQ_BINARY_DIR) + "/bin/edgeq " + args + " 2>&1";
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

class Checker : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::path(EDGEQ_BINARY_DIR) / "test_models" / "checker";
    std::string cmd = "/usr/bin/python3 " + std::string(EDGEQ_SOURCE_DIR) +
                      "/tests/tools/make_checker_models.py " + dir_.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static std::string model(const std::string& name) { return (dir_ / name).string(); }
  static fs::path dir_;
};
fs::path Checker::dir_;

// One line, naming the problem, and no crash.
void expect_one_sentence(const CliResult& r, const std::string& must_contain) {
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("edgeq checker: error: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(must_contain), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}

TEST_F(Checker, PrintsTableAndTotals) {
  CliResult r = run_cli("checker --model " + model("tiny_conv.onnx") + " --model-type onnx --march host");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("conv0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("f32[1,8,16,16]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("f32[1,8]"), std::string::npos) << r.out;
  // 8 output channels x 16x16 positions x 3x3x3 taps
  EXPECT_NE(r.out.find("55.30 K MACs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("224 parameters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the model can be converted"), std::string::npos) << r.out;
}

TEST_F(Checker, JsonReport) {
  CliResult r = run_cli("checker --model " + model("tiny_conv.onnx") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["totals"]["ops"], 4);
  EXPECT_EQ(j["totals"]["macs"], 8 * 16 * 16 * 27);
  EXPECT_EQ(j["nodes"][0]["op_type"], "Conv");
  EXPECT_TRUE(j["convertible"].get<bool>());
}

TEST_F(Checker, UnsupportedOpIsListedAndExitCodeSaysNo) {
  CliResult r = run_cli("checker --model " + model("unsupported_op.onnx"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("NonZero (node 'nonzero0')"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot be converted"), std::string::npos) << r.out;
}

TEST_F(Checker, TruncatedFile) { expect_one_sentence(run_cli("checker --model " + model("truncated.onnx")), "truncated.onnx"); }

TEST_F(Checker, TextFile) { expect_one_sentence(run_cli("checker --model " + model("text.onnx")), "text.onnx"); }

TEST_F(Checker, MissingFile) { expect_one_sentence(run_cli("checker --model " + model("nope.onnx")), "nope.onnx"); }

TEST_F(Checker, IfNode) { expect_one_sentence(run_cli("checker --model " + model("if_node.onnx")), "If"); }

TEST_F(Checker, DynamicInputNeedsShape) {
  expect_one_sentence(run_cli("checker --model " + model("dynamic_input.onnx")), "--input-shape");
  CliResult r = run_cli("checker --model " + model("dynamic_input.onnx") + " --input-shape x:2x3x16x16");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("f32[2,8,16,16]"), std::string::npos) << r.out;
}

TEST_F(Checker, BadInputShapeFlag) {
  expect_one_sentence(run_cli("checker --model " + model("tiny_conv.onnx") + " --input-shape x:1xAx3"), "x:1xAx3");
}

}  // namespace
