// Internal to the compiler: one accelerator node of the QDQ graph → one int8 op.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/program.h"
#include "ir/graph.h"

namespace edgeq::compiler {

format::Quant to_format_quant(const ir::QuantParams& q);

// What the legality check needs to know about the graph around a node.
struct Int8Context {
  const ir::Graph* graph = nullptr;
  std::function<int(const std::string&)> producer;                       // node index or -1
  std::function<const std::vector<int>&(const std::string&)> consumers;  // node indices
  std::function<bool(const std::string&)> is_graph_output;
};

// "" when the node lowers to an int8 op; otherwise why it runs in float instead.
std::string int8_lowering_blocker(const Int8Context& ctx, const ir::Node& node);

// The lowering's services the per-op code uses.
struct Int8Emitter {
  const ir::Graph* graph = nullptr;
  // Tensor of an input that comes from a DequantizeLinear: the u8 activation, or the
  // quantized constant (added on first use).
  std::function<StatusOr<int>(const std::string& dq_output)> u8_input;
  // The input of the DequantizeLinear writing `dq_output` (a quantized initializer or a
  // u8 activation).
  std::function<const std::string&(const std::string& dq_output)> dq_source;
  std::function<const format::TensorDesc&(int)> tensor;
  // Adds (once per key) a constant tensor.
  std::function<int(const std::string& key, const std::string& name, const Tensor&, const ir::QuantParams*)> constant;
  // Creates the u8 tensor a float output's QuantizeLinear writes.
  std::function<StatusOr<int>(const std::string& float_output)> u8_output;
  std::function<const std::string&(const std::string& float_output)> quantize_node;
};

StatusOr<format::Op> lower_int8_node(const Int8Emitter& e, const ir::Node& node);

}  // namespace edgeq::compiler
