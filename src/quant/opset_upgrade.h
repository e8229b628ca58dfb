// Brings an opset-11/12 graph to opset 13, the first with per-axis DequantizeLinear, by
// rewriting the ops whose signature changed: Squeeze, Unsqueeze, ReduceSum (axes
// attribute → input), Split (split attribute → input), Softmax/LogSoftmax/Hardmax (2-D
// coercion → single axis; only when the axis is the last one), Dropout (ratio attribute).
//
//   EDGEQ_RETURN_IF_ERROR(quant::upgrade_to_opset13(graph));
#pragma once

#include "base/status.h"
#include "ir/graph.h"

namespace edgeq::quant {

// No-op for opset >= 13; fails for opset < 11 or a Softmax the rewrite cannot express.
Status upgrade_to_opset13(ir::Graph& graph);

}  // namespace edgeq::quant
