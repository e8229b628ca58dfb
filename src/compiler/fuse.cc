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
#include <vector>

#include "compiler/draft.h"

namespace edgeq::compiler {

namespace {

bool per_tensor_u8(const format::TensorDesc& t) {
  return t.dtype == DType::kUInt8 && t.quant && t.quant->scale.size() == 1 && t.quant->zero_point.size() == 1;
}

}  // namespace

int fuse_conv_add(Draft& d) {
  format::Program& p = d.program;
  const size_t nt = p.tensors.size();
  std::vector<int> readers(nt, 0), producer(nt, -1);
  std::vector<bool> io(nt, false);
  for (size_t i = 0; i < p.ops.size(); ++i) {
    for (int t : p.ops[i].inputs)
      if (t >= 0) readers[static_cast<size_t>(t)]++;
    for (int t : p.ops[i].outputs)
      if (t >= 0) producer[static_cast<size_t>(t)] = static_cast<int>(i);
  }
  for (const auto& x : p.inputs) io[static_cast<size_t>(x.tensor)] = true;
  for (const auto& x : p.outputs) io[static_cast<size_t>(x.tensor)] = true;

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
  if (fused == 0) return 0;
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
  return fused;
}

}  // namespace edgeq::compiler
