// ONNX file → ir::Graph. Steps, in order: parse, check versions and constructs edgeq
// refuses (control flow, custom domains, sparse/string tensors), apply --input-shape,
// run ONNX shape inference, convert, name unnamed nodes, sort and verify.
#include <filesystem>
#include <fstream>
#include <set>

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include "onnx/attribute_proto.h"
#include "onnx/onnx_io.h"
#include "onnx/tensor_proto.h"

namespace edgeq::onnx {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMinIrVersion = 3, kMaxIrVersion = 9;
constexpr int64_t kMinOpset = 7, kMaxOpset = 18;

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

std::string node_label(const std::string& name, const ::onnx::NodeProto& n) {
  std::string op = is_default_domain(n.domain()) ? n.op_type() : n.domain() + "." + n.op_type();
  return "node '" + name + "' (" + op + ")";
}

std::string join_quoted(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", '" : "'") + names[i] + "'";
  return s.empty() ? "(none)" : s;
}

Status check_versions(const ::onnx::ModelProto& m, const std::string& label) {
  if (m.ir_version() < kMinIrVersion || m.ir_version() > kMaxIrVersion)
    return unsupported(label + " has ONNX IR version " + std::to_string(m.ir_version()) +
                       "; edgeq accepts IR versions " + std::to_string(kMinIrVersion) + " to " +
                       std::to_string(kMaxIrVersion));
  int64_t opset = -1;
  for (const auto& o : m.opset_import())
    if (is_default_domain(o.domain())) opset = o.version();
  if (opset < 0) return unsupported(label + " imports no opset of the default ONNX domain");
  if (opset < kMinOpset || opset > kMaxOpset)
    return unsupported(label + " uses opset " + std::to_string(opset) + " of the default ONNX domain; edgeq accepts opsets " +
                       std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset));
  return {};
}

// Unique node names: ONNX names are kept; unnamed (or repeated) ones get "<OpType>_<index>".
std::vector<std::string> node_names(const ::onnx::GraphProto& g) {
  std::set<std::string> used;
  for (const auto& n : g.node()) used.insert(n.name());
  std::set<std::string> taken;
  std::vector<std::string> names;
  for (int i = 0; i < g.node_size(); ++i) {
    std::string name = g.node(i).name();
    if (name.empty() || taken.count(name)) {
      std::string base = g.node(i).op_type() + "_" + std::to_string(i);
      name = base;
      for (int k = 1; used.count(name) || taken.count(name); ++k) name = base + "_" + std::to_string(k);
    }
    taken.insert(name);
    names.push_back(std::move(name));
  }
  return names;
}

Status check_constructs(const ::onnx::GraphProto& g, const std::vector<std::string>& names,
                        const std::string& label) {
  if (g.sparse_initializer_size())
    return unsupported(label + " has sparse initializer '" + g.sparse_initializer(0).values().name() +
                       "'; sparse tensors are not supported by edgeq");
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    for (const auto& a : n.attribute())
      if (a.type() == ::onnx::AttributeProto::GRAPH || a.type() == ::onnx::AttributeProto::GRAPHS || a.has_g() ||
          a.graphs_size())
        return unsupported(node_label(names[i], n) + " has subgraph attribute '" + a.name() +
                           "'; control flow (If/Loop/Scan) is not supported by edgeq");
    if (!is_default_domain(n.domain()))
      return unsupported(node_label(names[i], n) + " is in domain '" + n.domain() +
                         "'; edgeq supports only the default ONNX domain");
  }
  return {};
}

std::set<std::string> initializer_names(const ::onnx::GraphProto& g) {
  std::set<std::string> s;
  for (const auto& t : g.initializer()) s.insert(t.name());
  return s;
}

// Graph inputs that are not initializers (old models list initializers as inputs too).
std::vector<::onnx::ValueInfoProto*> real_inputs(::onnx::GraphProto& g) {
  std::set<std::string> inits = initializer_names(g);
  std::vector<::onnx::ValueInfoProto*> out;
  for (auto& in : *g.mutable_input())
    if (!inits.count(in.name())) out.push_back(&in);
  return out;
}

std::string proto_shape_string(const ::onnx::TypeProto& t) {
  if (!t.tensor_type().has_shape()) return "[*]";
  std::string s = "[";
  for (int i = 0; i < t.tensor_type().shape().dim_size(); ++i) {
    const auto& d = t.tensor_type().shape().dim(i);
    if (i) s += ",";
    s += d.has_dim_value() ? std::to_string(d.dim_value()) : d.dim_param().empty() ? "?" : d.dim_param();
  }
  return s + "]";
}

