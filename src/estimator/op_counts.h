// What one op of a format::Program does, counted from its shapes and attributes alone:
// multiply-accumulates, other arithmetic, and the bytes it reads and writes.
//
//   OpCounts c = count_op(program, op_index);
//   // c.macs for a 3x3 QConv 64→64 on 56x56: 56*56*64*64*9
#pragma once

#include <cstdint>

#include "estimator/target_profile.h"
#include "format/program.h"

namespace edgeq::estimator {

struct OpCounts {
  OpKind kind = OpKind::kDataMovement;
  format::Placement placement = format::Placement::kAccelerator;
  int64_t macs = 0;            // multiply-accumulates (conv, gemm, matmul)
  // Arithmetic in the unit of the placement's peak: int8 MACs for accelerator ops, fp32
  // FLOPs (2 per MAC) for CPU ops. Ops without MACs count one per element they produce
  // (or per window tap for pools).
  double work = 0;
  int64_t activation_bytes = 0;  // non-constant inputs read
  int64_t weight_bytes = 0;      // constant inputs read (weights, biases, tables)
  int64_t output_bytes = 0;      // outputs written
  int64_t output_elements = 0;
  int64_t channels = 0;          // output channels (dim 1 of a 4-D output, else last dim)
  bool in_place = false;         // a view: output aliases the input in the arena, no copy

  int64_t bytes() const { return activation_bytes + weight_bytes + output_bytes; }
};

// The op's kind for the cost model, from its type and placement.
OpKind classify_op(const format::Program& program, const format::Op& op, format::Placement placement);
// `placement` is the placement of the segment holding the op.
OpCounts count_op(const format::Program& program, int op_index, format::Placement placement);

}  // namespace edgeq::estimator
