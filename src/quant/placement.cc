// Placement: which nodes the int8 path runs (accelerator) and which stay in float on the
// CPU, with the reason. The rules are listed in docs/quantization.md.
#include <optional>
#include <string>

#include "exec/annotate.h"
#include "quant/quantize.h"

namespace edgeq::quant {

namespace {

// nullopt: the node can run on the int8 path; otherwise the reason it cannot.
using Verdict = std::optional<std::string>;

std::optional<int64_t> known_rank(const ir::Graph& g, const std::string& value) {
  if (auto it = g.initializers.find(value); it != g.initializers.end()) return it->second.rank();
  const ir::ValueInfo* v = g.value_info(value);
  if (!v || !v->shape) return std::nullopt;
  return static_cast<int64_t>(v->shape->size());
}

DType value_dtype(const ir::Graph& g, const std::string& value) {
  if (auto it = g.initializers.find(value); it != g.initializers.end()) return it->second.dtype();
  const ir::ValueInfo* v = g.value_info(value);
  return v ? v->dtype : DType::kUndefined;
}

bool is_float(const ir::Graph& g, const std::string& value) { return value_dtype(g, value) == DType::kFloat32; }

Verdict spatial_2d(const ir::Graph& g, const ir::Node& n, const char* what) {
  std::optional<int64_t> rank = known_rank(g, n.input(0));
  if (!rank) return std::string("unknown input rank");
  if (*rank != 4) return std::to_string(*rank - 2) + "-D " + what;
  return std::nullopt;
}

Verdict conv_verdict(const ir::Graph& g, const ir::Node& n) {
  if (!g.is_initializer(n.input(1))) return std::string("non-constant weights");
  if (n.has_input(2) && !g.is_initializer(n.input(2))) return std::string("non-constant bias");
  if (g.initializers.at(n.input(1)).rank() != 4) return std::to_string(g.initializers.at(n.input(1)).rank() - 2) + "-D conv";
  return spatial_2d(g, n, "conv");
}

Verdict gemm_verdict(const ir::Graph& g, const ir::Node& n) {
  if (!g.is_initializer(n.input(1)) || g.initializers.at(n.input(1)).rank() != 2)
    return std::string("non-constant weights");
  if (n.op_type == "Gemm" && n.has_input(2)) {
    if (!g.is_initializer(n.input(2))) return std::string("non-constant bias");
    const Tensor& b = g.initializers.at(n.input(2));
    const Tensor& w = g.initializers.at(n.input(1));
    const int64_t cout = n.attrs.get_int("transB", 0) ? w.dim(0) : w.dim(1);
    if (b.numel() != cout || b.rank() > 1) return std::string("bias is not one value per output");
  }
  return std::nullopt;
}

// Add/Mul: two activations, or an activation and a constant that broadcasts onto it.
Verdict binary_verdict(const ir::Graph& g, const ir::Node& n) {
  if (n.inputs.size() != 2) return std::string("op not on the int8 path");
  if (g.is_initializer(n.input(0)) && g.is_initializer(n.input(1))) return std::string("constant expression");
  for (size_t i = 0; i < 2; ++i)
    if (!is_float(g, n.input(i))) return std::string("non-float tensors");
  return std::nullopt;
}

Verdict clip_verdict(const ir::Graph& g, const ir::Node& n) {
  for (size_t i = 1; i < 3; ++i)
    if (n.has_input(i) && !g.is_initializer(n.input(i))) return std::string("non-constant clip bounds");
  return std::nullopt;
}

Verdict resize_verdict(const ir::Graph& g, const ir::Node& n) {
  const std::string mode = n.attrs.get_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear") return mode + " resize";
  if (n.attrs.get_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize")
    return std::string("tf_crop_and_resize");
  return spatial_2d(g, n, "resize");
}

Verdict pad_verdict(const ir::Graph& g, const ir::Node& n) {
  if (n.attrs.get_string("mode", "constant") != "constant") return std::nullopt;
  // A non-zero pad value would need its own quantization; zero is exact in u8.
  if (n.has_input(2)) {
    auto it = g.initializers.find(n.input(2));
    if (it == g.initializers.end()) return std::string("non-constant pad value");
    if (it->second.numel() > 0 && it->second.at_double(0) != 0.0) return std::string("non-zero pad value");
  }
  if (n.attrs.get_float("value", 0.0f) != 0.0f) return std::string("non-zero pad value");
  return std::nullopt;
}

Verdict verdict(const ir::Graph& g, const ir::Node& n) {
  static const std::string kNotInt8 = "op not on the int8 path";
  if (!n.domain.empty()) return kNotInt8;
  const std::string& op = n.op_type;
  if (n.inputs.empty() || !n.has_input(0)) return kNotInt8;
  if (op != "Add" && op != "Mul" && !is_float(g, n.input(0))) return std::string("non-float tensors");
  if (op == "Conv") return conv_verdict(g, n);
  if (op == "Gemm" || op == "MatMul") return gemm_verdict(g, n);
  if (op == "MaxPool") {
    if (n.outputs.size() > 1 && !n.outputs[1].empty()) return std::string("MaxPool with indices");
    return spatial_2d(g, n, "pooling");
  }
  if (op == "AveragePool" || op == "GlobalAveragePool") return spatial_2d(g, n, "pooling");
  if (op == "Add" || op == "Mul") return binary_verdict(g, n);
  if (op == "Concat") {
    for (const auto& in : n.inputs)
      if (!is_float(g, in)) return std::string("non-float tensors");
    return std::nullopt;
  }
  if (op == "Clip") return clip_verdict(g, n);
  if (op == "Relu" || op == "LeakyRelu" || op == "Sigmoid" || op == "HardSwish" || op == "HardSigmoid" ||
      op == "Tanh")
    return std::nullopt;
  if (op == "Resize") return resize_verdict(g, n);
  if (op == "Pad") return pad_verdict(g, n);
  if (op == "Reshape" || op == "Flatten" || op == "Transpose" || op == "Squeeze" || op == "Unsqueeze" ||
      op == "Slice" || op == "Split")
    return std::nullopt;
  // Softmax and everything else stay in float (see docs/quantization.md).
  return kNotInt8;
}

std::string accelerator_reason(const std::string& op) {
  if (op == "Conv") return "int8 conv";
  if (op == "Gemm" || op == "MatMul") return "int8 matmul";
  if (op == "Reshape" || op == "Flatten" || op == "Transpose" || op == "Squeeze" || op == "Unsqueeze" ||
      op == "Slice" || op == "Split" || op == "Pad")
    return "int8 data movement";
  return "int8 " + op;
}

}  // namespace

Status annotate_placement(ir::Graph& graph, const QuantizeOptions& options) {
  // The rules need ranks and shapes. Static shape inference stops at some exporter
  // spellings (e.g. Split/Slice chains); when it left a value unknown and the inputs are
  // static, one run of the graph on placeholder inputs fills them in.
  bool missing = false;
  for (const ir::Node& n : graph.nodes)
    for (const std::string& v : n.outputs) {
      const ir::ValueInfo* info = v.empty() ? nullptr : graph.value_info(v);
      if (!v.empty() && (!info || !info->shape)) missing = true;
    }
  if (missing) (void)exec::annotate_shapes_by_running(graph);  // best effort: the rules say "unknown" otherwise
  for (ir::Node& n : graph.nodes) {
    if (options.cpu_nodes.count(n.name)) {
      n.placement = ir::Placement::kCpu;
      n.placement_reason = "forced to CPU by node options";
      continue;
    }
    Verdict v = verdict(graph, n);
    n.placement = v ? ir::Placement::kCpu : ir::Placement::kAccelerator;
    n.placement_reason = v ? *v : accelerator_reason(n.op_type);
  }
  return {};
}

}  // namespace edgeq::quant
