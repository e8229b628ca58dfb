#include "estimator/report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace edgeq::estimator {
namespace {

namespace fs = std::filesystem;
using format::Placement;

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// 1.5 MB, 312.0 KB, 12 B
std::string bytes_text(double b) {
  if (b >= 1e9) return fmt("%.2f GB", b / 1e9);
  if (b >= 1e6) return fmt("%.2f MB", b / 1e6);
  if (b >= 1e3) return fmt("%.1f KB", b / 1e3);
  return fmt("%.0f B", b);
}

std::string count_text(double n) {
  if (n >= 1e9) return fmt("%.2f G", n / 1e9);
  if (n >= 1e6) return fmt("%.2f M", n / 1e6);
  if (n >= 1e3) return fmt("%.1f K", n / 1e3);
  return fmt("%.0f", n);
}

const char* placement_name(Placement p) { return p == Placement::kAccelerator ? "accelerator" : "CPU"; }

// A cell that sorts by `v` and shows `text`.
std::string num_cell(double v, const std::string& text) {
  return "<td class=\"n\" data-v=\"" + fmt("%.9g", v) + "\">" + esc(text) + "</td>";
}
std::string text_cell(const std::string& text) { return "<td>" + esc(text) + "</td>"; }

std::string header(const std::vector<std::pair<std::string, bool>>& cols) {
  std::string h = "<thead><tr>";
  for (const auto& [name, numeric] : cols)
    h += std::string("<th") + (numeric ? " data-type=\"num\"" : "") + " title=\"click to sort\">" + esc(name) + "</th>";
  return h + "</tr></thead>";
}

constexpr const char* kStyle = R"(
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; }
th { background: #eee; cursor: pointer; user-select: none; position: sticky; top: 0; }
th.asc::after { content: " \25B2"; } th.desc::after { content: " \25BC"; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.accelerator td:first-child { border-left: 6px solid #0b2f6b; }
tr.cpu td:first-child { border-left: 6px solid #a9a9a9; }
.summary td:first-child { font-weight: bold; }
#picture { overflow: auto; max-height: 80vh; border: 1px solid #ccc; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 8px; }
)";

// Click a header: sort its table by that column (numbers by data-v); click again: reverse.
constexpr const char* kScript = R"(
document.querySelectorAll('table.sortable').forEach(function (table) {
  var ths = table.querySelectorAll('thead th');
  ths.forEach(function (th, col) {
    th.addEventListener('click', function () {
      var numeric = th.dataset.type === 'num';
      var desc = th.classList.contains('asc') || (!th.classList.contains('desc') && numeric);
      ths.forEach(function (o) { o.classList.remove('asc', 'desc'); });
      th.classList.add(desc ? 'desc' : 'asc');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var vx = numeric ? parseFloat(x.dataset.v) : x.textContent;
        var vy = numeric ? parseFloat(y.dataset.v) : y.textContent;
        var c = vx < vy ? -1 : vx > vy ? 1 : 0;
        return desc ? -c : c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
// report.html#sort=ops:13 opens with that table sorted by that column.
(function () {
  var m = /^#sort=(\w+):(\d+)$/.exec(location.hash);
  var table = m && document.getElementById(m[1]);
  var th = table && table.querySelectorAll('thead th')[+m[2]];
  if (th) th.click();
})();
)";

std::string strip_prolog(const std::string& svg) {
  size_t at = svg.find("<svg");
  return at == std::string::npos ? std::string() : svg.substr(at);
}

StatusOr<std::string> read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return io_error("cannot read " + path + ".");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Status write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) return io_error("cannot write " + path + ".");
  return {};
}

}  // namespace

std::string to_html(const Estimate& e, const std::string& svg) {
  std::ostringstream h;
  double lat = e.latency_s > 0 ? e.latency_s : 1;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>edgeq perf: "
    << esc(e.model_name) << "</title>\n<style>" << kStyle << "</style></head><body>\n";
  h << "<h1>edgeq perf: " << esc(e.model_name) << "</h1>\n";
  h << "<p>Static estimate for target <b>" << esc(e.profile_name) << "</b> (profile: "
    << esc(e.profile_source) << "). Nothing was executed.</p>\n";

  h << "<h2>Summary</h2>\n<table class=\"summary\" id=\"summary\"><tbody>\n";
  auto row = [&](const std::string& k, const std::string& v) {
    h << "<tr><td>" << esc(k) << "</td><td>" << esc(v) << "</td></tr>\n";
  };
  row("Latency (one frame, core_num " + std::to_string(e.core_num) + ")", fmt("%.3f ms", e.latency_s * 1e3));
  row("FPS (" + std::to_string(e.core_count) + " cores busy, " + std::to_string(e.frames_in_flight) +
          " frames in flight)", fmt("%.1f", e.fps));
  row("Latency with every core busy", fmt("%.3f ms", e.busy_latency_s * 1e3));
  row("DDR traffic per frame", bytes_text(static_cast<double>(e.ddr_bytes_per_frame)));
  row("Arena (activation memory of one instance)", bytes_text(static_cast<double>(e.arena_bytes)));
  row("Weights and constants", bytes_text(static_cast<double>(e.weight_bytes)));
  row("Cache footprint of a frame (weights, kernel code, arena)",
      bytes_text(e.footprint_bytes) +
          (e.cold_op_overhead_s > 0 ? fmt(", %.2f us more per op", e.cold_op_overhead_s * 1e6) : std::string()));
  row("Multiply-accumulates", count_text(static_cast<double>(e.total_macs)) + "MAC");
  row("Accelerator ops / CPU ops time", fmt("%.3f ms", e.accelerator_s * 1e3) + " / " + fmt("%.3f ms", e.cpu_s * 1e3));
  row("Ops / segments", std::to_string(e.ops.size()) + " / " + std::to_string(e.segments.size()));
  h << "</tbody></table>\n";

  h << "<h2>Costliest ops</h2>\n<ol id=\"costliest\">\n";
  for (int i : e.costliest(10)) {
    const OpEstimate& op = e.ops[i];
    h << "<li>" << esc(op.name) << " (" << esc(op.type) << ", " << placement_name(op.counts.placement) << "): "
      << fmt("%.4f ms", op.time_s * 1e3) << ", " << fmt("%.1f%%", 100 * op.time_s / lat) << "</li>\n";
  }
  h << "</ol>\n";

  h << "<h2>Picture</h2>\n<p class=\"legend\"><span style=\"background:" << kAcceleratorColor
    << ";color:white\">accelerator</span><span style=\"background:" << kCpuColor
    << "\">CPU</span><span style=\"border:1px dashed #333\">removed head/tail op (done outside the model)</span></p>\n";
  h << "<div id=\"picture\">" << strip_prolog(svg) << "</div>\n";

  if (!e.removed_ops.empty()) {
    h << "<h2>Removed head/tail ops</h2>\n<ul>\n";
    for (const RemovedOp& r : e.removed_ops)
      h << "<li>" << (r.at_input ? "input " : "output ") << esc(r.io_name) << ": " << esc(r.type) << "</li>\n";
    h << "</ul>\n";
  }

  h << "<h2>Segments</h2>\n<table class=\"sortable\" id=\"segments\">"
    << header({{"segment", true}, {"placement", false}, {"first op", true}, {"ops", true},
               {"time ms", true}, {"% of latency", true}, {"MACs", true}, {"DDR bytes", true}})
    << "<tbody>\n";
  for (const SegmentEstimate& s : e.segments) {
    h << "<tr class=\"" << (s.placement == Placement::kAccelerator ? "accelerator" : "cpu") << "\">"
      << num_cell(s.index, std::to_string(s.index)) << text_cell(placement_name(s.placement))
      << num_cell(s.first_op, std::to_string(s.first_op)) << num_cell(s.num_ops, std::to_string(s.num_ops))
      << num_cell(s.time_s * 1e3, fmt("%.4f", s.time_s * 1e3))
      << num_cell(100 * s.time_s / lat, fmt("%.1f", 100 * s.time_s / lat))
      << num_cell(static_cast<double>(s.macs), count_text(static_cast<double>(s.macs)))
      << num_cell(static_cast<double>(s.ddr_bytes), bytes_text(static_cast<double>(s.ddr_bytes))) << "</tr>\n";
  }
  h << "</tbody></table>\n";

  h << "<h2>Ops</h2>\n<p>Click a column header to sort; click again to reverse.</p>\n"
    << "<table class=\"sortable\" id=\"ops\">"
    << header({{"#", true}, {"name", false}, {"type", false}, {"placement", false}, {"segment", true},
               {"kind", false}, {"output shape", false}, {"MACs", true}, {"weight bytes", true},
               {"bytes moved", true}, {"efficiency", true}, {"compute ms", true}, {"memory ms", true},
               {"time ms", true}, {"% of latency", true}, {"bound", false}})
    << "<tbody>\n";
  for (const OpEstimate& op : e.ops) {
    std::string shapes;
    for (const auto& s : op.output_shapes) shapes += (shapes.empty() ? "" : ", ") + shape_string(s);
    const OpCounts& c = op.counts;
    h << "<tr class=\"" << (c.placement == Placement::kAccelerator ? "accelerator" : "cpu") << "\">"
      << num_cell(op.index, std::to_string(op.index)) << text_cell(op.name) << text_cell(op.type)
      << text_cell(placement_name(c.placement)) << num_cell(op.segment, std::to_string(op.segment))
      << text_cell(std::string(op_kind_name(c.kind))) << text_cell(shapes)
      << num_cell(static_cast<double>(c.macs), count_text(static_cast<double>(c.macs)))
      << num_cell(static_cast<double>(c.weight_bytes), bytes_text(static_cast<double>(c.weight_bytes)))
      << num_cell(static_cast<double>(c.bytes()), bytes_text(static_cast<double>(c.bytes())))
      << num_cell(op.efficiency, fmt("%.3f", op.efficiency))
      << num_cell(op.compute_s * 1e3, fmt("%.4f", op.compute_s * 1e3))
      << num_cell(op.memory_s * 1e3, fmt("%.4f", op.memory_s * 1e3))
      << num_cell(op.time_s * 1e3, fmt("%.4f", op.time_s * 1e3))
      << num_cell(100 * op.time_s / lat, fmt("%.2f", 100 * op.time_s / lat))
      << text_cell(std::string(bound_name(op.bound)) + (c.in_place ? " (view)" : "")) << "</tr>\n";
  }
  h << "</tbody></table>\n<script>" << kScript << "</script>\n</body></html>\n";
  return h.str();
}

std::string summary_text(const Estimate& e) {
  std::ostringstream o;
  o << "edgeq perf: " << e.model_name << " on target " << e.profile_name << " (" << e.profile_source << ")\n";
  o << "  latency (1 frame, core_num " << e.core_num << "):  " << fmt("%.3f ms", e.latency_s * 1e3) << "\n";
  o << "  FPS (" << e.core_count << " cores busy):            " << fmt("%.1f", e.fps) << "\n";
  o << "  DDR traffic per frame:         " << bytes_text(static_cast<double>(e.ddr_bytes_per_frame)) << "\n";
  o << "  arena:                         " << bytes_text(static_cast<double>(e.arena_bytes)) << "\n";
  o << "  cache footprint:               " << bytes_text(e.footprint_bytes)
    << (e.cold_op_overhead_s > 0 ? fmt(" (%.2f us more per op)", e.cold_op_overhead_s * 1e6) : std::string()) << "\n";
  o << "  weights:                       " << bytes_text(static_cast<double>(e.weight_bytes)) << ", "
    << count_text(static_cast<double>(e.total_macs)) << "MAC per frame\n";
  o << "  accelerator " << fmt("%.3f ms", e.accelerator_s * 1e3) << ", CPU " << fmt("%.3f ms", e.cpu_s * 1e3)
    << ", " << e.ops.size() << " ops in " << e.segments.size() << " segments\n";
  std::vector<int> top = e.costliest(10);
  o << "costliest ops:\n";
  o << "   time ms      %  placement    type                  name\n";
  double lat = e.latency_s > 0 ? e.latency_s : 1;
  for (int i : top) {
    const OpEstimate& op = e.ops[i];
    char line[512];
    std::snprintf(line, sizeof line, "  %8.4f  %5.1f  %-11s  %-20s  %s\n", op.time_s * 1e3,
                  100 * op.time_s / lat, placement_name(op.counts.placement), op.type.c_str(), op.name.c_str());
    o << line;
  }
  return o.str();
}

StatusOr<ReportFiles> write_report(const format::Program& program, const Estimate& e,
                                   const std::string& output_dir, const std::string& prefix,
                                   const PictureOptions& picture) {
  ReportFiles f;
  f.dir = (fs::path(output_dir) / prefix).string();
  std::error_code ec;
  fs::create_directories(f.dir, ec);
  if (ec) return io_error("cannot create the folder " + f.dir + " (" + ec.message() + ").");
  fs::path base = fs::path(f.dir) / prefix;
  f.html = base.string() + ".html";
  f.json = base.string() + ".json";
  f.svg = base.string() + ".svg";
  f.png = base.string() + ".png";

  // A tall picture at 72 dpi instead of 96: half the pixels to draw, labels still legible.
  std::vector<std::string> png_args;
  if (picture_nodes(e, picture) > 60) png_args.push_back("-Gdpi=72");
  EDGEQ_RETURN_IF_ERROR(render_dot(to_dot(program, e, picture), {{"svg", f.svg, {}}, {"png", f.png, png_args}}));
  EDGEQ_ASSIGN_OR_RETURN(std::string svg, read_text(f.svg));
  EDGEQ_RETURN_IF_ERROR(write_text(f.html, to_html(e, svg)));
  nlohmann::json j = to_json(e);
  j["files"] = {{"html", fs::path(f.html).filename().string()},
                {"svg", fs::path(f.svg).filename().string()},
                {"png", fs::path(f.png).filename().string()}};
  EDGEQ_RETURN_IF_ERROR(write_text(f.json, j.dump(2) + "\n"));
  return f;
}

}  // namespace edgeq::estimator
