// One accelerator node → one int8 op (vocabulary in format/program.h). The legality check
// (int8_lowering_blocker) and the emission (lower_int8_node) share the op tables below.
#include "compiler/lower_int8.h"

#include <algorithm>
#include <map>
#include <set>

#include "kernels/int8/qops.h"
#include "kernels/kernel.h"

namespace edgeq::compiler {

namespace {

const std::set<std::string>& lut_ops() {
  static const std::set<std::string> k = {"Sigmoid", "HardSwish", "HardSigmoid", "Tanh", "LeakyRelu", "Relu", "Clip"};
  return k;
}
const std::set<std::string>& movement_ops() {
  static const std::set<std::string> k = {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
                                          "Slice",   "Split",   "Pad",       "Identity"};
  return k;
}
bool is_multi_input(const std::string& op) { return op == "Add" || op == "Mul" || op == "Concat"; }

bool supported(const std::string& op) {
  static const std::set<std::string> k = {"Conv", "Gemm", "MatMul", "Add", "Mul", "GlobalAveragePool",
                                          "AveragePool", "MaxPool", "Concat", "Resize"};
  return k.count(op) || lut_ops().count(op) || movement_ops().count(op);
}

// Input positions that carry u8 activations (or u8 constants for Add/Mul/Concat).
std::vector<size_t> activation_positions(const ir::Node& n) {
  if (!is_multi_input(n.op_type)) return {0};
  std::vector<size_t> all;
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (n.has_input(i)) all.push_back(i);
  return all;
}
// Input positions that carry quantized constants (weights, biases).
std::vector<size_t> weight_positions(const ir::Node& n) {
  if (n.op_type == "Conv" || n.op_type == "Gemm") return {1, 2};
  if (n.op_type == "MatMul") return {1};
  return {};
}

const ir::QuantParams* quant_of(const ir::Graph& g, const std::string& v) {
  const ir::ValueInfo* info = g.value_info(v);
  return info && info->quant ? &*info->quant : nullptr;
}

}  // namespace

std::string int8_lowering_blocker(const Int8Context& ctx, const ir::Node& n) {
  const ir::Graph& g = *ctx.graph;
  if (!n.domain.empty() || !supported(n.op_type)) return "no int8 op for " + n.op_type;
  const std::vector<size_t> acts = activation_positions(n);
  const std::vector<size_t> weights = weight_positions(n);
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (!n.has_input(i)) continue;
    const std::string& in = n.input(i);
    const bool is_act = std::count(acts.begin(), acts.end(), i) != 0;
    const bool is_weight = std::count(weights.begin(), weights.end(), i) != 0;
    if (!is_act && !is_weight) {
      if (!g.is_initializer(in)) return "operand '" + in + "' is not a constant";
      continue;
    }
    const int p = ctx.producer(in);
    if (p < 0 || g.nodes[static_cast<size_t>(p)].op_type != "DequantizeLinear")
      return "input '" + in + "' does not come from a DequantizeLinear";
    const ir::Node& dq = g.nodes[static_cast<size_t>(p)];
    const bool constant = g.is_initializer(dq.input(0));
    if (is_weight && !constant) return "weights '" + in + "' are not constant";
    if (is_act && constant && !is_multi_input(n.op_type)) return "input '" + in + "' is a constant";
    const ir::QuantParams* q = quant_of(g, dq.input(0));
    if (!q) return "input '" + in + "' has no quantization parameters";
    if (is_act && (q->dtype != DType::kUInt8 || q->scale.size() != 1)) return "input '" + in + "' is not per-tensor u8";
  }
  for (const auto& o : n.outputs) {
    if (o.empty()) continue;
    const auto& cs = ctx.consumers(o);
    if (ctx.is_graph_output(o) || cs.size() != 1 || g.nodes[static_cast<size_t>(cs[0])].op_type != "QuantizeLinear")
      return "output '" + o + "' is not quantized by exactly one QuantizeLinear";
    const ir::QuantParams* q = quant_of(g, g.nodes[static_cast<size_t>(cs[0])].outputs[0]);
    if (!q || q->dtype != DType::kUInt8 || q->scale.size() != 1) return "output '" + o + "' is not per-tensor u8";
  }
  if (n.op_type == "Gemm") {
    if (n.attrs.get_int("transA", 0) != 0) return "Gemm with transA";
    if (n.attrs.get_float("alpha", 1.0f) != 1.0f || (n.has_input(2) && n.attrs.get_float("beta", 1.0f) != 1.0f))
      return "Gemm with alpha or beta other than 1";
  }
  if (n.op_type == "MaxPool" && n.outputs.size() > 1 && !n.outputs[1].empty()) return "MaxPool with indices";
  if (n.op_type == "Resize" && !(n.has_input(2) && g.initializers.at(n.input(2)).numel() > 0) && !n.has_input(3))
    return "Resize without constant scales or sizes";
  return {};
}