Status apply_input_shapes(::onnx::GraphProto& g, const std::map<std::string, Dims>& shapes) {
  std::vector<::onnx::ValueInfoProto*> inputs = real_inputs(g);
  std::vector<std::string> names;
  for (auto* in : inputs) names.push_back(in->name());
  for (const auto& [given_name, dims] : shapes) {
    ::onnx::ValueInfoProto* target = nullptr;
    if (given_name.empty()) {
      if (inputs.size() != 1)
        return invalid_argument("an --input-shape without an input name needs a model with exactly one input; this model's inputs are " +
                                join_quoted(names));
      target = inputs[0];
    }
    for (auto* in : inputs)
      if (in->name() == given_name) target = in;
    if (!target)
      return invalid_argument("--input-shape names input '" + given_name + "', but the model's inputs are " +
                              join_quoted(names));
    auto* tensor_type = target->mutable_type()->mutable_tensor_type();
    if (tensor_type->has_shape() && tensor_type->shape().dim_size() != static_cast<int>(dims.size()))
      return invalid_argument("--input-shape gives input '" + target->name() + "' rank " + std::to_string(dims.size()) +
                              " " + shape_to_string(dims) + ", but the model declares rank " +
                              std::to_string(tensor_type->shape().dim_size()) + " " + proto_shape_string(target->type()));
    auto* shape = tensor_type->mutable_shape();
    shape->clear_dim();
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  }
  return {};
}

// ONNX shape inference fills graph.value_info. libonnx knows opsets up to its own maximum
// (17 for 1.12); newer models and any inference failure keep the declared shapes only.
void infer_shapes(::onnx::ModelProto& m, int64_t opset) {
  const auto& ranges = ::onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = ranges.find(::onnx::ONNX_DOMAIN);
  if (it == ranges.end() || opset > it->second.second) return;
  for (bool propagate : {true, false}) {
    ::onnx::ModelProto copy = m;
    try {
      ::onnx::ShapeInferenceOptions options{/*check_type=*/false, /*error_mode=*/0, propagate};
      ::onnx::shape_inference::InferShapes(copy, ::onnx::OpSchemaRegistry::Instance(), options);
      m.Swap(&copy);
      return;
    } catch (const std::exception&) {
      // Try again without data propagation, then give up on inferred shapes.
    }
  }
}

StatusOr<std::optional<ir::ValueInfo>> value_info_from_proto(const ::onnx::ValueInfoProto& v) {
  const ::onnx::TypeProto& t = v.type();
  if (!t.has_tensor_type()) {
    if (t.value_case() == ::onnx::TypeProto::VALUE_NOT_SET) return std::optional<ir::ValueInfo>();
    return unsupported("value '" + v.name() + "' is not a tensor (a sequence, map or optional), which edgeq does not support");
  }
  ir::ValueInfo info;
  const int32_t elem = t.tensor_type().elem_type();
  if (elem == ::onnx::TensorProto::STRING)
    return unsupported("value '" + v.name() + "' holds strings, which edgeq does not support");
  if (elem != 0) {
    std::optional<DType> d = dtype_from_onnx(elem);
    if (!d) return unsupported("value '" + v.name() + "' has ONNX data type " + std::to_string(elem) +
                               ", which edgeq does not support");
    info.dtype = *d;
  }
  if (t.tensor_type().has_shape()) {
    ir::Shape shape;
    for (const auto& d : t.tensor_type().shape().dim()) {
      if (d.has_dim_value() && d.dim_value() >= 0) shape.emplace_back(d.dim_value());
      else shape.emplace_back(d.dim_param());
    }
    info.shape = std::move(shape);
  }
  return std::optional<ir::ValueInfo>(std::move(info));
}

// Records a value's type; `strict` (graph inputs/outputs) refuses non-tensor types.
Status record_value(ir::Graph& graph, const ::onnx::ValueInfoProto& v, bool strict) {
  auto info = value_info_from_proto(v);
  if (!info.ok()) return strict ? info.status() : Status();
  if (!info->has_value() || graph.is_initializer(v.name())) return {};
  graph.values[v.name()] = std::move(**info);
  return {};
}

Status convert_nodes(const ::onnx::GraphProto& g, const std::vector<std::string>& names,
                     const std::string& base_dir, ir::Graph& graph) {
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    ir::Node node;
    node.name = names[i];
    node.op_type = n.op_type();
    node.domain = n.domain();
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (const auto& a : n.attribute()) {
      EDGEQ_ASSIGN_OR_RETURN(AttributeValue v, attribute_from_proto(a, node_label(names[i], n), base_dir));
      node.attrs.set(a.name(), std::move(v));
    }
    graph.nodes.push_back(std::move(node));
  }
  return {};
}

