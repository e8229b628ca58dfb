// ReduceMean over the two spatial axes of a 4-D tensor → GlobalAveragePool, the op the int8
// path has (PyTorch exports `x.mean([2, 3])` this way; ShuffleNetV2 ends with it, which
// otherwise runs in float on the CPU between a Dequantize and a Quantize).
//   ReduceMean(x) {axes=[2,3], keepdims=1}  →  GlobalAveragePool(x)
//   ReduceMean(x) {axes=[2,3], keepdims=0}  →  Flatten(GlobalAveragePool(x)) {axis=1}
// Axes come from the attribute (opset < 18) or a constant second input (18); negative axes
// count from the end. A node of unknown rank, other axes, or axes that are not constant is
// left alone.
#include <algorithm>

#include "passes/pass.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

// The node's reduced axes, sorted and non-negative, or nullopt when they are not known.
std::optional<std::vector<int64_t>> reduced_axes(const ir::Graph& g, const ir::Node& n, int64_t rank) {
  std::vector<int64_t> axes;
  if (n.has_input(1)) {
    const Tensor* t = constant_value(g, n.input(1));
    if (!t || t->dtype() != DType::kInt64) return std::nullopt;
    const auto v = t->span<int64_t>();
    axes.assign(v.begin(), v.end());
  } else {
    axes = n.attrs.get_ints("axes");
  }
  if (axes.empty()) return std::nullopt;  // every axis, or none (noop_with_empty_axes)
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) return std::nullopt;
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

}  // namespace

Status recognize_global_pool(ir::Graph& graph, const PassContext&) {
  NameGenerator names(graph);
  const size_t count = graph.nodes.size();
  bool appended = false;
  for (size_t i = 0; i < count; ++i) {
    if (graph.nodes[i].op_type != "ReduceMean" || !graph.nodes[i].domain.empty()) continue;
    const ir::ValueInfo* in = graph.value_info(graph.nodes[i].input(0));
    if (!in || !in->shape || in->shape->size() != 4) continue;
    if (reduced_axes(graph, graph.nodes[i], 4) != std::vector<int64_t>{2, 3}) continue;
    const bool keepdims = graph.nodes[i].attrs.get_int("keepdims", 1) != 0;
    const std::string x = graph.nodes[i].input(0);
    if (keepdims) {
      ir::Node& n = graph.nodes[i];
      n.op_type = "GlobalAveragePool";
      n.inputs = {x};
      n.attrs = Attributes();
      continue;
    }
    // The pool keeps [N, C, 1, 1]; a Flatten (in the ReduceMean's place, so its output
    // keeps its name) gives the [N, C] the ReduceMean gave.
    const std::string pooled = names.value(graph.nodes[i].outputs[0] + "_pooled");
    ir::ValueInfo pooled_info{in->dtype, ir::Shape{(*in->shape)[0], (*in->shape)[1], ir::Dim(1), ir::Dim(1)}, {}};
    graph.values[pooled] = pooled_info;
    {
      ir::Node& n = graph.nodes[i];
      n.op_type = "Flatten";
      n.inputs = {pooled};
      n.attrs = Attributes();
      n.attrs.set("axis", int64_t{1});
    }
    const std::string pool_name = names.node(graph.nodes[i].name + "_pool");
    graph.add_node("GlobalAveragePool", {x}, {pooled}, pool_name);
    appended = true;
  }
  if (appended) return graph.topological_sort();
  return {};
}

}  // namespace edgeq::passes
