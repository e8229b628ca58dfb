// Residual fusion: a Conv (or FusedConv with neither activation nor Z) whose output is
// read only by an Add whose other input Z has the conv output's exact shape (a computed
// tensor, not a broadcast constant) → FusedConv(X, W, B, Z). If that Add's output is read
// only by a Relu, the Relu becomes the FusedConv's activation too.
#include "passes/pass.h"
#include "passes/pattern_util.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {

Status fuse_conv_add(ir::Graph& graph, const PassContext&) {
  GraphIndex index(graph);
  std::vector<bool> dead(graph.nodes.size());
  bool changed = false;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (dead[i] || !is_conv_without_activation(graph.nodes[i], false)) continue;
    const std::string out = graph.nodes[i].outputs[0];
    const int a = single_consumer(graph, index, out, "Add");
    if (a < 0 || dead[static_cast<size_t>(a)]) continue;
    const std::string z = other_operand(graph.nodes[static_cast<size_t>(a)], out);
    if (z.empty() || graph.is_initializer(z)) continue;
    const std::optional<Dims> out_shape = static_shape(graph, out), z_shape = static_shape(graph, z);
    const ir::ValueInfo *out_info = graph.value_info(out), *z_info = graph.value_info(z);
    if (!out_shape || !z_shape || *out_shape != *z_shape || !out_info || !z_info || out_info->dtype != z_info->dtype)
      continue;
    std::string result = graph.nodes[static_cast<size_t>(a)].outputs[0];
    mark_dead(graph, index, dead, a);
    const int r = single_consumer(graph, index, result, "Relu");
    ir::Node& conv = graph.nodes[i];
    if (r >= 0) {
      graph.values.erase(result);
      result = graph.nodes[static_cast<size_t>(r)].outputs[0];
      mark_dead(graph, index, dead, r);
      conv.attrs.set("activation", std::string("Relu"));
    }
    conv.op_type = "FusedConv";
    conv.domain = "edgeq";
    conv.inputs.resize(3);
    conv.inputs.push_back(z);
    index.add_consumer(z, static_cast<int>(i));
    conv.outputs[0] = result;
    index.set_producer(result, static_cast<int>(i));
    graph.values.erase(out);
    changed = true;
  }
  erase_nodes(graph, dead);
  if (!changed) return {};
  graph.opset_imports["edgeq"] = 1;
  return graph.topological_sort();  // Z may have been computed after the conv
}

}  // namespace edgeq::passes
