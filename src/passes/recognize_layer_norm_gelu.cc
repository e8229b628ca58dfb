// Exporter spellings → single ops:
//   LayerNorm: m = ReduceMean(x); d = x - m; v = ReduceMean(Pow(d, 2)); y = d / Sqrt(v + eps)
//              * gamma [+ beta]   over the trailing axes of x → LayerNormalization(axis = -k)
//   GELU:      x * 0.5 * (1 + Erf(x / sqrt(2)))  in the orders exporters write it
//              ((x * (1+e)) * 0.5, x * ((1+e) * 0.5), (x * 0.5) * (1+e); x/sqrt2 or x*(1/sqrt2))
//              → Gelu (ONNX opset-20 op; the exporter expands it for older opsets).
// Every intermediate must be read only inside the pattern.
#include <cmath>

#include "passes/pass.h"
#include "passes/pattern_util.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

struct Match {
  std::vector<int> inner;  // nodes to drop
  int last = -1;           // becomes the fused node
};

// The reduced axes of a keepdims ReduceMean, as a count k of trailing axes of a rank-r
// input; 0 if they are not the trailing ones.
int64_t trailing_axes(const ir::Graph& g, const ir::Node& r, int64_t rank) {
  if (r.attrs.get_int("keepdims", 1) != 1) return 0;
  std::vector<int64_t> axes = r.attrs.get_ints("axes");
  if (r.has_input(1)) {
    const Tensor* t = constant_value(g, r.input(1));
    if (!t || t->dtype() != DType::kInt64) return 0;
    axes.assign(t->data<int64_t>(), t->data<int64_t>() + t->numel());
  }
  if (axes.empty()) return 0;
  std::vector<bool> seen(static_cast<size_t>(rank));
  for (int64_t a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank || seen[static_cast<size_t>(a)]) return 0;
    seen[static_cast<size_t>(a)] = true;
  }
  const int64_t k = static_cast<int64_t>(axes.size());
  for (int64_t a = rank - k; a < rank; ++a)
    if (!seen[static_cast<size_t>(a)]) return 0;
  return k;
}

// A constant that broadcasts like a LayerNormalization scale/bias over the trailing
// `normalized` dims, rewritten to exactly that shape (nullopt if it does not).
std::optional<Tensor> as_normalized_param(const ir::Graph& g, const std::string& v, const Dims& normalized) {
  const Tensor* t = constant_value(g, v);
  if (!t || t->dtype() != DType::kFloat32) return std::nullopt;
  const Dims& ts = t->shape();
  const size_t k = normalized.size(), tail = std::min(ts.size(), k);
  for (size_t i = 0; i + tail < ts.size(); ++i)  // dims left of the normalized ones must be 1
    if (ts[i] != 1) return std::nullopt;
  Dims strides(k, 0);  // element strides of t read as `normalized` (0 on broadcast dims)
  int64_t stride = 1;
  for (size_t i = 0; i < tail; ++i) {
    const int64_t d = ts[ts.size() - 1 - i], want = normalized[k - 1 - i];
    if (d != want && d != 1) return std::nullopt;
    strides[k - 1 - i] = d == 1 ? 0 : stride;
    stride *= d;
  }
  Tensor out(DType::kFloat32, normalized);
  float* o = out.data<float>();
  const float* src = t->data<float>();
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t rem = i, off = 0;
    for (size_t d = k; d-- > 0;) {
      off += (rem % normalized[d]) * strides[d];
      rem /= normalized[d];
    }
    o[i] = src[off];
  }
  return out;
}

struct LayerNormMatch : Match {
  std::string x, gamma, beta;
  int64_t k = 0;
  float eps = 0;
};

