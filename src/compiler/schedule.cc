// Op order and segments: a topological order that stays on one placement as long as any
// op of that placement is ready (fewer accelerator↔CPU switches), taking the ready ops of
// a placement in model order; then the segments are the runs of equal placement.
#include <functional>
#include <queue>

#include "compiler/draft.h"

namespace edgeq::compiler {

Status schedule(Draft& d) {
  format::Program& p = d.program;
  const size_t n = p.ops.size();
  std::vector<int> producer(p.tensors.size(), -1);
  for (size_t i = 0; i < n; ++i)
    for (int t : p.ops[i].outputs)
      if (t >= 0) producer[static_cast<size_t>(t)] = static_cast<int>(i);
  std::vector<std::vector<int>> successors(n);
  std::vector<int> pending(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (int t : p.ops[i].inputs) {
      if (t < 0 || producer[static_cast<size_t>(t)] < 0) continue;
      successors[static_cast<size_t>(producer[static_cast<size_t>(t)])].push_back(static_cast<int>(i));
      ++pending[i];
    }
  using MinHeap = std::priority_queue<int, std::vector<int>, std::greater<int>>;
  MinHeap ready[2];
  auto slot = [&](int i) { return d.placement[static_cast<size_t>(i)] == format::Placement::kAccelerator ? 0 : 1; };
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready[slot(static_cast<int>(i))].push(static_cast<int>(i));
  std::vector<int> order;
  order.reserve(n);
  int current = -1;
  while (order.size() < n) {
    if (current < 0 || ready[current].empty()) {
      if (ready[0].empty() && ready[1].empty()) return internal_error("the program's ops form a cycle");
      if (ready[0].empty()) current = 1;
      else if (ready[1].empty()) current = 0;
      else current = ready[0].top() < ready[1].top() ? 0 : 1;
    }
    const int op = ready[current].top();
    ready[current].pop();
    order.push_back(op);
    for (int s : successors[static_cast<size_t>(op)])
      if (--pending[static_cast<size_t>(s)] == 0) ready[slot(s)].push(s);
  }
  std::vector<format::Op> ops;
  std::vector<format::Placement> placement;
  ops.reserve(n);
  for (int i : order) {
    ops.push_back(std::move(p.ops[static_cast<size_t>(i)]));
    placement.push_back(d.placement[static_cast<size_t>(i)]);
  }
  p.ops = std::move(ops);
  d.placement = std::move(placement);
  p.segments.clear();
  for (size_t i = 0; i < n; ++i) {
    if (p.segments.empty() || p.segments.back().placement != d.placement[i])
      p.segments.push_back({d.placement[i], static_cast<int32_t>(i), 0});
    ++p.segments.back().num_ops;
  }
  return {};
}

}  // namespace edgeq::compiler
