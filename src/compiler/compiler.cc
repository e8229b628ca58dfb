// compile(): the pipeline, top to bottom. Each step is a function in its own file
// (draft.h lists them); docs/compiler.md describes what each optimization level does.
#include "compiler/compiler.h"

#include <cstdio>

#include "compiler/draft.h"
#include "format/bin.h"

namespace edgeq::compiler {

namespace {

// Node fates the report cannot recompute from the program (removed at head/tail, lowered
// in float), as JSON in the program's metadata.
constexpr const char* kNodeNotesKey = "compiler.node_notes";

void record_notes(Draft& d) {
  nlohmann::json notes = nlohmann::json::object();
  for (const auto& [node, fate] : d.fates)
    if (fate.what != "elided" && fate.what != "constant") notes[node] = {{"what", fate.what}, {"detail", fate.detail}};
  if (!notes.empty()) d.program.metadata[kNodeNotesKey] = notes.dump();
}

std::string bytes_text(int64_t b) {
  char buf[64];
  if (b >= (1 << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(b) / (1 << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  else std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
  return buf;
}

}  // namespace

StatusOr<format::Program> compile(const ir::Graph& quantized, const format::CompileOptions& options) {
  if (options.optimize_level < 0 || options.optimize_level > 3)
    return invalid_argument("optimize level " + std::to_string(options.optimize_level) + " is not one of 0, 1, 2, 3");
  if (options.core_num < 1) return invalid_argument("core number " + std::to_string(options.core_num) + " must be at least 1");
  Draft d;
  d.program.model_name = quantized.name;
  d.program.options = options;
  EDGEQ_RETURN_IF_ERROR(lower(quantized, d));
  if (options.fast_perf) cut_head_tail(d);
  remove_unused_tensors(d.program);
  EDGEQ_RETURN_IF_ERROR(assign_layouts(d, options.optimize_level));
  if (options.optimize_level >= 2) {
    fuse_conv_add(d);
    fold_lut_mul(d);
  }
  EDGEQ_RETURN_IF_ERROR(schedule(d));
  EDGEQ_RETURN_IF_ERROR(plan_memory(d.program, options.optimize_level));
  d.program.metadata["opset"] = std::to_string(quantized.opset());
  record_notes(d);
  if (Status s = format::validate(d.program); !s.ok())
    return internal_error("the compiled program is invalid: " + s.message());
  return std::move(d.program);
}

Summary summarize(const format::Program& p) {
  Summary s;
  s.segments = static_cast<int>(p.segments.size());
  for (const auto& seg : p.segments) {
    const bool acc = seg.placement == format::Placement::kAccelerator;
    (acc ? s.accelerator_segments : s.cpu_segments)++;
    (acc ? s.accelerator_ops : s.cpu_ops) += seg.num_ops;
  }
  for (const auto& op : p.ops) {
    s.reorders += op.type == "Reorder";
    s.aliased_ops += op.attrs.get_int("alias", 0) != 0;
  }
  s.arena_bytes = p.arena_bytes;
  if (auto it = p.metadata.find("arena_no_reuse_bytes"); it != p.metadata.end())
    s.arena_no_reuse_bytes = std::stoll(it->second);
  for (const auto& t : p.tensors)
    if (t.is_constant) s.constant_bytes += static_cast<int64_t>(t.data.size());
  for (const auto& io : p.inputs)
    for (const auto& r : io.removed_ops) s.removed_head.push_back(io.source_name + ": " + r);
  for (const auto& io : p.outputs)
    for (const auto& r : io.removed_ops) s.removed_tail.push_back(io.source_name + ": " + r);
  return s;
}

std::string summary_line(const Summary& s) {
  std::string line = std::to_string(s.segments) + " segments (" + std::to_string(s.accelerator_segments) +
                     " accelerator, " + std::to_string(s.cpu_segments) + " CPU), " + std::to_string(s.accelerator_ops) +
                     " accelerator ops (" + std::to_string(s.reorders) + " reorders), " + std::to_string(s.cpu_ops) +
                     " CPU ops, arena " + bytes_text(s.arena_bytes) + " (no reuse " + bytes_text(s.arena_no_reuse_bytes) +
                     "), constants " + bytes_text(s.constant_bytes);
  line += ", removed at head: ";
  if (s.removed_head.empty()) line += "none";
  for (size_t i = 0; i < s.removed_head.size(); ++i) line += (i ? ", " : "") + s.removed_head[i];
  line += ", at tail: ";
  if (s.removed_tail.empty()) line += "none";
  for (size_t i = 0; i < s.removed_tail.size(); ++i) line += (i ? ", " : "") + s.removed_tail[i];
  return line;
}

}  // namespace edgeq::compiler