std::optional<LayerNormMatch> match_layer_norm(const ir::Graph& g, const GraphIndex& index, int m1) {
  const ir::Node& mean = g.nodes[static_cast<size_t>(m1)];
  LayerNormMatch m;
  m.x = mean.input(0);
  const std::optional<Dims> xs = static_shape(g, m.x);
  if (!xs || xs->empty()) return std::nullopt;
  m.k = trailing_axes(g, mean, static_cast<int64_t>(xs->size()));
  if (m.k == 0) return std::nullopt;
  const int sub = single_consumer(g, index, mean.outputs[0], "Sub");
  if (sub < 0 || g.nodes[static_cast<size_t>(sub)].inputs != std::vector<std::string>{m.x, mean.outputs[0]})
    return std::nullopt;
  const std::string d = g.nodes[static_cast<size_t>(sub)].outputs[0];
  if (index.is_graph_output(d) || index.consumers(d).size() != 2) return std::nullopt;
  int pow = -1, div = -1;
  for (int c : index.consumers(d)) {
    const ir::Node& n = g.nodes[static_cast<size_t>(c)];
    if (n.op_type == "Pow" && n.inputs.size() == 2 && n.inputs[0] == d && is_constant_near(g, n.inputs[1], 2.0)) pow = c;
    if (n.op_type == "Div" && n.inputs.size() == 2 && n.inputs[0] == d) div = c;
  }
  if (pow < 0 || div < 0) return std::nullopt;
  const int m2 = single_consumer(g, index, g.nodes[static_cast<size_t>(pow)].outputs[0], "ReduceMean");
  if (m2 < 0 || trailing_axes(g, g.nodes[static_cast<size_t>(m2)], static_cast<int64_t>(xs->size())) != m.k)
    return std::nullopt;
  const int add = single_consumer(g, index, g.nodes[static_cast<size_t>(m2)].outputs[0], "Add");
  if (add < 0) return std::nullopt;
  const std::string eps = other_operand(g.nodes[static_cast<size_t>(add)], g.nodes[static_cast<size_t>(m2)].outputs[0]);
  std::optional<double> eps_value = eps.empty() ? std::nullopt : constant_scalar(g, eps);
  if (!eps_value) return std::nullopt;
  m.eps = static_cast<float>(*eps_value);
  const int sqrt = single_consumer(g, index, g.nodes[static_cast<size_t>(add)].outputs[0], "Sqrt");
  if (sqrt < 0 || g.nodes[static_cast<size_t>(div)].inputs[1] != g.nodes[static_cast<size_t>(sqrt)].outputs[0] ||
      !index.has_single_consumer(g.nodes[static_cast<size_t>(sqrt)].outputs[0]))
    return std::nullopt;
  const std::string q = g.nodes[static_cast<size_t>(div)].outputs[0];
  const int mul = single_consumer(g, index, q, "Mul");
  if (mul < 0) return std::nullopt;
  m.gamma = other_operand(g.nodes[static_cast<size_t>(mul)], q);
  if (m.gamma.empty() || !constant_value(g, m.gamma)) return std::nullopt;
  m.inner = {m1, sub, pow, m2, add, sqrt, div};
  m.last = mul;
  const std::string scaled = g.nodes[static_cast<size_t>(mul)].outputs[0];
  const int bias = single_consumer(g, index, scaled, "Add");
  if (bias >= 0) {
    const std::string b = other_operand(g.nodes[static_cast<size_t>(bias)], scaled);
    if (!b.empty() && constant_value(g, b)) {
      m.beta = b;
      m.inner.push_back(mul);
      m.last = bias;
    }
  }
  return m;
}

// The value x for a node computing x / sqrt(2) or x * (1/sqrt(2)); "" otherwise.
std::string gelu_input(const ir::Graph& g, const ir::Node& n) {
  if (n.op_type == "Div" && n.inputs.size() == 2 && is_constant_near(g, n.inputs[1], M_SQRT2)) return n.inputs[0];
  if (n.op_type == "Mul" && n.inputs.size() == 2) {
    if (is_constant_near(g, n.inputs[1], M_SQRT1_2)) return n.inputs[0];
    if (is_constant_near(g, n.inputs[0], M_SQRT1_2)) return n.inputs[1];
  }
  return {};
}

