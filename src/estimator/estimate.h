// The static cost model: a format::Program and a target profile in, per-op times, latency,
// FPS and memory traffic out. Nothing is executed.
//
//   EDGEQ_ASSIGN_OR_RETURN(estimator::TargetProfile target, estimator::resolve_profile(""));
//   EDGEQ_ASSIGN_OR_RETURN(estimator::Estimate e, estimator::estimate(program, target));
//   printf("%.3f ms, %.1f FPS\n", e.latency_s * 1e3, e.fps);
//
// Per op (docs/estimator.md has the details):
//   compute_s = work / (peak × efficiency(kind, shape class))   int8 peak or fp32 peak
//   memory_s  = bytes moved / bandwidth    (cache bandwidth when the working set fits L2)
//   time_s    = max(compute_s, memory_s) + per-op overhead
// Latency = frame overhead + Σ op time + one switch overhead per placement change.
// FPS = frames in flight / latency with every core busy, where the DDR bandwidth each
// frame gets is the shared bandwidth divided among the frames in flight.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "estimator/op_counts.h"
#include "estimator/target_profile.h"
#include "format/program.h"

namespace edgeq::estimator {

enum class Bound { kCompute, kMemory, kOverhead };
std::string_view bound_name(Bound b);

struct OpEstimate {
  int index = 0;
  std::string name;
  std::string type;
  int segment = 0;
  OpCounts counts;
  std::vector<std::vector<int64_t>> output_shapes;
  double efficiency = 1.0;   // fraction of peak the profile gives this op
  double compute_s = 0;
  double memory_s = 0;
  double overhead_s = 0;
  double time_s = 0;         // one frame on one instance, cores as compiled
  bool from_ddr = false;     // working set larger than L2: its bytes are DDR traffic
  Bound bound = Bound::kCompute;
};

struct SegmentEstimate {
  int index = 0;
  format::Placement placement = format::Placement::kAccelerator;
  int first_op = 0;
  int num_ops = 0;
  double time_s = 0;         // its ops plus the switch overhead on entry
  int64_t macs = 0;
  int64_t ddr_bytes = 0;
};

struct RemovedOp {
  bool at_input = true;      // head (input) or tail (output)
  int io_index = 0;
  std::string io_name;
  std::string type;
};

struct Estimate {
  std::string model_name;
  std::string profile_name;
  std::string profile_source;
  int core_num = 1;          // cores one frame uses (as compiled)
  int core_count = 1;        // cores of the target
  int frames_in_flight = 1;  // core_count / core_num
  double latency_s = 0;      // one frame, nothing else running
  double busy_latency_s = 0; // one frame while every core is busy (shared bandwidth)
  double fps = 0;
  int64_t ddr_bytes_per_frame = 0;
  int64_t arena_bytes = 0;
  int64_t weight_bytes = 0;  // constants stored in the model
  int64_t total_macs = 0;
  double footprint_bytes = 0;  // frame_footprint_bytes: what one frame cycles through the caches
  double cold_op_overhead_s = 0;  // what each op that does work pays at that footprint (one frame)
  double accelerator_s = 0;  // Σ time of accelerator ops
  double cpu_s = 0;          // Σ time of CPU ops
  std::vector<OpEstimate> ops;
  std::vector<SegmentEstimate> segments;
  std::vector<RemovedOp> removed_ops;

  // Op indices, costliest first.
  std::vector<int> costliest(size_t n) const;
};

// Fails (one sentence) when the program's segments do not cover its ops in order.
// The bytes one frame of `program` cycles through the caches: its constants, its arena
// and, per op that does work, kCodeBytesPerOp of kernel code and bookkeeping. The x of
// TargetProfile::cold_op_overhead.
inline constexpr double kCodeBytesPerOp = 16384;
double frame_footprint_bytes(const format::Program& program);

StatusOr<Estimate> estimate(const format::Program& program, const TargetProfile& profile);

nlohmann::json to_json(const Estimate& e);
// "1x64x56x56"
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace edgeq::estimator
