// Calibration: run the optimized float graph over calibration inputs and turn each
// tensor's statistics into a range, per method (DESIGN §5).
//
//   EDGEQ_ASSIGN_OR_RETURN(auto samples, quant::random_samples(graph, 8, /*seed=*/1));
//   quant::CalibrationOptions opts;
//   opts.methods = {quant::CalibrationMethod::kMax};
//   EDGEQ_ASSIGN_OR_RETURN(quant::Calibration cal, quant::calibrate(graph, samples, opts));
//   const quant::RangeTable& ranges = cal.ranges.at(quant::CalibrationMethod::kMax);
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"

namespace edgeq::quant {

enum class CalibrationMethod { kMax, kPercentile, kKl, kMse };
std::string_view method_name(CalibrationMethod m);  // "max", "percentile", "kl", "mse"
StatusOr<CalibrationMethod> parse_method(std::string_view name);

// One input set for the graph: graph input name → tensor.
using Feeds = std::map<std::string, Tensor>;

// The float range [min, max] chosen for a tensor (min <= 0 <= max after quantization
// nudging is the quantizer's job, not the range's).
struct TensorRange {
  float min = 0.0f;
  float max = 0.0f;
};
using RangeTable = std::map<std::string, TensorRange>;  // value name → range

struct CalibrationOptions {
  std::vector<CalibrationMethod> methods = {CalibrationMethod::kMax};
  double max_percentile = 0.99995;  // for kPercentile
  int histogram_bins = 2048;        // for kKl and kMse
  // Called after each sample (done, total); the CLI prints a progress line.
  std::function<void(int, int)> progress;
};

struct Calibration {
  std::map<CalibrationMethod, RangeTable> ranges;  // one table per requested method
  int samples = 0;
};

// Records every float tensor's statistics (graph inputs and every node output) over all
// samples, then computes the ranges for each requested method.
StatusOr<Calibration> calibrate(const ir::Graph& graph, const std::vector<Feeds>& samples,
                                const CalibrationOptions& options);

// `count` random input sets from the graph's input shapes and dtypes, fixed seed:
// floats N(0,1), integers small non-negative.
StatusOr<std::vector<Feeds>> random_samples(const ir::Graph& graph, int count, uint32_t seed);

// Input sets from a folder: either one .npy (or raw little-endian .bin/.raw of exactly the
// input's byte size) per sample for a single-input model, or one sub-folder per sample
// holding <input name>.npy per input. Files are taken in name order, at most max_samples.
StatusOr<std::vector<Feeds>> load_samples_dir(const ir::Graph& graph, const std::string& dir, int max_samples);

}  // namespace edgeq::quant
