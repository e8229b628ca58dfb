// The five report files on hand-built programs: HTML with its tables, script and inline
// picture; JSON; SVG with both colours and dashed cut ops; a real PNG; big models grouped.
#include "estimator/report.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/estimator/test_programs.h"

namespace {

namespace fs = std::filesystem;
using edgeq::DType;
using edgeq::estimator::Estimate;
using edgeq::format::Placement;
using edgeq::format::Program;
using testing_estimator::ProgramBuilder;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

fs::path out_dir(const std::string& name) {
  fs::path d = fs::path(EDGEQ_BINARY_DIR) / "test_estimator" / name;
  fs::remove_all(d);
  return d;
}

// A long chain: QConv blocks with a CPU op every `cpu_every` ops.
Program chain_program(int num_ops, int cpu_every) {
  ProgramBuilder b;
  int32_t x = b.act({1, 32, 28, 28});
  b.input(x, {"QuantizeLinear"});
  for (int i = 0; i < num_ops; ++i) {
    if (cpu_every > 0 && i % cpu_every == cpu_every - 1) {
      int32_t y = b.act({1, 32, 28, 28});
      b.op("Relu", {x}, {y}, Placement::kCpu);
      x = y;
    } else {
      x = b.qconv(x, 32, 3);
    }
  }
  b.output(x);
  return b.program();
}

TEST(Report, WritesFiveFilesWithBothColours) {
  Program p = testing_estimator::hybrid_program();
  auto e = edgeq::estimator::estimate(p, edgeq::estimator::builtin_host_profile());
  ASSERT_TRUE(e.ok()) << e.status().message();
  fs::path dir = out_dir("hybrid");
  auto files = edgeq::estimator::write_report(p, *e, dir.string(), "hybrid");
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(files->html, (dir / "hybrid" / "hybrid.html").string());
  std::vector<fs::path> listed;
  for (const auto& entry : fs::directory_iterator(dir / "hybrid")) listed.push_back(entry.path().filename());
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<fs::path>{"hybrid.html", "hybrid.json", "hybrid.png", "hybrid.svg"}));

  std::string svg = slurp(files->svg);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find(std::string("fill=\"") + edgeq::estimator::kAcceleratorColor + "\""), std::string::npos);
  EXPECT_NE(svg.find(std::string("fill=\"") + edgeq::estimator::kCpuColor + "\""), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);  // the removed head/tail ops
  EXPECT_NE(svg.find("QuantizeLinear"), std::string::npos);
  EXPECT_NE(svg.find("1x16x16x16"), std::string::npos);        // an edge label
  for (const auto& op : p.ops) EXPECT_NE(svg.find(op.name), std::string::npos) << op.name;

  std::string png = slurp(files->png);
  ASSERT_GT(png.size(), 2000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");

  std::string html = slurp(files->html);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  EXPECT_NE(html.find("id=\"ops\""), std::string::npos);
  EXPECT_NE(html.find("id=\"segments\""), std::string::npos);
  EXPECT_NE(html.find("addEventListener('click'"), std::string::npos);
  EXPECT_EQ(count(html, "<tr class=\"accelerator\">"), 3u + 1u);  // 3 op rows + 1 segment row
  EXPECT_EQ(count(html, "<tr class=\"cpu\">"), 1u + 1u);
  EXPECT_NE(html.find("Softmax"), std::string::npos);
  EXPECT_NE(html.find("<ol id=\"costliest\">\n<li>" + e->ops[e->costliest(1)[0]].name + " ("), std::string::npos);

  auto j = nlohmann::json::parse(slurp(files->json));
  EXPECT_EQ(j["ops"].size(), 4u);
  EXPECT_EQ(j["segments"].size(), 2u);
  EXPECT_EQ(j["files"]["png"], "hybrid.png");
  EXPECT_NEAR(j["summary"]["fps"].get<double>(), e->fps, 1e-9 * e->fps);
}