std::optional<Match> match_gelu(const ir::Graph& g, const GraphIndex& index, int erf, std::string* x_out) {
  const ir::Node& e = g.nodes[static_cast<size_t>(erf)];
  const int scale = index.producer(e.input(0));
  if (scale < 0 || !index.has_single_consumer(e.input(0))) return std::nullopt;
  const std::string x = gelu_input(g, g.nodes[static_cast<size_t>(scale)]);
  if (x.empty()) return std::nullopt;
  const int add = single_consumer(g, index, e.outputs[0], "Add");
  if (add < 0 || !is_constant_near(g, other_operand(g.nodes[static_cast<size_t>(add)], e.outputs[0]), 1.0))
    return std::nullopt;
  const std::string a = g.nodes[static_cast<size_t>(add)].outputs[0];
  const int m1 = single_consumer(g, index, a, "Mul");
  if (m1 < 0) return std::nullopt;
  Match m{{scale, erf, add, m1}, -1};
  const std::string other = other_operand(g.nodes[static_cast<size_t>(m1)], a);
  const std::string p = g.nodes[static_cast<size_t>(m1)].outputs[0];
  const int m2 = single_consumer(g, index, p, "Mul");
  const std::string m2_other = m2 >= 0 ? other_operand(g.nodes[static_cast<size_t>(m2)], p) : "";
  if (other == x && m2 >= 0 && is_constant_near(g, m2_other, 0.5)) {  // (x * (1+e)) * 0.5
    m.last = m2;
  } else if (is_constant_near(g, other, 0.5) && m2 >= 0 && m2_other == x) {  // x * ((1+e) * 0.5)
    m.last = m2;
  } else if (const int h = index.producer(other); h >= 0 && index.has_single_consumer(other)) {  // (x*0.5) * (1+e)
    const ir::Node& half = g.nodes[static_cast<size_t>(h)];
    if (half.op_type != "Mul" || !half.domain.empty() || !is_constant_near(g, other_operand(half, x), 0.5))
      return std::nullopt;
    m.inner = {scale, erf, add, h};
    m.last = m1;
  }
  if (m.last < 0) return std::nullopt;
  *x_out = x;
  return m;
}

bool any_dead(const std::vector<bool>& dead, const Match& m) {
  bool d = dead[static_cast<size_t>(m.last)];
  for (int k : m.inner) d = d || dead[static_cast<size_t>(k)];
  return d;
}

// Drops m.inner and turns m.last into `op`(inputs) with `attrs`, keeping its output name.
void replace(ir::Graph& g, GraphIndex& index, std::vector<bool>& dead, const Match& m, const std::string& op,
             std::vector<std::string> inputs, Attributes attrs) {
  for (int k : m.inner) {
    for (const auto& o : g.nodes[static_cast<size_t>(k)].outputs) g.values.erase(o);
    mark_dead(g, index, dead, k);
  }
  ir::Node& last = g.nodes[static_cast<size_t>(m.last)];
  index.remove_node(g, m.last);
  last.op_type = op;
  last.inputs = std::move(inputs);
  last.attrs = std::move(attrs);
  index.add_node(g, m.last);
}

}  // namespace

Status recognize_layer_norm_gelu(ir::Graph& graph, const PassContext&) {
  GraphIndex index(graph);
  NameGenerator names(graph);
  std::vector<bool> dead(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& n = graph.nodes[i];
    if (dead[i] || !n.domain.empty()) continue;
    if (n.op_type == "ReduceMean") {
      std::optional<LayerNormMatch> m = match_layer_norm(graph, index, static_cast<int>(i));
      if (!m || any_dead(dead, *m)) continue;
      const Dims xs = *static_shape(graph, m->x);
      const Dims normalized(xs.end() - m->k, xs.end());
      std::optional<Tensor> gamma = as_normalized_param(graph, m->gamma, normalized);
      std::optional<Tensor> beta = m->beta.empty() ? std::nullopt : as_normalized_param(graph, m->beta, normalized);
      if (!gamma || (!m->beta.empty() && !beta)) continue;
      const std::string base = n.name.empty() ? std::string("layer_norm") : n.name;
      std::vector<std::string> inputs{m->x, add_initializer(graph, names, base + "_scale", *gamma)};
      if (beta) inputs.push_back(add_initializer(graph, names, base + "_bias", *beta));
      Attributes attrs;
      attrs.set("axis", -m->k);
      attrs.set("epsilon", m->eps);
      replace(graph, index, dead, *m, "LayerNormalization", std::move(inputs), std::move(attrs));
    } else if (n.op_type == "Erf") {
      std::string x;
      std::optional<Match> m = match_gelu(graph, index, static_cast<int>(i), &x);
      if (!m || any_dead(dead, *m)) continue;
      replace(graph, index, dead, *m, "Gelu", {x}, Attributes());
    }
  }
  erase_nodes(graph, dead);
  return graph.topological_sort();
}

}  // namespace edgeq::passes
