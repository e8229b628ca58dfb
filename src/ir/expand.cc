#include "ir/expand.h"

#include <cmath>
#include <unordered_set>

namespace edgeq::ir {
namespace {

// Builds the replacement nodes of one node, with fresh value/node names.
class Expander {
 public:
  explicit Expander(Graph& g) : g_(g), opset_(g.opset()) {
    for (const Node& n : g.nodes) {
      names_.insert(n.name);
      for (const auto& v : n.outputs) names_.insert(v);
      for (const auto& v : n.inputs) names_.insert(v);
    }
    for (const auto& v : g.inputs) names_.insert(v);
    for (const auto& [v, t] : g.initializers) names_.insert(v);
    for (const auto& [v, info] : g.values) names_.insert(v);
  }

  // Appends the expansion of `n` to `out`; false if `n` stays as it is.
  StatusOr<bool> expand(const Node& n, std::vector<Node>& out) {
    out_ = &out;
    base_ = n.name.empty() ? n.op_type : n.name;
    if (n.op_type == "FusedConv" && n.domain == "edgeq") {
      EDGEQ_RETURN_IF_ERROR(fused_conv(n));
      return true;
    }
    if (!n.domain.empty() && n.domain != "ai.onnx") return false;
    if (n.op_type == "HardSwish" && opset_ < 14) {
      hard_swish(n.input(0), n.outputs[0], n.name);
      return true;
    }
    if (n.op_type == "Gelu" && opset_ < 20) return gelu(n);
    if (n.op_type == "LayerNormalization" && opset_ < 17) return layer_norm(n);
    return false;
  }

 private:
  std::string fresh(const std::string& suffix) {
    std::string name = base_ + "_" + suffix;
    for (int i = 1; names_.count(name); ++i) name = base_ + "_" + suffix + "_" + std::to_string(i);
    names_.insert(name);
    return name;
  }

  DType dtype_of(const std::string& v) const {
    const ValueInfo* info = g_.value_info(v);
    if (info && info->dtype != DType::kUndefined) return info->dtype;
    if (const auto it = g_.initializers.find(v); it != g_.initializers.end()) return it->second.dtype();
    return DType::kFloat32;
  }

  // A new value shaped like `like` (same ValueInfo).
  std::string temp_like(const std::string& like, const std::string& suffix) {
    std::string v = fresh(suffix);
    const ValueInfo* info = g_.value_info(like);
    ValueInfo copy = info ? *info : ValueInfo{dtype_of(like), std::nullopt, std::nullopt};
    copy.quant.reset();
    g_.values[v] = copy;
    return v;
  }

  // A scalar constant of `dtype` (f32 or f64) as an initializer.
  std::string scalar(double value, DType dtype, const std::string& suffix) {
    std::string v = fresh(suffix);
    g_.add_initializer(v, dtype == DType::kFloat64 ? Tensor::scalar<double>(value)
                                                   : Tensor::scalar<float>(static_cast<float>(value)));
    return v;
  }

  Node& emit(std::string op, std::vector<std::string> inputs, std::vector<std::string> outputs,
             std::string name = {}) {
    Node n;
    n.op_type = std::move(op);
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    n.name = name.empty() ? fresh(n.op_type) : std::move(name);
    out_->push_back(std::move(n));
    return out_->back();
  }

  void hard_swish(const std::string& x, const std::string& y, const std::string& name) {
    const std::string hs = temp_like(y.empty() ? x : y, "hardsigmoid");
    Node& h = emit("HardSigmoid", {x}, {hs});
    h.attrs.set("alpha", 1.0f / 6.0f);
    h.attrs.set("beta", 0.5f);
    emit("Mul", {x, hs}, {y}, name);
  }

  Status fused_conv(const Node& n) {
    const std::string act = n.attrs.get_string("activation", "");
    static const std::unordered_set<std::string> kActivations = {
        "", "Relu", "Clip", "LeakyRelu", "HardSwish", "Sigmoid", "Tanh", "HardSigmoid"};
    if (!kActivations.count(act))
      return invalid_argument("node '" + n.name + "' (FusedConv): unknown activation '" + act + "'");
    const std::vector<float> p = n.attrs.get_floats("activation_params");
    const std::string& y = n.outputs[0];
    const bool has_z = n.has_input(3);
    Node conv;
    conv.op_type = "Conv";
    conv.name = n.name;
    conv.inputs = {n.input(0), n.input(1)};
    if (n.has_input(2)) conv.inputs.push_back(n.input(2));
    for (const auto& [key, value] : n.attrs.all())
      if (key != "activation" && key != "activation_params") conv.attrs.set(key, value);
    std::string cur = (has_z || !act.empty()) ? temp_like(y, "conv") : y;
    conv.outputs = {cur};
    out_->push_back(std::move(conv));
    if (has_z) {
      const std::string sum = act.empty() ? y : temp_like(y, "add");
      emit("Add", {cur, n.input(3)}, {sum});
      cur = sum;
    }
    if (act.empty()) return {};
    if (act == "HardSwish") {
      if (opset_ < 14) hard_swish(cur, y, {});
      else emit("HardSwish", {cur}, {y});
      return {};
    }
    Node& a = emit(act, {cur}, {y});
    if (act == "Clip") {
      const float lo = p.size() > 0 ? p[0] : -INFINITY, hi = p.size() > 1 ? p[1] : INFINITY;
      if (opset_ < 11) {
        a.attrs.set("min", lo);
        a.attrs.set("max", hi);
      } else {
        const DType t = dtype_of(y);
        a.inputs.push_back(scalar(lo, t, "min"));
        a.inputs.push_back(scalar(hi, t, "max"));
      }
    } else if (act == "LeakyRelu") {
      if (!p.empty()) a.attrs.set("alpha", p[0]);
    } else if (act == "HardSigmoid") {
      if (p.size() > 0) a.attrs.set("alpha", p[0]);
      if (p.size() > 1) a.attrs.set("beta", p[1]);
    }
    return {};
  }

