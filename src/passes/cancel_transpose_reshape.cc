// Layout no-ops and pairs: a Transpose with the identity perm goes; Transpose→Transpose
// becomes one Transpose with the composed perm (or nothing, when that is the identity);
// a Reshape/Flatten/Squeeze/Unsqueeze after another of these reads the first one's input
// instead (they never reorder elements), as a Reshape to its static output shape; and any
// of them whose static output shape equals its input's goes.
#include <numeric>

#include "passes/pass.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {
namespace {

bool is_reshape_like(const ir::Node& n) {
  return n.domain.empty() && (n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" ||
                              n.op_type == "Unsqueeze");
}

bool is_transpose(const ir::Node& n) { return n.domain.empty() && n.op_type == "Transpose"; }

// The node's perm (default: reversed dims, which needs the input's rank); nullopt if unknown.
std::optional<std::vector<int64_t>> perm_of(const ir::Graph& g, const ir::Node& n) {
  if (n.attrs.has("perm")) return n.attrs.get_ints("perm");
  const ir::ValueInfo* info = g.value_info(n.input(0));
  if (!info || !info->shape) return std::nullopt;
  std::vector<int64_t> p(info->shape->size());
  std::iota(p.rbegin(), p.rend(), 0);
  return p;
}

bool is_identity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

class Rewriter {
 public:
  explicit Rewriter(ir::Graph& g) : g_(g), index_(g), names_(g), dead_(g.nodes.size()) {}

  void run() {
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const ir::Node& n = g_.nodes[i];
      if (!n.has_input(0) || n.outputs.size() != 1) continue;
      if (is_transpose(n)) transpose(static_cast<int>(i));
      else if (is_reshape_like(n)) reshape(static_cast<int>(i));
    }
    erase_nodes(g_, dead_);
    remove_unused_initializers(g_);
  }

 private:
  ir::Node& node(int i) { return g_.nodes[static_cast<size_t>(i)]; }

  // Removes node i (output == input), unless graph input/output names forbid it.
  void bypass(int i) {
    if (replace_value(g_, index_, node(i).outputs[0], node(i).inputs[0])) mark_dead(g_, index_, dead_, i);
  }

  // Node i now reads `value` instead of producer p's output; p goes if nothing else reads it.
  void read_through(int i, int p, const std::string& value) {
    set_input(g_, index_, i, 0, value);
    if (index_.is_unused(node(p).outputs[0])) mark_dead(g_, index_, dead_, p);
  }

  void transpose(int i) {
    std::optional<std::vector<int64_t>> perm = perm_of(g_, node(i));
    if (!perm) return;
    if (is_identity(*perm)) {
      bypass(i);
      return;
    }
    const int p = index_.producer(node(i).inputs[0]);
    if (p >= 0 && is_transpose(node(p)) && node(p).has_input(0)) {
      std::optional<std::vector<int64_t>> first = perm_of(g_, node(p));
      if (first && first->size() == perm->size()) {
        std::vector<int64_t> composed(perm->size());
        for (size_t k = 0; k < perm->size(); ++k) composed[k] = (*first)[static_cast<size_t>((*perm)[k])];
        node(i).attrs.set("perm", composed);
        perm = composed;
        read_through(i, p, node(p).inputs[0]);
      }
    }
    if (is_identity(*perm)) bypass(i);
  }

  // True if node i's static output shape equals its input's; then it goes.
  bool drop_if_no_op(int i, const std::optional<Dims>& out_shape) {
    std::optional<Dims> in_shape = static_shape(g_, node(i).inputs[0]);
    if (!in_shape || !out_shape || *in_shape != *out_shape) return false;
    bypass(i);
    return true;
  }

  void reshape(int i) {
    const std::string out = node(i).outputs[0];
    std::optional<Dims> out_shape = static_shape(g_, out);
    if (drop_if_no_op(i, out_shape)) return;
    const int p = index_.producer(node(i).inputs[0]);
    if (p >= 0 && is_reshape_like(node(p)) && node(p).has_input(0) && out_shape) {
      // Becomes Reshape(first input, static shape): the shape no longer depends on the
      // skipped node's output dims (a 0 in a Reshape shape copies one).
      ir::Node& n = node(i);
      const std::string source = node(p).inputs[0];
      for (size_t k = 1; k < n.inputs.size(); ++k) set_input(g_, index_, i, k, "");
      n.op_type = "Reshape";
      n.attrs = Attributes();
      n.inputs.resize(1);
      const std::string base = (n.name.empty() ? out : n.name) + "_shape";
      std::string shape = add_initializer(
          g_, names_, base, Tensor::from_vector<int64_t>({static_cast<int64_t>(out_shape->size())}, *out_shape));
      set_input(g_, index_, i, 1, shape);
      read_through(i, p, source);
    }
    drop_if_no_op(i, out_shape);
  }

  ir::Graph& g_;
  GraphIndex index_;
  NameGenerator names_;
  std::vector<bool> dead_;
};

}  // namespace

Status cancel_transpose_reshape(ir::Graph& graph, const PassContext& ctx) {
  Rewriter(graph).run();
  return {};
}

}  // namespace edgeq::passes
