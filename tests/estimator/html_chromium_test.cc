// The HTML report in a real browser: headless Chromium (Debian package `chromium`, see
// scripts/setup.sh) loads it without a script error, shows the picture and the tables,
// and the inline script sorts the op table by a column.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "estimator/report.h"
#include "tests/estimator/test_programs.h"

namespace {

namespace fs = std::filesystem;
using edgeq::DType;
using edgeq::format::Placement;

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

// Each <tr> of table `id`, as the list of its <td> contents' data-v (or text).
std::vector<std::vector<std::string>> table_rows(const std::string& dom, const std::string& id) {
  std::vector<std::vector<std::string>> rows;
  size_t at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return rows;
  size_t end = dom.find("</table>", at);
  at = dom.find("<tbody>", at);
  while (true) {
    size_t tr = dom.find("<tr", at);
    if (tr == std::string::npos || tr > end) break;
    size_t tr_end = dom.find("</tr>", tr);
    std::vector<std::string> cells;
    for (size_t td = dom.find("<td", tr); td != std::string::npos && td < tr_end; td = dom.find("<td", td + 1)) {
      size_t gt = dom.find('>', td);
      std::string open = dom.substr(td, gt - td);
      size_t v = open.find("data-v=\"");
      if (v != std::string::npos) {
        v += 8;
        cells.push_back(open.substr(v, open.find('"', v) - v));
      } else {
        cells.push_back(dom.substr(gt + 1, dom.find("</td>", gt) - gt - 1));
      }
    }
    rows.push_back(cells);
    at = tr_end;
  }
  return rows;
}

TEST(HtmlInChromium, LoadsShowsAndSorts) {
  // Ops of very different cost, in model order not sorted by cost.
  testing_estimator::ProgramBuilder b;
  int32_t x = b.act({1, 16, 32, 32});
  b.input(x, {"QuantizeLinear"});
  int32_t y = b.qconv(x, 16, 1);
  y = b.qconv(y, 64, 5);
  y = b.qconv(y, 16, 1);
  int32_t f = b.act({1, 16, 32, 32}, DType::kFloat32);
  b.op("Dequantize", {y}, {f});
  int32_t s = b.act({1, 16, 32, 32}, DType::kFloat32);
  b.op("Sigmoid", {f}, {s}, Placement::kCpu);
  b.output(s);
  auto e = edgeq::estimator::estimate(b.program(), edgeq::estimator::builtin_host_profile());
  ASSERT_TRUE(e.ok());
  fs::path dir = fs::path(EDGEQ_BINARY_DIR) / "test_estimator" / "chromium";
  fs::remove_all(dir);
  auto files = edgeq::estimator::write_report(b.program(), *e, dir.string(), "m");
  ASSERT_TRUE(files.ok()) << files.status().message();

  ASSERT_EQ(std::system("command -v chromium > /dev/null"), 0) << "chromium is not installed (scripts/setup.sh)";
  std::string url = "file://" + fs::absolute(files->html).string() + "#sort=ops:13";
  std::string base = "timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir=" +
                     (dir / "profile").string();
  std::string dom = run(base + " --dump-dom '" + url + "' 2>/dev/null");
  std::string log = run(base + " --enable-logging=stderr --v=0 --dump-dom '" + url + "' 2>&1 >/dev/null");
  ASSERT_NE(dom.find("</html>"), std::string::npos) << dom.substr(0, 500);
  EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;

  EXPECT_NE(dom.find("<svg"), std::string::npos);
  EXPECT_NE(dom.find("QConv_1"), std::string::npos);
  auto segments = table_rows(dom, "segments");
  EXPECT_EQ(segments.size(), 2u);
  auto ops = table_rows(dom, "ops");
  ASSERT_EQ(ops.size(), 5u);
  // Sorted by "time ms" (column 13), costliest first: the 5x5 conv, op 1.
  EXPECT_EQ(ops[0][0], "1");
  for (size_t i = 1; i < ops.size(); ++i)
    EXPECT_GE(std::stod(ops[i - 1][13]), std::stod(ops[i][13])) << "row " << i;
  EXPECT_NE(dom.find("class=\"desc\""), std::string::npos);  // the header shows the order
}

}  // namespace
