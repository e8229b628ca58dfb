// Folds an inference BatchNormalization into the Conv, FusedConv (no activation, no
// residual) or Gemm that feeds it:
//   BN(y) = s * y + (beta - mean * s),  s = gamma / sqrt(var + eps)   per output channel,
// so the weights of output channel c scale by s[c] and the bias becomes
// (b[c] - mean[c]) * s[c] + beta[c] (a zero bias is created when absent). Needs constant
// f32 weights/parameters and the producer's output read by the BatchNormalization alone.
#include <cmath>

#include "passes/pass.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

struct BnScale {
  std::vector<float> scale;  // s
  std::vector<float> shift;  // beta - mean * s
};

const Tensor* f32_constant(const ir::Graph& g, const std::string& name) {
  const Tensor* t = name.empty() ? nullptr : constant_value(g, name);
  return t && t->dtype() == DType::kFloat32 ? t : nullptr;
}

// The BN's per-channel scale and shift, or nullopt if it is not a foldable inference BN.
std::optional<BnScale> bn_scale(const ir::Graph& g, const GraphIndex& index, const ir::Node& bn) {
  if (bn.inputs.size() < 5 || bn.attrs.get_int("training_mode", 0) != 0) return std::nullopt;
  for (size_t k = 1; k < bn.outputs.size(); ++k)  // running mean/var outputs (training)
    if (!bn.outputs[k].empty() && !index.is_unused(bn.outputs[k])) return std::nullopt;
  const Tensor* gamma = f32_constant(g, bn.input(1));
  const Tensor* beta = f32_constant(g, bn.input(2));
  const Tensor* mean = f32_constant(g, bn.input(3));
  const Tensor* var = f32_constant(g, bn.input(4));
  if (!gamma || !beta || !mean || !var) return std::nullopt;
  const int64_t c = gamma->numel();
  if (gamma->rank() != 1 || beta->numel() != c || mean->numel() != c || var->numel() != c) return std::nullopt;
  const double eps = bn.attrs.get_float("epsilon", 1e-5f);
  BnScale r;
  for (int64_t i = 0; i < c; ++i) {
    double s = gamma->data<float>()[i] / std::sqrt(static_cast<double>(var->data<float>()[i]) + eps);
    r.scale.push_back(static_cast<float>(s));
    r.shift.push_back(static_cast<float>(beta->data<float>()[i] - mean->data<float>()[i] * s));
  }
  return r;
}

// Stores `t` as input `slot` of node `node`: in place when only this node reads the old
// initializer, else under a fresh name (a shared weight must not change for other readers).
void store_constant(ir::Graph& g, GraphIndex& index, NameGenerator& names, int node, size_t slot,
                    std::string_view base, Tensor t) {
  const std::string old = g.nodes[static_cast<size_t>(node)].input(slot);
  if (!old.empty() && g.is_initializer(old) && index.use_count(old) == 1) {
    g.add_initializer(old, std::move(t));
    return;
  }
  std::string name = add_initializer(g, names, base, std::move(t));
  set_input(g, index, node, slot, name);
}

// Conv / FusedConv: W is [M, C/group, k...], B is [M].
bool fold_into_conv(ir::Graph& g, GraphIndex& index, NameGenerator& names, int ci, const BnScale& bn) {
  const ir::Node& conv = g.nodes[static_cast<size_t>(ci)];
  const Tensor* w = f32_constant(g, conv.input(1));
  const Tensor* b = conv.has_input(2) ? f32_constant(g, conv.input(2)) : nullptr;
  const int64_t m = static_cast<int64_t>(bn.scale.size());
  if (!w || w->rank() < 1 || w->dim(0) != m || (conv.has_input(2) && (!b || b->numel() != m))) return false;
  Tensor nw = w->clone();
  const int64_t per = m ? nw.numel() / m : 0;
  for (int64_t o = 0; o < m; ++o)
    for (int64_t k = 0; k < per; ++k) nw.data<float>()[o * per + k] *= bn.scale[static_cast<size_t>(o)];
  Tensor nb(DType::kFloat32, {m});
  for (int64_t o = 0; o < m; ++o)
    nb.data<float>()[o] = (b ? b->data<float>()[o] : 0.0f) * bn.scale[static_cast<size_t>(o)] +
                          bn.shift[static_cast<size_t>(o)];
  const std::string base = conv.name.empty() ? std::string("conv") : conv.name;
  store_constant(g, index, names, ci, 1, base + "_weight_bn", std::move(nw));
  store_constant(g, index, names, ci, 2, base + "_bias_bn", std::move(nb));
  return true;
}

