// The arena plan: every non-constant tensor gets a 64-byte aligned offset in one block of
// activation memory per instance.
//
// O0, O1: each tensor its own range (the arena is the sum of the tensor sizes).
// O2+: the model's inputs and outputs live for the whole frame and come first; then, in op
// order, each op's outputs take the best-fitting free gap (the smallest that holds them,
// else the end), and the tensors whose last reader is this op are freed after it. A
// Reshape/Flatten/Squeeze/Unsqueeze whose plain (or 1x1 NHWC) input dies there writes nothing: its
// output is the input's bytes (attr alias = 1; the runtime skips the op). A QConv with a
// folded residual add writes over its residual when the residual dies there (same offset;
// the runtime then accumulates in place).
#include <algorithm>
#include <set>

#include "compiler/draft.h"

namespace edgeq::compiler {

namespace {

struct Block {
  int64_t offset = 0;
  int64_t size = 0;
};

// Bytes a tensor takes in the arena: its size rounded up to the alignment (at least one
// unit, so no two live tensors share an offset).
int64_t slot_bytes(const format::TensorDesc& t) { return std::max(align_up(t.nbytes()), kArenaAlignment); }

// Plain, or 4-D NHWC with H = W = 1 (the same bytes).
bool reads_as_plain(const format::TensorDesc& t) {
  return t.layout == format::Layout::kPlain || (t.shape.size() == 4 && t.shape[2] == 1 && t.shape[3] == 1);
}

class Arena {
 public:
  int64_t allocate(int64_t size) {
    int64_t best = -1, best_gap = 0, cursor = 0;
    for (const auto& [offset, b] : live_) {
      const int64_t gap = offset - cursor;
      if (gap >= size && (best < 0 || gap < best_gap)) best = cursor, best_gap = gap;
      cursor = std::max(cursor, offset + b.size);
    }
    if (best < 0) best = cursor;
    live_.emplace(best, Block{best, size});
    high_ = std::max(high_, best + size);
    return best;
  }
  void release(int64_t offset) { live_.erase(offset); }
  int64_t high_water() const { return high_; }

 private:
  std::multimap<int64_t, Block> live_;
  int64_t high_ = 0;
};

}  // namespace

Status plan_memory(format::Program& p, int optimize_level) {
  const int n = static_cast<int>(p.ops.size());
  const size_t count = p.tensors.size();
  std::vector<int> first(count, n + 1), last(count, -2);
  std::vector<bool> whole_frame(count, false);
  for (int i = 0; i < n; ++i) {
    for (int t : p.ops[static_cast<size_t>(i)].outputs)
      if (t >= 0) first[static_cast<size_t>(t)] = std::min(first[static_cast<size_t>(t)], i), last[static_cast<size_t>(t)] = std::max(last[static_cast<size_t>(t)], i);
    for (int t : p.ops[static_cast<size_t>(i)].inputs)
      if (t >= 0) last[static_cast<size_t>(t)] = std::max(last[static_cast<size_t>(t)], i);
  }
  for (const auto& io : p.inputs) whole_frame[static_cast<size_t>(io.tensor)] = true;
  for (const auto& io : p.outputs) whole_frame[static_cast<size_t>(io.tensor)] = true;

  int64_t no_reuse = 0;
  for (auto& t : p.tensors) {
    t.arena_offset = -1;
    if (t.is_constant) continue;
    no_reuse += slot_bytes(t);
  }
  for (auto& op : p.ops) op.attrs.erase("alias");
  p.metadata["arena_no_reuse_bytes"] = std::to_string(no_reuse);

  if (optimize_level < 2) {
    int64_t cursor = 0;
    for (auto& t : p.tensors) {
      if (t.is_constant) continue;
      t.arena_offset = cursor;
      cursor += slot_bytes(t);
    }
    p.arena_bytes = cursor;
    return {};
  }

  Arena arena;
  for (size_t t = 0; t < count; ++t)
    if (whole_frame[t] && !p.tensors[t].is_constant)
      p.tensors[t].arena_offset = arena.allocate(slot_bytes(p.tensors[t]));
  // Who owns each live block: a tensor aliased by a reshape hands its block on.
  std::vector<int> block_end(count, -2);
  for (size_t t = 0; t < count; ++t) block_end[t] = last[t];
  for (int i = 0; i < n; ++i) {
    format::Op& op = p.ops[static_cast<size_t>(i)];
    std::set<int> handed_on;
    for (int t : op.outputs) {
      if (t < 0 || whole_frame[static_cast<size_t>(t)]) continue;
      format::TensorDesc& out = p.tensors[static_cast<size_t>(t)];
      if (out.arena_offset >= 0) continue;
      if (is_reshape_like(op.type) && !op.inputs.empty() && op.inputs[0] >= 0) {
        const int x = op.inputs[0];
        const format::TensorDesc& in = p.tensors[static_cast<size_t>(x)];
        if (!in.is_constant && !whole_frame[static_cast<size_t>(x)] && last[static_cast<size_t>(x)] == i &&
            reads_as_plain(in) && reads_as_plain(out) && in.nbytes() == out.nbytes() &&
            std::count(op.inputs.begin(), op.inputs.end(), x) == 1) {
          out.arena_offset = in.arena_offset;
          handed_on.insert(x);
          op.attrs.set("alias", int64_t{1});
          continue;
        }
      }
      // A QConv with a folded residual add (compiler/fuse.cc) accumulates onto the
      // residual: the output takes the residual's bytes when the residual dies here.
      if (op.type == "QConv" && op.inputs.size() > 3 && op.inputs[3] >= 0) {
        const int r = op.inputs[3];
        const format::TensorDesc& in = p.tensors[static_cast<size_t>(r)];
        if (!in.is_constant && !whole_frame[static_cast<size_t>(r)] && last[static_cast<size_t>(r)] == i &&
            in.layout == out.layout && in.shape == out.shape && in.dtype == out.dtype &&
            std::count(op.inputs.begin(), op.inputs.end(), r) == 1) {
          out.arena_offset = in.arena_offset;
          handed_on.insert(r);
          continue;
        }
      }
      out.arena_offset = arena.allocate(slot_bytes(out));
    }
    std::set<int> freed;
    auto maybe_free = [&](int t) {
      if (t < 0 || whole_frame[static_cast<size_t>(t)] || p.tensors[static_cast<size_t>(t)].is_constant) return;
      if (last[static_cast<size_t>(t)] != i || handed_on.count(t) || !freed.insert(t).second) return;
      arena.release(p.tensors[static_cast<size_t>(t)].arena_offset);
    };
    for (int t : op.inputs) maybe_free(t);
    for (int t : op.outputs) maybe_free(t);
  }
  for (const auto& t : p.tensors)
    if (!t.is_constant && t.arena_offset < 0)
      return internal_error("tensor '" + t.name + "' got no place in the arena (nothing writes or reads it)");
  p.arena_bytes = align_up(arena.high_water());
  return {};
}

}  // namespace edgeq::compiler
