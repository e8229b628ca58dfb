// Statistics collection: min/max and the magnitude histograms (see observer.h). These loops
// see every float of every sample, so they are written to vectorize: fixed-width lane
// accumulators for min/max, and bin indices computed in blocks before the scatter.
#include "quant/observer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace edgeq::quant {
namespace {

constexpr int kLanes = 16;
constexpr float kInf = std::numeric_limits<float>::infinity();

// Exact but slow: used only when a tensor holds NaN or ±inf.
MinMax finite_min_max_slow(std::span<const float> values) {
  MinMax mm{kInf, -kInf, 0};
  for (float x : values) {
    if (!std::isfinite(x)) continue;
    mm.min = std::min(mm.min, x);
    mm.max = std::max(mm.max, x);
    ++mm.finite;
  }
  if (mm.finite == 0) mm.min = mm.max = 0.0f;
  return mm;
}

}  // namespace

MinMax finite_min_max(std::span<const float> values) {
  // GCC/Clang vector extensions: plain loops with a NaN-aware min do not vectorize without
  // -ffast-math, and this one loop sees every activation of every sample.
  using V4 = float __attribute__((vector_size(16)));
  constexpr int kVectors = kLanes / 4;
  V4 lo[kVectors], hi[kVectors], bad[kVectors];
  for (int k = 0; k < kVectors; ++k) {
    lo[k] = V4{kInf, kInf, kInf, kInf};
    hi[k] = -lo[k];
    bad[k] = V4{0, 0, 0, 0};
  }
  const float* p = values.data();
  const size_t n = values.size();
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kVectors; ++k) {
      V4 x;
      std::memcpy(&x, p + i + 4 * k, sizeof(x));
      lo[k] = x < lo[k] ? x : lo[k];
      hi[k] = x > hi[k] ? x : hi[k];
      bad[k] += x - x;  // NaN for NaN and ±inf, 0 otherwise
    }
  }
  float mn = kInf, mx = -kInf, b = 0.0f;
  for (int k = 0; k < kVectors; ++k)
    for (int j = 0; j < 4; ++j) {
      mn = std::min(mn, lo[k][j]);
      mx = std::max(mx, hi[k][j]);
      b += bad[k][j];
    }
  for (; i < n; ++i) {
    mn = p[i] < mn ? p[i] : mn;
    mx = p[i] > mx ? p[i] : mx;
    b += p[i] - p[i];
  }
  if (b != 0.0f || std::isnan(b)) return finite_min_max_slow(values);
  if (n == 0) return {};
  return {mn, mx, static_cast<int64_t>(n)};
}

uint64_t MagnitudeHistogram::total() const {
  uint64_t t = 0;
  for (uint64_t c : counts) t += c;
  return t;
}

size_t MagnitudeHistogram::used_bins() const {
  size_t u = counts.size();
  while (u > 0 && counts[u - 1] == 0) --u;
  return u;
}

TensorObserver::TensorObserver(bool with_histogram, int bins)
    : with_histogram_(with_histogram), bins_(std::max(bins, 1)) {
  if (with_histogram_) {
    pos_.counts.assign(2 * static_cast<size_t>(bins_), 0);
    neg_.counts.assign(2 * static_cast<size_t>(bins_), 0);
  }
}

void TensorObserver::observe(std::span<const float> values) {
  if (values.empty()) return;
  const MinMax mm = finite_min_max(values);
  if (mm.finite == 0) return;
  if (count_ == 0) {
    min_ = mm.min;
    max_ = mm.max;
  } else {
    min_ = std::min(min_, mm.min);
    max_ = std::max(max_, mm.max);
  }
  count_ += mm.finite;
  if (!with_histogram_) return;
  const double max_abs = std::max(-static_cast<double>(mm.min), static_cast<double>(mm.max));
  if (max_abs > edge_) grow_to(max_abs);
  if (mm.finite == static_cast<int64_t>(values.size())) {
    add_to_histograms(values);
  } else {
    std::vector<float> finite;
    finite.reserve(static_cast<size_t>(mm.finite));
    for (float x : values)
      if (std::isfinite(x)) finite.push_back(x);
    add_to_histograms(finite);
  }
}

// Doubles the edge until it covers max_abs, merging runs of 2^k bins: exact, because every
// old bin lies inside one new bin.
void TensorObserver::grow_to(double max_abs) {
  const size_t nb = pos_.counts.size();
  if (edge_ == 0.0) {
    edge_ = max_abs;
    pos_.width = neg_.width = edge_ / static_cast<double>(nb);
    return;
  }
  int k = 0;
  while (edge_ < max_abs) {
    edge_ *= 2.0;
    ++k;
  }
  pos_.width = neg_.width = edge_ / static_cast<double>(nb);
  for (MagnitudeHistogram* h : {&pos_, &neg_}) {
    std::vector<uint64_t> merged(nb, 0);
    for (size_t j = 0; j < nb; ++j) merged[k >= 63 ? 0 : (j >> k)] += h->counts[j];
    h->counts = std::move(merged);
  }
}

// Adds finite values. Positive values and zeros index [0, nb), negative ones [nb, 2 nb) of
// one combined index space; exact zeros land in positive bin 0 and are taken out again.
void TensorObserver::add_to_histograms(std::span<const float> values) {
  if (edge_ == 0.0) {  // all values seen so far are zero
    zeros_ += values.size();
    return;
  }
  const size_t nb = pos_.counts.size();
  const float inv_width = static_cast<float>(1.0 / pos_.width);
  const float top = static_cast<float>(nb - 1);
  // Large tensors scatter into 4 interleaved 32-bit sub-histograms: consecutive hits on one
  // bin (the zeros of a ReLU output) then do not serialise on one counter.
  constexpr int kWays = 4;
  constexpr size_t kBlock = 512;
  const bool striped = values.size() >= 8 * nb;
  thread_local std::vector<uint32_t> sub;
  if (striped) sub.assign(kWays * 2 * nb, 0);
  std::array<int32_t, kBlock> idx;
  uint64_t zeros = 0;
  const float* p = values.data();
  for (size_t start = 0; start < values.size(); start += kBlock) {
    const size_t m = std::min(kBlock, values.size() - start);
    int32_t z = 0;
    for (size_t i = 0; i < m; ++i) {
      const float x = p[start + i];
      float a = std::fabs(x) * inv_width;
      a = a < top ? a : top;
      // Signed conversions and selects: this loop vectorizes (float → uint32 does not on SSE2).
      idx[i] = static_cast<int32_t>(a) + (x < 0.0f ? static_cast<int32_t>(nb) : 0);
      z += x == 0.0f ? 1 : 0;
    }
    zeros += static_cast<uint64_t>(z);
    if (striped) {
      size_t i = 0;
      for (; i + kWays <= m; i += kWays)
        for (int w = 0; w < kWays; ++w) ++sub[w * 2 * nb + idx[i + w]];
      for (; i < m; ++i) ++sub[idx[i]];
    } else {
      for (size_t i = 0; i < m; ++i) {
        const size_t j = static_cast<size_t>(idx[i]);
        if (j < nb) ++pos_.counts[j]; else ++neg_.counts[j - nb];
      }
    }
  }
  if (striped) {
    for (int w = 0; w < kWays; ++w) {
      const uint32_t* s = sub.data() + w * 2 * nb;
      for (size_t j = 0; j < nb; ++j) pos_.counts[j] += s[j];
      for (size_t j = 0; j < nb; ++j) neg_.counts[j] += s[nb + j];
    }
  }
  pos_.counts[0] -= zeros;
  zeros_ += zeros;
}

}  // namespace edgeq::quant
