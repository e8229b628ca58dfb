// Internal to the compiler: the program under construction and the passes that shape it,
// in the order compile() runs them (compiler.cc):
//
//   Draft d;  lower(graph, d)  →  cut_head_tail(d)  →  assign_layouts(d, level)
//             →  fuse_conv_add(d), fold_lut_mul(d) (O2+)  →  schedule(d)  →  plan_memory(d.program, level)
//
// Until schedule() runs, Draft::program.ops are in dependency order and Draft::placement
// holds each op's placement; schedule() orders the ops, builds the segments and drops the
// parallel vector.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/program.h"
#include "ir/graph.h"

namespace edgeq::compiler {

// What became of one node of the quantized graph that is not an op of its own.
struct NodeFate {
  std::string what;   // "constant", "elided", "removed at head", "removed at tail", "lowered in float"
  std::string detail;
};

struct Draft {
  format::Program program;
  std::vector<format::Placement> placement;   // one per op until schedule()
  std::map<std::string, NodeFate> fates;      // node name → fate, for the report
};

Status lower(const ir::Graph& graph, Draft& draft);
// Fast-perf: removes Quantize (and float Transpose/Cast/Reshape before it) at the inputs
// and Dequantize (and float Reshape/Flatten/Transpose/Cast after it) at the outputs.
void cut_head_tail(Draft& draft);
// Drops tensors no op and no input/output refers to, renumbering the rest.
void remove_unused_tensors(format::Program& program);
// O1+: NHWC for 4-D u8 activations of accelerator ops, Reorder ops where a plain consumer
// needs NCHW. O0: everything plain.
Status assign_layouts(Draft& draft, int optimize_level);
// O2+: folds each QAdd whose one input is a QConv's output read by nothing else into that
// QConv (extra input `residual`, attrs conv_scale / conv_zero_point / residual_first; see
// docs/format.md). Returns the number of QAdds folded.
int fuse_conv_add(Draft& draft);
// O2+: folds each y = QMul(x, s) (or QMul(s, x)) with s = QLut(x) read by nothing else into
// one QLut on x whose table is kernels::int8::mul(x, table[x]) with the QMul's params
// (SiLU, hardswish). All three tensors per-tensor u8 of one shape and layout. Returns the
// number of QMuls folded.
int fold_lut_mul(Draft& draft);
// Topological order that keeps segments few; fills program.segments.
Status schedule(Draft& draft);
// Arena offsets (64-byte aligned); O2+: liveness-based reuse and aliasing of reshapes.
Status plan_memory(format::Program& program, int optimize_level);

// Helpers shared by the passes.
inline constexpr int64_t kArenaAlignment = 64;
inline int64_t align_up(int64_t v, int64_t a = kArenaAlignment) { return (v + a - 1) / a * a; }
// Ops that read and write 4-D activations in NHWC at O1+.
bool is_nhwc_op(const std::string& type);
// Data movement ops that may share their input's bytes at O2+.
bool is_reshape_like(const std::string& type);

}  // namespace edgeq::compiler