namespace {

// ONNX auto_pad → explicit pads [top, left, bottom, right].
std::vector<int64_t> explicit_pads(const ir::Node& n, const Dims& x, const std::vector<int64_t>& kernel,
                                   const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations) {
  std::vector<int64_t> pads = n.attrs.get_ints("pads", {0, 0, 0, 0});
  const std::string auto_pad = n.attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad == "VALID") return {0, 0, 0, 0};
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") return pads;
  pads.assign(4, 0);
  for (size_t d = 0; d < 2; ++d) {
    const int64_t in = x[2 + d];
    const int64_t out = (in + strides[d] - 1) / strides[d];
    const int64_t eff = (kernel[d] - 1) * dilations[d] + 1;
    const int64_t total = std::max<int64_t>(0, (out - 1) * strides[d] + eff - in);
    const int64_t small = total / 2, big = total - small;
    pads[d] = auto_pad == "SAME_UPPER" ? small : big;
    pads[d + 2] = auto_pad == "SAME_UPPER" ? big : small;
  }
  return pads;
}

Status copy_window_attrs(const ir::Node& n, const Dims& x, const std::vector<int64_t>& kernel, format::Op& op) {
  const std::vector<int64_t> strides = n.attrs.get_ints("strides", {1, 1});
  const std::vector<int64_t> dilations = n.attrs.get_ints("dilations", {1, 1});
  if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2)
    return invalid_argument("node '" + n.name + "' needs a 2-D window");
  for (const auto& [name, value] : n.attrs.all())
    if (name != "auto_pad") op.attrs.set(name, value);
  op.attrs.set("kernel_shape", kernel);
  op.attrs.set("strides", strides);
  op.attrs.set("dilations", dilations);
  op.attrs.set("pads", explicit_pads(n, x, kernel, strides, dilations));
  return {};
}

// QLut table: the op's float reference kernel on the 256 dequantized inputs, quantized to
// the output's params (kernels::int8::make_table), so the table is exactly the QDQ form.
StatusOr<Tensor> lut_table(const ir::Graph& g, const ir::Node& n, const format::Quant& xq, const format::Quant& yq) {
  const kernels::int8::QParam x{xq.scale[0], xq.zero_point[0]}, y{yq.scale[0], yq.zero_point[0]};
  Tensor in(DType::kFloat32, {256});
  for (int q = 0; q < 256; ++q) in.data<float>()[q] = kernels::int8::dequantize(static_cast<uint8_t>(q), x);
  std::vector<const Tensor*> inputs = {&in};
  for (size_t i = 1; i < n.inputs.size(); ++i)
    inputs.push_back(n.has_input(i) ? &g.initializers.at(n.input(i)) : nullptr);
  std::vector<Tensor> out;
  EDGEQ_RETURN_IF_ERROR(kernels::run_kernel(n.op_type, n.attrs, g.opset(), inputs, 1, &out,
                                            kernels::Backend::kReference, {}, n.name));
  std::map<float, float> f;
  for (int q = 0; q < 256; ++q) f[in.data<float>()[q]] = out[0].data<float>()[q];
  const kernels::int8::Table t = kernels::int8::make_table([&f](float v) { return f.at(v); }, x, y);
  Tensor table(DType::kUInt8, {256});
  std::copy(t.begin(), t.end(), table.data<uint8_t>());
  return table;
}

Tensor transposed_2d(const Tensor& w) {
  const int64_t rows = w.dim(0), cols = w.dim(1);
  Tensor t(w.dtype(), {cols, rows});
  const size_t es = dtype_size(w.dtype());
  const auto* src = static_cast<const uint8_t*>(w.raw());
  auto* dst = static_cast<uint8_t*>(t.raw());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      std::copy_n(src + (r * cols + c) * es, es, dst + (c * rows + r) * es);
  return t;
}

}  // namespace

