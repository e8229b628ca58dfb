#include "ir/macs.h"

namespace edgeq::ir {

namespace {
std::optional<Dims> dims_of(const Graph& g, const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (auto it = g.initializers.find(name); it != g.initializers.end()) return it->second.shape();
  const ValueInfo* v = g.value_info(name);
  if (!v || !v->shape) return std::nullopt;
  return static_dims(*v->shape);
}
}  // namespace

int64_t node_macs(const Graph& g, const Node& n) {
  if (n.op_type == "Conv") {
    auto w = dims_of(g, n.input(1));
    auto y = n.outputs.empty() ? std::nullopt : dims_of(g, n.outputs[0]);
    if (!w || !y || w->size() < 3) return 0;
    // Each output element takes (Cin/group) * prod(kernel) MACs; W is [Cout, Cin/group, k...].
    int64_t per_output = 1;
    for (size_t i = 1; i < w->size(); ++i) per_output *= (*w)[i];
    return shape_numel(*y) * per_output;
  }
  if (n.op_type == "ConvTranspose") {
    auto w = dims_of(g, n.input(1));
    auto x = dims_of(g, n.input(0));
    if (!w || !x || w->size() < 3) return 0;
    // Each input element scatters into (Cout/group) * prod(kernel) outputs; W is [Cin, Cout/group, k...].
    int64_t per_input = 1;
    for (size_t i = 1; i < w->size(); ++i) per_input *= (*w)[i];
    return shape_numel(*x) * per_input;
  }
  if (n.op_type == "Gemm" || n.op_type == "MatMul") {
    auto a = dims_of(g, n.input(0));
    auto y = n.outputs.empty() ? std::nullopt : dims_of(g, n.outputs[0]);
    if (!a || !y || a->empty()) return 0;
    int64_t k = a->back();
    if (n.op_type == "Gemm" && n.attrs.get_int("transA", 0) && a->size() == 2) k = (*a)[0];
    return shape_numel(*y) * k;
  }
  return 0;
}

}  // namespace edgeq::ir
