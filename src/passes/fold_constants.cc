// Constant folding: a node whose inputs are all initializers runs once through the
// reference kernels (the same semantics as the interpreter) and its outputs become
// initializers; Constant nodes become initializers; Shape and Size of a value with a static
// shape fold without running anything, so exporter chains such as
// Shape→Gather→Unsqueeze→Concat→Reshape collapse into a constant shape. Nodes are visited
// in topological order, so whole constant chains fold in one walk.
#include <algorithm>
#include <memory>

#include "kernels/kernel.h"
#include "passes/pass.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

// Folding must not bloat the model: an output this many times larger than its inputs and
// above this many elements stays a node (Expand/Tile/ConstantOfShape of big shapes).
constexpr int64_t kMaxGrowth = 4;
constexpr int64_t kMaxFoldedElements = int64_t{1} << 20;

bool never_fold(std::string_view op) {
  // Random ops differ run to run; Q/DQ pairs carry quantization and must stay visible.
  return op.starts_with("Random") || op == "Multinomial" || op == "Bernoulli" ||
         op == "QuantizeLinear" || op == "DequantizeLinear";
}

bool too_big(int64_t out_numel, int64_t in_numel) {
  return out_numel > kMaxFoldedElements && out_numel > kMaxGrowth * std::max<int64_t>(in_numel, 1);
}

// Shape (with opset-15 start/end) and Size of a statically shaped value.
bool fold_shape_of(const ir::Graph& graph, const ir::Node& n, std::vector<Tensor>* out) {
  if (!n.has_input(0) || n.outputs.size() != 1) return false;
  std::optional<Dims> dims = static_shape(graph, n.input(0));
  if (!dims) return false;
  if (n.op_type == "Size") {
    out->push_back(Tensor::scalar<int64_t>(shape_numel(*dims)));
    return true;
  }
  const int64_t rank = static_cast<int64_t>(dims->size());
  auto clamp = [rank](int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t start = clamp(n.attrs.get_int("start", 0));
  int64_t end = clamp(n.attrs.get_int("end", rank));
  std::vector<int64_t> v;
  for (int64_t i = start; i < end; ++i) v.push_back((*dims)[static_cast<size_t>(i)]);
  out->push_back(Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v));
  return true;
}

// Runs the node's reference kernel on its constant inputs; false if any input is not
// constant, the op has no kernel, the kernel fails (the interpreter will report it), or
// the result would be too big.
bool evaluate(const ir::Graph& graph, const ir::Node& n, std::vector<Tensor>* out) {
  std::vector<const Tensor*> inputs;
  int64_t in_numel = 0;
  for (const auto& name : n.inputs) {
    if (name.empty()) {
      inputs.push_back(nullptr);
      continue;
    }
    const Tensor* t = constant_value(graph, name);
    if (!t) return false;
    inputs.push_back(t);
    in_numel += t->numel();
  }
  for (const auto& o : n.outputs) {  // skip before running when the result is known to be huge
    std::optional<Dims> d = o.empty() ? std::nullopt : static_shape(graph, o);
    if (d && too_big(shape_numel(*d), in_numel)) return false;
  }
  kernels::KernelFn fn = kernels::find_kernel(n.op_type, kernels::Backend::kReference);
  if (!fn) return false;
  out->assign(n.outputs.size(), Tensor());
  std::vector<bool> wanted(n.outputs.size());
  for (size_t k = 0; k < n.outputs.size(); ++k) wanted[k] = !n.outputs[k].empty();
  std::unique_ptr<kernels::KernelState> state;
  kernels::KernelContext kctx{n.op_type, n.name, n.attrs, graph.opset(), inputs, *out, wanted, state};
  if (!fn(kctx).ok()) return false;
  int64_t out_numel = 0;
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    if (n.outputs[k].empty()) continue;
    if (!(*out)[k].defined()) return false;
    out_numel += (*out)[k].numel();
  }
  return !too_big(out_numel, in_numel);
}

}  // namespace

Status fold_constants(ir::Graph& graph, const PassContext& ctx) {
  std::vector<bool> dead(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& n = graph.nodes[i];
    if ((!n.domain.empty() && n.domain != "ai.onnx") || never_fold(n.op_type)) continue;
    std::vector<Tensor> results;
    bool folded = (n.op_type == "Shape" || n.op_type == "Size") && fold_shape_of(graph, n, &results);
    if (!folded) {
      results.clear();
      folded = evaluate(graph, n, &results);
    }
    if (!folded) continue;
    for (size_t k = 0; k < n.outputs.size(); ++k)
      if (!n.outputs[k].empty()) graph.add_initializer(n.outputs[k], std::move(results[k]));
    dead[i] = true;
  }
  erase_nodes(graph, dead);
  return {};
}

}  // namespace edgeq::passes
