// quantize(): the optimized float graph → a QDQ graph laid out as ONNX Runtime's static
// quantizer (QuantFormat.QDQ, per-channel s8 weights, u8 activations) lays it out, so
// ORT fuses it into QLinearConv/QLinearMatMul/QLinearAdd/... The scheme is documented
// in docs/quantization.md.
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "quant/opset_upgrade.h"
#include "quant/qdq_builder.h"
#include "quant/qparams.h"
#include "quant/quantize.h"

namespace edgeq::quant {

namespace {

bool in(const std::string& op, std::initializer_list<const char*> ops) {
  for (const char* o : ops)
    if (op == o) return true;
  return false;
}

// Ops whose output keeps the input's scale and zero point (the values only move, or
// stay inside the input's range), as ORT's QDQDirect8BitOp and friends do.
bool keeps_input_params(const std::string& op) {
  return in(op, {"MaxPool", "AveragePool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice",
                 "Split", "Pad", "Resize"});
}

bool has_weights(const std::string& op) { return in(op, {"Conv", "Gemm", "MatMul"}); }

// Inputs of an accelerator node that are quantized as u8 activations.
std::vector<size_t> activation_inputs(const ir::Node& n) {
  if (in(n.op_type, {"Add", "Mul", "Concat"})) {
    std::vector<size_t> all;
    for (size_t i = 0; i < n.inputs.size(); ++i)
      if (n.has_input(i)) all.push_back(i);
    return all;
  }
  return {0};
}

bool is_accel(const ir::Node& n) { return n.placement == ir::Placement::kAccelerator; }

class Quantizer {
 public:
  Quantizer(ir::Graph& g, const RangeTable& ranges) : g_(g), ranges_(ranges), b_(g) {}

  Status run() {
    absorb_activations();
    EDGEQ_RETURN_IF_ERROR(g_.topological_sort());
    EDGEQ_RETURN_IF_ERROR(choose_activation_params());
    const size_t original_nodes = g_.nodes.size();
    for (size_t i = 0; i < original_nodes; ++i)
      if (is_accel(g_.nodes[i]) && has_weights(g_.nodes[i].op_type)) EDGEQ_RETURN_IF_ERROR(quantize_weights(i));
    for (size_t i = 0; i < original_nodes; ++i)
      if (is_accel(g_.nodes[i])) EDGEQ_RETURN_IF_ERROR(quantize_constant_inputs(i));
    for (const std::string& v : act_order_) b_.add_activation_pair(v, act_.at(v));
    drop_unused_initializers();
    EDGEQ_RETURN_IF_ERROR(g_.topological_sort());
    return ir::verify(g_);
  }

 private:
  // A Relu or Clip(0, max) whose input comes only from a quantized Conv/Gemm/MatMul/Add is
  // removed: the producer's output quantization (zero point 0, range capped at the clip)
  // does the clamping, as ORT's QDQ quantizer does.
  void absorb_activations() {
    std::set<size_t> removed;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const ir::Node& act = g_.nodes[i];
      if (!is_accel(act) || !absorbable(act)) continue;
      const std::string& x = act.input(0);
      const int p = g_.producer_index(x);
      if (p < 0 || !is_accel(g_.nodes[static_cast<size_t>(p)])) continue;
      ir::Node& producer = g_.nodes[static_cast<size_t>(p)];
      if (!in(producer.op_type, {"Conv", "Gemm", "MatMul", "Add"})) continue;
      if (g_.consumer_indices(x).size() != 1 || std::count(g_.outputs.begin(), g_.outputs.end(), x)) continue;
      auto range = ranges_.find(act.outputs[0]);
      if (range == ranges_.end()) continue;
      TensorRange r = range->second;
      r.min = std::max(r.min, 0.0f);
      r.max = std::min(r.max, clip_max(act));
      forced_[act.outputs[0]] = r;
      for (auto& o : producer.outputs)
        if (o == x) o = act.outputs[0];
      producer.placement_reason += " + " + act.op_type;
      removed.insert(i);
    }
    std::vector<ir::Node> kept;
    for (size_t i = 0; i < g_.nodes.size(); ++i)
      if (!removed.count(i)) kept.push_back(std::move(g_.nodes[i]));
    g_.nodes = std::move(kept);
  }

  bool absorbable(const ir::Node& n) const {
    if (n.op_type == "Relu") return true;
    if (n.op_type != "Clip") return false;
    return constant_scalar(n, 1, "min").value_or(-1.0f) == 0.0f;
  }

  float clip_max(const ir::Node& n) const {
    if (n.op_type != "Clip") return std::numeric_limits<float>::max();
    return constant_scalar(n, 2, "max").value_or(std::numeric_limits<float>::max());
  }

  // Clip bound from its constant input (opset 11+) or attribute (before 11).
  std::optional<float> constant_scalar(const ir::Node& n, size_t input, const char* attr) const {
    if (n.has_input(input)) {
      auto it = g_.initializers.find(n.input(input));
      if (it == g_.initializers.end() || it->second.numel() != 1) return std::nullopt;
      return static_cast<float>(it->second.at_double(0));
    }
    if (n.attrs.has(attr)) return n.attrs.get_float(attr);
    return std::nullopt;
  }

  bool is_float_activation(const std::string& v) const {
    if (v.empty() || g_.is_initializer(v)) return false;
    const ir::ValueInfo* info = g_.value_info(v);
    return info && info->dtype == DType::kFloat32;
  }