TEST(Report, AcceleratorOnlyModelHasNoGrey) {
  Program p = chain_program(5, 0);
  auto e = edgeq::estimator::estimate(p, edgeq::estimator::builtin_host_profile());
  ASSERT_TRUE(e.ok());
  auto files = edgeq::estimator::write_report(p, *e, out_dir("acc_only").string(), "acc_only");
  ASSERT_TRUE(files.ok()) << files.status().message();
  std::string svg = slurp(files->svg);
  EXPECT_NE(svg.find(edgeq::estimator::kAcceleratorColor), std::string::npos);
  EXPECT_EQ(svg.find(edgeq::estimator::kCpuColor), std::string::npos);
}

// CPU seconds of this process and of the children it waited for (Graphviz): the work
// done, which unlike wall time does not grow when the machine is busy with other jobs.
double cpu_seconds() {
  double s = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    s += u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  }
  return s;
}

TEST(Report, BigModelIsGroupedAndFast) {
  double start = cpu_seconds();
  Program p = chain_program(2000, 50);
  auto e = edgeq::estimator::estimate(p, edgeq::estimator::builtin_host_profile());
  ASSERT_TRUE(e.ok());
  auto files = edgeq::estimator::write_report(p, *e, out_dir("big").string(), "big");
  ASSERT_TRUE(files.ok()) << files.status().message();
  double seconds = cpu_seconds() - start;
  EXPECT_LT(seconds, 2.0) << "CPU seconds for the estimate + five files of 2000 ops";

  std::string dot = edgeq::estimator::to_dot(p, *e);
  size_t nodes = 0;  // op/block node lines: "  n12 [...]"
  std::istringstream lines(dot);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("  n", 0) == 0 && line.find(" -> ") == std::string::npos) ++nodes;
  EXPECT_LE(nodes, 200u);
  EXPECT_GE(nodes, 40u);  // one per segment (40 CPU + 40 accelerator) at least
  std::string svg = slurp(files->svg);
  EXPECT_NE(svg.find(edgeq::estimator::kCpuColor), std::string::npos);
  EXPECT_NE(svg.find("ops 0–"), std::string::npos);
  // Every op still has its row in the table.
  std::string html = slurp(files->html);
  EXPECT_EQ(count(html, "<tr class=\"cpu\">"), 40u + 40u);
}

TEST(Report, SmallModelDrawsOneNodePerOp) {
  Program p = chain_program(30, 10);
  auto e = edgeq::estimator::estimate(p, edgeq::estimator::builtin_host_profile());
  ASSERT_TRUE(e.ok());
  std::string dot = edgeq::estimator::to_dot(p, *e);
  for (const auto& op : p.ops) EXPECT_NE(dot.find("\"" + op.name + "\\n"), std::string::npos) << op.name;
  EXPECT_EQ(count(dot, " -> "), 30u + 1u + 1u);  // chain edges + input + the dashed cut op
}

TEST(Report, SummaryNamesTheCostliestOps) {
  Program p = chain_program(12, 4);
  auto e = edgeq::estimator::estimate(p, edgeq::estimator::builtin_host_profile());
  ASSERT_TRUE(e.ok());
  std::string text = edgeq::estimator::summary_text(*e);
  EXPECT_NE(text.find("latency (1 frame, core_num 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("FPS"), std::string::npos);
  EXPECT_NE(text.find("DDR traffic per frame"), std::string::npos);
  size_t listed = 0;
  for (const auto& op : p.ops)
    if (text.find(" " + op.name + "\n") != std::string::npos) ++listed;
  EXPECT_EQ(listed, 10u);
  EXPECT_NE(text.find(e->ops[e->costliest(1)[0]].name), std::string::npos);
}

TEST(Report, MissingDotIsOneSentence) {
  Program p = testing_estimator::hybrid_program();
  auto e = edgeq::estimator::estimate(p, edgeq::estimator::builtin_host_profile());
  ASSERT_TRUE(e.ok());
  setenv("EDGEQ_DOT", "/nonexistent/dot", 1);
  auto files = edgeq::estimator::write_report(p, *e, out_dir("nodot").string(), "nodot");
  unsetenv("EDGEQ_DOT");
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.status().message().find("cannot be started"), std::string::npos) << files.status().message();
  EXPECT_NE(files.status().message().find("graphviz"), std::string::npos);
}

}  // namespace
