#include "estimator/op_counts.h"

#include <algorithm>
#include <set>
#include <string_view>

namespace edgeq::estimator {
namespace {

const format::TensorDesc* tensor_at(const format::Program& p, const std::vector<int32_t>& ids, size_t i) {
  if (i >= ids.size() || ids[i] < 0 || ids[i] >= static_cast<int32_t>(p.tensors.size())) return nullptr;
  return &p.tensors[ids[i]];
}

int64_t product(const std::vector<int64_t>& v, size_t from = 0) {
  int64_t n = 1;
  for (size_t i = from; i < v.size(); ++i) n *= v[i];
  return n;
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

bool is_view_type(std::string_view t) {
  return one_of(t, {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"});
}

// Multiply-accumulates of the ops that have them; 0 for the rest.
int64_t count_macs(const format::Program& p, const format::Op& op) {
  const format::TensorDesc* x = tensor_at(p, op.inputs, 0);
  const format::TensorDesc* w = tensor_at(p, op.inputs, 1);
  const format::TensorDesc* y = tensor_at(p, op.outputs, 0);
  if (!x || !w || !y) return 0;
  const std::string& t = op.type;
  if (t == "QConv" || t == "Conv" || t == "ConvInteger") {
    // w [O, I/group, k...]: each output element takes I/group × prod(k) taps.
    if (w->shape.size() < 2) return 0;
    return y->numel() * product(w->shape, 1);
  }
  if (t == "ConvTranspose") {
    // w [I, O/group, k...]: each input element scatters into O/group × prod(k) outputs.
    if (w->shape.size() < 2) return 0;
    return x->numel() * product(w->shape, 1);
  }
  if (t == "QGemm") {
    if (w->shape.size() != 2) return 0;
    return y->numel() * w->shape[1];  // w [N, K]
  }
  if (t == "Gemm") {
    if (x->shape.size() != 2) return 0;
    int64_t k = op.attrs.get_int("transA", 0) ? x->shape[0] : x->shape[1];
    return y->numel() * k;
  }
  if (t == "MatMul" || t == "MatMulInteger") {
    if (x->shape.empty()) return 0;
    return y->numel() * x->shape.back();
  }
  return 0;
}

// Window taps per output element for the pools; 1 for everything else.
int64_t taps_per_output(const format::Program& p, const format::Op& op) {
  const std::string& t = op.type;
  if (t == "QGlobalAveragePool" || t == "GlobalAveragePool" || t == "GlobalMaxPool") {
    const format::TensorDesc* x = tensor_at(p, op.inputs, 0);
    return x && x->shape.size() > 2 ? product(x->shape, 2) : 1;
  }
  if (one_of(t, {"QAveragePool", "MaxPool", "AveragePool"})) {
    std::vector<int64_t> k = op.attrs.get_ints("kernel_shape");
    return k.empty() ? 1 : product(k);
  }
  return 1;
}

}  // namespace

OpKind classify_op(const format::Program& p, const format::Op& op, format::Placement placement) {
  const std::string& t = op.type;
  if (t == "QConv") {
    const format::TensorDesc* w = tensor_at(p, op.inputs, 1);
    bool depthwise = op.attrs.get_int("group", 1) > 1 && w && w->shape.size() >= 2 && w->shape[1] == 1;
    return depthwise ? OpKind::kConvDepthwise : OpKind::kConv;
  }
  if (t == "QGemm") return OpKind::kGemm;
  if (t == "QAdd") return OpKind::kElementwise;
  if (t == "QMul") return OpKind::kMul;
  if (t == "QLut") return OpKind::kLut;
  if (t == "QGlobalAveragePool") return OpKind::kGlobalPool;
  if (t == "QAveragePool") return OpKind::kPool;
  if (t == "QResize") return OpKind::kResize;
  if (t == "Quantize") return OpKind::kQuantize;
  if (t == "Dequantize") return OpKind::kDequantize;
  if (t == "Reorder") return OpKind::kDataMovement;
  if (one_of(t, {"QConcat", "ChannelShuffle"})) return OpKind::kCopy;
  if (placement == format::Placement::kAccelerator) {
    if (t == "MaxPool") return OpKind::kPool;
    if (one_of(t, {"Slice", "Split", "Pad", "Concat"})) return OpKind::kCopy;
    return OpKind::kDataMovement;  // Reshape, Transpose, … on u8
  }
  if (one_of(t, {"Conv", "ConvTranspose", "ConvInteger", "Gemm", "MatMul", "MatMulInteger"}))
    return OpKind::kCpuMatmul;
  if (one_of(t, {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Transpose", "Slice",
                 "Split", "Pad", "Concat", "Gather", "GatherElements", "Expand", "Tile", "Cast",
                 "Shape", "Size", "DepthToSpace", "SpaceToDepth", "ConstantOfShape"}))
    return OpKind::kCpuDataMovement;
  return OpKind::kCpuElementwise;
}

OpCounts count_op(const format::Program& p, int op_index, format::Placement placement) {
  const format::Op& op = p.ops[op_index];
  OpCounts c;
  c.placement = placement;
  c.kind = classify_op(p, op, placement);

  std::set<int32_t> seen;  // an input used twice (x * x) is read once
  for (int32_t id : op.inputs) {
    if (id < 0 || id >= static_cast<int32_t>(p.tensors.size()) || !seen.insert(id).second) continue;
    const format::TensorDesc& t = p.tensors[id];
    (t.is_constant ? c.weight_bytes : c.activation_bytes) += t.nbytes();
  }
  for (int32_t id : op.outputs) {
    if (id < 0 || id >= static_cast<int32_t>(p.tensors.size())) continue;
    c.output_bytes += p.tensors[id].nbytes();
    c.output_elements += p.tensors[id].numel();
  }
  if (const format::TensorDesc* y = tensor_at(p, op.outputs, 0)) {
    if (y->shape.size() == 4) c.channels = y->shape[1];
    else if (!y->shape.empty()) c.channels = y->shape.back();
  }

  // A reshape-like op whose output sits where its input does is a view: nothing moves.
  const format::TensorDesc* x = tensor_at(p, op.inputs, 0);
  const format::TensorDesc* y = tensor_at(p, op.outputs, 0);
  if (is_view_type(op.type) && x && y && !x->is_constant && x->arena_offset >= 0 &&
      x->arena_offset == y->arena_offset) {
    c.in_place = true;
    c.activation_bytes = 0;
    c.output_bytes = 0;
    c.weight_bytes = 0;
    return c;
  }

  // A QConv with a folded residual add (input 3) reads the residual (counted above with
  // the inputs); when its output does not take the residual's bytes, the runtime first
  // copies the residual into the output: one more read and write of it.
  if (op.type == "QConv" && op.inputs.size() > 3 && x && y) {
    const format::TensorDesc* r = tensor_at(p, op.inputs, 3);
    if (r && r->arena_offset != y->arena_offset) {
      c.activation_bytes += r->nbytes();
      c.output_bytes += y->nbytes();
    }
  }

  c.macs = count_macs(p, op);
  bool cpu = is_cpu_kind(c.kind);
  if (c.macs > 0) c.work = cpu ? 2.0 * static_cast<double>(c.macs) : static_cast<double>(c.macs);
  else c.work = static_cast<double>(c.output_elements) * static_cast<double>(taps_per_output(p, op));
  return c;
}

}  // namespace edgeq::estimator
