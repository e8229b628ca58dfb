// The makertbin report: per-node and per-output tables like the vendor tools print, and
// the same content as JSON.
#include <algorithm>
#include <cstdio>
#include <string>

#include "converter/makertbin.h"

namespace edgeq::converter {

namespace {

std::string pad(std::string s, size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s + std::string(width - s.size(), ' ');
}

std::string num(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

std::string to_table(const MakertbinResult& r) {
  size_t wn = 4, wo = 2;
  for (const auto& n : r.nodes) {
    wn = std::max(wn, n.name.size());
    wo = std::max(wo, n.op_type.size());
  }
  wn = std::min<size_t>(wn, 48) + 2;
  wo = std::min<size_t>(wo, 24) + 2;
  std::string s;
  s += pad("Node", wn) + pad("Op", wo) + pad("Placement", 13) + pad("Cosine", 10) + pad("Threshold", 12) +
       pad("Scale", 12) + pad("ZeroPt", 8) + "DType\n";
  s += std::string(wn + wo + 13 + 10 + 12 + 12 + 8 + 5, '-') + "\n";
  for (const auto& n : r.nodes) {
    s += pad(n.name, wn) + pad(n.op_type, wo) + pad(n.placement, 13);
    s += pad(n.cosine < -1.5 ? "--" : num("%.6f", n.cosine), 10);
    if (n.has_quant)
      s += pad(num("%.6g", n.threshold), 12) + pad(num("%.6g", n.scale), 12) + pad(std::to_string(n.zero_point), 8);
    else
      s += pad("--", 12) + pad("--", 12) + pad("--", 8);
    s += n.dtype;
    if (n.placement == "cpu" && !n.placement_reason.empty()) s += "  (" + n.placement_reason + ")";
    s += "\n";
  }
  s += "\n";
  size_t wout = 6;
  for (const auto& o : r.outputs) wout = std::max(wout, o.name.size());
  wout += 2;
  s += pad("Output", wout) + pad("Cosine", 12) + pad("L1", 12) + pad("L2", 12) + "Chebyshev\n";
  s += std::string(wout + 36 + 9, '-') + "\n";
  for (const auto& o : r.outputs)
    s += pad(o.name, wout) + pad(num("%.6f", o.cosine), 12) + pad(num("%.6g", o.l1), 12) + pad(num("%.6g", o.l2), 12) +
         num("%.6g", o.chebyshev) + "\n";
  s += "\n";
  s += "nodes:";
  for (const auto& [where, count] : r.placement_counts) s += " " + where + " " + std::to_string(count);
  s += "\ncalibration: " + r.calibration_method + " on " + std::to_string(r.calibration_samples) +
       (r.fast_perf ? " random samples (fast-perf: for speed evaluation only)" : " samples") +
       "; similarity measured on the first " + std::to_string(r.evaluation_samples) + "\n";
  if (!r.bin_file.empty()) {
    const compiler::Summary& c = r.compile;
    s += "compiled: " + r.bin_file + " (" + std::to_string(r.bin_bytes) + " bytes), O" + std::to_string(r.optimize_level) +
         ", core_num " + std::to_string(r.core_num) + ", isa " + r.isa + "\n  " + compiler::summary_line(c) + "\n";
  }
  s += "time:";
  for (const auto& t : r.timings) s += " " + t.stage + " " + num("%.2f s", t.seconds) + ",";
  s += " total " + num("%.2f s", r.total_seconds) + "\n";
  return s;
}

nlohmann::json to_json(const MakertbinResult& r) {
  nlohmann::json j;
  j["model"] = r.model_path;
  j["output_dir"] = r.output_dir;
  j["prefix"] = r.prefix;
  j["files"] = r.files;
  j["fast_perf"] = r.fast_perf;
  j["calibration"] = {{"method", r.calibration_method}, {"samples", r.calibration_samples},
                      {"evaluation_samples", r.evaluation_samples}};
  for (const auto& m : r.method_scores) j["calibration"]["method_cosine"][m.method] = m.cosine;
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : r.nodes) {
    nlohmann::json row = {{"name", n.name}, {"op", n.op_type}, {"placement", n.placement},
                          {"placement_reason", n.placement_reason}, {"output", n.output}, {"dtype", n.dtype}};
    row["cosine"] = n.cosine < -1.5 ? nlohmann::json(nullptr) : nlohmann::json(n.cosine);
    if (n.has_quant) {
      row["scale"] = n.scale;
      row["zero_point"] = n.zero_point;
      row["threshold"] = n.threshold;
    }
    j["nodes"].push_back(row);
  }
  j["outputs"] = nlohmann::json::array();
  for (const auto& o : r.outputs)
    j["outputs"].push_back({{"name", o.name}, {"cosine", o.cosine}, {"l1", o.l1}, {"l2", o.l2}, {"chebyshev", o.chebyshev}});
  j["placement_counts"] = r.placement_counts;
  if (!r.bin_file.empty()) {
    const compiler::Summary& c = r.compile;
    j["compile"] = {{"bin_file", r.bin_file},
                    {"bin_bytes", r.bin_bytes},
                    {"optimize_level", r.optimize_level},
                    {"core_num", r.core_num},
                    {"isa", r.isa},
                    {"segments", c.segments},
                    {"accelerator_segments", c.accelerator_segments},
                    {"cpu_segments", c.cpu_segments},
                    {"accelerator_ops", c.accelerator_ops},
                    {"cpu_ops", c.cpu_ops},
                    {"reorders", c.reorders},
                    {"aliased_ops", c.aliased_ops},
                    {"arena_bytes", c.arena_bytes},
                    {"arena_no_reuse_bytes", c.arena_no_reuse_bytes},
                    {"constant_bytes", c.constant_bytes},
                    {"removed_head", c.removed_head},
                    {"removed_tail", c.removed_tail}};
  }
  for (const auto& t : r.timings) j["timings"][t.stage] = t.seconds;
  j["total_seconds"] = r.total_seconds;
  return j;
}

}  // namespace edgeq::converter
