// The partition report (<prefix>_subgraphs.json / .html): every node of the quantized
// graph, where it runs and why, which program op and segment it became (or what became of
// it), the segments, and the ops removed at the head and tail.
#include <map>
#include <sstream>

#include "compiler/compiler.h"

namespace edgeq::compiler {

namespace {

std::string placement_text(format::Placement p) { return p == format::Placement::kAccelerator ? "accelerator" : "cpu"; }

std::string layout_text(const format::TensorDesc& t) {
  if (t.layout == format::Layout::kNHWC) return "NHWC";
  return t.shape.size() == 4 ? "NCHW" : "plain";
}

nlohmann::json io_json(const format::Program& p, const format::IoDesc& io) {
  const format::TensorDesc& t = p.tensors[static_cast<size_t>(io.tensor)];
  nlohmann::json j = {{"name", io.source_name}, {"tensor", t.name}, {"dtype", std::string(dtype_name(t.dtype))},
                      {"shape", t.shape}, {"layout", layout_text(t)}, {"removed_ops", io.removed_ops}};
  if (t.quant && !t.quant->scale.empty()) j["quant"] = {{"scale", t.quant->scale[0]}, {"zero_point", t.quant->zero_point[0]}};
  return j;
}

}  // namespace

nlohmann::json subgraphs_json(const ir::Graph& g, const format::Program& p) {
  std::vector<int> op_segment(p.ops.size(), -1);
  for (size_t s = 0; s < p.segments.size(); ++s)
    for (int i = 0; i < p.segments[s].num_ops; ++i) op_segment[static_cast<size_t>(p.segments[s].first_op + i)] = static_cast<int>(s);
  std::map<std::string, int> op_of_node;  // the first op a node became
  for (size_t i = 0; i < p.ops.size(); ++i)
    for (const auto& n : p.ops[i].source_nodes) op_of_node.emplace(n, static_cast<int>(i));
  nlohmann::json notes = nlohmann::json::object();
  if (auto it = p.metadata.find("compiler.node_notes"); it != p.metadata.end())
    notes = nlohmann::json::parse(it->second, nullptr, false);

  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : g.nodes) {
    nlohmann::json j = {{"name", n.name}, {"op_type", n.op_type},
                        {"placement", std::string(ir::placement_name(n.placement))}, {"reason", n.placement_reason}};
    if (auto it = op_of_node.find(n.name); it != op_of_node.end()) {
      const format::Op& op = p.ops[static_cast<size_t>(it->second)];
      const int seg = op_segment[static_cast<size_t>(it->second)];
      j["op"] = {{"index", it->second}, {"name", op.name}, {"type", op.type}, {"segment", seg},
                 {"runs_on", placement_text(p.segments[static_cast<size_t>(seg)].placement)}};
      j["fate"] = "lowered";
    } else {
      const bool constant_dq = n.op_type == "DequantizeLinear" && g.is_initializer(n.input(0));
      j["fate"] = constant_dq || n.op_type == "Constant" ? "constant" : "elided";
      j["detail"] = constant_dq ? "weights/operand stored quantized in the consuming op"
                    : n.op_type == "QuantizeLinear" ? "the int8 op writes the u8 tensor itself"
                                                   : "the u8 tensor flows directly between accelerator ops";
    }
    if (notes.is_object() && notes.contains(n.name)) {
      j["fate"] = notes[n.name]["what"];
      j["detail"] = notes[n.name]["detail"];
    }
    nodes.push_back(std::move(j));
  }

  nlohmann::json segments = nlohmann::json::array();
  for (size_t s = 0; s < p.segments.size(); ++s) {
    const format::Segment& seg = p.segments[s];
    std::map<std::string, int> counts;
    nlohmann::json ops = nlohmann::json::array();
    for (int i = seg.first_op; i < seg.first_op + seg.num_ops; ++i) {
      const format::Op& op = p.ops[static_cast<size_t>(i)];
      counts[op.type]++;
      nlohmann::json oj = {{"index", i}, {"name", op.name}, {"type", op.type}, {"source_nodes", op.source_nodes}};
      if (op.attrs.get_int("alias", 0)) oj["alias"] = true;
      ops.push_back(std::move(oj));
    }
    segments.push_back({{"index", s}, {"placement", placement_text(seg.placement)}, {"first_op", seg.first_op},
                        {"num_ops", seg.num_ops}, {"op_counts", counts}, {"ops", std::move(ops)}});
  }

  const Summary sum = summarize(p);
  nlohmann::json inputs = nlohmann::json::array(), outputs = nlohmann::json::array();
  for (const auto& io : p.inputs) inputs.push_back(io_json(p, io));
  for (const auto& io : p.outputs) outputs.push_back(io_json(p, io));
  return {{"model", p.model_name},
          {"optimize_level", p.options.optimize_level},
          {"fast_perf", p.options.fast_perf},
          {"core_num", p.options.core_num},
          {"summary",
           {{"segments", sum.segments}, {"accelerator_segments", sum.accelerator_segments},
            {"cpu_segments", sum.cpu_segments}, {"accelerator_ops", sum.accelerator_ops}, {"cpu_ops", sum.cpu_ops},
            {"reorders", sum.reorders}, {"aliased_ops", sum.aliased_ops}, {"arena_bytes", sum.arena_bytes},
            {"arena_no_reuse_bytes", sum.arena_no_reuse_bytes}, {"constant_bytes", sum.constant_bytes}}},
          {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)},
          {"segments", std::move(segments)},
          {"nodes", std::move(nodes)}};
}

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}
std::string text(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

}  // namespace

