// Graph → graph rewrites. A pass is a plain function with a name; the pipeline
// (pipeline.cc) is the ordered list, read top to bottom.
//
//   passes::PassContext ctx;
//   ctx.dump_after = {"fuse_conv_activation"};   // print the graph after this pass
//   EDGEQ_RETURN_IF_ERROR(passes::run_pipeline(graph, ctx));
//
// Every pass keeps the graph numerically the same float model (within float rounding),
// keeps Graph::values up to date for the values it creates, and leaves it topologically
// sorted and valid (ir::verify); run_pipeline checks that after each pass when
// ctx.verify is set.
#pragma once

#include <iosfwd>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ir/graph.h"

namespace edgeq::passes {

struct PassContext {
  std::set<std::string, std::less<>> disabled;   // pass names to skip
  std::vector<std::string> dump_after;           // pass names (or "all") to print the graph after
  std::ostream* dump = nullptr;                  // where dumps go (default: stderr)
  bool verify = true;                            // ir::verify after every pass
  bool log = false;                              // print each pass's name, time and node count
};

using PassFn = Status (*)(ir::Graph& graph, const PassContext& ctx);

struct Pass {
  std::string_view name;
  PassFn fn;
  std::string_view summary;
};

// The optimization pipeline, in order.
std::span<const Pass> optimization_pipeline();
// Names of the passes whose implementation is missing from this build (must be empty).
std::vector<std::string_view> missing_passes();
// Runs the pipeline; fails naming the pass if one fails or leaves an invalid graph.
// Fails if ctx names a pass that does not exist (disabled or dump_after).
Status run_pipeline(ir::Graph& graph, const PassContext& ctx);

// The passes (each in its own file pair under src/passes/).
Status eliminate_dead_code(ir::Graph& graph, const PassContext& ctx);
Status remove_identity(ir::Graph& graph, const PassContext& ctx);          // Identity, Dropout (inference)
Status fold_constants(ir::Graph& graph, const PassContext& ctx);           // through the reference kernels
Status fold_batch_norm(ir::Graph& graph, const PassContext& ctx);          // into preceding Conv / Gemm
Status recognize_hard_swish(ir::Graph& graph, const PassContext& ctx);     // x*HardSigmoid(x), x*Clip(x+3,0,6)/6, ...
Status recognize_layer_norm_gelu(ir::Graph& graph, const PassContext& ctx);
Status recognize_global_pool(ir::Graph& graph, const PassContext& ctx);     // ReduceMean over H, W → GlobalAveragePool
Status cancel_transpose_reshape(ir::Graph& graph, const PassContext& ctx);
Status fuse_conv_add(ir::Graph& graph, const PassContext& ctx);            // Conv + Add (+ Relu) → FusedConv with Z
Status fuse_conv_activation(ir::Graph& graph, const PassContext& ctx);     // Conv + act → FusedConv

}  // namespace edgeq::passes
