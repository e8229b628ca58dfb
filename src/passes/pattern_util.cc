#include "passes/pattern_util.h"

#include <cmath>
#include <limits>

namespace edgeq::passes {

std::optional<ClipBounds> clip_bounds(const ir::Graph& graph, const ir::Node& clip) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (graph.opset() < 11) return ClipBounds{clip.attrs.get_float("min", -3.402823e38f), clip.attrs.get_float("max", 3.402823e38f)};
  ClipBounds b{-kInf, kInf};
  for (size_t slot = 1; slot <= 2; ++slot) {
    if (!clip.has_input(slot)) continue;
    std::optional<double> v = constant_scalar(graph, clip.input(slot));
    if (!v) return std::nullopt;
    (slot == 1 ? b.min : b.max) = *v;
  }
  return b;
}

int single_consumer(const ir::Graph& graph, const GraphIndex& index, const std::string& value, std::string_view op) {
  if (!index.has_single_consumer(value)) return -1;
  const int c = index.consumers(value)[0];
  const ir::Node& n = graph.nodes[static_cast<size_t>(c)];
  return n.op_type == op && n.domain.empty() ? c : -1;
}

std::string other_operand(const ir::Node& node, const std::string& value) {
  if (node.inputs.size() != 2) return {};
  if (node.inputs[0] == value && node.inputs[1] != value) return node.inputs[1];
  if (node.inputs[1] == value && node.inputs[0] != value) return node.inputs[0];
  return {};
}

bool is_constant_near(const ir::Graph& graph, const std::string& value, double want) {
  std::optional<double> v = constant_scalar(graph, value);
  return v && std::abs(*v - want) <= 1e-6 * std::max(1.0, std::abs(want));
}

int producer_of(const ir::Graph& graph, const GraphIndex& index, const std::string& value, std::string_view op) {
  const int p = index.producer(value);
  if (p < 0) return -1;
  const ir::Node& n = graph.nodes[static_cast<size_t>(p)];
  return n.op_type == op && n.domain.empty() ? p : -1;
}

bool is_conv_without_activation(const ir::Node& n, bool allow_z) {
  if (n.op_type == "Conv" && n.domain.empty()) return n.outputs.size() == 1;
  return n.op_type == "FusedConv" && n.domain == "edgeq" && n.attrs.get_string("activation", "").empty() &&
         (allow_z || !n.has_input(3));
}

}  // namespace edgeq::passes