StatusOr<format::Op> lower_int8_node(const Int8Emitter& e, const ir::Node& n) {
  const ir::Graph& g = *e.graph;
  format::Op op;
  op.name = n.name;
  op.source_nodes = {n.name};
  const std::string& t = n.op_type;
  // Activation inputs first (u8 tensors / u8 constants).
  for (size_t i : activation_positions(n)) {
    EDGEQ_ASSIGN_OR_RETURN(int ti, e.u8_input(n.input(i)));
    op.inputs.push_back(ti);
  }
  const Dims x_dims = e.tensor(op.inputs[0]).shape;
  auto weight = [&](size_t i, bool transpose, const char* suffix) -> int {
    const std::string& qname = e.dq_source(n.input(i));
    Tensor w = g.initializers.at(qname);
    ir::QuantParams q = *quant_of(g, qname);
    if (transpose) {
      w = transposed_2d(w);
      q.axis = 0;
    }
    if (suffix == std::string("bias") && w.rank() != 1) w = w.reshaped({w.numel()});
    if (q.scale.size() > 1) q.axis = 0;
    return e.constant(qname + (transpose ? "@T" : ""), qname + (transpose ? "_nk" : ""), w, &q);
  };

  if (t == "Conv") {
    op.type = "QConv";
    op.inputs.push_back(weight(1, false, "weight"));
    op.inputs.push_back(n.has_input(2) ? weight(2, false, "bias") : -1);
    const Tensor& w = g.initializers.at(e.dq_source(n.input(1)));
    std::vector<int64_t> kernel = {w.dim(2), w.dim(3)};
    const std::vector<int64_t> strides = n.attrs.get_ints("strides", {1, 1});
    const std::vector<int64_t> dilations = n.attrs.get_ints("dilations", {1, 1});
    op.attrs.set("strides", strides);
    op.attrs.set("dilations", dilations);
    op.attrs.set("pads", explicit_pads(n, x_dims, kernel, strides, dilations));
    op.attrs.set("group", n.attrs.get_int("group", 1));
    op.attrs.set("kernel_shape", kernel);
  } else if (t == "Gemm" || t == "MatMul") {
    op.type = "QGemm";
    const bool transpose = t == "MatMul" || n.attrs.get_int("transB", 0) == 0;
    op.inputs.push_back(weight(1, transpose, "weight"));
    op.inputs.push_back(t == "Gemm" && n.has_input(2) ? weight(2, false, "bias") : -1);
    op.attrs.set("source_op", t);
  } else if (t == "Add" || t == "Mul") {
    op.type = "Q" + t;
  } else if (lut_ops().count(t)) {
    op.type = "QLut";
    op.attrs.set("source_op", t);
  } else if (t == "GlobalAveragePool") {
    op.type = "QGlobalAveragePool";
  } else if (t == "AveragePool" || t == "MaxPool") {
    op.type = t == "MaxPool" ? "MaxPool" : "QAveragePool";
    EDGEQ_RETURN_IF_ERROR(copy_window_attrs(n, x_dims, n.attrs.get_ints("kernel_shape"), op));
  } else if (t == "Concat") {
    op.type = "QConcat";
    int64_t axis = n.attrs.get_int("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(x_dims.size());
    op.attrs.set("axis", axis);
  } else if (t == "Resize") {
    op.type = "QResize";
    op.attrs.set("mode", n.attrs.get_string("mode", "nearest"));
    op.attrs.set("coordinate_transformation_mode", n.attrs.get_string("coordinate_transformation_mode", "half_pixel"));
    op.attrs.set("nearest_mode", n.attrs.get_string("nearest_mode", "round_prefer_floor"));
    std::vector<float> scales;
    if (n.has_input(2) && g.initializers.at(n.input(2)).numel() > 0) {
      const Tensor& s = g.initializers.at(n.input(2));
      for (int64_t i = 0; i < s.numel(); ++i) scales.push_back(static_cast<float>(s.at_double(i)));
    } else {
      const Tensor& sizes = g.initializers.at(n.input(3));
      for (int64_t i = 0; i < sizes.numel() && i < static_cast<int64_t>(x_dims.size()); ++i)
        scales.push_back(static_cast<float>(sizes.at_int(i)) / static_cast<float>(x_dims[static_cast<size_t>(i)]));
    }
    op.attrs.set("scales", scales);
  } else {
    op.type = t;  // data movement on u8
    for (const auto& [name, value] : n.attrs.all()) op.attrs.set(name, value);
  }

  // Constant operands (shape, axes, clip bounds, pads) as constant tensors.
  if (t != "Conv" && t != "Gemm" && t != "MatMul" && !is_multi_input(t) && !lut_ops().count(t) && t != "Resize") {
    const bool pad_constant = t == "Pad" && n.attrs.get_string("mode", "constant") == "constant";
    const size_t count = pad_constant ? std::max<size_t>(n.inputs.size(), 3) : n.inputs.size();
    for (size_t i = 1; i < count; ++i) {
      if (!(pad_constant && i == 2) && !n.has_input(i)) {
        op.inputs.push_back(-1);
        continue;
      }
      if (pad_constant && i == 2) {
        // Pad's constant is the tensor's zero point (u8 represents the pad value 0 exactly).
        const ir::QuantParams* q = quant_of(g, e.dq_source(n.input(0)));
        const int32_t zp = q && !q->zero_point.empty() ? q->zero_point[0] : 0;
        op.inputs.push_back(e.constant("zp:" + std::to_string(zp), n.name + "_pad_value",
                                       Tensor::scalar<uint8_t>(static_cast<uint8_t>(zp)), nullptr));
        continue;
      }
      const std::string& c = n.input(i);
      op.inputs.push_back(e.constant("init:" + c, c, g.initializers.at(c), nullptr));
    }
  }

  for (const auto& o : n.outputs) {
    EDGEQ_ASSIGN_OR_RETURN(int to, e.u8_output(o));
    op.outputs.push_back(to);
    op.source_nodes.push_back(e.quantize_node(o));
  }
  if (op.type == "QLut") {
    const format::TensorDesc& x = e.tensor(op.inputs[0]);
    const format::TensorDesc& y = e.tensor(op.outputs[0]);
    EDGEQ_ASSIGN_OR_RETURN(Tensor table, lut_table(g, n, *x.quant, *y.quant));
    op.inputs.push_back(e.constant("lut:" + n.name, n.name + "_table", table, nullptr));
  }
  return op;
}

}  // namespace edgeq::compiler
