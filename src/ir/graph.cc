#include "ir/graph.h"

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>

namespace edgeq::ir {

Shape make_shape(const Dims& dims) {
  Shape s;
  s.reserve(dims.size());
  for (int64_t d : dims) s.emplace_back(d);
  return s;
}

std::optional<Dims> static_dims(const Shape& shape) {
  Dims d;
  d.reserve(shape.size());
  for (const Dim& x : shape) {
    if (!x.is_static()) return std::nullopt;
    d.push_back(x.value);
  }
  return d;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    if (shape[i].is_static()) s += std::to_string(shape[i].value);
    else s += shape[i].symbol.empty() ? "?" : shape[i].symbol;
  }
  return s + "]";
}

std::string_view placement_name(Placement p) {
  switch (p) {
    case Placement::kAccelerator: return "accelerator";
    case Placement::kCpu: return "cpu";
    case Placement::kUnassigned: break;
  }
  return "-";
}

const std::string& Node::input(size_t i) const {
  static const std::string kEmpty;
  return i < inputs.size() ? inputs[i] : kEmpty;
}

int64_t Graph::opset() const {
  auto it = opset_imports.find("");
  if (it == opset_imports.end()) it = opset_imports.find("ai.onnx");
  return it == opset_imports.end() ? 0 : it->second;
}

ValueInfo& Graph::add_input(const std::string& name, DType dtype, Shape shape) {
  inputs.push_back(name);
  ValueInfo& v = values[name];
  v.dtype = dtype;
  v.shape = std::move(shape);
  return v;
}

Node& Graph::add_node(std::string op_type, std::vector<std::string> in, std::vector<std::string> out,
                      std::string node_name) {
  Node n;
  n.op_type = std::move(op_type);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.name = std::move(node_name);
  nodes.push_back(std::move(n));
  return nodes.back();
}

void Graph::add_initializer(const std::string& name, Tensor t) {
  ValueInfo& v = values[name];
  v.dtype = t.dtype();
  v.shape = make_shape(t.shape());
  initializers[name] = std::move(t);
}

const ValueInfo* Graph::value_info(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

int Graph::producer_index(const std::string& value) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& o : nodes[i].outputs)
      if (o == value) return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::consumer_indices(const std::string& value) const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& in : nodes[i].inputs)
      if (in == value) {
        out.push_back(static_cast<int>(i));
        break;
      }
  return out;
}

Status Graph::topological_sort() {
  std::unordered_map<std::string, int> producer;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& o : nodes[i].outputs)
      if (!o.empty()) producer[o] = static_cast<int>(i);

  const size_t n = nodes.size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> users(n);
  for (size_t i = 0; i < n; ++i) {
    std::set<int> deps;
    for (const auto& in : nodes[i].inputs) {
      if (in.empty()) continue;
      auto it = producer.find(in);
      if (it != producer.end()) {
        deps.insert(it->second);
      } else if (!is_initializer(in) && std::find(inputs.begin(), inputs.end(), in) == inputs.end()) {
        return invalid_argument("node '" + nodes[i].name + "' (" + nodes[i].op_type + ") reads '" + in +
                                "', which no node, input or initializer defines");
      }
    }
    pending[i] = static_cast<int>(deps.size());
    for (int d : deps) users[static_cast<size_t>(d)].push_back(static_cast<int>(i));
  }
  // Kahn's algorithm, taking ready nodes in their original order (stable).
  std::set<int> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.insert(static_cast<int>(i));
  std::vector<Node> sorted;
  sorted.reserve(n);
  std::vector<int> order;
  while (!ready.empty()) {
    int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (int u : users[static_cast<size_t>(i)])
      if (--pending[static_cast<size_t>(u)] == 0) ready.insert(u);
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i)
      if (pending[i] > 0)
        return invalid_argument("the graph has a cycle through node '" + nodes[i].name + "' (" +
                                nodes[i].op_type + ")");
  }
  for (int i : order) sorted.push_back(std::move(nodes[static_cast<size_t>(i)]));
  nodes = std::move(sorted);
  return {};
}

int64_t Graph::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, t] : initializers) n += t.numel();
  return n;
}

Status verify(const Graph& g) {
  std::set<std::string> defined(g.inputs.begin(), g.inputs.end());
  for (const auto& [name, t] : g.initializers) defined.insert(name);
  std::set<std::string> node_names;
  for (const Node& n : g.nodes) {
    if (n.op_type.empty()) return invalid_argument("a node named '" + n.name + "' has no op type");
    if (!n.name.empty() && !node_names.insert(n.name).second)
      return invalid_argument("two nodes are named '" + n.name + "'");
    for (const auto& in : n.inputs)
      if (!in.empty() && !defined.count(in))
        return invalid_argument("node '" + n.name + "' (" + n.op_type + ") reads '" + in +
                                "' before it is defined");
    for (const auto& out : n.outputs) {
      if (out.empty()) continue;
      if (!defined.insert(out).second)
        return invalid_argument("value '" + out + "' is defined twice (again by node '" + n.name + "')");
    }
  }
  for (const auto& out : g.outputs)
    if (!defined.count(out)) return invalid_argument("graph output '" + out + "' is never defined");
  return {};
}

namespace {
std::string type_string(const Graph& g, const std::string& name) {
  const ValueInfo* v = g.value_info(name);
  if (!v) return "?";
  std::string s(dtype_name(v->dtype));
  s += v->shape ? shape_to_string(*v->shape) : "[*]";
  return s;
}
}  // namespace

std::string to_text(const Graph& g) {
  std::string s = "graph " + (g.name.empty() ? std::string("main") : g.name) + " opset=" +
                  std::to_string(g.opset()) + "\n";
  for (const auto& in : g.inputs) s += "  input %" + in + ": " + type_string(g, in) + "\n";
  for (const auto& [name, t] : g.initializers)
    s += "  init %" + name + ": " + std::string(dtype_name(t.dtype())) + edgeq::shape_to_string(t.shape()) + "\n";
  for (const Node& n : g.nodes) {
    s += "  ";
    for (size_t i = 0; i < n.outputs.size(); ++i) s += (i ? ", %" : "%") + n.outputs[i];
    s += " = " + (n.domain.empty() ? "" : n.domain + ".") + n.op_type + "(";
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (i) s += ", ";
      s += n.inputs[i].empty() ? std::string("none") : "%" + n.inputs[i];
    }
    s += ")";
    if (!n.attrs.empty()) {
      s += " {";
      bool first = true;
      for (const auto& [k, v] : n.attrs.all()) {
        if (!first) s += ", ";
        first = false;
        s += k + "=" + attribute_to_string(v);
      }
      s += "}";
    }
    if (!n.name.empty()) s += " name=" + n.name;
    s += " :";
    for (const auto& o : n.outputs) s += " " + type_string(g, o);
    s += "\n";
  }
  for (const auto& out : g.outputs) s += "  output %" + out + "\n";
  return s;
}

}  // namespace edgeq::ir
