// Building blocks of QDQ graphs, shared by quantize() and attach_calibration(): a
// QuantizeLinear→DequantizeLinear pair after an activation, and quantized constants
// (int8 weights, int32 biases, u8 constants) feeding a DequantizeLinear. Names follow
// ONNX Runtime's quantizer (<value>_QuantizeLinear_Output, <value>_DequantizeLinear_Output,
// <init>_quantized, <init>_scale, <init>_zero_point).
//
//   quant::QdqBuilder b(graph);
//   b.add_activation_pair("conv1_out", quant::activation_params(0.0f, 6.0f));
//   std::string w_dq = b.add_constant("conv1.weight", qw.values, qw.params);
#pragma once

#include <set>
#include <string>
#include <utility>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"

namespace edgeq::quant {

class QdqBuilder {
 public:
  explicit QdqBuilder(ir::Graph& graph);

  // A name not yet used by any value, initializer or node ("base", "base_1", ...).
  std::string unique_name(const std::string& base);

  // Inserts Q→DQ after `value` and makes every consumer read the dequantized value. A graph
  // output keeps its name on the DQ output (its producer's output is renamed), so the
  // model's outputs stay float and keep their names. Records `params` on the value.
  void add_activation_pair(const std::string& value, const ir::QuantParams& params);

  // Adds the quantized initializer with its scale and zero point, and a DequantizeLinear
  // (per-axis when params.scale has more than one entry); returns the DQ output's name.
  std::string add_constant(const std::string& base, const Tensor& quantized, const ir::QuantParams& params);

 private:
  void add_name(const std::string& n) { used_.insert(n); }
  // Adds the scale and zero-point initializers; returns their names.
  std::pair<std::string, std::string> add_params(const std::string& base, const ir::QuantParams& params,
                                                 bool per_axis);

  ir::Graph& g_;
  std::set<std::string> used_;
};

// A copy with every internal op (domain "edgeq") expanded into standard ONNX ops
// (ir::expand_internal_ops); fails naming a node of another domain.
StatusOr<ir::Graph> standard_onnx_graph(const ir::Graph& graph);

}  // namespace edgeq::quant