// Gemm: Y = alpha * A' B' + beta * C with output channels the N columns of Y. B' columns
// scale by s; C becomes s * beta * C + shift (shape [N], or [M,N] when C was full) and beta 1.
bool fold_into_gemm(ir::Graph& g, GraphIndex& index, NameGenerator& names, int gi, const BnScale& bn) {
  ir::Node& gemm = g.nodes[static_cast<size_t>(gi)];
  const Tensor* w = f32_constant(g, gemm.input(1));
  const Tensor* c = gemm.has_input(2) ? f32_constant(g, gemm.input(2)) : nullptr;
  const int64_t n = static_cast<int64_t>(bn.scale.size());
  const bool trans_b = gemm.attrs.get_int("transB", 0) != 0;
  if (!w || w->rank() != 2 || w->dim(trans_b ? 0 : 1) != n) return false;
  if (gemm.has_input(2) && !c) return false;
  int64_t rows = 1;  // C's rows: 1 when it broadcasts over M
  if (c) {
    const Dims& cs = c->shape();
    const int64_t last = cs.empty() ? 1 : cs.back();
    if (cs.size() > 2 || (last != 1 && last != n)) return false;
    rows = cs.size() == 2 ? cs[0] : 1;
  }
  Tensor nw = w->clone();
  const int64_t k = nw.numel() / std::max<int64_t>(n, 1);
  for (int64_t o = 0; o < n; ++o)
    for (int64_t j = 0; j < k; ++j) {
      const int64_t idx = trans_b ? o * k + j : j * n + o;
      nw.data<float>()[idx] *= bn.scale[static_cast<size_t>(o)];
    }
  const float beta = gemm.attrs.get_float("beta", 1.0f);
  // C element (r, o) under broadcasting: C is a scalar, [N], [1|M, N] or [1|M, 1].
  const int64_t c_cols = c && !c->shape().empty() ? c->shape().back() : 1;
  auto c_at = [&](int64_t r, int64_t o) {
    if (!c) return 0.0f;
    if (c->numel() == 1) return c->data<float>()[0];
    return c->data<float>()[r * c_cols + (c_cols == 1 ? 0 : o)];
  };
  Tensor nc(DType::kFloat32, rows > 1 ? Dims{rows, n} : Dims{n});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < n; ++o) {
      const size_t ch = static_cast<size_t>(o);
      nc.data<float>()[r * n + o] = beta * c_at(r, o) * bn.scale[ch] + bn.shift[ch];
    }
  gemm.attrs.set("beta", 1.0f);
  const std::string base = gemm.name.empty() ? std::string("gemm") : gemm.name;
  store_constant(g, index, names, gi, 1, base + "_weight_bn", std::move(nw));
  store_constant(g, index, names, gi, 2, base + "_bias_bn", std::move(nc));
  return true;
}

}  // namespace

Status fold_batch_norm(ir::Graph& graph, const PassContext& ctx) {
  GraphIndex index(graph);
  NameGenerator names(graph);
  std::vector<bool> dead(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& bn = graph.nodes[i];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || !bn.has_input(0)) continue;
    const std::string x = bn.input(0);
    const int p = index.producer(x);
    if (p < 0 || !index.has_single_consumer(x) || graph.nodes[static_cast<size_t>(p)].outputs.size() != 1)
      continue;
    const ir::Node& prod = graph.nodes[static_cast<size_t>(p)];
    const bool conv = (prod.op_type == "Conv" && prod.domain.empty()) ||
                      (prod.op_type == "FusedConv" && prod.domain == "edgeq" &&
                       prod.attrs.get_string("activation").empty() && !prod.has_input(3));
    const bool gemm = prod.op_type == "Gemm" && prod.domain.empty();
    if (!conv && !gemm) continue;
    std::optional<BnScale> s = bn_scale(graph, index, bn);
    if (!s) continue;
    bool ok = conv ? fold_into_conv(graph, index, names, p, *s) : fold_into_gemm(graph, index, names, p, *s);
    if (!ok) continue;
    // The producer now computes the BN's output: it takes over the BN's output name.
    const std::string y = graph.nodes[i].outputs[0];
    mark_dead(graph, index, dead, static_cast<int>(i));
    graph.nodes[static_cast<size_t>(p)].outputs[0] = y;
    index.set_producer(y, p);
    index.set_producer(x, -1);
    graph.values.erase(x);
  }
  erase_nodes(graph, dead);
  remove_unused_initializers(graph);  // the BN parameters and replaced weights
  return {};
}

}  // namespace edgeq::passes
