// Pieces of the makertbin pipeline that benchmarks and tests reuse.
//
//   EDGEQ_ASSIGN_OR_RETURN(ir::Graph f, converter::expanded_float_graph(optimized));
//   // f: standard ONNX ops only; calibration ranges are keyed by f's value names.
#pragma once

#include "base/status.h"
#include "ir/graph.h"

namespace edgeq::converter {

// The float graph calibration and evaluation run on: the optimized graph with edgeq's
// internal ops (FusedConv) expanded into standard ONNX ops, so its value names match the
// QDQ graph's.
StatusOr<ir::Graph> expanded_float_graph(const ir::Graph& optimized);

}  // namespace edgeq::converter
