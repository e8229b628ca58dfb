// Dead-code elimination: nodes whose outputs reach no graph output, initializers nothing
// reads, and the ValueInfo of values that no longer exist. Graph inputs stay (they are
// the model's interface) even when unused.
#include "passes/pass.h"
#include "passes/rewrite_util.h"

namespace edgeq::passes {

Status eliminate_dead_code(ir::Graph& graph, const PassContext& ctx) {
  remove_dead_nodes(graph);
  return {};
}

}  // namespace edgeq::passes
