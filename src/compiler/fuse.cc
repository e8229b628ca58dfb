// O2+: a residual QAdd folded into the QConv that feeds it.
//
//   c = QConv(x, w, b)            (c has params sc, zc; the QAdd is its only reader)
//   y = QAdd(c, r)  or  QAdd(r, c)
// becomes
//   y = QConv(x, w, b, r)  attrs conv_scale = sc, conv_zero_point = zc,
//                                residual_first = 1 when r was the QAdd's first input
// at the QAdd's place in the op order (so r is computed before it). c disappears; the
// runtime computes c and the add in one pass over the output (docs/format.md, QConv), and
// the memory plan lets y take r's bytes when r dies there.
//
// O2+: x times a lookup table of x (SiLU/Swish x·sigmoid(x), hardswish x·hardsigmoid(x))
// folded into one lookup table.
//
//   s = QLut(x, lut)              (s is read by the QMul only)
//   y = QMul(x, s)  or  QMul(s, x)
// becomes
//   y = QLut(x, t)   t[v] = kernels::int8::mul(v, lut[v]) with the QMul's params
// at the QMul's place in the op order. y depends on the byte x alone, and t holds exactly
// what the QMul computes from (x, s) today, so the result is the same bit for bit.
#include <set>
#include <string>
#include <vector>

#include "compiler/draft.h"
#include "kernels/int8/qops.h"

namespace edgeq::compiler {

namespace {

bool per_tensor_u8(const format::TensorDesc& t) {
  return t.dtype == DType::kUInt8 && t.quant && t.quant->scale.size() == 1 && t.quant->zero_point.size() == 1;
}

// Readers, producers and the model's inputs/outputs, per tensor.
struct Uses {
  std::vector<int> readers, producer;
  std::vector<bool> io;
  explicit Uses(const format::Program& p)
      : readers(p.tensors.size(), 0), producer(p.tensors.size(), -1), io(p.tensors.size(), false) {
    for (size_t i = 0; i < p.ops.size(); ++i) {
      for (int t : p.ops[i].inputs)
        if (t >= 0) readers[static_cast<size_t>(t)]++;
      for (int t : p.ops[i].outputs)
        if (t >= 0) producer[static_cast<size_t>(t)] = static_cast<int>(i);
    }
    for (const auto& x : p.inputs) io[static_cast<size_t>(x.tensor)] = true;
    for (const auto& x : p.outputs) io[static_cast<size_t>(x.tensor)] = true;
  }
};

// Removes the ops marked in drop (with their placements) and the tensors left unused.
void drop_ops(Draft& d, const std::vector<bool>& drop) {
  format::Program& p = d.program;
  std::vector<format::Op> ops;
  std::vector<format::Placement> placement;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    if (drop[i]) continue;
    ops.push_back(std::move(p.ops[i]));
    placement.push_back(d.placement[i]);
  }
  p.ops = std::move(ops);
  d.placement = std::move(placement);
  remove_unused_tensors(p);
}

kernels::int8::QParam qparam(const format::TensorDesc& t) { return {t.quant->scale[0], t.quant->zero_point[0]}; }

}  // namespace

int fuse_conv_add(Draft& d) {
  format::Program& p = d.program;
  const Uses u(p);
  const std::vector<int>& readers = u.readers;
  const std::vector<int>& producer = u.producer;
  const std::vector<bool>& io = u.io;

  std::vector<bool> drop(p.ops.size(), false);
  int fused = 0;
  for (size_t a = 0; a < p.ops.size(); ++a) {
    format::Op& add = p.ops[a];
    if (add.type != "QAdd" || add.inputs.size() != 2 || add.outputs.size() != 1 ||
        d.placement[a] != format::Placement::kAccelerator)
      continue;
    const int y = add.outputs[0];
    for (int side = 0; side < 2; ++side) {
      const int c = add.inputs[static_cast<size_t>(side)], r = add.inputs[static_cast<size_t>(1 - side)];
      if (c < 0 || r < 0 || c == r || io[static_cast<size_t>(c)] || readers[static_cast<size_t>(c)] != 1) continue;
      const int k = producer[static_cast<size_t>(c)];
      if (k < 0 || drop[static_cast<size_t>(k)] || d.placement[static_cast<size_t>(k)] != format::Placement::kAccelerator)
        continue;
      format::Op& conv = p.ops[static_cast<size_t>(k)];
      if (conv.type != "QConv" || conv.outputs.size() != 1 || conv.inputs.size() > 3) continue;
      const format::TensorDesc& ct = p.tensors[static_cast<size_t>(c)];
      const format::TensorDesc& rt = p.tensors[static_cast<size_t>(r)];
      const format::TensorDesc& yt = p.tensors[static_cast<size_t>(y)];
      if (!per_tensor_u8(ct) || !per_tensor_u8(rt) || !per_tensor_u8(yt) || rt.is_constant) continue;
      if (ct.shape.size() != 4 || rt.shape != yt.shape || ct.shape != yt.shape || rt.layout != yt.layout ||
          ct.layout != yt.layout)
        continue;
      format::Op f = conv;
      f.inputs.resize(3, -1);
      f.inputs.push_back(r);
      f.outputs = {y};
      f.attrs.set("conv_scale", ct.quant->scale[0]);
      f.attrs.set("conv_zero_point", static_cast<int64_t>(ct.quant->zero_point[0]));
      f.attrs.set("residual_first", static_cast<int64_t>(side == 1));
      f.source_nodes.insert(f.source_nodes.end(), add.source_nodes.begin(), add.source_nodes.end());
      add = std::move(f);  // at the add's place: x, w, b and r are all defined before it
      drop[static_cast<size_t>(k)] = true;
      ++fused;
      break;
    }
  }
  if (fused > 0) drop_ops(d, drop);
  return fused;
}

