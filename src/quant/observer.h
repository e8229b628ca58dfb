// Observers: the statistics calibration keeps per float tensor, and the range each
// calibration method derives from them (DESIGN §5). Internal to src/quant.
//
//   quant::TensorObserver obs(/*with_histogram=*/true, /*bins=*/2048);
//   for (const Tensor& t : outputs_of_one_value) obs.observe(t.span<float>());
//   quant::TensorRange r = obs.range(quant::CalibrationMethod::kKl, options);
//
// What is kept: the running min/max, and (only when a histogram method is requested) two
// histograms of magnitudes sharing one bin width, one for positive values and one for
// |negative values|, plus a count of exact zeros (zero is exactly representable, so it
// never contributes quantization error and is kept out of the histograms). NaN and ±inf
// are ignored by every observer: a range must be finite.
//
// Growing ranges: the first non-zero sample fixes the histogram edge to its max |x|; when a
// later sample exceeds the edge, the edge doubles (as often as needed) and each run of 2^k
// old bins merges into one new bin, which is exact (old bin edges are new bin edges). The
// histogram keeps 2 * `bins` bins so that after any growth the observed max |x| still lies
// beyond bin `bins`: the data range is always resolved by between `bins` and 2 * `bins`
// bins. One pass over the samples suffices for every method.
//
// Ranges per method. `max` gives the exact observed [min, max]. The histogram methods give
// [0, t] for a non-negative tensor (min >= 0), and for a signed one:
//   percentile  each tail separately: the upper (lower) threshold leaves at most
//               (1 - p) / 2 of all values above (below) it; a non-negative tensor cuts
//               (1 - p) from its upper tail alone.
//   kl          TensorRT entropy calibration: the threshold t minimising
//               KL(P || Q), P the histogram clipped at t (outliers folded into the last
//               bin), Q its quantized version with 256 levels (non-negative) or 128
//               levels over the folded |x| histogram (signed, i.e. one side of a centred
//               u8 range). A signed tensor gets [max(min, -t), min(max, t)], so a lopsided
//               tensor does not waste levels on a side it never reaches. Unlike TensorRT,
//               Q is not renormalised after clipping (see thresholds.cc). Exact zeros are
//               left out. Limit: t >= levels bins, so with a huge outlier (> ~100x the
//               bulk) the threshold cannot get below levels/(2*bins) of the outlier.
//   mse         the range minimising the expected squared error of u8 quantization,
//               rounding (step^2 / 12 per value inside, step = (hi - lo) / 255) plus
//               clipping (sum of (x - threshold)^2 outside), over bin centres. Signed
//               tensors optimise lo and hi jointly: the best symmetric threshold first,
//               then coordinate descent on each side.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "quant/calibration.h"

namespace edgeq::quant {

// Min and max of the finite values (NaN and ±inf skipped); count of finite values.
struct MinMax {
  float min = 0.0f;
  float max = 0.0f;
  int64_t finite = 0;
};
MinMax finite_min_max(std::span<const float> values);

// A histogram of magnitudes over [0, bins * width); bin j covers [j * width, (j+1) * width).
struct MagnitudeHistogram {
  double width = 0.0;
  std::vector<uint64_t> counts;
  uint64_t total() const;
  // Index one past the last non-empty bin (0 if empty).
  size_t used_bins() const;
};

// Threshold searches over one magnitude histogram (exposed for tests).
// Smallest bin edge leaving at most `cut` values above it (never beyond the last used bin).
double percentile_threshold(const MagnitudeHistogram& h, double cut);
// TensorRT-style KL threshold with `levels` quantization levels.
double kl_threshold(const MagnitudeHistogram& h, int levels);

class TensorObserver {
 public:
  TensorObserver(bool with_histogram, int bins);

  void observe(std::span<const float> values);

  // The range for `method`; [0, 0] if the tensor never held a finite value.
  TensorRange range(CalibrationMethod method, const CalibrationOptions& options) const;

  float min() const { return min_; }
  float max() const { return max_; }
  int64_t count() const { return count_; }       // finite values seen
  uint64_t zeros() const { return zeros_; }
  const MagnitudeHistogram& positive() const { return pos_; }
  const MagnitudeHistogram& negative() const { return neg_; }

 private:
  void grow_to(double max_abs);
  void add_to_histograms(std::span<const float> values);
  TensorRange percentile_range(double p) const;
  TensorRange kl_range() const;
  TensorRange mse_range() const;

  bool with_histogram_;
  int bins_;  // internal histograms have 2 * bins_ bins
  float min_ = 0.0f;
  float max_ = 0.0f;
  int64_t count_ = 0;
  uint64_t zeros_ = 0;
  double edge_ = 0.0;  // histogram upper edge; 0 until a non-zero value was seen
  MagnitudeHistogram pos_, neg_;
};

}  // namespace edgeq::quant
