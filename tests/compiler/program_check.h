// Checks of a compiled program the compiler tests share: structure (indices, defined
// before use, segments), the memory plan (aligned, inside the arena, no two tensors live
// at once share bytes unless a reshape aliases its dying input), and format::validate.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "format/bin.h"
#include "format/program.h"

#define EXPECT_VALID(p) EXPECT_TRUE(format::validate(p).ok()) << format::validate(p).to_string()

namespace edgeq::compiler::test {

inline int find_tensor(const format::Program& p, const std::string& name) {
  for (size_t i = 0; i < p.tensors.size(); ++i)
    if (p.tensors[i].name == name) return static_cast<int>(i);
  return -1;
}

inline std::vector<const format::Op*> ops_of_type(const format::Program& p, const std::string& type) {
  std::vector<const format::Op*> r;
  for (const auto& op : p.ops)
    if (op.type == type) r.push_back(&op);
  return r;
}

inline format::Placement placement_of_op(const format::Program& p, size_t op) {
  for (const auto& s : p.segments)
    if (static_cast<int>(op) >= s.first_op && static_cast<int>(op) < s.first_op + s.num_ops) return s.placement;
  ADD_FAILURE() << "op " << op << " is in no segment";
  return format::Placement::kCpu;
}

inline void check_structure(const format::Program& p) {
  const int nt = static_cast<int>(p.tensors.size());
  std::vector<bool> defined(p.tensors.size(), false);
  for (size_t t = 0; t < p.tensors.size(); ++t) {
    const auto& td = p.tensors[t];
    if (td.is_constant) {
      defined[t] = true;
      EXPECT_EQ(static_cast<int64_t>(td.data.size()), td.nbytes()) << td.name;
      EXPECT_EQ(td.arena_offset, -1) << td.name;
    }
    if (td.layout == format::Layout::kNHWC) {
      EXPECT_EQ(td.shape.size(), 4u) << td.name;
    }
    if (td.quant) {
      EXPECT_FALSE(td.quant->scale.empty()) << td.name;
      EXPECT_EQ(td.quant->scale.size(), td.quant->zero_point.size()) << td.name;
    }
  }
  for (const auto& io : p.inputs) {
    ASSERT_TRUE(io.tensor >= 0 && io.tensor < nt);
    defined[static_cast<size_t>(io.tensor)] = true;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const auto& op = p.ops[i];
    EXPECT_TRUE(names.insert(op.name).second) << "duplicate op name " << op.name;
    for (int t : op.inputs) {
      if (t < 0) continue;
      ASSERT_LT(t, nt) << op.name;
      EXPECT_TRUE(defined[static_cast<size_t>(t)]) << op.name << " reads " << p.tensors[static_cast<size_t>(t)].name
                                                   << " before it is written";
    }
    for (int t : op.outputs) {
      if (t < 0) continue;
      ASSERT_LT(t, nt) << op.name;
      EXPECT_FALSE(p.tensors[static_cast<size_t>(t)].is_constant) << op.name;
      EXPECT_FALSE(defined[static_cast<size_t>(t)]) << op.name << " writes " << p.tensors[static_cast<size_t>(t)].name
                                                    << " a second time";
      defined[static_cast<size_t>(t)] = true;
    }
  }
  for (const auto& io : p.outputs) {
    ASSERT_TRUE(io.tensor >= 0 && io.tensor < nt);
    EXPECT_TRUE(defined[static_cast<size_t>(io.tensor)]);
  }
  // Segments cover the ops in order, neighbours differ in placement.
  int next = 0;
  for (size_t s = 0; s < p.segments.size(); ++s) {
    EXPECT_EQ(p.segments[s].first_op, next);
    EXPECT_GT(p.segments[s].num_ops, 0);
    if (s > 0) {
      EXPECT_NE(p.segments[s].placement, p.segments[s - 1].placement);
    }
    next += p.segments[s].num_ops;
  }
  EXPECT_EQ(next, static_cast<int>(p.ops.size()));
}

// Live ranges [first op, last op]; the model's inputs and outputs live for the whole frame.
inline void check_memory_plan(const format::Program& p) {
  const int n = static_cast<int>(p.ops.size());
  const size_t nt = p.tensors.size();
  std::vector<int> first(nt, n), last(nt, -1);
  for (int i = 0; i < n; ++i) {
    for (int t : p.ops[static_cast<size_t>(i)].outputs)
      if (t >= 0) first[static_cast<size_t>(t)] = std::min(first[static_cast<size_t>(t)], i), last[static_cast<size_t>(t)] = std::max(last[static_cast<size_t>(t)], i);
    for (int t : p.ops[static_cast<size_t>(i)].inputs)
      if (t >= 0) last[static_cast<size_t>(t)] = std::max(last[static_cast<size_t>(t)], i);
  }
  for (const auto& io : p.inputs) first[static_cast<size_t>(io.tensor)] = -1, last[static_cast<size_t>(io.tensor)] = n;
  for (const auto& io : p.outputs) first[static_cast<size_t>(io.tensor)] = -1, last[static_cast<size_t>(io.tensor)] = n;
  // (input, output) pairs an aliasing reshape joins.
  std::set<std::pair<size_t, size_t>> aliases;
  for (const auto& op : p.ops)
    if (op.attrs.get_int("alias", 0)) aliases.insert({static_cast<size_t>(op.inputs[0]), static_cast<size_t>(op.outputs[0])});
  // A QConv with a folded residual add may write over its residual (input 3) when the
  // residual dies there (a residual read later stays an overlap).
  for (int i = 0; i < n; ++i) {
    const auto& op = p.ops[static_cast<size_t>(i)];
    if (op.type == "QConv" && op.inputs.size() > 3 && op.inputs[3] >= 0 && last[static_cast<size_t>(op.inputs[3])] == i)
      aliases.insert({static_cast<size_t>(op.inputs[3]), static_cast<size_t>(op.outputs[0])});
  }
  std::vector<size_t> live;
  for (size_t t = 0; t < nt; ++t) {
    const auto& td = p.tensors[t];
    if (td.is_constant) continue;
    live.push_back(t);
    EXPECT_GE(td.arena_offset, 0) << td.name;
    EXPECT_EQ(td.arena_offset % 64, 0) << td.name;
    EXPECT_LE(td.arena_offset + td.nbytes(), p.arena_bytes) << td.name;
  }
  // Aliased tensors share one block; follow the chain to compare blocks, not tensors.
  int overlaps = 0;
  for (size_t a = 0; a < live.size(); ++a)
    for (size_t b = a + 1; b < live.size(); ++b) {
      const size_t x = live[a], y = live[b];
      const auto& tx = p.tensors[x];
      const auto& ty = p.tensors[y];
      const bool time = first[x] <= last[y] && first[y] <= last[x];
      const bool bytes = tx.arena_offset < ty.arena_offset + std::max<int64_t>(ty.nbytes(), 1) &&
                         ty.arena_offset < tx.arena_offset + std::max<int64_t>(tx.nbytes(), 1);
      if (!time || !bytes) continue;
      if (aliases.count({x, y}) || aliases.count({y, x})) continue;
      if (++overlaps <= 5)
        ADD_FAILURE() << tx.name << " [" << first[x] << "," << last[x] << "] and " << ty.name << " [" << first[y] << ","
                      << last[y] << "] are live together and overlap in the arena";
    }
  EXPECT_EQ(overlaps, 0);
}

inline void check_program(const format::Program& p) {
  check_structure(p);
  check_memory_plan(p);
}

// `q` compiled at `level` (fast_perf: u8 in and out) and checked; empty (with a test
// failure) when the compiler refuses it.
inline format::Program compiled(const ir::Graph& q, int level, bool fast_perf) {
  format::CompileOptions o;
  o.optimize_level = level;
  o.fast_perf = fast_perf;
  auto p = compile(q, o);
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  if (!p.ok()) return {};
  check_program(*p);
  EXPECT_VALID(*p);
  return std::move(*p);
}

}  // namespace edgeq::compiler::test
