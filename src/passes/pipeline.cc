#include <chrono>
#include <iostream>

#include "passes/pass.h"

// Declared weak so that a build missing a pass still links; missing_passes() names it and
// a test fails until it exists.
namespace edgeq::passes {
#define EDGEQ_WEAK_PASS(name) __attribute__((weak)) Status name(ir::Graph& graph, const PassContext& ctx);
EDGEQ_WEAK_PASS(eliminate_dead_code)
EDGEQ_WEAK_PASS(remove_identity)
EDGEQ_WEAK_PASS(fold_constants)
EDGEQ_WEAK_PASS(fold_batch_norm)
EDGEQ_WEAK_PASS(recognize_hard_swish)
EDGEQ_WEAK_PASS(recognize_layer_norm_gelu)
EDGEQ_WEAK_PASS(recognize_global_pool)
EDGEQ_WEAK_PASS(cancel_transpose_reshape)
EDGEQ_WEAK_PASS(fuse_conv_add)
EDGEQ_WEAK_PASS(fuse_conv_activation)
#undef EDGEQ_WEAK_PASS

namespace {

const Pass kPipeline[] = {
    {"remove_identity", &remove_identity, "drop Identity and inference Dropout"},
    {"fold_constants", &fold_constants, "evaluate nodes whose inputs are all constant"},
    {"eliminate_dead_code", &eliminate_dead_code, "drop nodes and initializers nothing uses"},
    {"cancel_transpose_reshape", &cancel_transpose_reshape, "remove transpose/reshape pairs that cancel"},
    {"fold_batch_norm", &fold_batch_norm, "fold BatchNormalization into the preceding Conv/Gemm"},
    {"recognize_hard_swish", &recognize_hard_swish, "exporter spellings of HardSwish → HardSwish"},
    {"recognize_layer_norm_gelu", &recognize_layer_norm_gelu, "LayerNorm and GELU spellings → single ops"},
    {"recognize_global_pool", &recognize_global_pool, "ReduceMean over H and W → GlobalAveragePool"},
    {"fuse_conv_add", &fuse_conv_add, "Conv + Add (+ Relu) residual → FusedConv"},
    {"fuse_conv_activation", &fuse_conv_activation, "Conv + activation → FusedConv"},
    {"eliminate_dead_code", &eliminate_dead_code, "drop what the rewrites left unused"},
};

bool wants(const std::vector<std::string>& names, std::string_view pass) {
  for (const auto& n : names)
    if (n == pass || n == "all") return true;
  return false;
}

}  // namespace

std::span<const Pass> optimization_pipeline() { return kPipeline; }

std::vector<std::string_view> missing_passes() {
  std::vector<std::string_view> missing;
  for (const Pass& p : kPipeline)
    if (!p.fn) missing.push_back(p.name);
  return missing;
}

Status run_pipeline(ir::Graph& graph, const PassContext& ctx) {
  auto known = [](std::string_view name) {
    for (const Pass& p : kPipeline)
      if (p.name == name) return true;
    return false;
  };
  for (const auto& d : ctx.disabled)
    if (!known(d)) return invalid_argument("there is no pass named '" + d + "'");
  for (const auto& d : ctx.dump_after)
    if (d != "all" && !known(d)) return invalid_argument("there is no pass named '" + d + "' (--dump-after)");
  std::ostream& out = ctx.dump ? *ctx.dump : std::cerr;
  for (const Pass& p : kPipeline) {
    if (!p.fn || ctx.disabled.count(p.name)) continue;
    auto t0 = std::chrono::steady_clock::now();
    Status s = p.fn(graph, ctx);
    if (!s.ok()) return Status(s.code(), "pass " + std::string(p.name) + ": " + s.message());
    if (ctx.verify) {
      Status v = ir::verify(graph);
      if (!v.ok()) return internal_error("pass " + std::string(p.name) + " left an invalid graph: " + v.message());
    }
    if (ctx.log) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      out << "pass " << p.name << ": " << graph.nodes.size() << " nodes, " << ms << " ms\n";
    }
    if (wants(ctx.dump_after, p.name)) out << "// after " << p.name << "\n" << ir::to_text(graph);
  }
  return {};
}

}  // namespace edgeq::passes
