// Layouts (O1+): the 4-D u8 activations that int8 compute ops read and write are NHWC
// (channels innermost, what the int8 convolutions want); everything else is plain NCHW.
// Where an op needs the other layout a Reorder op converts the tensor once (shared by all
// consumers needing it); a 4-D tensor with H = W = 1 has the same bytes in both layouts,
// so its consumers read it as it is. Quantize and Dequantize keep their input's layout.
#include <algorithm>
#include <map>
#include <set>

#include "compiler/draft.h"

namespace edgeq::compiler {

bool is_nhwc_op(const std::string& type) {
  static const std::set<std::string> k = {"QConv", "QAdd", "QMul", "QLut", "QGlobalAveragePool", "QAveragePool",
                                          "MaxPool", "QConcat", "QResize"};
  return k.count(type) != 0;
}

bool is_reshape_like(const std::string& type) {
  return type == "Reshape" || type == "Flatten" || type == "Squeeze" || type == "Unsqueeze";
}

namespace {

bool is_4d_activation(const format::TensorDesc& t) {
  return !t.is_constant && t.shape.size() == 4 && t.dtype == DType::kUInt8;
}
bool same_bytes_in_both(const format::TensorDesc& t) { return t.shape.size() == 4 && t.shape[2] == 1 && t.shape[3] == 1; }

// The inputs of an NHWC op that are activations (QConv's weights and QLut's table are not).
bool is_activation_input(const format::Op& op, size_t i) {
  if (op.type == "QAdd" || op.type == "QMul" || op.type == "QConcat") return true;
  return i == 0;
}

void to_nhwc_bytes(format::TensorDesc& t) {
  const int64_t n = t.shape[0], c = t.shape[1], h = t.shape[2], w = t.shape[3];
  const size_t es = dtype_size(t.dtype);
  std::vector<uint8_t> out(t.data.size());
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < w; ++iw) {
          const size_t src = static_cast<size_t>(((in * c + ic) * h + ih) * w + iw) * es;
          const size_t dst = static_cast<size_t>(((in * h + ih) * w + iw) * c + ic) * es;
          std::copy_n(t.data.begin() + static_cast<long>(src), es, out.begin() + static_cast<long>(dst));
        }
  t.data = std::move(out);
  t.layout = format::Layout::kNHWC;
}

}  // namespace

Status assign_layouts(Draft& d, int optimize_level) {
  if (optimize_level < 1) return {};
  format::Program& p = d.program;
  std::vector<std::vector<int>> consumers(p.tensors.size());
  std::vector<int> producer(p.tensors.size(), -1);
  for (size_t i = 0; i < p.ops.size(); ++i) {
    for (int t : p.ops[i].inputs)
      if (t >= 0) consumers[static_cast<size_t>(t)].push_back(static_cast<int>(i));
    for (int t : p.ops[i].outputs)
      if (t >= 0) producer[static_cast<size_t>(t)] = static_cast<int>(i);
  }
  // Producers decide: NHWC ops write NHWC; a u8 model input (fast-perf) is NHWC when an
  // NHWC op reads it.
  for (size_t t = 0; t < p.tensors.size(); ++t) {
    format::TensorDesc& td = p.tensors[t];
    if (!is_4d_activation(td)) continue;
    const int pr = producer[t];
    bool nhwc = false;
    if (pr >= 0) {
      nhwc = is_nhwc_op(p.ops[static_cast<size_t>(pr)].type);
    } else {
      for (int c : consumers[t]) nhwc |= is_nhwc_op(p.ops[static_cast<size_t>(c)].type);
    }
    if (nhwc) td.layout = format::Layout::kNHWC;
  }
  // Consumers adapt: Reorder where the layout differs (and the bytes do too).
  std::map<std::pair<int, format::Layout>, int> reordered;
  std::vector<format::Op> ops;
  std::vector<format::Placement> placement;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    format::Op& op = p.ops[i];
    const bool nhwc_op = is_nhwc_op(op.type);
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      const int t = op.inputs[k];
      if (t < 0) continue;
      format::TensorDesc& td = p.tensors[static_cast<size_t>(t)];
      if (td.shape.size() != 4 || same_bytes_in_both(td)) continue;
      const bool act = nhwc_op && is_activation_input(op, k);
      const format::Layout want = act ? format::Layout::kNHWC : format::Layout::kPlain;
      if (td.layout == want) continue;
      if (td.is_constant) {
        if (act) to_nhwc_bytes(td);  // a 4-D constant operand of an int8 op (e.g. QAdd)
        continue;
      }
      auto key = std::make_pair(t, want);
      auto it = reordered.find(key);
      if (it == reordered.end()) {
        format::TensorDesc r = td;
        r.name = td.name + (want == format::Layout::kNHWC ? "_nhwc" : "_nchw");
        r.layout = want;
        p.tensors.push_back(std::move(r));
        const int rt = static_cast<int>(p.tensors.size() - 1);
        format::Op reorder;
        reorder.name = p.tensors[static_cast<size_t>(rt)].name + "_reorder";
        reorder.type = "Reorder";
        reorder.inputs = {t};
        reorder.outputs = {rt};
        reorder.attrs.set("to_layout", std::string(want == format::Layout::kNHWC ? "NHWC" : "NCHW"));
        ops.push_back(std::move(reorder));
        placement.push_back(format::Placement::kAccelerator);
        it = reordered.emplace(key, rt).first;
      }
      op.inputs[k] = it->second;
    }
    ops.push_back(std::move(op));
    placement.push_back(d.placement[i]);
  }
  p.ops = std::move(ops);
  d.placement = std::move(placement);
  return {};
}

}  // namespace edgeq::compiler