  bool gelu(const Node& n) {
    const std::string &x = n.input(0), &y = n.outputs[0];
    const DType t = dtype_of(x);
    const std::string approximate = n.attrs.get_string("approximate", "none");
    std::string inner;
    if (approximate == "tanh") {  // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
      const std::string cube = temp_like(x, "cube"), scaled = temp_like(x, "cube_scaled"),
                        sum = temp_like(x, "poly"), arg = temp_like(x, "tanh_arg");
      inner = temp_like(x, "tanh");
      emit("Pow", {x, scalar(3.0, t, "three")}, {cube});
      emit("Mul", {cube, scalar(0.044715, t, "coef")}, {scaled});
      emit("Add", {x, scaled}, {sum});
      emit("Mul", {sum, scalar(std::sqrt(2.0 / M_PI), t, "sqrt_2_over_pi")}, {arg});
      emit("Tanh", {arg}, {inner});
    } else {
      const std::string div = temp_like(x, "div");
      inner = temp_like(x, "erf");
      emit("Div", {x, scalar(M_SQRT2, t, "sqrt2")}, {div});
      emit("Erf", {div}, {inner});
    }
    const std::string one_plus = temp_like(x, "one_plus"), times_x = temp_like(x, "times_x");
    emit("Add", {inner, scalar(1.0, t, "one")}, {one_plus});
    emit("Mul", {x, one_plus}, {times_x});
    emit("Mul", {times_x, scalar(0.5, t, "half")}, {y}, n.name);
    return true;
  }

  // ValueInfo of a mean over `axes` (negative, counted from the end) with keepdims.
  std::string reduced_like(const std::string& x, const std::vector<int64_t>& axes, const std::string& suffix) {
    std::string v = temp_like(x, suffix);
    auto& shape = g_.values[v].shape;
    if (shape)
      for (int64_t a : axes) (*shape)[static_cast<size_t>(static_cast<int64_t>(shape->size()) + a)] = Dim(1);
    return v;
  }

  Node& reduce_mean(const std::string& in, const std::vector<int64_t>& axes, const std::string& out) {
    Node& r = emit("ReduceMean", {in}, {out});
    r.attrs.set("keepdims", int64_t{1});
    if (opset_ < 18) {
      r.attrs.set("axes", axes);
    } else {
      std::string a = fresh("axes");
      g_.add_initializer(a, Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes));
      r.inputs.push_back(a);
    }
    return r;
  }

  StatusOr<bool> layer_norm(const Node& n) {
    const std::string &x = n.input(0), &y = n.outputs[0];
    int64_t axis = n.attrs.get_int("axis", -1);
    const ValueInfo* info = g_.value_info(x);
    if (axis >= 0) {
      if (!info || !info->shape)
        return unsupported("node '" + n.name + "' (LayerNormalization): cannot expand for opset " +
                           std::to_string(opset_) + " without the rank of its input");
      axis -= static_cast<int64_t>(info->shape->size());
    }
    std::vector<int64_t> axes;
    for (int64_t a = axis; a < 0; ++a) axes.push_back(a);
    const DType t = dtype_of(x);
    const std::string mean = n.outputs.size() > 1 && !n.outputs[1].empty() ? n.outputs[1] : reduced_like(x, axes, "mean");
    const std::string centered = temp_like(x, "centered"), sq = temp_like(x, "squared");
    const std::string var = reduced_like(x, axes, "var"), var_eps = reduced_like(x, axes, "var_eps");
    const std::string stddev = reduced_like(x, axes, "stddev"), normed = temp_like(x, "normalized");
    reduce_mean(x, axes, mean);
    emit("Sub", {x, mean}, {centered});
    emit("Pow", {centered, scalar(2.0, t, "two")}, {sq});
    reduce_mean(sq, axes, var);
    emit("Add", {var, scalar(n.attrs.get_float("epsilon", 1e-5f), t, "epsilon")}, {var_eps});
    emit("Sqrt", {var_eps}, {stddev});
    emit("Div", {centered, stddev}, {normed});
    if (n.has_input(2)) {
      const std::string scaled = temp_like(x, "scaled");
      emit("Mul", {normed, n.input(1)}, {scaled});
      emit("Add", {scaled, n.input(2)}, {y}, n.name);
    } else {
      emit("Mul", {normed, n.input(1)}, {y}, n.name);
    }
    if (n.outputs.size() > 2 && !n.outputs[2].empty()) emit("Reciprocal", {stddev}, {n.outputs[2]});
    return true;
  }

  Graph& g_;
  int64_t opset_;
  std::unordered_set<std::string> names_;
  std::vector<Node>* out_ = nullptr;
  std::string base_;
};

}  // namespace

Status expand_internal_ops(Graph& g) {
  Expander expander(g);
  std::vector<Node> nodes;
  nodes.reserve(g.nodes.size());
  bool changed = false;
  for (const Node& n : g.nodes) {
    EDGEQ_ASSIGN_OR_RETURN(bool expanded, expander.expand(n, nodes));
    if (!expanded) nodes.push_back(n);
    changed = changed || expanded;
  }
  if (!changed) return {};
  g.nodes = std::move(nodes);
  bool uses_edgeq = false;
  for (const Node& n : g.nodes) uses_edgeq = uses_edgeq || n.domain == "edgeq";
  if (!uses_edgeq) g.opset_imports.erase("edgeq");
  return {};
}

}  // namespace edgeq::ir
