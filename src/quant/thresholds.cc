// Ranges from the observed statistics: percentile, KL (entropy) and MSE threshold searches
// over the magnitude histograms (methods documented in observer.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quant/observer.h"

namespace edgeq::quant {
namespace {

constexpr double kU8Steps = 255.0;

// Quantized positions a candidate of the KL search is scored at: at most this many
// candidates in the coarse sweep, then every bin around the coarse winner.
constexpr size_t kKlCoarseCandidates = 256;

// Prefix sums of a histogram, shared by the KL search: counts, non-empty bins, n*log(n).
struct KlPrefix {
  std::vector<double> count, nonzero, nlogn;
  explicit KlPrefix(const std::vector<uint64_t>& h, size_t used)
      : count(used + 1, 0.0), nonzero(used + 1, 0.0), nlogn(used + 1, 0.0) {
    for (size_t j = 0; j < used; ++j) {
      const double n = static_cast<double>(h[j]);
      count[j + 1] = count[j] + n;
      nonzero[j + 1] = nonzero[j] + (n > 0 ? 1.0 : 0.0);
      nlogn[j + 1] = nlogn[j] + (n > 0 ? n * std::log(n) : 0.0);
    }
  }
};

// KL(P || Q) for keeping the first i bins (TensorRT's algorithm, evaluated per quantized
// chunk from prefix sums instead of per bin): P is the clipped histogram with the outliers
// added to bin i-1; Q spreads each chunk's unclipped count evenly over its non-empty bins.
double kl_divergence(const std::vector<uint64_t>& h, const KlPrefix& s, size_t i, int levels) {
  const double total = s.count.back();
  const double kept = s.count[i];
  if (kept <= 0) return std::numeric_limits<double>::infinity();
  const double outliers = total - kept;
  const size_t merged = i / static_cast<size_t>(levels);
  const double last = static_cast<double>(h[i - 1]);
  const double last_p = last + outliers;
  double p_log_p = 0.0, p_log_q = 0.0;
  for (int k = 0; k < levels; ++k) {
    const size_t start = static_cast<size_t>(k) * merged;
    const bool final_chunk = k == levels - 1;
    const size_t stop = final_chunk ? i : start + merged;
    const double q = s.count[stop] - s.count[start];
    double nonzero = s.nonzero[stop] - s.nonzero[start];
    double chunk_p = q;
    double chunk_plogp = s.nlogn[stop] - s.nlogn[start];
    if (final_chunk && outliers > 0) {
      if (last == 0) nonzero += 1.0;
      chunk_p += outliers;
      chunk_plogp += last_p * std::log(last_p) - (last > 0 ? last * std::log(last) : 0.0);
    }
    if (chunk_p <= 0) continue;
    // A chunk holding only folded outliers has q = 0: Q gets a small floor (the role of
    // TensorRT's smoothing), so the divergence is large but finite.
    const double q_per_bin = q > 0 ? q / nonzero : 1e-4;
    p_log_p += chunk_plogp;
    p_log_q += chunk_p * std::log(q_per_bin);
  }
  // Q is normalised by the total count, not by the kept count as TensorRT does: the clipped
  // mass then counts against the threshold (the divergence grows by -log(kept / total)).
  // Renormalising would let a distribution away from zero (a sigmoid output in [0.3, 0.9])
  // collapse to a threshold at its minimum with zero divergence.
  return (p_log_p - p_log_q) / total;
}

// Rounding + clipping error tables of one tail: for a threshold at bin edge i (i*width),
// inside[i] counts the values below it and clip[i] sums (x - threshold)^2 above it, with x
// at bin centres.
struct ErrorTable {
  std::vector<double> inside, clip;
  ErrorTable(const MagnitudeHistogram& h, size_t used) : inside(used + 1, 0.0), clip(used + 1, 0.0) {
    for (size_t j = 0; j < used; ++j) inside[j + 1] = inside[j] + static_cast<double>(h.counts[j]);
    double s0 = 0, s1 = 0, s2 = 0;  // suffix sums of n, n*c, n*c^2
    for (size_t i = used + 1; i-- > 0;) {
      const double t = static_cast<double>(i) * h.width;
      clip[i] = std::max(0.0, s2 - 2 * t * s1 + t * t * s0);
      if (i > 0) {
        const double n = static_cast<double>(h.counts[i - 1]);
        const double c = (static_cast<double>(i) - 0.5) * h.width;
        s0 += n;
        s1 += n * c;
        s2 += n * c * c;
      }
    }
  }
};

double mse_error(const ErrorTable& pos, size_t b, const ErrorTable& neg, size_t a, double width) {
  const double step = static_cast<double>(a + b) * width / kU8Steps;
  return (pos.inside[b] + neg.inside[a]) * step * step / 12.0 + pos.clip[b] + neg.clip[a];
}

// Best index of one side with the other side fixed.
template <typename ErrorFn>
size_t argmin_index(size_t used, ErrorFn error) {
  size_t best = used;
  double best_err = error(used);
  for (size_t i = 0; i < used; ++i) {
    const double e = error(i);
    if (e < best_err) {
      best_err = e;
      best = i;
    }
  }
  return best;
}

}  // namespace

double percentile_threshold(const MagnitudeHistogram& h, double cut) {
  double above = 0.0;
  for (size_t j = h.used_bins(); j-- > 0;) {
    const double n = static_cast<double>(h.counts[j]);
    if (above + n > cut) return static_cast<double>(j + 1) * h.width;
    above += n;
  }
  return 0.0;
}

double kl_threshold(const MagnitudeHistogram& h, int levels) {
  const size_t used = h.used_bins();
  const size_t lv = static_cast<size_t>(levels);
  if (used <= lv) return static_cast<double>(used) * h.width;  // no clipping can help
  const KlPrefix sums(h.counts, used);
  const size_t stride = std::max<size_t>(1, (used - lv) / kKlCoarseCandidates);
  size_t best = used;
  double best_kl = kl_divergence(h.counts, sums, used, levels);
  auto consider = [&](size_t i) {
    const double kl = kl_divergence(h.counts, sums, i, levels);
    if (kl < best_kl) {
      best_kl = kl;
      best = i;
    }
  };
  for (size_t i = lv; i < used; i += stride) consider(i);
  if (stride > 1) {
    const size_t lo = std::max(lv, best > stride ? best - stride : lv);
    const size_t hi = std::min(used, best + stride);
    for (size_t i = lo; i <= hi; ++i) consider(i);
  }
  return static_cast<double>(best) * h.width;
}

TensorRange TensorObserver::range(CalibrationMethod method, const CalibrationOptions& options) const {
  if (count_ == 0) return {};
  const bool histogram_method = method != CalibrationMethod::kMax;
  // max keeps the exact observed range; so do the others when there is no histogram to
  // search (all values zero).
  if (!histogram_method || !with_histogram_ || edge_ == 0.0) return {min_, max_};
  switch (method) {
    case CalibrationMethod::kPercentile: return percentile_range(options.max_percentile);
    case CalibrationMethod::kKl: return kl_range();
    case CalibrationMethod::kMse: return mse_range();
    case CalibrationMethod::kMax: break;
  }
  return {min_, max_};
}

TensorRange TensorObserver::percentile_range(double p) const {
  const double outside = std::clamp(1.0 - p, 0.0, 1.0) * static_cast<double>(count_);
  if (min_ >= 0.0f) {
    const double t = percentile_threshold(pos_, outside);
    return {0.0f, std::min(max_, static_cast<float>(t))};
  }
  const double t_hi = percentile_threshold(pos_, outside / 2);
  const double t_lo = percentile_threshold(neg_, outside / 2);
  return {std::max(min_, static_cast<float>(-t_lo)), std::min(max_, static_cast<float>(t_hi))};
}

TensorRange TensorObserver::kl_range() const {
  if (min_ >= 0.0f) {
    const double t = kl_threshold(pos_, 256);
    return {0.0f, std::min(max_, static_cast<float>(t))};
  }
  MagnitudeHistogram folded = pos_;
  for (size_t j = 0; j < folded.counts.size(); ++j) folded.counts[j] += neg_.counts[j];
  const float t = static_cast<float>(kl_threshold(folded, 128));
  return {std::max(min_, -t), std::min(max_, t)};
}

TensorRange TensorObserver::mse_range() const {
  const double w = pos_.width;
  const size_t used_pos = pos_.used_bins();
  const ErrorTable pos(pos_, used_pos);
  if (min_ >= 0.0f) {
    const ErrorTable none(neg_, 0);
    const size_t b = argmin_index(used_pos, [&](size_t i) { return mse_error(pos, i, none, 0, w); });
    return {0.0f, std::min(max_, static_cast<float>(static_cast<double>(b) * w))};
  }
  const size_t used_neg = neg_.used_bins();
  const ErrorTable neg(neg_, used_neg);
  // Start from the best symmetric threshold (clipped to each side's extent), then refine
  // lo and hi by coordinate descent: one side alone changes the step only partly, so
  // starting from the full range would stop early at a local minimum.
  const size_t used_max = std::max(used_pos, used_neg);
  const size_t t = argmin_index(used_max, [&](size_t i) {
    return mse_error(pos, std::min(i, used_pos), neg, std::min(i, used_neg), w);
  });
  size_t a = std::min(t, used_neg), b = std::min(t, used_pos);
  for (int iter = 0; iter < 32; ++iter) {
    const size_t nb = argmin_index(used_pos, [&](size_t i) { return mse_error(pos, i, neg, a, w); });
    const size_t na = argmin_index(used_neg, [&](size_t i) { return mse_error(pos, nb, neg, i, w); });
    const bool same = na == a && nb == b;
    a = na;
    b = nb;
    if (same) break;
  }
  const float hi = std::min(max_, static_cast<float>(static_cast<double>(b) * w));
  const float lo = std::max(min_, static_cast<float>(-static_cast<double>(a) * w));
  return {lo, hi};
}

}  // namespace edgeq::quant
