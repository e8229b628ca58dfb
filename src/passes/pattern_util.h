// Small matchers shared by the recognition and fusion passes:
//
//   std::optional<ClipBounds> b = clip_bounds(graph, clip_node);   // attrs (< 11) or constant inputs
//   int m = single_consumer(graph, index, value, "Mul");            // -1 unless exactly one reader of that op
//   std::string other = other_operand(node, value);                  // the binary op's other input
//   bool six = is_constant_near(graph, name, 6.0);
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ir/graph.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {

struct ClipBounds {
  double min, max;
};

// A Clip's bounds: attributes below opset 11, constant scalar inputs from 11 (absent bound =
// ±inf); nullopt if a bound is not constant.
std::optional<ClipBounds> clip_bounds(const ir::Graph& graph, const ir::Node& clip);

// Index of the only node reading `value` when it has op type `op` (default domain) and
// `value` is not a graph output; else -1.
int single_consumer(const ir::Graph& graph, const GraphIndex& index, const std::string& value, std::string_view op);

// For a two-input node reading `value`, the other input; "" if `value` is not an input or
// both inputs are `value`.
std::string other_operand(const ir::Node& node, const std::string& value);

// True if `value` is a constant holding one element within 1e-6 relative of `want`.
bool is_constant_near(const ir::Graph& graph, const std::string& value, double want);

// The default-domain op that produced `value` when it is `op`; else -1.
int producer_of(const ir::Graph& graph, const GraphIndex& index, const std::string& value, std::string_view op);

// A Conv, or a FusedConv with no activation (and no Z unless allow_z).
bool is_conv_without_activation(const ir::Node& node, bool allow_z);

}  // namespace edgeq::passes