StatusOr<ir::Graph> convert_graph(const ::onnx::ModelProto& m, const std::string& base_dir) {
  const ::onnx::GraphProto& g = m.graph();
  ir::Graph graph;
  graph.name = g.name();
  graph.ir_version = m.ir_version();
  graph.producer_name = m.producer_name();
  for (const auto& o : m.opset_import()) graph.opset_imports[o.domain()] = o.version();
  for (const auto& p : m.metadata_props()) graph.metadata[p.key()] = p.value();

  for (const auto& t : g.initializer()) {
    auto tensor = tensor_from_proto(t, base_dir);
    if (!tensor.ok())
      return Status(tensor.status().code(), "initializer '" + t.name() + "': " + tensor.status().message());
    graph.add_initializer(t.name(), std::move(tensor).value());
  }
  for (const auto& in : g.input()) {
    if (graph.is_initializer(in.name())) continue;
    graph.inputs.push_back(in.name());
    EDGEQ_RETURN_IF_ERROR(record_value(graph, in, true));
  }
  for (const auto& out : g.output()) {
    graph.outputs.push_back(out.name());
    EDGEQ_RETURN_IF_ERROR(record_value(graph, out, true));
  }
  for (const auto& v : g.value_info()) EDGEQ_RETURN_IF_ERROR(record_value(graph, v, false));
  EDGEQ_RETURN_IF_ERROR(convert_nodes(g, node_names(g), base_dir, graph));
  return graph;
}

Status check_static_inputs(const ir::Graph& graph) {
  for (const auto& name : graph.inputs) {
    const ir::ValueInfo* v = graph.value_info(name);
    if (!v || !v->shape)
      return invalid_argument("input '" + name + "' has no declared shape; give its shape with --input-shape " + name +
                              ":1x3x224x224 (your model's dims)");
    for (const ir::Dim& d : *v->shape) {
      if (d.is_static()) continue;
      std::string example;
      for (const ir::Dim& e : *v->shape)
        example += (example.empty() ? "" : "x") + std::to_string(e.is_static() ? e.value : 1);
      return invalid_argument("input '" + name + "' has a dynamic dimension '" + (d.symbol.empty() ? "?" : d.symbol) +
                              "' (shape " + ir::shape_to_string(*v->shape) + "); give its shape with --input-shape " +
                              name + ":" + example);
    }
  }
  return {};
}

StatusOr<ir::Graph> load_parsed(::onnx::ModelProto& m, const std::string& base_dir, const std::string& label,
                                const LoadOptions& options) {
  EDGEQ_RETURN_IF_ERROR(check_versions(m, label));
  ::onnx::GraphProto* g = m.mutable_graph();
  EDGEQ_RETURN_IF_ERROR(check_constructs(*g, node_names(*g), label));
  EDGEQ_RETURN_IF_ERROR(apply_input_shapes(*g, options.input_shapes));
  if (options.infer_shapes) {
    ir::Graph probe;
    for (const auto& o : m.opset_import()) probe.opset_imports[o.domain()] = o.version();
    infer_shapes(m, probe.opset());
  }
  EDGEQ_ASSIGN_OR_RETURN(ir::Graph graph, convert_graph(m, base_dir));
  if (options.require_static_inputs) EDGEQ_RETURN_IF_ERROR(check_static_inputs(graph));
  EDGEQ_RETURN_IF_ERROR(graph.topological_sort());
  EDGEQ_RETURN_IF_ERROR(ir::verify(graph));
  return graph;
}

StatusOr<ir::Graph> load_bytes(std::string_view bytes, const std::string& base_dir, const std::string& label,
                               const LoadOptions& options) {
  ::onnx::ModelProto m;
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return unsupported(label + " is larger than 2 GiB; store its weights as external data");
  // A text file or a truncated model usually fails to parse; one that parses by chance
  // still lacks a graph or an IR version.
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !m.has_graph() || m.ir_version() == 0)
    return data_loss(label + " is not a valid ONNX model (protobuf parse failed; truncated or not an ONNX file)");
  return load_parsed(m, base_dir, label, options);
}

}  // namespace

StatusOr<ir::Graph> load_model(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found("model file '" + path + "' does not exist");
  if (fs::is_directory(path, ec)) return io_error("model path '" + path + "' is a folder, not an ONNX file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("could not open model file '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return io_error("could not read model file '" + path + "'");
  return load_bytes(bytes, fs::path(path).parent_path().string(), path, options);
}

StatusOr<ir::Graph> load_model_from_bytes(std::string_view bytes, const std::string& base_dir,
                                          const LoadOptions& options) {
  return load_bytes(bytes, base_dir, "the model", options);
}

}  // namespace edgeq::onnx
