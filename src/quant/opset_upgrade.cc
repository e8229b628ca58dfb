#include "quant/opset_upgrade.h"

#include <string>
#include <vector>

#include "quant/qdq_builder.h"

namespace edgeq::quant {

namespace {

// Moves an ints attribute to a new int64 initializer input at position `index`.
void attribute_to_input(ir::Graph& g, QdqBuilder& names, ir::Node& n, const char* attr, size_t index) {
  if (!n.attrs.has(attr)) return;
  std::vector<int64_t> v = n.attrs.get_ints(attr);
  n.attrs.erase(attr);
  const std::string name = names.unique_name((n.name.empty() ? n.outputs[0] : n.name) + "_" + attr);
  g.add_initializer(name, Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v));
  g.values[name] = ir::ValueInfo{DType::kInt64, ir::make_shape({static_cast<int64_t>(v.size())}), std::nullopt};
  if (n.inputs.size() < index) n.inputs.resize(index);
  n.inputs.insert(n.inputs.begin() + static_cast<std::ptrdiff_t>(index), name);
}

// Before opset 13 Softmax flattens to 2-D at `axis` (default 1); from 13 it works along
// one axis (default -1). They agree when the axis is the last one.
Status upgrade_softmax(const ir::Graph& g, ir::Node& n) {
  const int64_t axis = n.attrs.get_int("axis", 1);
  const ir::ValueInfo* v = g.value_info(n.input(0));
  if (v && v->shape) {
    const int64_t rank = static_cast<int64_t>(v->shape->size());
    if (axis == -1 || axis == rank - 1) {
      n.attrs.set("axis", int64_t{-1});
      return {};
    }
  }
  return unsupported("node '" + n.name + "' (" + n.op_type + " over axis " + std::to_string(axis) +
                     " of an opset-" + std::to_string(g.opset()) +
                     " model) cannot be rewritten for opset 13, which quantization needs");
}

}  // namespace

Status upgrade_to_opset13(ir::Graph& g) {
  const int64_t opset = g.opset();
  if (opset >= 13) return {};
  if (opset < 11)
    return unsupported("quantization needs opset 11 or newer (the model imports opset " + std::to_string(opset) + ")");
  QdqBuilder names(g);
  for (ir::Node& n : g.nodes) {
    if (!n.domain.empty()) continue;
    if (n.op_type == "Squeeze" || n.op_type == "Unsqueeze" || n.op_type == "ReduceSum") {
      attribute_to_input(g, names, n, "axes", 1);
    } else if (n.op_type == "Split") {
      attribute_to_input(g, names, n, "split", 1);
    } else if (n.op_type == "Softmax" || n.op_type == "LogSoftmax" || n.op_type == "Hardmax") {
      EDGEQ_RETURN_IF_ERROR(upgrade_softmax(g, n));
    } else if (n.op_type == "Dropout") {
      n.attrs.erase("ratio");  // inference ignores it; opset 12 made it an input
    }
  }
  g.opset_imports[""] = 13;
  if (g.ir_version < 7) g.ir_version = 7;
  return {};
}

}  // namespace edgeq::quant
