#include "estimator/estimate.h"

#include <algorithm>
#include <numeric>

namespace edgeq::estimator {
namespace {

using format::Placement;

// Bandwidths one frame sees: `frames` frames run at once and share the DDR.
struct Bandwidth {
  double ddr = 0;
  double cache = 0;
};

Bandwidth bandwidth_for(const TargetProfile& p, int core_num, int frames) {
  double cores = static_cast<double>(core_num);
  Bandwidth b;
  b.ddr = std::min(p.core.memory_bandwidth_bytes_per_s * cores,
                   p.shared_memory_bandwidth_bytes_per_s / std::max(frames, 1));
  b.cache = p.core.cache_bandwidth_bytes_per_s * cores;
  return b;
}

double macs_per_output(const OpCounts& c) {
  return c.output_elements > 0 ? static_cast<double>(c.macs) / static_cast<double>(c.output_elements) : 0.0;
}

void cost_op(const TargetProfile& p, int core_num, const Bandwidth& bw, double cold_s, OpEstimate& e) {
  const OpCounts& c = e.counts;
  bool cpu = is_cpu_kind(c.kind);
  // Accelerator ops split each layer over the compiled cores; CPU ops run on one.
  double cores = cpu ? 1.0 : static_cast<double>(core_num);
  double scaling = cores > 1 ? p.multi_core_efficiency : 1.0;
  double peak = (cpu ? p.core.fp32_flops_per_s : p.core.int8_macs_per_s) * cores * scaling;
  double bytes = static_cast<double>(c.bytes());
  double macs_per_byte = bytes > 0 ? static_cast<double>(c.macs) / bytes : 0.0;
  if (c.macs == 0 && bytes > 0) macs_per_byte = c.work / bytes;
  e.efficiency = p.efficiency_for(c.kind, macs_per_byte, static_cast<double>(c.channels),
                                  static_cast<double>(c.output_elements), macs_per_output(c));
  e.compute_s = c.work / (peak * e.efficiency);
  e.from_ddr = bytes > p.core.l2_cache_bytes * cores;
  e.memory_s = bytes / (e.from_ddr ? bw.ddr : bw.cache);
  e.overhead_s = (cpu ? p.cpu_op_overhead_s : p.accelerator_op_overhead_s) + (c.in_place ? 0.0 : cold_s);
  e.time_s = std::max(e.compute_s, e.memory_s) + e.overhead_s;
  if (e.overhead_s > std::max(e.compute_s, e.memory_s)) e.bound = Bound::kOverhead;
  else e.bound = e.compute_s >= e.memory_s ? Bound::kCompute : Bound::kMemory;
}

// Σ op times + switch overheads + frame overhead, with `bw` and the frame's cache
// `footprint`; fills the per-op fields.
double frame_time(const TargetProfile& p, int core_num, const Bandwidth& bw, double footprint, Estimate& e) {
  double t = p.frame_overhead_s;
  const double cold_s = p.cold_op_overhead_at(footprint);
  for (OpEstimate& op : e.ops) {
    cost_op(p, core_num, bw, cold_s, op);
    t += op.time_s;
  }
  for (size_t s = 1; s < e.segments.size(); ++s)
    if (e.segments[s].placement != e.segments[s - 1].placement) t += p.segment_switch_overhead_s;
  return t;
}

}  // namespace

std::string_view bound_name(Bound b) {
  switch (b) {
    case Bound::kCompute: return "compute";
    case Bound::kMemory: return "memory";
    case Bound::kOverhead: return "overhead";
  }
  return "?";
}

std::string shape_string(const std::vector<int64_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

std::vector<int> Estimate::costliest(size_t n) const {
  std::vector<int> idx(ops.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return ops[a].time_s > ops[b].time_s; });
  if (idx.size() > n) idx.resize(n);
  return idx;
}

double frame_footprint_bytes(const format::Program& program) {
  double bytes = static_cast<double>(program.arena_bytes);
  for (const format::TensorDesc& t : program.tensors)
    if (t.is_constant) bytes += static_cast<double>(t.nbytes());
  for (size_t i = 0; i < program.ops.size(); ++i)
    if (!count_op(program, static_cast<int>(i), format::Placement::kAccelerator).in_place) bytes += kCodeBytesPerOp;
  return bytes;
}

StatusOr<Estimate> estimate(const format::Program& program, const TargetProfile& profile) {
  Estimate e;
  e.model_name = program.model_name;
  e.profile_name = profile.name;
  e.profile_source = profile.source;
  e.core_count = std::max(profile.core_count, 1);
  e.core_num = std::clamp(program.options.core_num, 1, e.core_count);
  e.frames_in_flight = std::max(e.core_count / e.core_num, 1);
  e.arena_bytes = program.arena_bytes;
  for (const format::TensorDesc& t : program.tensors)
    if (t.is_constant) e.weight_bytes += t.nbytes();

  // Segments must cover the ops, in order, without gaps.
  int next = 0;
  for (size_t s = 0; s < program.segments.size(); ++s) {
    const format::Segment& seg = program.segments[s];
    if (seg.first_op != next || seg.num_ops < 0 ||
        seg.first_op + seg.num_ops > static_cast<int>(program.ops.size()))
      return invalid_argument("segment " + std::to_string(s) + " does not continue at op " +
                              std::to_string(next) + " within the program's " +
                              std::to_string(program.ops.size()) + " ops.");
    SegmentEstimate se;
    se.index = static_cast<int>(s);
    se.placement = seg.placement;
    se.first_op = seg.first_op;
    se.num_ops = seg.num_ops;
    e.segments.push_back(se);
    for (int i = seg.first_op; i < seg.first_op + seg.num_ops; ++i) {
      OpEstimate op;
      op.index = i;
      op.name = program.ops[i].name;
      op.type = program.ops[i].type;
      op.segment = static_cast<int>(s);
      op.counts = count_op(program, i, seg.placement);
      for (int32_t id : program.ops[i].outputs)
        if (id >= 0 && id < static_cast<int32_t>(program.tensors.size()))
          op.output_shapes.push_back(program.tensors[id].shape);
      e.ops.push_back(std::move(op));
    }
    next = seg.first_op + seg.num_ops;
  }
  if (next != static_cast<int>(program.ops.size()))
    return invalid_argument("the segments cover " + std::to_string(next) + " of the program's " +
                            std::to_string(program.ops.size()) + " ops.");

  // All cores busy first (shared DDR split among the frames in flight), then one frame
  // alone: the per-op fields keep the single-frame numbers.
  // The frames in flight share the weights and the kernel code but each has its own arena.
  e.footprint_bytes = frame_footprint_bytes(program);
  const double busy_footprint =
      e.footprint_bytes + static_cast<double>(e.frames_in_flight - 1) * static_cast<double>(program.arena_bytes);
  e.busy_latency_s =
      frame_time(profile, e.core_num, bandwidth_for(profile, e.core_num, e.frames_in_flight), busy_footprint, e);
  e.latency_s = frame_time(profile, e.core_num, bandwidth_for(profile, e.core_num, 1), e.footprint_bytes, e);
  e.cold_op_overhead_s = profile.cold_op_overhead_at(e.footprint_bytes);
  e.fps = e.busy_latency_s > 0 ? e.frames_in_flight / e.busy_latency_s : 0;

  for (const OpEstimate& op : e.ops) {
    SegmentEstimate& seg = e.segments[op.segment];
    seg.time_s += op.time_s;
    seg.macs += op.counts.macs;
    e.total_macs += op.counts.macs;
    if (op.from_ddr) {
      seg.ddr_bytes += op.counts.bytes();
      e.ddr_bytes_per_frame += op.counts.bytes();
    }
    (is_cpu_kind(op.counts.kind) ? e.cpu_s : e.accelerator_s) += op.time_s;
  }
  for (size_t s = 1; s < e.segments.size(); ++s)
    if (e.segments[s].placement != e.segments[s - 1].placement)
      e.segments[s].time_s += profile.segment_switch_overhead_s;

  for (size_t i = 0; i < program.inputs.size(); ++i)
    for (const std::string& t : program.inputs[i].removed_ops)
      e.removed_ops.push_back({true, static_cast<int>(i), program.inputs[i].source_name, t});
  for (size_t i = 0; i < program.outputs.size(); ++i)
    for (const std::string& t : program.outputs[i].removed_ops)
      e.removed_ops.push_back({false, static_cast<int>(i), program.outputs[i].source_name, t});
  return e;
}

nlohmann::json to_json(const Estimate& e) {
  using nlohmann::json;
  auto placement = [](Placement p) { return p == Placement::kAccelerator ? "accelerator" : "cpu"; };
  json ops = json::array();
  for (const OpEstimate& op : e.ops) {
    json shapes = json::array();
    for (const auto& s : op.output_shapes) shapes.push_back(s);
    ops.push_back({
        {"index", op.index},
        {"name", op.name},
        {"type", op.type},
        {"segment", op.segment},
        {"placement", placement(op.counts.placement)},
        {"kind", std::string(op_kind_name(op.counts.kind))},
        {"output_shapes", shapes},
        {"macs", op.counts.macs},
        {"work", op.counts.work},
        {"activation_bytes", op.counts.activation_bytes},
        {"weight_bytes", op.counts.weight_bytes},
        {"output_bytes", op.counts.output_bytes},
        {"in_place", op.counts.in_place},
        {"efficiency", op.efficiency},
        {"compute_ms", op.compute_s * 1e3},
        {"memory_ms", op.memory_s * 1e3},
        {"overhead_ms", op.overhead_s * 1e3},
        {"time_ms", op.time_s * 1e3},
        {"from_ddr", op.from_ddr},
        {"bound", std::string(bound_name(op.bound))},
    });
  }
  json segs = json::array();
  for (const SegmentEstimate& s : e.segments)
    segs.push_back({{"index", s.index},
                    {"placement", placement(s.placement)},
                    {"first_op", s.first_op},
                    {"num_ops", s.num_ops},
                    {"time_ms", s.time_s * 1e3},
                    {"macs", s.macs},
                    {"ddr_bytes", s.ddr_bytes}});
  json removed = json::array();
  for (const RemovedOp& r : e.removed_ops)
    removed.push_back({{"where", r.at_input ? "input" : "output"},
                       {"io_index", r.io_index},
                       {"io_name", r.io_name},
                       {"type", r.type}});
  json costliest = json::array();
  for (int i : e.costliest(10)) costliest.push_back(e.ops[i].name);
  return {
      {"model_name", e.model_name},
      {"target_profile", {{"name", e.profile_name}, {"source", e.profile_source}}},
      {"summary",
       {{"latency_ms", e.latency_s * 1e3},
        {"busy_latency_ms", e.busy_latency_s * 1e3},
        {"fps", e.fps},
        {"core_num", e.core_num},
        {"core_count", e.core_count},
        {"frames_in_flight", e.frames_in_flight},
        {"ddr_bytes_per_frame", e.ddr_bytes_per_frame},
        {"arena_bytes", e.arena_bytes},
        {"weight_bytes", e.weight_bytes},
        {"footprint_bytes", e.footprint_bytes},
        {"cold_op_overhead_ms", e.cold_op_overhead_s * 1e3},
        {"total_macs", e.total_macs},
        {"accelerator_ms", e.accelerator_s * 1e3},
        {"cpu_ms", e.cpu_s * 1e3},
        {"num_ops", e.ops.size()},
        {"num_segments", e.segments.size()}}},
      {"costliest_ops", costliest},
      {"segments", segs},
      {"ops", ops},
      {"removed_ops", removed},
  };
}

}  // namespace edgeq::estimator
