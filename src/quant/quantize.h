// Quantization (DESIGN §5): placement annotation, quantization parameters and the QDQ
// graph that ONNX Runtime runs with int8 kernels and edgeq's interpreter simulates.
//
//   quant::QuantizeOptions qopts;
//   EDGEQ_ASSIGN_OR_RETURN(ir::Graph qdq, quant::quantize(optimized, ranges, qopts));
//   // qdq: standard QDQ ONNX graph (opset >= 13), node placements annotated, every
//   // quantized value's ir::QuantParams recorded in Graph::values.
#pragma once

#include <map>
#include <set>
#include <string>

#include "base/status.h"
#include "ir/graph.h"
#include "quant/calibration.h"

namespace edgeq::quant {

struct QuantizeOptions {
  // Nodes forced to run on the CPU in float (node_info in the YAML config, later).
  std::set<std::string> cpu_nodes;
};

// Marks each node accelerator (its int8 path supports the op with these attributes) or
// CPU (float), with the reason, in Node::placement / placement_reason.
Status annotate_placement(ir::Graph& graph, const QuantizeOptions& options);

// Returns the quantized graph: int8 per-output-channel symmetric weights, int32 biases at
// s_in*s_w, per-tensor uint8 activations (zero point 0 when the tensor is proven
// non-negative), as QuantizeLinear/DequantizeLinear pairs laid out the way ONNX
// Runtime's quantizer does. Internal ops (FusedConv) are expanded into standard ops.
StatusOr<ir::Graph> quantize(const ir::Graph& optimized, const RangeTable& ranges,
                             const QuantizeOptions& options);

// The optimized float graph with the calibration result attached (see docs): every
// calibrated value gets a QuantizeLinear→DequantizeLinear pair carrying its u8 params.
StatusOr<ir::Graph> attach_calibration(const ir::Graph& optimized, const RangeTable& ranges);

}  // namespace edgeq::quant
