// Multiply-accumulate counts per node, from the static shapes recorded in Graph::values.
//
//   int64_t total = 0;
//   for (const ir::Node& n : g.nodes) total += ir::node_macs(g, n);
#pragma once

#include <cstdint>

#include "ir/graph.h"

namespace edgeq::ir {

// MACs of one node for one run (Conv, ConvTranspose, Gemm, MatMul; 0 for other ops or
// when a needed shape is unknown).
int64_t node_macs(const Graph& g, const Node& n);

}  // namespace edgeq::ir