  Status set_from_range(const std::string& v) {
    if (act_.count(v)) return {};
    TensorRange r;
    if (auto f = forced_.find(v); f != forced_.end()) {
      r = f->second;
    } else {
      auto it = ranges_.find(v);
      if (it == ranges_.end()) return not_found("value '" + v + "' has no calibration range to quantize it with");
      r = it->second;
    }
    set(v, activation_params(r.min, r.max));
    return {};
  }

  void set(const std::string& v, const ir::QuantParams& p) {
    if (act_.emplace(v, p).second) act_order_.push_back(v);
  }

  // Per-tensor u8 params of every activation an accelerator node reads or writes, in
  // topological order so "keeps the input's params" outputs see their input's params.
  Status choose_activation_params() {
    for (const ir::Node& n : g_.nodes) {
      if (!is_accel(n)) continue;
      for (size_t i : activation_inputs(n))
        if (is_float_activation(n.input(i))) EDGEQ_RETURN_IF_ERROR(set_from_range(n.input(i)));
      for (const std::string& out : n.outputs) {
        if (!is_float_activation(out)) continue;
        if (keeps_input_params(n.op_type) && act_.count(n.input(0))) {
          set(out, act_.at(n.input(0)));
        } else {
          EDGEQ_RETURN_IF_ERROR(set_from_range(out));
        }
      }
    }
    return {};
  }

  // int8 per-output-channel weights and int32 bias at s_in * s_w[c].
  Status quantize_weights(size_t index) {
    ir::Node& n = g_.nodes[index];
    const std::string w_name = n.input(1);
    const Tensor& w = g_.initializers.at(w_name);
    int64_t axis = 0;  // Conv: output channels first
    if (n.op_type == "Gemm") axis = n.attrs.get_int("transB", 0) ? 0 : 1;
    if (n.op_type == "MatMul") axis = 1;
    EDGEQ_ASSIGN_OR_RETURN(QuantizedWeight qw, quantize_weight(w, axis));
    const std::string key = w_name + "@" + std::to_string(axis);
    if (!weight_dq_.count(key)) weight_dq_[key] = b_.add_constant(w_name, qw.values, qw.params);
    g_.nodes[index].inputs[1] = weight_dq_.at(key);
    ir::Node& node = g_.nodes[index];
    if (!node.has_input(2)) return {};
    auto in_params = act_.find(node.input(0));
    if (in_params == act_.end())
      return internal_error("node '" + node.name + "' has no input quantization for its bias");
    const std::string b_name = node.input(2);
    EDGEQ_ASSIGN_OR_RETURN(QuantizedWeight qb,
                           quantize_bias(g_.initializers.at(b_name), in_params->second.scale[0], qw.params.scale));
    if (qb.params.axis < 0 && g_.initializers.at(b_name).numel() > 1) qb.params.axis = 0;
    const std::string dq = b_.add_constant(b_name, qb.values, qb.params);
    g_.nodes[index].inputs[2] = dq;
    return {};
  }

  // Constant float inputs of quantized ops (Add/Mul/Concat operands) as u8 constants
  // with their own min/max, shared by every reader of the same initializer.
  Status quantize_constant_inputs(size_t index) {
    for (size_t i : activation_inputs(g_.nodes[index])) {
      const std::string name = g_.nodes[index].input(i);
      auto it = g_.initializers.find(name);
      if (it == g_.initializers.end() || it->second.dtype() != DType::kFloat32) continue;
      if (!const_dq_.count(name)) {
        const Tensor& t = it->second;
        float lo = 0.0f, hi = 0.0f;
        for (float v : t.span<float>()) lo = std::min(lo, v), hi = std::max(hi, v);
        ir::QuantParams p = activation_params(lo, hi);
        Tensor q(DType::kUInt8, t.shape());
        for (int64_t k = 0; k < t.numel(); ++k)
          q.data<uint8_t>()[k] = static_cast<uint8_t>(quantize_value(t.data<float>()[k], p.scale[0], p.zero_point[0], 0, 255));
        const_dq_[name] = b_.add_constant(name, q, p);
      }
      g_.nodes[index].inputs[i] = const_dq_.at(name);
    }
    return {};
  }

  void drop_unused_initializers() {
    std::set<std::string> used(g_.outputs.begin(), g_.outputs.end());
    for (const auto& n : g_.nodes) used.insert(n.inputs.begin(), n.inputs.end());
    // Replaced float weights, and the bounds of absorbed Clips.
    for (auto it = g_.initializers.begin(); it != g_.initializers.end();) {
      if (used.count(it->first)) {
        ++it;
        continue;
      }
      g_.values.erase(it->first);
      it = g_.initializers.erase(it);
    }
  }

  ir::Graph& g_;
  const RangeTable& ranges_;
  QdqBuilder b_;
  std::map<std::string, TensorRange> forced_;  // absorbed activations' output ranges
  std::map<std::string, ir::QuantParams> act_;
  std::vector<std::string> act_order_;
  std::map<std::string, std::string> weight_dq_, const_dq_;
};

}  // namespace

StatusOr<ir::Graph> quantize(const ir::Graph& optimized, const RangeTable& ranges, const QuantizeOptions& options) {
  EDGEQ_ASSIGN_OR_RETURN(ir::Graph g, standard_onnx_graph(optimized));
  EDGEQ_RETURN_IF_ERROR(upgrade_to_opset13(g));
  EDGEQ_RETURN_IF_ERROR(g.topological_sort());
  EDGEQ_RETURN_IF_ERROR(annotate_placement(g, options));
  Quantizer q(g, ranges);
  EDGEQ_RETURN_IF_ERROR(q.run());
  g.metadata["edgeq.quantization"] = "qdq u8 activations (per tensor), s8 weights (per channel), s32 bias";
  return g;
}

}  // namespace edgeq::quant
