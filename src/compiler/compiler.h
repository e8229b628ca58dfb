// The compiler: the quantized QDQ graph (annotated with placement) → format::Program.
//
//   format::CompileOptions co;
//   co.optimize_level = 3; co.fast_perf = true; co.isa = kernels::host_isa();
//   EDGEQ_ASSIGN_OR_RETURN(format::Program p, compiler::compile(quantized_graph, co));
//   EDGEQ_RETURN_IF_ERROR(format::write_bin(p, path));
//
// Steps: lower DQ→op→Q groups to the int8 op vocabulary (format/program.h) and everything
// else to CPU float ops with Quantize/Dequantize at the boundaries; cut the graph into
// accelerator and CPU segments; in fast-perf remove the removable ops at the head and
// tail (QuantizeLinear/DequantizeLinear, Transpose, Cast, Reshape) so inputs and outputs
// are in the accelerator's dtype and layout; choose layouts (O1+: NHWC for int8 4-D
// activations, Reorder ops where needed); plan the arena (liveness, reuse); record the
// options.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "format/program.h"
#include "ir/graph.h"

namespace edgeq::compiler {

StatusOr<format::Program> compile(const ir::Graph& quantized, const format::CompileOptions& options);

// Figures of a compiled program, for the makertbin summary and the report.
struct Summary {
  int segments = 0;
  int accelerator_segments = 0;
  int cpu_segments = 0;
  int accelerator_ops = 0;
  int cpu_ops = 0;
  int reorders = 0;
  int aliased_ops = 0;             // reshapes that share their input's bytes (attr alias)
  int64_t arena_bytes = 0;
  int64_t arena_no_reuse_bytes = 0;  // every activation in its own range
  int64_t constant_bytes = 0;      // weights, biases, tables, shape operands
  std::vector<std::string> removed_head;  // "input: QuantizeLinear", in input order
  std::vector<std::string> removed_tail;
};
Summary summarize(const format::Program& program);
// One line: "3 segments (2 accelerator, 1 CPU), 60 accelerator ops, 1 CPU op, arena 1.2 MiB …".
std::string summary_line(const Summary& s);

// The partition report (<prefix>_subgraphs.html / .json): every node of the quantized
// graph with where it runs and why, the segments, the ops removed at head and tail.
nlohmann::json subgraphs_json(const ir::Graph& quantized, const format::Program& program);
std::string subgraphs_html(const nlohmann::json& report);

}  // namespace edgeq::compiler
