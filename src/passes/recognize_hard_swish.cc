// Exporter spellings of HardSwish → one HardSwish node (ONNX op; the exporter expands it
// for opsets below 14):
//   Mul(x, HardSigmoid(x, alpha=1/6, beta=0.5))
//   Mul(x, Clip(x + 3, 0, 6)) / 6        (or * (1/6))
//   x * (Clip(x + 3, 0, 6) / 6)          (Relu6 spelling: Clip(0,6), then * 1/6 or / 6)
// with either operand order, constants as initializers, Clip bounds as attributes or inputs.
// Every intermediate must be read only by the next node of the pattern.
#include <cmath>

#include "passes/pass.h"
#include "passes/pattern_util.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

// True if node `n` is Div(v, 6) or Mul(v, 1/6) / Mul(1/6, v).
bool is_div_by_six(const ir::Graph& g, const ir::Node& n, const std::string& v) {
  if (n.op_type == "Div") return n.inputs.size() == 2 && n.inputs[0] == v && is_constant_near(g, n.inputs[1], 6.0);
  if (n.op_type == "Mul") return is_constant_near(g, other_operand(n, v), 1.0 / 6.0);
  return false;
}

// One matched pattern: the nodes to drop and the last node, which becomes HardSwish(x).
struct Match {
  std::string x;
  std::vector<int> inner;
  int last = -1;
};

// From the value h = HardSigmoid(x) (or Clip(x+3,0,6)/6): Mul(x, h) is the last node.
int mul_by_x(const ir::Graph& g, const GraphIndex& index, const std::string& h, const std::string& x) {
  const int m = single_consumer(g, index, h, "Mul");
  return m >= 0 && other_operand(g.nodes[static_cast<size_t>(m)], h) == x ? m : -1;
}

std::optional<Match> match_hard_sigmoid(const ir::Graph& g, const GraphIndex& index, int hs) {
  const ir::Node& n = g.nodes[static_cast<size_t>(hs)];
  if (std::abs(n.attrs.get_float("alpha", 0.2f) - 1.0f / 6.0f) > 1e-6f || n.attrs.get_float("beta", 0.5f) != 0.5f)
    return std::nullopt;
  Match m{n.input(0), {hs}, mul_by_x(g, index, n.outputs[0], n.input(0))};
  return m.last >= 0 ? std::optional<Match>(m) : std::nullopt;
}

std::optional<Match> match_clip(const ir::Graph& g, const GraphIndex& index, int c) {
  const ir::Node& clip = g.nodes[static_cast<size_t>(c)];
  std::optional<ClipBounds> b = clip_bounds(g, clip);
  if (!b || b->min != 0.0 || std::abs(b->max - 6.0) > 1e-6) return std::nullopt;
  const int add = producer_of(g, index, clip.input(0), "Add");
  if (add < 0 || !index.has_single_consumer(clip.input(0))) return std::nullopt;
  const ir::Node& add_node = g.nodes[static_cast<size_t>(add)];
  std::string x;
  for (const auto& in : add_node.inputs)
    if (add_node.inputs.size() == 2 && is_constant_near(g, in, 3.0)) x = other_operand(add_node, in);
  if (x.empty()) return std::nullopt;
  Match m{x, {add, c}, -1};
  const std::string t = clip.outputs[0];
  if (!index.has_single_consumer(t)) return std::nullopt;
  const int next = index.consumers(t)[0];
  const ir::Node& nn = g.nodes[static_cast<size_t>(next)];
  if (nn.op_type == "Mul" && other_operand(nn, t) == x) {  // (x * t) / 6
    if (!index.has_single_consumer(nn.outputs[0])) return std::nullopt;
    const int d = index.consumers(nn.outputs[0])[0];
    if (!is_div_by_six(g, g.nodes[static_cast<size_t>(d)], nn.outputs[0])) return std::nullopt;
    m.inner.push_back(next);
    m.last = d;
  } else if (is_div_by_six(g, nn, t)) {  // x * (t / 6)
    m.inner.push_back(next);
    m.last = mul_by_x(g, index, nn.outputs[0], x);
  }
  return m.last >= 0 ? std::optional<Match>(m) : std::nullopt;
}

}  // namespace

Status recognize_hard_swish(ir::Graph& graph, const PassContext&) {
  GraphIndex index(graph);
  std::vector<bool> dead(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& n = graph.nodes[i];
    if (dead[i] || !n.domain.empty()) continue;
    std::optional<Match> m;
    if (n.op_type == "HardSigmoid") m = match_hard_sigmoid(graph, index, static_cast<int>(i));
    else if (n.op_type == "Clip") m = match_clip(graph, index, static_cast<int>(i));
    if (!m) continue;
    bool clash = dead[static_cast<size_t>(m->last)];
    for (int k : m->inner) clash = clash || dead[static_cast<size_t>(k)];
    if (clash) continue;
    for (int k : m->inner) {
      for (const auto& o : graph.nodes[static_cast<size_t>(k)].outputs) graph.values.erase(o);
      mark_dead(graph, index, dead, k);
    }
    ir::Node& last = graph.nodes[static_cast<size_t>(m->last)];
    index.remove_node(graph, m->last);
    last.op_type = "HardSwish";
    last.inputs = {m->x};
    last.attrs = Attributes();
    index.add_node(graph, m->last);
  }
  erase_nodes(graph, dead);
  return {};
}

}  // namespace edgeq::passes
