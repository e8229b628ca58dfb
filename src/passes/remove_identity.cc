// Removes Identity, and Dropout in inference (training_mode absent or a constant false;
// the ratio does not matter then), when its mask output is absent or unused. Readers are
// rewired to the input; a graph output keeps its name (see replace_value).
#include "passes/pass.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

bool is_inference_dropout(const ir::Graph& graph, const GraphIndex& index, const ir::Node& n) {
  if (n.inputs.empty() || n.outputs.empty()) return false;
  if (n.has_input(2)) {  // training_mode (opset 12+)
    std::optional<double> training = constant_scalar(graph, n.input(2));
    if (!training || *training != 0) return false;
  }
  for (size_t k = 1; k < n.outputs.size(); ++k)  // the mask
    if (!n.outputs[k].empty() && !index.is_unused(n.outputs[k])) return false;
  return true;
}

}  // namespace

Status remove_identity(ir::Graph& graph, const PassContext& ctx) {
  GraphIndex index(graph);
  std::vector<bool> dead(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& n = graph.nodes[i];
    if (!n.domain.empty() || n.inputs.empty() || n.outputs.empty() || n.inputs[0].empty()) continue;
    bool removable = (n.op_type == "Identity" && n.outputs.size() == 1) ||
                     (n.op_type == "Dropout" && is_inference_dropout(graph, index, n));
    if (!removable) continue;
    std::string out = n.outputs[0], in = n.inputs[0];
    if (replace_value(graph, index, out, in)) mark_dead(graph, index, dead, static_cast<int>(i));
  }
  erase_nodes(graph, dead);
  return {};
}

}  // namespace edgeq::passes
