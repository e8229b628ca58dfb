// ir::Graph → ONNX ModelProto (initializers inline as raw_data), loadable by ONNX Runtime.
#include <fstream>
#include <set>

#include "onnx/attribute_proto.h"
#include "ir/expand.h"
#include "onnx/onnx_io.h"
#include "onnx/tensor_proto.h"

namespace edgeq::onnx {

namespace {

// The IR version ONNX released with a given default-domain opset (ONNX's versioning table),
// used when the graph has none. A graph's own IR version (>= 3) is kept so that
// load → save → load is exact; ONNX Runtime accepts any IR >= 3 with any opset it knows.
int64_t ir_version_for_opset(int64_t opset) {
  if (opset <= 8) return 3;
  if (opset == 9) return 4;
  if (opset == 10) return 5;
  if (opset == 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  return 9;
}

void set_type(const ir::ValueInfo& info, ::onnx::ValueInfoProto* v) {
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(info.dtype));
  if (!info.shape) return;
  auto* shape = tt->mutable_shape();
  for (const ir::Dim& d : *info.shape) {
    auto* dim = shape->add_dim();
    if (d.is_static()) dim->set_dim_value(d.value);
    else if (!d.symbol.empty()) dim->set_dim_param(d.symbol);
  }
}

// Graph inputs and outputs must carry a type; intermediates only when it is known.
Status add_value(const ir::Graph& graph, const std::string& name, bool required,
                 google::protobuf::RepeatedPtrField<::onnx::ValueInfoProto>* list) {
  const ir::ValueInfo* info = graph.value_info(name);
  auto init = graph.initializers.find(name);
  ir::ValueInfo from_init;
  if (init != graph.initializers.end()) {
    from_init.dtype = init->second.dtype();
    from_init.shape = ir::make_shape(init->second.shape());
    info = &from_init;
  }
  if (!info || info->dtype == DType::kUndefined) {
    if (required) return invalid_argument("graph input '" + name + "' has no known data type, so it cannot be written to ONNX");
    if (list) list->Add()->set_name(name);
    return {};
  }
  ::onnx::ValueInfoProto* v = list->Add();
  v->set_name(name);
  set_type(*info, v);
  return {};
}

void add_node(const ir::Node& n, ::onnx::GraphProto* g) {
  ::onnx::NodeProto* p = g->add_node();
  p->set_name(n.name);
  p->set_op_type(n.op_type);
  if (!n.domain.empty()) p->set_domain(n.domain);
  for (const auto& in : n.inputs) p->add_input(in);
  for (const auto& out : n.outputs) p->add_output(out);
  for (const auto& [name, value] : n.attrs.all()) *p->add_attribute() = attribute_to_proto(name, value);
}

StatusOr<::onnx::ModelProto> to_model_proto(const ir::Graph& graph) {
  if (graph.opset() <= 0)
    return invalid_argument("graph '" + graph.name + "' imports no default-domain opset, so it cannot be written to ONNX");
  ::onnx::ModelProto m;
  const int64_t ir_version = graph.ir_version >= 3 ? graph.ir_version : ir_version_for_opset(graph.opset());
  m.set_ir_version(ir_version);
  m.set_producer_name(graph.producer_name.empty() ? "edgeq" : graph.producer_name);
  for (const auto& [domain, version] : graph.opset_imports) {
    auto* o = m.add_opset_import();
    o->set_domain(domain);
    o->set_version(version);
  }
  for (const auto& [key, value] : graph.metadata) {
    auto* p = m.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  ::onnx::GraphProto* g = m.mutable_graph();
  g->set_name(graph.name.empty() ? "main" : graph.name);
  for (const auto& [name, t] : graph.initializers) *g->add_initializer() = tensor_to_proto(t, name);
  for (const auto& name : graph.inputs) EDGEQ_RETURN_IF_ERROR(add_value(graph, name, true, g->mutable_input()));
  // IR < 4 requires every initializer to be listed as a graph input as well.
  if (ir_version < 4)
    for (const auto& [name, t] : graph.initializers) EDGEQ_RETURN_IF_ERROR(add_value(graph, name, true, g->mutable_input()));
  for (const auto& name : graph.outputs) EDGEQ_RETURN_IF_ERROR(add_value(graph, name, false, g->mutable_output()));
  std::set<std::string> listed(graph.inputs.begin(), graph.inputs.end());
  listed.insert(graph.outputs.begin(), graph.outputs.end());
  for (const auto& [name, info] : graph.values)
    if (!listed.count(name) && !graph.is_initializer(name) && info.dtype != DType::kUndefined) {
      ::onnx::ValueInfoProto* v = g->add_value_info();
      v->set_name(name);
      set_type(info, v);
    }
  for (const ir::Node& n : graph.nodes) add_node(n, g);
  return m;
}

}  // namespace

StatusOr<std::string> serialize_model(const ir::Graph& graph) {
  // Saved models are standard ONNX: internal ops (FusedConv) and ops newer than the
  // graph's opset (Gelu, LayerNormalization, HardSwish) are expanded on a copy.
  ir::Graph standard = graph;
  EDGEQ_RETURN_IF_ERROR(ir::expand_internal_ops(standard));
  EDGEQ_ASSIGN_OR_RETURN(::onnx::ModelProto m, to_model_proto(standard));
  if (m.ByteSizeLong() > static_cast<size_t>(INT32_MAX))
    return unsupported("graph '" + graph.name + "' is larger than 2 GiB, the ONNX protobuf limit");
  std::string bytes;
  if (!m.SerializeToString(&bytes)) return internal_error("could not serialize graph '" + graph.name + "' to ONNX");
  return bytes;
}

Status save_model(const ir::Graph& graph, const std::string& path) {
  EDGEQ_ASSIGN_OR_RETURN(std::string bytes, serialize_model(graph));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return io_error("could not create '" + path + "'");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return io_error("could not write '" + path + "'");
  return {};
}

}  // namespace edgeq::onnx
