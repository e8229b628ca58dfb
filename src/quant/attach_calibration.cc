// attach_calibration(): the optimized float graph with the calibration result attached as
// a QuantizeLinear→DequantizeLinear pair (u8 params from the range) after every calibrated
// float value — graph inputs and node outputs. It runs in any ONNX runtime and shows
// the activation quantization alone (weights stay float). See docs/quantization.md.
#include <string>
#include <vector>

#include "quant/qdq_builder.h"
#include "quant/qparams.h"
#include "quant/quantize.h"

namespace edgeq::quant {

StatusOr<ir::Graph> attach_calibration(const ir::Graph& optimized, const RangeTable& ranges) {
  EDGEQ_ASSIGN_OR_RETURN(ir::Graph g, standard_onnx_graph(optimized));
  if (g.opset() < 10) g.opset_imports[""] = 10;  // QuantizeLinear appeared in opset 10
  std::vector<std::string> calibrated;
  auto consider = [&](const std::string& v) {
    const ir::ValueInfo* info = g.value_info(v);
    if (v.empty() || g.is_initializer(v) || !info || info->dtype != DType::kFloat32 || !ranges.count(v)) return;
    calibrated.push_back(v);
  };
  for (const auto& in : g.inputs) consider(in);
  for (const auto& n : g.nodes)
    for (const auto& out : n.outputs) consider(out);
  QdqBuilder b(g);
  for (const std::string& v : calibrated) {
    const TensorRange& r = ranges.at(v);
    b.add_activation_pair(v, activation_params(r.min, r.max));
  }
  EDGEQ_RETURN_IF_ERROR(g.topological_sort());
  EDGEQ_RETURN_IF_ERROR(ir::verify(g));
  g.metadata["edgeq.calibration"] = "QuantizeLinear/DequantizeLinear pair (u8) after every calibrated value";
  return g;
}

}  // namespace edgeq::quant
