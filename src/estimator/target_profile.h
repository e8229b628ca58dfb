// Target profiles: what the static estimator knows about a target's cores. A profile is a
// JSON file (docs/estimator.md specifies every field; docs/estimator_example_profile.json
// is a hand-written one for another target). `host` is measured on the machine and stored
// at default_host_profile_path(); without that file the estimator uses built-in host
// numbers and says so.
//
//   EDGEQ_ASSIGN_OR_RETURN(estimator::TargetProfile p, estimator::load_profile("board.json"));
//   double eff = p.efficiency_for(estimator::OpKind::kConv, /*macs_per_byte=*/12.0,
//                                 /*channels=*/64, /*elements=*/200704);
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace edgeq::estimator {

// Cost classes. Each has its own efficiency curve in a profile.
enum class OpKind {
  kConv,            // QConv, dense (group 1 or grouped with > 1 input channel per group)
  kConvDepthwise,   // QConv with one input channel per group
  kGemm,            // QGemm
  kElementwise,     // QAdd
  kPool,            // QAveragePool, MaxPool (window pools)
  kResize,          // QResize
  kDataMovement,    // Reorder, Transpose and the other u8 data movement (layout changes)
  kQuantize,        // Quantize
  kLut,             // QLut (one table lookup per element)
  kGlobalPool,      // QGlobalAveragePool
  kCopy,            // QConcat, ChannelShuffle, u8 Slice, Split, Pad, Concat: contiguous copies
  kMul,             // QMul (same shape, or by channel as in squeeze-and-excitation blocks)
  kDequantize,      // Dequantize (one table lookup per element, 4 bytes out)
  kCpuMatmul,       // CPU Conv, ConvTranspose, Gemm, MatMul (fp32)
  kCpuElementwise,  // any other CPU op that computes
  kCpuDataMovement, // CPU Reshape, Transpose, Slice, Concat, Gather, …
};
inline constexpr int kNumOpKinds = 16;
// The kinds a profile may leave out (profiles written before they existed): each then
// uses the curve of the kind named here — lut → elementwise, global_pool → pool,
// copy → data_movement, mul → elementwise, dequantize → quantize. Returns `kind` itself for the required kinds.
OpKind fallback_kind(OpKind kind);
// CPU kinds run at the fp32 peak, the others at the int8 peak.
inline bool is_cpu_kind(OpKind k) { return k >= OpKind::kCpuMatmul; }

// "conv", "conv_depthwise", …: the keys of the profile's "efficiency" object.
std::string_view op_kind_name(OpKind kind);
const std::array<OpKind, kNumOpKinds>& all_op_kinds();

// What an efficiency curve is a function of.
// kMacsPerOutput: MACs per output element (C_in × kernel area ÷ group for a conv, K for a
// GEMM): how many MACs share one output's requantization and store.
enum class CurveAxis { kMacsPerByte, kChannels, kElements, kMacsPerOutput };
std::string_view curve_axis_name(CurveAxis axis);

// Fraction of peak (0, 1] as a piecewise-linear function of log2(x), clamped at both ends.
struct EfficiencyCurve {
  CurveAxis axis = CurveAxis::kMacsPerByte;
  std::vector<std::pair<double, double>> points;  // (x > 0, efficiency), x increasing
  double at(double x) const;
};

struct CoreSpec {
  double int8_macs_per_s = 0;          // peak int8 multiply-accumulates per second
  double fp32_flops_per_s = 0;         // peak fp32 floating-point operations per second
  double memory_bandwidth_bytes_per_s = 0;  // DDR bandwidth one core reaches alone
  double cache_bandwidth_bytes_per_s = 0;   // when an op's working set fits in L2
  double l2_cache_bytes = 0;           // an op whose working set fits here moves no DDR bytes
};

struct TargetProfile {
  std::string name;                    // "host", "board-a53", …
  std::string description;
  std::string source;                  // where it came from: a path or "built-in"
  int core_count = 1;
  CoreSpec core;
  double shared_memory_bandwidth_bytes_per_s = 0;  // all cores together
  // Fraction of a core's speed each core keeps when one layer is split over several
  // cores (a model compiled with core_num > 1).
  double multi_core_efficiency = 1.0;
  double accelerator_op_overhead_s = 0;  // fixed cost of launching one accelerator op
  double cpu_op_overhead_s = 0;          // fixed cost of one CPU op
  double segment_switch_overhead_s = 0;  // each change of placement between segments
  double frame_overhead_s = 0;           // fixed cost of one frame (submit, sync)
  // Extra cost of every op when a frame touches more bytes than the caches keep between
  // one run of the op and the next: its code, weights and bookkeeping come from farther
  // away. (footprint bytes, seconds) points, x increasing, linear in log2(footprint) and
  // flat beyond the ends; the footprint is estimator::frame_footprint_bytes (constants,
  // kernel code, arena). Empty: no such cost.
  std::vector<std::pair<double, double>> cold_op_overhead;
  double cold_op_overhead_at(double footprint_bytes) const;
  std::array<EfficiencyCurve, kNumOpKinds> efficiency;
  // Optional: the measurements a calibration fitted (JSON text, kept as written).
  std::string calibration_json;

  double efficiency_for(OpKind kind, double macs_per_byte, double channels, double elements,
                        double macs_per_output = 0) const;
};

// Parses and validates a profile. Every field is required; an error is one sentence naming
// the field, e.g. "target profile board.json: core.memory_bandwidth_bytes_per_s must be
// positive, got -1.".
StatusOr<TargetProfile> parse_profile(std::string_view json_text, const std::string& origin);
StatusOr<TargetProfile> load_profile(const std::string& path);
std::string profile_to_json(const TargetProfile& profile);

// $XDG_CACHE_HOME/edgeq/host_profile.json, else ~/.cache/edgeq/host_profile.json.
std::string default_host_profile_path();
// Built-in numbers for `host` (a generic x86 core with AVX-512 VNNI; core_count = the
// online cores, or EDGEQ_CORES). Used when no measured profile exists.
TargetProfile builtin_host_profile();
// `path` when given, else the measured host profile when it exists, else built-in.
StatusOr<TargetProfile> resolve_profile(const std::string& path);

}  // namespace edgeq::estimator
