// Rewrites edgeq's internal ops, and ONNX ops newer than the graph's default-domain opset,
// into standard ops of that opset, so an exported model loads in any ONNX runtime:
//
//   ir::Graph copy = graph;
//   EDGEQ_RETURN_IF_ERROR(ir::expand_internal_ops(copy));
//   // copy now has no FusedConv (domain "edgeq"), and at opset < 20 no Gelu,
//   // at opset < 17 no LayerNormalization, at opset < 14 no HardSwish.
//
//   FusedConv          → Conv [→ Add Z] [→ activation]  (Clip bounds as attributes below opset 11)
//   HardSwish (< 14)   → HardSigmoid(alpha=1/6, beta=0.5) → Mul
//   Gelu (< 20)        → Div(√2) → Erf → Add(1) → Mul(x) → Mul(0.5)   (or the tanh form)
//   LayerNormalization (< 17) → ReduceMean → Sub → Pow(2) → ReduceMean → Add(eps) → Sqrt →
//                        Div → Mul(scale) [→ Add(bias)]   (ReduceMean axes as attribute below 18)
//
// Output names are kept; new values get fresh names and a ValueInfo. The "edgeq" opset
// import is dropped when no node uses it any more.
#pragma once

#include "base/status.h"
#include "ir/graph.h"

namespace edgeq::ir {

Status expand_internal_ops(Graph& g);

}  // namespace edgeq::ir
