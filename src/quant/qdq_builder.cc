#include "quant/qdq_builder.h"

#include <string>

#include "ir/expand.h"

namespace edgeq::quant {

namespace {

Tensor zero_point_tensor(const ir::QuantParams& p, bool per_axis) {
  const Dims shape = per_axis ? Dims{static_cast<int64_t>(p.zero_point.size())} : Dims{};
  Tensor t(p.dtype, shape);
  for (size_t i = 0; i < p.zero_point.size(); ++i) {
    switch (p.dtype) {
      case DType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(p.zero_point[i]); break;
      case DType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(p.zero_point[i]); break;
      default: t.data<int32_t>()[i] = p.zero_point[i]; break;
    }
  }
  return t;
}

}  // namespace

QdqBuilder::QdqBuilder(ir::Graph& graph) : g_(graph) {
  for (const auto& [name, _] : g_.values) add_name(name);
  for (const auto& [name, _] : g_.initializers) add_name(name);
  for (const auto& n : g_.nodes) {
    add_name(n.name);
    for (const auto& o : n.outputs) add_name(o);
    for (const auto& i : n.inputs) add_name(i);
  }
  for (const auto& i : g_.inputs) add_name(i);
}

std::string QdqBuilder::unique_name(const std::string& base) {
  std::string name = base;
  for (int k = 1; used_.count(name); ++k) name = base + "_" + std::to_string(k);
  add_name(name);
  return name;
}

std::pair<std::string, std::string> QdqBuilder::add_params(const std::string& base, const ir::QuantParams& params, bool per_axis) {
  const std::string scale = unique_name(base + "_scale");
  Tensor s(DType::kFloat32, per_axis ? Dims{static_cast<int64_t>(params.scale.size())} : Dims{});
  for (size_t i = 0; i < params.scale.size(); ++i) s.data<float>()[i] = params.scale[i];
  g_.add_initializer(scale, s);
  const std::string zp = unique_name(base + "_zero_point");
  g_.add_initializer(zp, zero_point_tensor(params, per_axis));
  return {scale, zp};
}

void QdqBuilder::add_activation_pair(const std::string& value, const ir::QuantParams& params) {
  const auto [scale, zp] = add_params(value, params, false);
  ir::ValueInfo info;
  if (const ir::ValueInfo* v = g_.value_info(value)) info = *v;
  info.quant = params;

  bool is_output = false;
  for (const auto& o : g_.outputs) is_output |= o == value;
  const int producer = g_.producer_index(value);
  std::string q_input = value, dq_output;
  if (is_output && producer >= 0) {
    // The DQ output takes the graph output's name; the producer writes a new name.
    q_input = unique_name(value + "_QuantizeLinear_Input");
    for (auto& o : g_.nodes[static_cast<size_t>(producer)].outputs)
      if (o == value) o = q_input;
    g_.values[q_input] = info;
    dq_output = value;
  } else {
    dq_output = unique_name(value + "_DequantizeLinear_Output");
    for (auto& n : g_.nodes)
      for (auto& in : n.inputs)
        if (in == value) in = dq_output;
  }
  const std::string q_output = unique_name(value + "_QuantizeLinear_Output");
  g_.add_node("QuantizeLinear", {q_input, scale, zp}, {q_output}, unique_name(value + "_QuantizeLinear"))
      .placement_reason = "quantize";
  g_.add_node("DequantizeLinear", {q_output, scale, zp}, {dq_output}, unique_name(value + "_DequantizeLinear"))
      .placement_reason = "dequantize";
  g_.values[value] = info;
  ir::ValueInfo qinfo = info;
  qinfo.dtype = params.dtype;
  g_.values[q_output] = qinfo;
  ir::ValueInfo dqinfo = info;
  dqinfo.dtype = DType::kFloat32;
  g_.values[dq_output] = dqinfo;
}

std::string QdqBuilder::add_constant(const std::string& base, const Tensor& quantized, const ir::QuantParams& params) {
  const bool per_axis = params.scale.size() > 1 || params.axis >= 0;
  const std::string q_name = unique_name(base + "_quantized");
  g_.add_initializer(q_name, quantized);
  const auto [scale, zp] = add_params(base, params, per_axis);
  const std::string dq_output = unique_name(base + "_DequantizeLinear_Output");
  ir::Node& dq = g_.add_node("DequantizeLinear", {q_name, scale, zp}, {dq_output}, unique_name(base + "_DequantizeLinear"));
  dq.placement_reason = "dequantize";
  if (per_axis) dq.attrs.set("axis", params.axis);
  ir::ValueInfo qinfo{quantized.dtype(), ir::make_shape(quantized.shape()), params};
  g_.values[q_name] = qinfo;
  g_.values[dq_output] = ir::ValueInfo{DType::kFloat32, ir::make_shape(quantized.shape()), params};
  return dq_output;
}

}  // namespace edgeq::quant

namespace edgeq::quant {

StatusOr<ir::Graph> standard_onnx_graph(const ir::Graph& graph) {
  ir::Graph g = graph;
  EDGEQ_RETURN_IF_ERROR(ir::expand_internal_ops(g));
  for (const auto& n : g.nodes)
    if (!n.domain.empty())
      return unsupported("node '" + n.name + "' is the op " + n.domain + "." + n.op_type +
                         ", which has no standard ONNX form to quantize");
  return g;
}

}  // namespace edgeq::quant
