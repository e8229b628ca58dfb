// Conv, or FusedConv without an activation yet, whose output is read only by one
// activation node → FusedConv with that activation (see kernels/op_list.h). Not fused when
// the conv output is also a graph output or has other readers. Activations: Relu, Clip with
// constant bounds (Relu6), LeakyRelu, HardSwish, Sigmoid, Tanh, HardSigmoid.
#include "passes/pass.h"
#include "passes/pattern_util.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

// The activation attributes for `act`, or false if it is not fusable.
bool activation_of(const ir::Graph& g, const ir::Node& act, std::string* name, std::vector<float>* params) {
  if (!act.domain.empty() || act.outputs.size() != 1) return false;
  const std::string& op = act.op_type;
  *name = op;
  params->clear();
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish") return act.inputs.size() == 1;
  if (op == "LeakyRelu") {
    params->push_back(act.attrs.get_float("alpha", 0.01f));
    return true;
  }
  if (op == "HardSigmoid") {
    params->push_back(act.attrs.get_float("alpha", 0.2f));
    params->push_back(act.attrs.get_float("beta", 0.5f));
    return true;
  }
  if (op == "Clip") {
    std::optional<ClipBounds> b = clip_bounds(g, act);
    if (!b) return false;
    params->push_back(static_cast<float>(b->min));
    params->push_back(static_cast<float>(b->max));
    return true;
  }
  return false;
}

}  // namespace

Status fuse_conv_activation(ir::Graph& graph, const PassContext&) {
  GraphIndex index(graph);
  std::vector<bool> dead(graph.nodes.size());
  bool changed = false;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (dead[i] || !is_conv_without_activation(graph.nodes[i], true)) continue;
    const std::string out = graph.nodes[i].outputs[0];
    if (!index.has_single_consumer(out)) continue;
    const int a = index.consumers(out)[0];
    const ir::Node& act = graph.nodes[static_cast<size_t>(a)];
    std::string name;
    std::vector<float> params;
    if (act.input(0) != out || !activation_of(graph, act, &name, &params)) continue;
    const std::string act_out = act.outputs[0];
    mark_dead(graph, index, dead, a);
    ir::Node& conv = graph.nodes[i];
    conv.op_type = "FusedConv";
    conv.domain = "edgeq";
    conv.attrs.set("activation", name);
    if (!params.empty()) conv.attrs.set("activation_params", params);
    conv.outputs[0] = act_out;
    index.set_producer(act_out, static_cast<int>(i));
    graph.values.erase(out);
    changed = true;
  }
  erase_nodes(graph, dead);
  if (changed) graph.opset_imports["edgeq"] = 1;
  return {};
}

}  // namespace edgeq::passes
