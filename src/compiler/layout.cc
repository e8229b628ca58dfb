// Layouts (O1+): the 4-D u8 activations that int8 compute ops read and write are NHWC
// (channels innermost, what the int8 convolutions want); everything else is plain NCHW.
// Where an op needs the other layout a Reorder op converts the tensor once (shared by all
// consumers needing it); a 4-D tensor with H = W = 1 has the same bytes in both layouts,
// so its consumers read it as it is. Quantize and Dequantize keep their input's layout.
//
// Before that, channel shuffles are recognised: Reshape [N,C,H,W] → [N,g,C/g,H,W],
// Transpose perm (0,2,1,3,4), Reshape back to [N,C,H,W] on u8 becomes one ChannelShuffle
// op, which also takes in the Concat on C before it and the Slices / Split on C after it
// (ShuffleNet's concat → shuffle → chunk), so that data movement runs on NHWC bytes.
#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "compiler/draft.h"

namespace edgeq::compiler {

bool is_nhwc_op(const std::string& type) {
  static const std::set<std::string> k = {"QConv", "QAdd", "QMul", "QLut", "QGlobalAveragePool", "QAveragePool",
                                          "MaxPool", "QConcat", "QResize", "ChannelShuffle"};
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
  if (op.type == "QAdd" || op.type == "QMul" || op.type == "QConcat" || op.type == "ChannelShuffle") return true;
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

bool same_quant(const format::TensorDesc& a, const format::TensorDesc& b) {
  return a.quant && b.quant && a.quant->scale == b.quant->scale && a.quant->zero_point == b.quant->zero_point &&
         a.quant->scale.size() == 1;
}

// The int64 values of a constant integer tensor (nullopt otherwise).
std::optional<std::vector<int64_t>> const_ints(const format::Program& p, int t) {
  if (t < 0) return std::nullopt;
  const format::TensorDesc& d = p.tensors[static_cast<size_t>(t)];
  if (!d.is_constant) return std::nullopt;
  std::vector<int64_t> v(static_cast<size_t>(d.numel()));
  if (d.dtype == DType::kInt64 && d.data.size() == v.size() * 8) {
    std::memcpy(v.data(), d.data.data(), d.data.size());
  } else if (d.dtype == DType::kInt32 && d.data.size() == v.size() * 4) {
    for (size_t i = 0; i < v.size(); ++i) {
      int32_t x;
      std::memcpy(&x, d.data.data() + i * 4, 4);
      v[i] = x;
    }
  } else {
    return std::nullopt;
  }
  return v;
}

struct Uses {
  std::vector<std::vector<int>> consumers;
  std::vector<int> producer;
  std::set<int> io;  // model inputs and outputs
};

Uses uses_of(const format::Program& p) {
  Uses u;
  u.consumers.assign(p.tensors.size(), {});
  u.producer.assign(p.tensors.size(), -1);
  for (size_t i = 0; i < p.ops.size(); ++i) {
    for (int t : p.ops[i].inputs)
      if (t >= 0) u.consumers[static_cast<size_t>(t)].push_back(static_cast<int>(i));
    for (int t : p.ops[i].outputs)
      if (t >= 0) u.producer[static_cast<size_t>(t)] = static_cast<int>(i);
  }
  for (const auto& io : p.inputs) u.io.insert(io.tensor);
  for (const auto& io : p.outputs) u.io.insert(io.tensor);
  return u;
}

// The channel range [start, start + count) a Slice on u8 [N,C,H,W] takes, when it slices
// only C with step 1 and constant operands.
std::optional<std::pair<int64_t, int64_t>> channel_slice(const format::Program& p, const format::Op& op) {
  if (op.type != "Slice" || op.inputs.size() < 3 || op.outputs.size() != 1) return std::nullopt;
  const format::TensorDesc& x = p.tensors[static_cast<size_t>(op.inputs[0])];
  const format::TensorDesc& y = p.tensors[static_cast<size_t>(op.outputs[0])];
  if (x.shape.size() != 4 || y.shape.size() != 4) return std::nullopt;
  auto starts = const_ints(p, op.inputs[1]), ends = const_ints(p, op.inputs[2]);
  std::optional<std::vector<int64_t>> axes = std::vector<int64_t>{};
  std::optional<std::vector<int64_t>> steps = std::vector<int64_t>{};
  if (op.inputs.size() > 3 && op.inputs[3] >= 0) axes = const_ints(p, op.inputs[3]);
  if (op.inputs.size() > 4 && op.inputs[4] >= 0) steps = const_ints(p, op.inputs[4]);
  if (!starts || !ends || !axes || !steps || starts->size() != ends->size()) return std::nullopt;
  if (axes->empty())
    for (size_t i = 0; i < starts->size(); ++i) axes->push_back(static_cast<int64_t>(i));
  if (axes->size() != starts->size() || (!steps->empty() && steps->size() != starts->size())) return std::nullopt;
  for (size_t i = 0; i < axes->size(); ++i) {
    const int64_t a = (*axes)[i] < 0 ? (*axes)[i] + 4 : (*axes)[i];
    const int64_t step = steps->empty() ? 1 : (*steps)[i];
    if (step != 1) return std::nullopt;
    if (a != 1 && !(y.shape[static_cast<size_t>(a)] == x.shape[static_cast<size_t>(a)] && (*starts)[i] == 0))
      return std::nullopt;
  }
  for (size_t i = 0; i < axes->size(); ++i) {
    const int64_t a = (*axes)[i] < 0 ? (*axes)[i] + 4 : (*axes)[i];
    if (a != 1) continue;
    int64_t s = (*starts)[i];
    if (s < 0) s += x.shape[1];
    s = std::clamp<int64_t>(s, 0, x.shape[1]);
    if (s + y.shape[1] > x.shape[1]) return std::nullopt;
    return std::make_pair(s, y.shape[1]);
  }
  return std::make_pair(int64_t{0}, y.shape[1]);
}

// Replaces each recognised channel shuffle (with its Concat and Slices / Split on C) by one
// ChannelShuffle op at the place of the first op it replaces.
void fuse_channel_shuffles(Draft& d) {
  format::Program& p = d.program;
  const Uses u = uses_of(p);
  auto acc = [&](int op) { return op >= 0 && d.placement[static_cast<size_t>(op)] == format::Placement::kAccelerator; };
  auto tensor = [&](int t) -> const format::TensorDesc& { return p.tensors[static_cast<size_t>(t)]; };
  auto sole_consumer = [&](int t) {
    const auto& cs = u.consumers[static_cast<size_t>(t)];
    return cs.size() == 1 && !u.io.count(t) ? cs[0] : -1;
  };
  std::set<int> removed;
  std::map<int, format::Op> placed;  // op index → the ChannelShuffle replacing it
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const format::Op& r1 = p.ops[i];
    if (r1.type != "Reshape" || !acc(static_cast<int>(i)) || r1.inputs.empty() || r1.outputs.size() != 1) continue;
    const int x = r1.inputs[0];
    const format::TensorDesc& xd = tensor(x);
    const format::TensorDesc& r1d = tensor(r1.outputs[0]);
    if (!is_4d_activation(xd) || r1d.shape.size() != 5) continue;
    const int64_t N = xd.shape[0], C = xd.shape[1], H = xd.shape[2], W = xd.shape[3], g = r1d.shape[1];
    if (r1d.shape != std::vector<int64_t>{N, g, C / std::max<int64_t>(g, 1), H, W} || g < 1 || C % g != 0) continue;
    const int ti = sole_consumer(r1.outputs[0]);
    if (!acc(ti) || p.ops[static_cast<size_t>(ti)].type != "Transpose") continue;
    const format::Op& tr = p.ops[static_cast<size_t>(ti)];
    if (tr.attrs.get_ints("perm") != std::vector<int64_t>{0, 2, 1, 3, 4} || tr.outputs.size() != 1) continue;
    const int r2i = sole_consumer(tr.outputs[0]);
    if (!acc(r2i) || p.ops[static_cast<size_t>(r2i)].type != "Reshape") continue;
    const format::Op& r2 = p.ops[static_cast<size_t>(r2i)];
    if (r2.outputs.size() != 1 || tensor(r2.outputs[0]).shape != xd.shape) continue;
    const int y = r2.outputs[0];
    if (!same_quant(xd, r1d) || !same_quant(xd, tensor(tr.outputs[0])) || !same_quant(xd, tensor(y))) continue;
    if (removed.count(static_cast<int>(i))) continue;

    format::Op op;
    op.name = tr.name;
    op.type = "ChannelShuffle";
    op.attrs.set("group", g);
    std::vector<int> absorbed = {static_cast<int>(i), ti, r2i};
    // The Concat on C before it.
    op.inputs = {x};
    const int ci = u.producer[static_cast<size_t>(x)];
    if (acc(ci) && sole_consumer(x) == static_cast<int>(i) && p.ops[static_cast<size_t>(ci)].type == "QConcat" &&
        p.ops[static_cast<size_t>(ci)].attrs.get_int("axis", -1) == 1 && !removed.count(ci)) {
      bool ok = true;
      for (int t : p.ops[static_cast<size_t>(ci)].inputs) ok &= t >= 0 && is_4d_activation(tensor(t)) && tensor(t).quant;
      if (ok) {
        op.inputs = p.ops[static_cast<size_t>(ci)].inputs;
        absorbed.push_back(ci);
      }
    }
    // The Slices / Split on C after it, when they are all of y's readers.
    op.outputs = {y};
    std::vector<int64_t> starts = {0};
    const auto& readers = u.consumers[static_cast<size_t>(y)];
    if (!readers.empty() && !u.io.count(y)) {
      std::vector<int> outs;
      std::vector<int64_t> st;
      bool ok = true;
      for (int r : readers) {
        const format::Op& ro = p.ops[static_cast<size_t>(r)];
        ok &= acc(r) && !removed.count(r) && ro.inputs[0] == y;
        if (!ok) break;
        if (auto range = channel_slice(p, ro)) {
          ok &= same_quant(xd, tensor(ro.outputs[0]));
          outs.push_back(ro.outputs[0]);
          st.push_back(range->first);
        } else if (ro.type == "Split" && (ro.attrs.get_int("axis", 0) == 1 || ro.attrs.get_int("axis", 0) == -3)) {
          int64_t s = 0;
          for (int o : ro.outputs) {
            ok &= o >= 0 && same_quant(xd, tensor(o)) && tensor(o).shape.size() == 4;
            if (!ok) break;
            outs.push_back(o);
            st.push_back(s);
            s += tensor(o).shape[1];
          }
          ok &= s == C;
        } else {
          ok = false;
        }
      }
      if (ok) {
        op.outputs.assign(outs.begin(), outs.end());
        starts = st;
        absorbed.insert(absorbed.end(), readers.begin(), readers.end());
      }
    }
    op.attrs.set("channel_starts", starts);
    std::sort(absorbed.begin(), absorbed.end());
    absorbed.erase(std::unique(absorbed.begin(), absorbed.end()), absorbed.end());
    for (int a : absorbed)
      for (const auto& n : p.ops[static_cast<size_t>(a)].source_nodes) op.source_nodes.push_back(n);
    removed.insert(absorbed.begin(), absorbed.end());
    placed[absorbed.front()] = std::move(op);
  }
  // A Slice / Split on C alone (no shuffle) whose input an NHWC op writes: a ChannelShuffle
  // of group 1, so it reads the NHWC bytes where they are instead of behind a Reorder.
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const format::Op& o = p.ops[i];
    if (removed.count(static_cast<int>(i)) || !acc(static_cast<int>(i)) || o.inputs.empty() || o.inputs[0] < 0) continue;
    const int x = o.inputs[0];
    const int pr = u.producer[static_cast<size_t>(x)];
    if (!is_4d_activation(tensor(x)) || pr < 0 || !is_nhwc_op(p.ops[static_cast<size_t>(pr)].type)) continue;
    std::vector<int64_t> starts;
    bool ok = true;
    if (auto range = channel_slice(p, o)) {
      starts = {range->first};
    } else if (o.type == "Split" && (o.attrs.get_int("axis", 0) == 1 || o.attrs.get_int("axis", 0) == -3)) {
      int64_t c = 0;
      for (int t : o.outputs) {
        ok &= t >= 0 && tensor(t).shape.size() == 4;
        if (!ok) break;
        starts.push_back(c);
        c += tensor(t).shape[1];
      }
      ok &= c == tensor(x).shape[1];
    } else {
      continue;
    }
    for (int t : o.outputs) ok &= t >= 0 && same_quant(tensor(x), tensor(t));
    if (!ok) continue;
    format::Op op;
    op.name = o.name;
    op.type = "ChannelShuffle";
    op.inputs = {x};
    op.outputs = o.outputs;
    op.attrs.set("group", int64_t{1});
    op.attrs.set("channel_starts", starts);
    op.source_nodes = o.source_nodes;
    removed.insert(static_cast<int>(i));
    placed[static_cast<int>(i)] = std::move(op);
  }
  if (placed.empty()) return;
  std::vector<format::Op> ops;
  std::vector<format::Placement> placement;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    if (auto it = placed.find(static_cast<int>(i)); it != placed.end()) {
      ops.push_back(std::move(it->second));
      placement.push_back(format::Placement::kAccelerator);
    }
    if (removed.count(static_cast<int>(i))) continue;
    ops.push_back(std::move(p.ops[i]));
    placement.push_back(d.placement[i]);
  }
  p.ops = std::move(ops);
  d.placement = std::move(placement);
  remove_unused_tensors(p);
}

}  // namespace

Status assign_layouts(Draft& d, int optimize_level) {
  if (optimize_level < 1) return {};
  fuse_channel_shuffles(d);
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
