// The interpreter's int8 simulation of a QDQ graph: finds the node groups ONNX Runtime
// (1.23, CPU) fuses into its int8 kernels — DequantizeLinear inputs → op → one
// QuantizeLinear — and runs each group with the int8 reference kernels
// (kernels/int8/ref.h) on the u8 tensors, skipping the float op.
//
// Fused, as ORT's QDQ selectors do: Conv (QLinearConv), Gemm (QGemm), MatMul with a 2-D
// constant weight (QLinearMatMul), Add / Mul (QLinearAdd / QLinearMul), GlobalAveragePool,
// AveragePool, Sigmoid, LeakyRelu (lookup table), Concat (QLinearConcat). Ops ORT runs on
// u8 by dropping their DQ/Q (MaxPool, Resize, Reshape, Transpose, Flatten, Slice, ...) give
// the same values in the float form (their output keeps the input's params), and
// everything else (HardSwish, Softmax, ...) stays float in ORT too.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"
#include "kernels/int8/ref.h"

namespace edgeq::exec {

struct Int8Group {
  enum class Kind { kConv, kGemm, kAdd, kMul, kGlobalAveragePool, kAveragePool, kConcat, kLut };
  Kind kind = Kind::kConv;
  size_t op_node = 0;   // the float op the group replaces
  size_t q_node = 0;    // its QuantizeLinear consumer
  std::vector<size_t> dq_nodes;  // the DequantizeLinear nodes the group reads (inputs, weights, bias)
  std::vector<std::string> inputs;  // u8 activation values (the DequantizeLinear inputs)
  std::vector<kernels::int8::QParam> input_params;
  std::string output;  // the QuantizeLinear output (u8)
  kernels::int8::QParam output_param;
  // Conv / Gemm / MatMul: s8 weights (Conv OIHW, Gemm/MatMul [N, K]), scales, s32 bias.
  Tensor weight;
  std::vector<float> weight_scales;
  Tensor bias;
  int64_t group = 1;
  // Concat axis; lookup table for Sigmoid / LeakyRelu.
  int64_t axis = 0;
  kernels::int8::Table table{};
};

// The groups of `graph` (nodes in topological order), in node order.
std::vector<Int8Group> find_int8_groups(const ir::Graph& graph);

// Runs one group: `inputs` are the u8 tensors of group.inputs, in order.
StatusOr<Tensor> run_int8_group(const Int8Group& group, const ir::Node& op_node, int64_t opset,
                                const std::vector<const Tensor*>& inputs);

}  // namespace edgeq::exec
