// Lowering: the quantized QDQ graph → ops of the program vocabulary (format/program.h).
//
// An accelerator node whose activation inputs come from DequantizeLinear and whose
// outputs each feed one QuantizeLinear becomes one int8 op reading and writing the u8
// tensors (the Q outputs); weights, biases and u8 operands are the quantized initializers
// behind their DequantizeLinear. Every other node becomes a float op of its own type on
// the CPU. A QuantizeLinear becomes a Quantize op unless an int8 op writes its output; a
// DequantizeLinear of an activation becomes a Dequantize op only when a float op or the
// graph output reads it. So a Q→DQ pair between two int8 ops disappears.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "compiler/draft.h"
#include "compiler/lower_int8.h"
#include "exec/interpreter.h"
#include "kernels/kernel.h"

namespace edgeq::compiler {

namespace {

using format::Placement;

class Lowerer {
 public:
  Lowerer(const ir::Graph& g, Draft& d) : g_(g), d_(d), p_(d.program) {}

  Status run() {
    EDGEQ_RETURN_IF_ERROR(infer_missing_shapes());
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      for (const auto& o : g_.nodes[i].outputs)
        if (!o.empty()) producer_[o] = static_cast<int>(i);
      for (const auto& in : g_.nodes[i].inputs)
        if (!in.empty()) consumers_[in].push_back(static_cast<int>(i));
    }
    for (const auto& o : g_.outputs) graph_outputs_.insert(o);
    classify();
    for (const auto& in : g_.inputs) {
      EDGEQ_ASSIGN_OR_RETURN(int t, new_tensor(in, nullptr));
      p_.inputs.push_back({t, in, {}});
    }
    for (size_t i = 0; i < g_.nodes.size(); ++i) EDGEQ_RETURN_IF_ERROR(emit(static_cast<int>(i)));
    for (const auto& o : g_.outputs) {
      EDGEQ_ASSIGN_OR_RETURN(int t, float_input(o));
      if (p_.tensors[static_cast<size_t>(t)].is_constant)
        return unsupported("graph output '" + o + "' is a constant; the compiler needs it computed");
      p_.outputs.push_back({t, o, {}});
    }
    return {};
  }

 private:
  enum class Kind { kInt8, kFloat, kQuantize, kDequantize, kElided, kConstant };

  const ir::Node& node(int i) const { return g_.nodes[static_cast<size_t>(i)]; }

  int producer(const std::string& v) const {
    auto it = producer_.find(v);
    return it == producer_.end() ? -1 : it->second;
  }
  const std::vector<int>& consumers(const std::string& v) const {
    static const std::vector<int> kNone;
    auto it = consumers_.find(v);
    return it == consumers_.end() ? kNone : it->second;
  }

  bool is_const_dq(const ir::Node& n) const {
    return n.op_type == "DequantizeLinear" && g_.is_initializer(n.input(0));
  }

