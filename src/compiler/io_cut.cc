// Fast-perf head/tail removal: the model's inputs become the u8 tensors their
// QuantizeLinear wrote and its outputs the u8 tensors their DequantizeLinear read, so the
// user feeds and reads the accelerator's own format. IoDesc::removed_ops says what the
// user now does (or skips) outside, in model order.
#include <algorithm>
#include <set>

#include "compiler/draft.h"

namespace edgeq::compiler {

namespace {

struct Uses {
  std::vector<int> producer;                // per tensor: op index or -1
  std::vector<std::vector<int>> consumers;  // per tensor: op indices
};

Uses uses_of(const format::Program& p) {
  Uses u;
  u.producer.assign(p.tensors.size(), -1);
  u.consumers.assign(p.tensors.size(), {});
  for (size_t i = 0; i < p.ops.size(); ++i) {
    for (int t : p.ops[i].outputs)
      if (t >= 0) u.producer[static_cast<size_t>(t)] = static_cast<int>(i);
    for (int t : p.ops[i].inputs)
      if (t >= 0) u.consumers[static_cast<size_t>(t)].push_back(static_cast<int>(i));
  }
  return u;
}

std::string onnx_name(const std::string& type) {
  if (type == "Quantize") return "QuantizeLinear";
  if (type == "Dequantize") return "DequantizeLinear";
  return type;
}

// A float CPU op that only moves or converts data, with constant operands besides input 0.
bool removable(const Draft& d, int op, const std::set<std::string>& types) {
  const format::Op& o = d.program.ops[static_cast<size_t>(op)];
  if (d.placement[static_cast<size_t>(op)] != format::Placement::kCpu || !types.count(o.type)) return false;
  if (o.outputs.size() != 1 || o.inputs.empty()) return false;
  for (size_t i = 1; i < o.inputs.size(); ++i)
    if (o.inputs[i] >= 0 && !d.program.tensors[static_cast<size_t>(o.inputs[i])].is_constant) return false;
  return true;
}

}  // namespace

void cut_head_tail(Draft& d) {
  format::Program& p = d.program;
  const Uses u = uses_of(p);
  std::set<int> io_tensors;
  for (const auto& io : p.inputs) io_tensors.insert(io.tensor);
  for (const auto& io : p.outputs) io_tensors.insert(io.tensor);
  std::set<int> removed;

  for (auto& in : p.inputs) {
    std::vector<int> chain;
    int cur = in.tensor;
    bool found = false;
    while (true) {
      const auto& cs = u.consumers[static_cast<size_t>(cur)];
      if (cs.size() != 1 || (cur != in.tensor && io_tensors.count(cur))) break;
      const int c = cs[0];
      const format::Op& op = p.ops[static_cast<size_t>(c)];
      if (op.inputs.empty() || op.inputs[0] != cur) break;
      if (op.type == "Quantize") {
        chain.push_back(c);
        cur = op.outputs[0];
        found = true;
        break;
      }
      if (!removable(d, c, {"Transpose", "Cast", "Reshape"})) break;
      chain.push_back(c);
      cur = op.outputs[0];
    }
    if (!found) continue;
    in.tensor = cur;
    for (int c : chain) {
      removed.insert(c);
      for (const auto& n : p.ops[static_cast<size_t>(c)].source_nodes)
        d.fates[n] = {"removed at head", "input " + in.source_name};
      in.removed_ops.push_back(onnx_name(p.ops[static_cast<size_t>(c)].type));
    }
  }

  for (auto& out : p.outputs) {
    std::vector<int> chain;
    int cur = out.tensor;
    bool found = false;
    if (!u.consumers[static_cast<size_t>(cur)].empty()) continue;
    while (true) {
      const int pr = u.producer[static_cast<size_t>(cur)];
      if (pr < 0 || removed.count(pr)) break;
      const format::Op& op = p.ops[static_cast<size_t>(pr)];
      if (op.type == "Dequantize") {
        chain.push_back(pr);
        cur = op.inputs[0];
        found = true;
        break;
      }
      if (!removable(d, pr, {"Reshape", "Flatten", "Transpose", "Cast"})) break;
      const int next = op.inputs[0];
      if (u.consumers[static_cast<size_t>(next)].size() != 1 || io_tensors.count(next)) break;
      chain.push_back(pr);
      cur = next;
    }
    if (!found) continue;
    out.tensor = cur;
    std::reverse(chain.begin(), chain.end());
    for (int c : chain) {
      removed.insert(c);
      for (const auto& n : p.ops[static_cast<size_t>(c)].source_nodes)
        d.fates[n] = {"removed at tail", "output " + out.source_name};
      out.removed_ops.push_back(onnx_name(p.ops[static_cast<size_t>(c)].type));
    }
  }

  if (removed.empty()) return;
  std::vector<format::Op> ops;
  std::vector<format::Placement> placement;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    if (removed.count(static_cast<int>(i))) continue;
    ops.push_back(std::move(p.ops[i]));
    placement.push_back(d.placement[i]);
  }
  p.ops = std::move(ops);
  d.placement = std::move(placement);
  remove_unused_tensors(d.program);
}

void remove_unused_tensors(format::Program& p) {
  std::vector<bool> used(p.tensors.size(), false);
  for (const auto& op : p.ops) {
    for (int t : op.inputs)
      if (t >= 0) used[static_cast<size_t>(t)] = true;
    for (int t : op.outputs)
      if (t >= 0) used[static_cast<size_t>(t)] = true;
  }
  for (const auto& io : p.inputs) used[static_cast<size_t>(io.tensor)] = true;
  for (const auto& io : p.outputs) used[static_cast<size_t>(io.tensor)] = true;
  std::vector<int> remap(p.tensors.size(), -1);
  std::vector<format::TensorDesc> kept;
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    if (!used[i]) continue;
    remap[i] = static_cast<int>(kept.size());
    kept.push_back(std::move(p.tensors[i]));
  }
  p.tensors = std::move(kept);
  auto fix = [&](int& t) {
    if (t >= 0) t = remap[static_cast<size_t>(t)];
  };
  for (auto& op : p.ops) {
    for (int& t : op.inputs) fix(t);
    for (int& t : op.outputs) fix(t);
  }
  for (auto& io : p.inputs) fix(io.tensor);
  for (auto& io : p.outputs) fix(io.tensor);
}

}  // namespace edgeq::compiler
