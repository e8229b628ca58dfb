// Helpers for the recognition and fusion pass tests: run a pass on text IR with the
// checks of pass_testing.h and return the graph, count ops, find a node by op type.
#pragma once

#include "pass_testing.h"

namespace edgeq::passes::testing {

// Parses `before`, runs `pass`, checks validity and numerics (tolerance 1e-5 of max|y|).
inline ir::Graph apply_pass(PassFn pass, const std::string& before, double tol = 1e-5) {
  ir::Graph g = parse(before);
  ir::Graph original = g;
  Status s = pass(g, PassContext{});
  EXPECT_TRUE(s.ok()) << s.to_string();
  Status v = ir::verify(g);
  EXPECT_TRUE(v.ok()) << v.to_string() << "\n" << ir::to_text(g);
  if (v.ok()) expect_same_outputs(original, g, tol);
  return g;
}

inline int count_op(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const ir::Node& node : g.nodes) n += node.op_type == op;
  return n;
}

inline const ir::Node* find_op(const ir::Graph& g, const std::string& op) {
  for (const ir::Node& node : g.nodes)
    if (node.op_type == op) return &node;
  return nullptr;
}

}  // namespace edgeq::passes::testing