  // Which nodes become int8 ops, float ops, boundary ops, or nothing.
  void classify() {
    kind_.assign(g_.nodes.size(), Kind::kFloat);
    Int8Context ctx = int8_context();
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const ir::Node& n = g_.nodes[i];
      if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") continue;
      if (n.op_type == "Constant" && n.domain.empty()) {
        kind_[i] = Kind::kConstant;
        continue;
      }
      if (n.placement != ir::Placement::kAccelerator) continue;
      std::string why = int8_lowering_blocker(ctx, n);
      if (why.empty()) {
        kind_[i] = Kind::kInt8;
      } else {
        d_.fates[n.name] = {"lowered in float", why};
      }
    }
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const ir::Node& n = g_.nodes[i];
      if (n.op_type == "QuantizeLinear") {
        const int p = producer(n.input(0));
        kind_[i] = p >= 0 && kind_[static_cast<size_t>(p)] == Kind::kInt8 ? Kind::kElided : Kind::kQuantize;
      } else if (n.op_type == "DequantizeLinear") {
        if (is_const_dq(n)) {
          kind_[i] = Kind::kElided;
          d_.fates[n.name] = {"constant", "weights/operand stored quantized in the consuming op"};
          continue;
        }
        bool float_reader = graph_outputs_.count(n.outputs[0]) != 0;
        for (int c : consumers(n.outputs[0])) float_reader |= kind_[static_cast<size_t>(c)] != Kind::kInt8;
        kind_[i] = float_reader ? Kind::kDequantize : Kind::kElided;
      }
    }
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const ir::Node& n = g_.nodes[i];
      if (kind_[i] != Kind::kElided || is_const_dq(n)) continue;
      d_.fates[n.name] = {"elided", n.op_type == "QuantizeLinear"
                                        ? "the int8 op writes the u8 tensor itself"
                                        : "the u8 tensor flows directly between accelerator ops"};
    }
  }

  Int8Context int8_context() {
    Int8Context c;
    c.graph = &g_;
    c.producer = [this](const std::string& v) { return producer(v); };
    c.consumers = [this](const std::string& v) -> const std::vector<int>& { return consumers(v); };
    c.is_graph_output = [this](const std::string& v) { return graph_outputs_.count(v) != 0; };
    return c;
  }

  bool has_static_shape(const std::string& value) const {
    const ir::ValueInfo* info = g_.value_info(value);
    return info && info->shape && ir::static_dims(*info->shape);
  }

  // Values the graph's shape inference left without a static shape get the shape one run
  // of the graph on zero inputs gives them (every input shape is static).
  Status infer_missing_shapes() {
    bool missing = false;
    for (const auto& n : g_.nodes)
      for (const auto& o : n.outputs) missing |= !o.empty() && !has_static_shape(o);
    if (!missing) return {};
    std::map<std::string, Tensor> feeds;
    for (const auto& in : g_.inputs) {
      if (!has_static_shape(in))
        return invalid_argument("input '" + in + "' has no static shape; fix it (--input-shape) before compiling");
      const ir::ValueInfo* info = g_.value_info(in);
      feeds[in] = Tensor(info->dtype, *ir::static_dims(*info->shape));
    }
    EDGEQ_ASSIGN_OR_RETURN(auto interp, exec::Interpreter::create(g_, {kernels::Backend::kFast}));
    std::map<std::string, Tensor> fetches;
    EDGEQ_RETURN_IF_ERROR(interp->run(feeds, &fetches, [this](const ir::Node& n, std::span<const Tensor> outs) {
      for (size_t i = 0; i < n.outputs.size() && i < outs.size(); ++i)
        if (!n.outputs[i].empty() && outs[i].defined()) run_shapes_[n.outputs[i]] = {outs[i].dtype(), outs[i].shape()};
    }));
    return {};
  }

  StatusOr<int> new_tensor(const std::string& value, const ir::QuantParams* quant) {
    if (tensor_of_.count(value)) return internal_error("value '" + value + "' is defined twice");
    const ir::ValueInfo* info = g_.value_info(value);
    if (auto it = run_shapes_.find(value); it != run_shapes_.end() && !has_static_shape(value)) {
      format::TensorDesc t;
      t.name = value;
      t.dtype = it->second.first;
      t.shape = it->second.second;
      if (quant) t.quant = to_format_quant(*quant);
      p_.tensors.push_back(std::move(t));
      tensor_of_[value] = static_cast<int>(p_.tensors.size() - 1);
      return static_cast<int>(p_.tensors.size() - 1);
    }
    if (!info || !info->shape) return invalid_argument("value '" + value + "' has no known shape; the compiler needs static shapes");
    auto dims = ir::static_dims(*info->shape);
    if (!dims) return invalid_argument("value '" + value + "' has the dynamic shape " + ir::shape_to_string(*info->shape) +
                                       "; fix the input shapes (--input-shape) before compiling");
    format::TensorDesc t;
    t.name = value;
    t.dtype = info->dtype;
    t.shape = *dims;
    if (quant) t.quant = to_format_quant(*quant);
    p_.tensors.push_back(std::move(t));
    const int index = static_cast<int>(p_.tensors.size() - 1);
    tensor_of_[value] = index;
    return index;
  }

  int add_constant(const std::string& key, const std::string& name, const Tensor& value, const ir::QuantParams* quant) {
    if (auto it = constants_.find(key); it != constants_.end()) return it->second;
    format::TensorDesc t;
    t.name = unique_tensor_name(name);
    t.dtype = value.dtype();
    t.shape = value.shape();
    t.is_constant = true;
    t.data.resize(value.nbytes());
    if (value.nbytes()) std::memcpy(t.data.data(), value.raw(), value.nbytes());
    if (quant) t.quant = to_format_quant(*quant);
    p_.tensors.push_back(std::move(t));
    const int index = static_cast<int>(p_.tensors.size() - 1);
    constants_[key] = index;
    return index;
  }

  std::string unique_tensor_name(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_names_.count(name) || (g_.value_info(name) && !g_.is_initializer(name)); ++k)
      name = base + "_" + std::to_string(k);
    used_names_.insert(name);
    return name;
  }

  // The tensor a float op reads for `value`.
  StatusOr<int> float_input(const std::string& value) {
    if (auto it = tensor_of_.find(value); it != tensor_of_.end()) return it->second;
    if (auto it = g_.initializers.find(value); it != g_.initializers.end())
      return add_constant("init:" + value, value, it->second, nullptr);
    const int p = producer(value);
    if (p >= 0 && is_const_dq(node(p))) {
      // A quantized constant read in float: fold its DequantizeLinear.
      const ir::Node& dq = node(p);
      std::vector<const Tensor*> ins;
      for (size_t i = 0; i < dq.inputs.size(); ++i)
        ins.push_back(dq.has_input(i) ? &g_.initializers.at(dq.input(i)) : nullptr);
      std::vector<Tensor> out;
      EDGEQ_RETURN_IF_ERROR(kernels::run_kernel("DequantizeLinear", dq.attrs, g_.opset(), ins, 1, &out,
                                                kernels::Backend::kReference, {}, dq.name));
      return add_constant("dq:" + value, value, out[0], nullptr);
    }
    return invalid_argument("value '" + value + "' is read before anything defines it");
  }

  int add_op(format::Op op, Placement placement) {
    p_.ops.push_back(std::move(op));
    d_.placement.push_back(placement);
    return static_cast<int>(p_.ops.size() - 1);
  }

  Status emit(int index) {
    const ir::Node& n = node(index);
    switch (kind_[static_cast<size_t>(index)]) {
      case Kind::kElided: return {};
      case Kind::kConstant: return emit_constant(n);
      case Kind::kQuantize: return emit_boundary(n, "Quantize");
      case Kind::kDequantize: return emit_boundary(n, "Dequantize");
      case Kind::kFloat: return emit_float(n);
      case Kind::kInt8: return emit_int8(n);
    }
    return {};
  }

  Status emit_constant(const ir::Node& n) {
    const Tensor* value = n.attrs.get_tensor("value");
    if (!value || n.outputs.size() != 1)
      return unsupported("Constant node '" + n.name + "' has no tensor `value`; only tensor constants compile");
    const int t = add_constant("init:" + n.outputs[0], n.outputs[0], *value, nullptr);
    tensor_of_[n.outputs[0]] = t;
    d_.fates[n.name] = {"constant", "stored as the constant tensor " + n.outputs[0]};
    return {};
  }

  // QuantizeLinear / DequantizeLinear of an activation at an accelerator boundary.
  Status emit_boundary(const ir::Node& n, const char* type) {
    format::Op op;
    op.name = n.name;
    op.type = type;
    op.source_nodes = {n.name};
    const std::string& x = n.input(0);
    if (std::string(type) == "Quantize") {
      EDGEQ_ASSIGN_OR_RETURN(int in, float_input(x));
      op.inputs = {in};
      const ir::ValueInfo* info = g_.value_info(n.outputs[0]);
      if (!info || !info->quant) return invalid_argument("QuantizeLinear '" + n.name + "' output has no quantization parameters");
      EDGEQ_ASSIGN_OR_RETURN(int out, new_tensor(n.outputs[0], &*info->quant));
      op.outputs = {out};
    } else {
      auto it = tensor_of_.find(x);
      if (it == tensor_of_.end()) return invalid_argument("DequantizeLinear '" + n.name + "' reads '" + x + "', which no op defines");
      op.inputs = {it->second};
      EDGEQ_ASSIGN_OR_RETURN(int out, new_tensor(n.outputs[0], nullptr));
      p_.tensors[static_cast<size_t>(out)].dtype = DType::kFloat32;
      op.outputs = {out};
    }
    add_op(std::move(op), Placement::kAccelerator);
    return {};
  }

  Status emit_float(const ir::Node& n) {
    if (!n.domain.empty() && n.domain != "ai.onnx")
      return unsupported("node '" + n.name + "' is the op " + n.domain + "." + n.op_type + ", which the CPU runtime does not run");
    if (!kernels::find_kernel(n.op_type, kernels::Backend::kReference))
      return unsupported("node '" + n.name + "' is the op " + n.op_type + ", which has no CPU kernel");
    format::Op op;
    op.name = n.name;
    op.type = n.op_type;
    op.source_nodes = {n.name};
    for (const auto& [name, value] : n.attrs.all()) {
      if (std::holds_alternative<Tensor>(value))
        return unsupported("node '" + n.name + "' has the tensor attribute '" + name + "', which a program cannot store");
      op.attrs.set(name, value);
    }
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!n.has_input(i)) {
        op.inputs.push_back(-1);
        continue;
      }
      EDGEQ_ASSIGN_OR_RETURN(int t, float_input(n.input(i)));
      op.inputs.push_back(t);
    }
    for (const auto& o : n.outputs) {
      if (o.empty()) {
        op.outputs.push_back(-1);
        continue;
      }
      EDGEQ_ASSIGN_OR_RETURN(int t, new_tensor(o, nullptr));
      op.outputs.push_back(t);
    }
    add_op(std::move(op), Placement::kCpu);
    return {};
  }

  Status emit_int8(const ir::Node& n) {
    Int8Emitter e;
    e.graph = &g_;
    e.u8_input = [this](const std::string& dq_output) -> StatusOr<int> {
      const ir::Node& dq = node(producer(dq_output));
      if (is_const_dq(dq)) {
        const std::string& q = dq.input(0);
        const ir::ValueInfo* info = g_.value_info(q);
        return add_constant("q:" + q, q, g_.initializers.at(q), info && info->quant ? &*info->quant : nullptr);
      }
      auto it = tensor_of_.find(dq.input(0));
      if (it == tensor_of_.end()) return invalid_argument("u8 tensor '" + dq.input(0) + "' is read before it is defined");
      return it->second;
    };
    e.constant = [this](const std::string& key, const std::string& name, const Tensor& t,
                        const ir::QuantParams* q) { return add_constant(key, name, t, q); };
    e.dq_source = [this](const std::string& dq_output) -> const std::string& {
      return node(producer(dq_output)).input(0);
    };
    e.tensor = [this](int t) -> const format::TensorDesc& { return p_.tensors[static_cast<size_t>(t)]; };
    e.u8_output = [this](const std::string& float_output) -> StatusOr<int> {
      const ir::Node& q = node(consumers(float_output).front());
      const ir::ValueInfo* info = g_.value_info(q.outputs[0]);
      if (!info || !info->quant) return invalid_argument("QuantizeLinear '" + q.name + "' output has no quantization parameters");
      EDGEQ_ASSIGN_OR_RETURN(int t, new_tensor(q.outputs[0], &*info->quant));
      p_.tensors[static_cast<size_t>(t)].dtype = DType::kUInt8;
      return t;
    };
    e.quantize_node = [this](const std::string& float_output) -> const std::string& {
      return node(consumers(float_output).front()).name;
    };
    EDGEQ_ASSIGN_OR_RETURN(format::Op op, lower_int8_node(e, n));
    add_op(std::move(op), Placement::kAccelerator);
    return {};
  }

  const ir::Graph& g_;
  Draft& d_;
  format::Program& p_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::set<std::string> graph_outputs_;
  std::vector<Kind> kind_;
  std::unordered_map<std::string, int> tensor_of_;
  std::map<std::string, std::pair<DType, Dims>> run_shapes_;  // from infer_missing_shapes()
  std::map<std::string, int> constants_;
  std::set<std::string> used_names_;
};

}  // namespace

format::Quant to_format_quant(const ir::QuantParams& q) {
  format::Quant f;
  f.scale = q.scale;
  f.zero_point = q.zero_point;
  f.axis = q.scale.size() > 1 ? static_cast<int32_t>(q.axis < 0 ? 0 : q.axis) : -1;
  if (f.zero_point.size() < f.scale.size()) f.zero_point.resize(f.scale.size(), 0);
  return f;
}

Status lower(const ir::Graph& graph, Draft& draft) {
  Lowerer l(graph, draft);
  return l.run();
}

}  // namespace edgeq::compiler
