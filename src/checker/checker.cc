#include "checker/checker.h"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "exec/annotate.h"
#include "exec/interpreter.h"
#include "ir/macs.h"
#include "onnx/onnx_io.h"

namespace edgeq::checker {

namespace {

std::string type_of(const ir::Graph& g, const std::string& name) {
  const ir::ValueInfo* v = g.value_info(name);
  if (!v) return "?";
  return std::string(dtype_name(v->dtype)) + (v->shape ? ir::shape_to_string(*v->shape) : "[?]");
}

std::string human(double v, const char* unit) {
  char buf[64];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.2f G %s", v / 1e9, unit);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M %s", v / 1e6, unit);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.2f K %s", v / 1e3, unit);
  else std::snprintf(buf, sizeof buf, "%.0f %s", v, unit);
  return buf;
}

}  // namespace

StatusOr<CheckReport> check_model(const CheckOptions& options) {
  if (options.model_type == "caffe")
    return unsupported("Caffe models are not supported yet; convert the model to ONNX");
  if (options.model_type != "onnx")
    return invalid_argument("unknown --model-type '" + options.model_type + "'; use onnx");
  if (options.march != "host")
    return invalid_argument("unknown --march '" + options.march + "'; this build supports: host");

  onnx::LoadOptions load;
  load.input_shapes = options.input_shapes;
  EDGEQ_ASSIGN_OR_RETURN(ir::Graph g, onnx::load_model(options.model_path, load));

  CheckReport r;
  r.model_path = options.model_path;
  r.ir_version = g.ir_version;
  r.opset = g.opset();
  r.producer = g.producer_name;

  std::vector<exec::UnsupportedNode> missing = exec::unsupported_nodes(g);
  if (missing.empty()) {
    // Shapes from running the model are exact; ONNX inference may leave gaps.
    Status s = exec::annotate_shapes_by_running(g);
    if (!s.ok()) {
      r.convertible = false;
      r.problem = s.message();
    }
  } else {
    r.convertible = false;
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 8; ++i) {
      const auto& m = missing[i];
      list += (i ? ", " : "") + (m.domain.empty() ? m.op_type : m.domain + "." + m.op_type) + " (node '" +
              m.node_name + "')";
    }
    if (missing.size() > 8) list += " and " + std::to_string(missing.size() - 8) + " more";
    r.problem = std::to_string(missing.size()) + (missing.size() == 1 ? " op is" : " ops are") +
                " not supported: " + list;
  }

  for (const auto& in : g.inputs) r.inputs.push_back({in, type_of(g, in)});
  for (const auto& out : g.outputs) r.outputs.push_back({out, type_of(g, out)});
  for (const ir::Node& n : g.nodes) {
    NodeReport nr;
    nr.name = n.name;
    nr.op_type = n.op_type;
    nr.domain = n.domain;
    for (const auto& o : n.outputs)
      if (!o.empty()) nr.output_shapes.push_back(type_of(g, o));
    for (const auto& m : missing)
      if (m.node_name == n.name) {
        nr.supported = false;
        nr.note = "no kernel for this op";
      }
    nr.macs = ir::node_macs(g, n);
    r.macs += nr.macs;
    ++r.op_counts[n.op_type];
    r.nodes.push_back(std::move(nr));
  }
  r.parameters = g.parameter_count();
  return r;
}

std::string to_table(const CheckReport& r) {
  std::ostringstream os;
  os << "model: " << r.model_path << " (ONNX ir_version " << r.ir_version << ", opset " << r.opset;
  if (!r.producer.empty()) os << ", producer " << r.producer;
  os << ")\n";
  for (const auto& i : r.inputs) os << "input:  " << i.name << " " << i.type << "\n";
  for (const auto& o : r.outputs) os << "output: " << o.name << " " << o.type << "\n";
  os << "\n";
  size_t name_w = 4, op_w = 7;
  for (const auto& n : r.nodes) {
    name_w = std::max(name_w, std::min<size_t>(n.name.size(), 64));  // longer names overflow, never cut
    op_w = std::max(op_w, n.op_type.size());
  }
  char line[1024];
  std::snprintf(line, sizeof line, "%5s  %-*s  %-*s  %-9s  %12s  %s\n", "#", static_cast<int>(name_w), "node",
                static_cast<int>(op_w), "op type", "supported", "MACs", "output");
  os << line;
  for (size_t i = 0; i < r.nodes.size(); ++i) {
    const auto& n = r.nodes[i];
    std::string shapes;
    for (size_t k = 0; k < n.output_shapes.size(); ++k) shapes += (k ? ", " : "") + n.output_shapes[k];
    std::snprintf(line, sizeof line, "%5zu  %-*s  %-*s  %-9s  %12s  ", i, static_cast<int>(name_w), n.name.c_str(),
                  static_cast<int>(op_w), n.op_type.c_str(), n.supported ? "yes" : "NO",
                  n.macs ? human(static_cast<double>(n.macs), "").c_str() : "-");
    os << line << shapes << "\n";
  }
  os << "\ntotals: " << r.nodes.size() << " ops (";
  bool first = true;
  for (const auto& [op, c] : r.op_counts) {
    os << (first ? "" : ", ") << op << " " << c;
    first = false;
  }
  os << "), " << human(static_cast<double>(r.parameters), "parameters") << ", "
     << human(static_cast<double>(r.macs), "MACs") << "\n";
  if (r.convertible)
    os << "result: all " << r.nodes.size() << " ops are supported; the model can be converted.\n";
  else
    os << "result: the model cannot be converted: " << r.problem << "\n";
  return os.str();
}

nlohmann::json to_json(const CheckReport& r) {
  nlohmann::json j;
  j["model"] = r.model_path;
  j["ir_version"] = r.ir_version;
  j["opset"] = r.opset;
  j["producer"] = r.producer;
  for (const auto& i : r.inputs) j["inputs"].push_back({{"name", i.name}, {"type", i.type}});
  for (const auto& o : r.outputs) j["outputs"].push_back({{"name", o.name}, {"type", o.type}});
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : r.nodes) {
    nlohmann::json nj = {{"name", n.name}, {"op_type", n.op_type}, {"supported", n.supported},
                         {"outputs", n.output_shapes}, {"macs", n.macs}};
    if (!n.domain.empty()) nj["domain"] = n.domain;
    if (!n.note.empty()) nj["note"] = n.note;
    j["nodes"].push_back(std::move(nj));
  }
  j["totals"] = {{"ops", r.nodes.size()}, {"op_counts", r.op_counts}, {"parameters", r.parameters},
                 {"macs", r.macs}};
  j["convertible"] = r.convertible;
  if (!r.convertible) j["problem"] = r.problem;
  return j;
}

}  // namespace edgeq::checker