std::string subgraphs_html(const nlohmann::json& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>edgeq subgraphs: " << esc(text(r.value("model", "")))
    << "</title>\n<style>\n"
       "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n"
       "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
       "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}\n"
       "th{background:#eee}\n"
       "h2.accelerator{color:#1a5e1a}h2.cpu{color:#8a3b00}\n"
       "tr.cpu td{background:#fff4e8}tr.accelerator td{background:#f0fbf0}\n"
       "code{font-size:12px}\n"
       "</style></head><body>\n";
  h << "<h1>" << esc(text(r.value("model", ""))) << "</h1>\n";
  const auto& s = r["summary"];
  h << "<p>optimize level O" << r.value("optimize_level", 0) << (r.value("fast_perf", false) ? ", fast-perf" : "")
    << ", core_num " << r.value("core_num", 1) << "<br>" << s.value("segments", 0) << " segments ("
    << s.value("accelerator_segments", 0) << " accelerator, " << s.value("cpu_segments", 0) << " CPU), "
    << s.value("accelerator_ops", 0) << " accelerator ops, " << s.value("cpu_ops", 0) << " CPU ops, "
    << s.value("reorders", 0) << " reorders, " << s.value("aliased_ops", 0) << " aliased reshapes<br>arena "
    << s.value("arena_bytes", int64_t{0}) << " bytes (without reuse " << s.value("arena_no_reuse_bytes", int64_t{0})
    << "), constants " << s.value("constant_bytes", int64_t{0}) << " bytes</p>\n";

  for (const char* side : {"inputs", "outputs"}) {
    h << "<h2>" << side << "</h2>\n<table><tr><th>name</th><th>dtype</th><th>shape</th><th>layout</th><th>scale / zero point</th><th>removed ops</th></tr>\n";
    for (const auto& io : r[side]) {
      std::string removed;
      for (const auto& o : io["removed_ops"]) removed += (removed.empty() ? "" : ", ") + o.get<std::string>();
      h << "<tr><td>" << esc(text(io["name"])) << "</td><td>" << esc(text(io["dtype"])) << "</td><td>"
        << esc(io["shape"].dump()) << "</td><td>" << esc(text(io["layout"])) << "</td><td>"
        << (io.contains("quant") ? esc(io["quant"]["scale"].dump() + " / " + io["quant"]["zero_point"].dump()) : "-")
        << "</td><td>" << esc(removed.empty() ? "none" : removed) << "</td></tr>\n";
    }
    h << "</table>\n";
  }

  std::map<std::string, const nlohmann::json*> node_by_name;
  for (const auto& n : r["nodes"]) node_by_name[n["name"].get<std::string>()] = &n;
  for (const auto& seg : r["segments"]) {
    const std::string pl = seg["placement"].get<std::string>();
    h << "<h2 class=\"" << pl << "\">segment " << seg["index"].dump() << ": " << pl << ", " << seg["num_ops"].dump()
      << " ops</h2>\n<p>";
    bool first = true;
    for (const auto& [type, count] : seg["op_counts"].items()) {
      h << (first ? "" : ", ") << esc(type) << " &times; " << count.dump();
      first = false;
    }
    h << "</p>\n<table><tr><th>#</th><th>op</th><th>type</th><th>from nodes</th><th>why here</th></tr>\n";
    for (const auto& op : seg["ops"]) {
      std::string from, why;
      for (const auto& n : op["source_nodes"]) {
        const std::string name = n.get<std::string>();
        from += (from.empty() ? "" : ", ") + name;
        auto it = node_by_name.find(name);
        if (it != node_by_name.end() && why.empty()) why = text((*it->second)["reason"]);
      }
      if (op.value("alias", false)) why += " (aliases its input)";
      h << "<tr class=\"" << pl << "\"><td>" << op["index"].dump() << "</td><td>" << esc(text(op["name"])) << "</td><td>"
        << esc(text(op["type"])) << "</td><td><code>" << esc(from) << "</code></td><td>" << esc(why) << "</td></tr>\n";
    }
    h << "</table>\n";
  }

  h << "<h2>nodes without an op of their own</h2>\n<table><tr><th>node</th><th>type</th><th>placement</th><th>what became of it</th></tr>\n";
  for (const auto& n : r["nodes"]) {
    if (n.value("fate", "") == "lowered") continue;
    h << "<tr><td>" << esc(text(n["name"])) << "</td><td>" << esc(text(n["op_type"])) << "</td><td>"
      << esc(text(n["placement"])) << "</td><td>" << esc(text(n["fate"])) << ": " << esc(text(n.value("detail", "")))
      << "</td></tr>\n";
  }
  h << "</table>\n</body></html>\n";
  return h.str();
}

}  // namespace edgeq::compiler