int fold_lut_mul(Draft& d) {
  format::Program& p = d.program;
  const Uses u(p);
  std::set<std::string> names;
  for (const auto& t : p.tensors) names.insert(t.name);
  std::vector<bool> drop(p.ops.size(), false);
  int folded = 0;
  for (size_t m = 0; m < p.ops.size(); ++m) {
    format::Op& mul = p.ops[m];
    if (mul.type != "QMul" || mul.inputs.size() != 2 || mul.outputs.size() != 1 ||
        d.placement[m] != format::Placement::kAccelerator)
      continue;
    for (int side = 0; side < 2; ++side) {
      const int s = mul.inputs[static_cast<size_t>(side)], x = mul.inputs[static_cast<size_t>(1 - side)];
      const int y = mul.outputs[0];
      if (s < 0 || x < 0 || s == x || u.io[static_cast<size_t>(s)] || u.readers[static_cast<size_t>(s)] != 1) continue;
      const int k = u.producer[static_cast<size_t>(s)];
      if (k < 0 || drop[static_cast<size_t>(k)] || d.placement[static_cast<size_t>(k)] != format::Placement::kAccelerator)
        continue;
      const format::Op& lut = p.ops[static_cast<size_t>(k)];
      if (lut.type != "QLut" || lut.inputs.size() != 2 || lut.outputs.size() != 1 || lut.inputs[0] != x ||
          lut.inputs[1] < 0)
        continue;
      const format::TensorDesc& xt = p.tensors[static_cast<size_t>(x)];
      const format::TensorDesc& st = p.tensors[static_cast<size_t>(s)];
      const format::TensorDesc& yt = p.tensors[static_cast<size_t>(y)];
      const format::TensorDesc& lt = p.tensors[static_cast<size_t>(lut.inputs[1])];
      if (!per_tensor_u8(xt) || !per_tensor_u8(st) || !per_tensor_u8(yt) || xt.is_constant) continue;
      if (xt.shape != st.shape || xt.shape != yt.shape || xt.layout != st.layout || xt.layout != yt.layout) continue;
      if (!lt.is_constant || lt.dtype != DType::kUInt8 || lt.data.size() != 256) continue;

      // The QMul's own arithmetic on every byte x and its table entry, operands in its order.
      const kernels::int8::QParam qx = qparam(xt), qs = qparam(st), qy = qparam(yt);
      const kernels::int8::BinaryParams bp =
          side == 1 ? kernels::int8::make_binary_params(qx, qs, qy) : kernels::int8::make_binary_params(qs, qx, qy);
      format::TensorDesc table;
      table.name = mul.name + "_table";
      for (int n = 1; names.count(table.name); ++n) table.name = mul.name + "_table_" + std::to_string(n);
      names.insert(table.name);
      table.dtype = DType::kUInt8;
      table.shape = {256};
      table.is_constant = true;
      table.data.resize(256);
      for (int v = 0; v < 256; ++v) {
        const uint8_t xv = static_cast<uint8_t>(v), sv = lt.data[static_cast<size_t>(v)];
        table.data[static_cast<size_t>(v)] = side == 1 ? kernels::int8::mul(xv, sv, bp) : kernels::int8::mul(sv, xv, bp);
      }

      format::Op f;
      f.name = mul.name;
      f.type = "QLut";
      f.attrs.set("source_op", "Mul(x, " + lut.attrs.get_string("source_op", "QLut") + "(x))");
      f.source_nodes = lut.source_nodes;
      f.source_nodes.insert(f.source_nodes.end(), mul.source_nodes.begin(), mul.source_nodes.end());
      p.tensors.push_back(std::move(table));
      f.inputs = {x, static_cast<int>(p.tensors.size() - 1)};
      f.outputs = {y};
      mul = std::move(f);  // at the QMul's place: x is defined before it
      drop[static_cast<size_t>(k)] = true;
      ++folded;
      break;
    }
  }
  if (folded > 0) drop_ops(d, drop);
  return folded;
}

}  // namespace edgeq::compiler
