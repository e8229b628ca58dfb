// Fills Graph::values with every value's dtype and static shape by running the graph once
// on placeholder inputs (zeros for floats, ones for integers). Exact where static shape
// inference is not (opsets newer than the ONNX library, value-dependent shapes).
//
//   EDGEQ_RETURN_IF_ERROR(exec::annotate_shapes_by_running(graph));
#pragma once

#include "base/status.h"
#include "ir/graph.h"

namespace edgeq::exec {

// Requires static input shapes. Fails if a node cannot run (unsupported op or bad shapes).
Status annotate_shapes_by_running(ir::Graph& graph);

}  // namespace edgeq::exec
