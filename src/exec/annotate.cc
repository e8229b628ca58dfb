#include "exec/annotate.h"

#include "exec/interpreter.h"

namespace edgeq::exec {

Status annotate_shapes_by_running(ir::Graph& graph) {
  std::map<std::string, Tensor> feeds;
  for (const auto& name : graph.inputs) {
    const ir::ValueInfo* info = graph.value_info(name);
    if (!info || !info->shape) return invalid_argument("input '" + name + "' has no known shape");
    auto dims = ir::static_dims(*info->shape);
    if (!dims)
      return invalid_argument("input '" + name + "' has a dynamic shape " + ir::shape_to_string(*info->shape) +
                              "; give it with --input-shape " + name + ":1x3x224x224");
    Tensor t(info->dtype, *dims);
    if (dtype_is_integer(info->dtype)) {
      auto* p = static_cast<uint8_t*>(t.raw());
      const size_t es = dtype_size(info->dtype);
      for (int64_t i = 0; i < t.numel(); ++i) p[static_cast<size_t>(i) * es] = 1;  // little-endian 1
    }
    feeds[name] = std::move(t);
  }
  EDGEQ_ASSIGN_OR_RETURN(auto interp, Interpreter::create(graph));
  std::map<std::string, Tensor> fetches;
  std::map<std::string, ir::ValueInfo> seen;
  EDGEQ_RETURN_IF_ERROR(interp->run(feeds, &fetches, [&](const ir::Node& n, std::span<const Tensor> outs) {
    for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k)
      if (!n.outputs[k].empty() && outs[k].defined())
        seen[n.outputs[k]] = {outs[k].dtype(), ir::make_shape(outs[k].shape()), std::nullopt};
  }));
  for (auto& [name, info] : seen) graph.values[name] = std::move(info);
  return {};
}

}  // namespace edgeq::exec
