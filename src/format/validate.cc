// format::validate: the structural checks a Program must pass before it is written and
// after it is read. Everything the runtime later indexes or sizes blindly is checked here.
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "base/tensor.h"
#include "format/bin.h"

namespace edgeq::format {
namespace {

std::string tensor_ref(const Program& p, size_t i) {
  return "Tensor " + std::to_string(i) + " '" + p.tensors[i].name + "'";
}

std::string type_string(const TensorDesc& t) {
  return std::string(dtype_name(t.dtype)) + shape_to_string(t.shape);
}

// numel × dtype size without overflow; nullopt when a dim is negative or it overflows
// the int64 byte offsets the arena uses.
std::optional<int64_t> checked_nbytes(const TensorDesc& t) {
  int64_t n = static_cast<int64_t>(dtype_size(t.dtype));
  for (int64_t d : t.shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return std::nullopt;
  }
  return n;
}

Status check_quant(const Program& p, size_t i) {
  const TensorDesc& t = p.tensors[i];
  const Quant& q = *t.quant;
  const int64_t rank = static_cast<int64_t>(t.shape.size());
  if (q.scale.size() != q.zero_point.size())
    return invalid_argument(tensor_ref(p, i) + " has " + std::to_string(q.scale.size()) + " scales but " +
                            std::to_string(q.zero_point.size()) + " zero points.");
  if (q.axis < -1 || q.axis >= rank)
    return invalid_argument(tensor_ref(p, i) + " has quantization axis " + std::to_string(q.axis) +
                            ", outside -1.." + std::to_string(rank - 1) + " for " + type_string(t) + ".");
  const int64_t want = q.axis < 0 ? 1 : t.shape[static_cast<size_t>(q.axis)];
  if (static_cast<int64_t>(q.scale.size()) != want)
    return invalid_argument(tensor_ref(p, i) + " has " + std::to_string(q.scale.size()) +
                            " quantization scales, but " +
                            (q.axis < 0 ? std::string("a per-tensor quantization has 1")
                                        : "axis " + std::to_string(q.axis) + " of " + type_string(t) + " has " +
                                              std::to_string(want)) +
                            ".");
  for (size_t k = 0; k < q.scale.size(); ++k) {
    if (!(std::isfinite(q.scale[k]) && q.scale[k] > 0.0f))
      return invalid_argument(tensor_ref(p, i) + " has quantization scale " + std::to_string(q.scale[k]) +
                              " at " + std::to_string(k) + "; a scale must be finite and positive.");
  }
  int32_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  if (t.dtype == DType::kUInt8) lo = 0, hi = 255;
  if (t.dtype == DType::kInt8) lo = -128, hi = 127;
  for (size_t k = 0; k < q.zero_point.size(); ++k) {
    if (q.zero_point[k] < lo || q.zero_point[k] > hi)
      return invalid_argument(tensor_ref(p, i) + " has zero point " + std::to_string(q.zero_point[k]) +
                              ", outside the range of " + std::string(dtype_name(t.dtype)) + ".");
  }
  return Status();
}

Status check_tensor(const Program& p, size_t i) {
  const TensorDesc& t = p.tensors[i];
  if (dtype_size(t.dtype) == 0 || dtype_name(t.dtype) == "undef")
    return invalid_argument(tensor_ref(p, i) + " has dtype " + std::string(dtype_name(t.dtype)) +
                            ", which a compiled model cannot hold.");
  for (int64_t d : t.shape) {
    if (d < 0)
      return invalid_argument(tensor_ref(p, i) + " has a negative dimension in its shape " +
                              shape_to_string(t.shape) + ".");
  }
  const std::optional<int64_t> nbytes = checked_nbytes(t);
  if (!nbytes)
    return invalid_argument(tensor_ref(p, i) + " is too large: " + type_string(t) + " overflows a 64-bit byte count.");
  if (t.layout == Layout::kNHWC && t.shape.size() != 4)
    return invalid_argument(tensor_ref(p, i) + " has layout NHWC but a " + std::to_string(t.shape.size()) +
                            "-D shape " + shape_to_string(t.shape) + ".");
  if (t.layout != Layout::kPlain && t.layout != Layout::kNHWC)
    return invalid_argument(tensor_ref(p, i) + " has an unknown layout.");
  if (t.quant) EDGEQ_RETURN_IF_ERROR(check_quant(p, i));
  if (t.is_constant) {
    if (static_cast<int64_t>(t.data.size()) != *nbytes)
      return invalid_argument(tensor_ref(p, i) + " holds " + std::to_string(t.data.size()) +
                              " bytes of constant data, but " + type_string(t) + " needs " +
                              std::to_string(*nbytes) + ".");
    if (t.arena_offset != -1)
      return invalid_argument(tensor_ref(p, i) + " is a constant but has arena offset " +
                              std::to_string(t.arena_offset) + " (constants have -1).");
    return Status();
  }
  if (!t.data.empty())
    return invalid_argument(tensor_ref(p, i) + " is not a constant but carries " + std::to_string(t.data.size()) +
                            " bytes of data.");
  int64_t end = 0;
  if (t.arena_offset < 0 || __builtin_add_overflow(t.arena_offset, *nbytes, &end) || end > p.arena_bytes)
    return invalid_argument(tensor_ref(p, i) + " (" + type_string(t) + ", " + std::to_string(*nbytes) +
                            " bytes) at arena offset " + std::to_string(t.arena_offset) +
                            " does not fit in the arena of " + std::to_string(p.arena_bytes) + " bytes.");
  return Status();
}

// ChannelShuffle (program.h): 4-D inputs and outputs of one N, H, W; the group divides the
// concatenated channel count; each output's channel range lies inside it.
Status check_channel_shuffle(const Program& p, const Op& op, const std::string& ref) {
  const std::string what = ref + " (ChannelShuffle)";
  if (op.inputs.empty() || op.outputs.empty()) return invalid_argument(what + " needs at least one input and one output.");
  const std::vector<int64_t> starts = op.attrs.get_ints("channel_starts", {});
  if (starts.size() != op.outputs.size())
    return invalid_argument(what + " has " + std::to_string(starts.size()) + " channel_starts for " +
                            std::to_string(op.outputs.size()) + " outputs.");
  std::vector<int64_t> nhw;
  int64_t C = 0;
  auto fits = [&](int32_t t) {
    if (t < 0) return false;
    const TensorDesc& d = p.tensors[static_cast<size_t>(t)];
    if (d.shape.size() != 4) return false;
    const std::vector<int64_t> mine = {d.shape[0], d.shape[2], d.shape[3]};
    if (nhw.empty()) nhw = mine;
    return mine == nhw;
  };
  for (int32_t t : op.inputs) {
    if (!fits(t)) return invalid_argument(what + " needs [N, C, H, W] inputs and outputs of one N, H and W.");
    C += p.tensors[static_cast<size_t>(t)].shape[1];
  }
  const int64_t g = op.attrs.get_int("group", 0);
  if (g < 1 || C % g != 0)
    return invalid_argument(what + " has group " + std::to_string(g) + ", which does not divide its " + std::to_string(C) +
                            " channels.");
  for (size_t k = 0; k < op.outputs.size(); ++k) {
    if (!fits(op.outputs[k])) return invalid_argument(what + " needs [N, C, H, W] inputs and outputs of one N, H and W.");
    const int64_t ck = p.tensors[static_cast<size_t>(op.outputs[k])].shape[1];
    if (starts[k] < 0 || starts[k] + ck > C)
      return invalid_argument(what + " output " + std::to_string(k) + " takes channels " + std::to_string(starts[k]) + ".." +
                              std::to_string(starts[k] + ck) + ", outside the " + std::to_string(C) + " channels.");
  }
  return Status();
}

// A QConv with a folded residual add: input 3 is an activation like the output, and the
// attributes give the conv result's own quantization.
Status check_residual(const Program& p, const Op& op, const std::string& ref) {
  if (op.inputs.size() != 4 || op.outputs.size() != 1 || op.inputs[3] < 0 || op.outputs[0] < 0)
    return invalid_argument(ref + " (QConv) has " + std::to_string(op.inputs.size()) +
                            " inputs; a QConv with a residual has x, w, b (or -1), residual and one output.");
  const TensorDesc& r = p.tensors[static_cast<size_t>(op.inputs[3])];
  const TensorDesc& y = p.tensors[static_cast<size_t>(op.outputs[0])];
  if (r.is_constant || r.dtype != DType::kUInt8 || y.dtype != DType::kUInt8 || r.shape != y.shape ||
      r.layout != y.layout)
    return invalid_argument(ref + " (QConv) has residual '" + r.name + "' (" + type_string(r) +
                            "), which is not a u8 activation of the output's shape and layout (" + type_string(y) + ").");
  const float scale = op.attrs.get_float("conv_scale", 0.0f);
  const int64_t zero = op.attrs.get_int("conv_zero_point", -1);
  if (!(scale > 0.0f) || !std::isfinite(scale) || zero < 0 || zero > 255)
    return invalid_argument(ref + " (QConv) has a residual but no valid conv_scale (> 0) and conv_zero_point (0..255).");
  return Status();
}

Status check_op(const Program& p, size_t k, std::set<std::string>& names) {
  const Op& op = p.ops[k];
  const std::string ref = "Op " + std::to_string(k) + " '" + op.name + "'";
  if (op.type.empty()) return invalid_argument(ref + " has no type.");
  if (!names.insert(op.name).second) return invalid_argument(ref + " has the same name as an earlier op.");
  const int64_t n = static_cast<int64_t>(p.tensors.size());
  for (size_t j = 0; j < op.inputs.size(); ++j) {
    const int32_t t = op.inputs[j];
    if (t < -1 || t >= n)
      return invalid_argument(ref + " (" + op.type + ") input " + std::to_string(j) + " is tensor " +
                              std::to_string(t) + ", outside the " + std::to_string(n) + " tensors.");
  }
  for (size_t j = 0; j < op.outputs.size(); ++j) {
    const int32_t t = op.outputs[j];
    if (t < 0 || t >= n)
      return invalid_argument(ref + " (" + op.type + ") output " + std::to_string(j) + " is tensor " +
                              std::to_string(t) + ", outside the " + std::to_string(n) + " tensors.");
    if (p.tensors[static_cast<size_t>(t)].is_constant)
      return invalid_argument(ref + " (" + op.type + ") writes its output " + std::to_string(j) +
                              " into constant tensor " + std::to_string(t) + " '" + p.tensors[static_cast<size_t>(t)].name + "'" + ".");
  }
  if (op.type == "QConv" && op.inputs.size() > 3) EDGEQ_RETURN_IF_ERROR(check_residual(p, op, ref));
  for (const auto& [name, value] : op.attrs.all()) {
    if (std::holds_alternative<Tensor>(value))
      return invalid_argument(ref + " has a tensor-valued attribute '" + name + "'.");
  }
  if (op.type == "ChannelShuffle") return check_channel_shuffle(p, op, ref);
  return Status();
}

Status check_segments(const Program& p) {
  int64_t next = 0;
  for (size_t s = 0; s < p.segments.size(); ++s) {
    const Segment& seg = p.segments[s];
    const std::string ref = "Segment " + std::to_string(s);
    if (seg.placement != Placement::kAccelerator && seg.placement != Placement::kCpu)
      return invalid_argument(ref + " has an unknown placement.");
    if (seg.first_op != next)
      return invalid_argument(ref + " starts at op " + std::to_string(seg.first_op) + ", but the segments before it end at op " +
                              std::to_string(next) + " (segments must be contiguous).");
    if (seg.num_ops <= 0)
      return invalid_argument(ref + " has " + std::to_string(seg.num_ops) + " ops; a segment holds at least one.");
    next += seg.num_ops;
    if (next > static_cast<int64_t>(p.ops.size()))
      return invalid_argument(ref + " ends at op " + std::to_string(next) + ", past the " +
                              std::to_string(p.ops.size()) + " ops of the program.");
  }
  if (next != static_cast<int64_t>(p.ops.size()))
    return invalid_argument("The segments cover ops 0.." + std::to_string(next) + " but the program has " +
                            std::to_string(p.ops.size()) + " ops.");
  return Status();
}

Status check_io(const Program& p, const std::vector<IoDesc>& ios, const char* what) {
  for (size_t i = 0; i < ios.size(); ++i) {
    const IoDesc& io = ios[i];
    const std::string ref = std::string(what) + " " + std::to_string(i) + " '" + io.source_name + "'";
    if (io.tensor < 0 || io.tensor >= static_cast<int64_t>(p.tensors.size()))
      return invalid_argument(ref + " refers to tensor " + std::to_string(io.tensor) + ", outside the " +
                              std::to_string(p.tensors.size()) + " tensors.");
    if (p.tensors[static_cast<size_t>(io.tensor)].is_constant)
      return invalid_argument(ref + " refers to constant tensor " + std::to_string(io.tensor) + " '" +
                              p.tensors[static_cast<size_t>(io.tensor)].name + "'.");
  }
  return Status();
}

}  // namespace

Status validate(const Program& p) {
  if (p.options.march.empty()) return invalid_argument("The compile options name no march.");
  if (p.options.optimize_level < 0 || p.options.optimize_level > 3)
    return invalid_argument("The optimize level is " + std::to_string(p.options.optimize_level) + ", outside 0..3.");
  if (p.options.core_num < 1)
    return invalid_argument("The core number is " + std::to_string(p.options.core_num) + "; it must be at least 1.");
  if (p.arena_bytes < 0) return invalid_argument("The arena size is negative (" + std::to_string(p.arena_bytes) + ").");
  if (p.tensors.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()) ||
      p.ops.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    return invalid_argument("The program has more tensors or ops than 32-bit indices address.");
  for (size_t i = 0; i < p.tensors.size(); ++i) EDGEQ_RETURN_IF_ERROR(check_tensor(p, i));
  std::set<std::string> names;
  for (size_t k = 0; k < p.ops.size(); ++k) EDGEQ_RETURN_IF_ERROR(check_op(p, k, names));
  EDGEQ_RETURN_IF_ERROR(check_segments(p));
  EDGEQ_RETURN_IF_ERROR(check_io(p, p.inputs, "Input"));
  EDGEQ_RETURN_IF_ERROR(check_io(p, p.outputs, "Output"));
  return Status();
}

}  // namespace edgeq::format
