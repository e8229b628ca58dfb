#include "quant/observer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

namespace edgeq::quant {
namespace {

constexpr uint32_t kSeed = 42;
const CalibrationMethod kAllMethods[] = {CalibrationMethod::kMax, CalibrationMethod::kPercentile,
                                         CalibrationMethod::kKl, CalibrationMethod::kMse};

std::vector<float> gaussian(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

std::vector<float> uniform(size_t n, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

TensorRange range_of(const std::vector<std::vector<float>>& batches, CalibrationMethod m) {
  TensorObserver obs(/*with_histogram=*/true, 2048);
  for (const auto& b : batches) obs.observe(b);
  return obs.range(m, CalibrationOptions{});
}

TEST(MinMax, SkipsNonFiniteValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v(100, 1.0f);
  v[3] = -2.5f;
  v[50] = 7.0f;
  MinMax plain = finite_min_max(v);
  EXPECT_EQ(plain.min, -2.5f);
  EXPECT_EQ(plain.max, 7.0f);
  EXPECT_EQ(plain.finite, 100);
  v[10] = nan;
  v[20] = inf;
  v[99] = -inf;
  MinMax mm = finite_min_max(v);
  EXPECT_EQ(mm.min, -2.5f);
  EXPECT_EQ(mm.max, 7.0f);
  EXPECT_EQ(mm.finite, 97);
  EXPECT_EQ(finite_min_max(std::vector<float>{nan, inf}).finite, 0);
}

// N(0,1) with one outlier per side at ±20 sigma among a million values.
TEST(Observer, GaussianOutliersKeptByMaxClippedByHistogramMethods) {
  std::vector<float> v = gaussian(1'000'000, kSeed);
  v[123] = 20.0f;
  v[4567] = -20.0f;
  for (CalibrationMethod m : kAllMethods) {
    TensorRange r = range_of({v}, m);
    SCOPED_TRACE(std::string(method_name(m)) + " seed " + std::to_string(kSeed));
    if (m == CalibrationMethod::kMax) {
      EXPECT_EQ(r.max, 20.0f);
      EXPECT_EQ(r.min, -20.0f);
      continue;
    }
    // Within a few sigma, and not absurdly tight either (>= 2.5 sigma).
    EXPECT_LT(r.max, 8.0f);
    EXPECT_GT(r.max, 2.5f);
    EXPECT_GT(r.min, -8.0f);
    EXPECT_LT(r.min, -2.5f);
    std::printf("gaussian+outliers %-10s [%.3f, %.3f]\n", std::string(method_name(m)).c_str(), r.min, r.max);
  }
}

// MSE weighs each outlier's squared clipping error: with the outliers at ±50 sigma the
// optimum keeps a wider range (analytically about ±14: rounding 1e6 * (2t/255)^2 / 12 equals
// the outliers' 2 * (50 - t)^2 slope there), while percentile and KL still clip tightly.
TEST(Observer, FarOutliersWidenOnlyMse) {
  std::vector<float> v = gaussian(1'000'000, kSeed);
  v[123] = 50.0f;
  v[4567] = -50.0f;
  TensorRange mse = range_of({v}, CalibrationMethod::kMse);
  EXPECT_GT(mse.max, 10.0f);
  EXPECT_LT(mse.max, 18.0f);
  EXPECT_LT(mse.min, -10.0f);
  EXPECT_GT(mse.min, -18.0f);
  for (CalibrationMethod m : {CalibrationMethod::kPercentile, CalibrationMethod::kKl}) {
    TensorRange r = range_of({v}, m);
    EXPECT_LT(r.max, 8.0f) << method_name(m);
    EXPECT_GT(r.min, -8.0f) << method_name(m);
  }
}

TEST(Observer, PercentileCutsEachTail) {
  std::vector<float> v = gaussian(1'000'000, kSeed);
  CalibrationOptions opts;
  opts.max_percentile = 0.99;  // 0.5% per tail: about ±2.576 sigma
  TensorObserver obs(true, 2048);
  obs.observe(v);
  TensorRange r = obs.range(CalibrationMethod::kPercentile, opts);
  EXPECT_NEAR(r.max, 2.576f, 0.03f);
  EXPECT_NEAR(r.min, -2.576f, 0.03f);
}

TEST(Observer, UniformZeroOneGivesAboutOne) {
  const std::vector<float> v = uniform(500'000, 1.0f, kSeed);
  for (CalibrationMethod m : kAllMethods) {
    TensorRange r = range_of({v}, m);
    SCOPED_TRACE(method_name(m));
    EXPECT_NEAR(r.max, 1.0f, 0.02f);
    EXPECT_EQ(r.min, m == CalibrationMethod::kMax ? *std::min_element(v.begin(), v.end()) : 0.0f);
  }
}

TEST(Observer, AllZerosGivesEmptyRange) {
  const std::vector<float> zeros(1000, 0.0f);
  for (CalibrationMethod m : kAllMethods) {
    TensorRange r = range_of({zeros, zeros}, m);
    EXPECT_EQ(r.min, 0.0f) << method_name(m);
    EXPECT_EQ(r.max, 0.0f) << method_name(m);
  }
  TensorObserver obs(true, 2048);
  obs.observe(zeros);
  EXPECT_EQ(obs.zeros(), 1000u);
  EXPECT_EQ(obs.count(), 1000);
}

TEST(Observer, ZerosThenValuesKeepsTheZeroCount) {
  TensorObserver obs(true, 2048);
  obs.observe(std::vector<float>(1000, 0.0f));
  obs.observe(uniform(1000, 1.0f, kSeed));
  EXPECT_EQ(obs.zeros(), 1000u);
  EXPECT_EQ(obs.positive().total(), 1000u);
  EXPECT_EQ(obs.negative().total(), 0u);
}

// Sample 1 in [0, 1), sample 2 in [0, 4): the histogram edge grows and old bins merge
// exactly; results match a single observation of both samples.
TEST(Observer, GrowingRangeAcrossSamples) {
  const std::vector<float> a = uniform(200'000, 1.0f, kSeed);
  const std::vector<float> b = uniform(200'000, 4.0f, kSeed + 1);
  TensorObserver grown(true, 2048);
  grown.observe(a);
  const double first_width = grown.positive().width;
  grown.observe(b);
  EXPECT_EQ(grown.positive().total(), 400'000u);
  EXPECT_GE(grown.positive().width, 4.0 * first_width);
  // The observed max lies beyond the first half of the (2 * bins) histogram.
  EXPECT_GT(grown.positive().used_bins(), 2048u);

  std::vector<float> both = a;
  both.insert(both.end(), b.begin(), b.end());
  TensorObserver once(true, 2048);
  once.observe(both);
  for (CalibrationMethod m : kAllMethods) {
    TensorRange g = grown.range(m, CalibrationOptions{});
    TensorRange o = once.range(m, CalibrationOptions{});
    SCOPED_TRACE(method_name(m));
    EXPECT_NEAR(g.max, o.max, 0.02f);
    EXPECT_NEAR(g.max, 4.0f, 0.1f);
  }
}

TEST(Observer, HugeGrowthMergesEverythingIntoLowBins) {
  TensorObserver obs(true, 256);
  obs.observe(std::vector<float>{1e-30f, -1e-30f, 2e-30f});
  obs.observe(std::vector<float>{1e30f});
  EXPECT_EQ(obs.positive().total() + obs.negative().total(), 4u);
  EXPECT_EQ(obs.range(CalibrationMethod::kMax, {}).max, 1e30f);
}

TEST(Observer, NonNegativeRangesStartAtZero) {
  std::vector<float> v = uniform(100'000, 1.0f, kSeed);
  for (float& x : v) x += 2.0f;  // [2, 3)
  for (CalibrationMethod m : kAllMethods) {
    TensorRange r = range_of({v}, m);
    SCOPED_TRACE(method_name(m));
    if (m == CalibrationMethod::kMax) {
      EXPECT_GE(r.min, 2.0f);  // max keeps the exact observed range
    } else {
      EXPECT_EQ(r.min, 0.0f);
    }
    EXPECT_NEAR(r.max, 3.0f, 0.05f);
  }
}

// A lopsided signed tensor: KL's symmetric threshold is clipped to the observed minimum, so
// the small negative side is kept exactly.
TEST(Observer, LopsidedSignedTensor) {
  std::vector<float> v = uniform(200'000, 10.0f, kSeed);
  for (size_t i = 0; i < v.size(); i += 10) v[i] = -0.1f * v[i] / 10.0f;  // a few in [-0.1, 0)
  for (CalibrationMethod m : kAllMethods) {
    TensorRange r = range_of({v}, m);
    SCOPED_TRACE(method_name(m));
    EXPECT_LT(r.min, -0.05f);
    EXPECT_GE(r.min, -0.1f);
    EXPECT_NEAR(r.max, 10.0f, 0.3f);
  }
}

TEST(Observer, MaxOnlyObserverKeepsNoHistogram) {
  TensorObserver obs(false, 2048);
  obs.observe(gaussian(1000, kSeed));
  EXPECT_TRUE(obs.positive().counts.empty());
  TensorRange r = obs.range(CalibrationMethod::kMax, {});
  EXPECT_LT(r.min, -2.0f);
  EXPECT_GT(r.max, 2.0f);
}

// Mean squared error of u8 fake quantization with the range [lo, hi] (zero point rounded,
// as the quantizer does).
double u8_quantization_mse(const std::vector<float>& v, TensorRange r) {
  const double lo = std::min(0.0f, r.min), hi = std::max(0.0f, r.max);
  const double scale = (hi - lo) / 255.0;
  if (scale <= 0) return 0;
  const double zp = std::round(-lo / scale);
  double err = 0;
  for (float x : v) {
    const double q = std::clamp(std::round(x / scale) + zp, 0.0, 255.0);
    const double d = (q - zp) * scale - x;
    err += d * d;
  }
  return err / static_cast<double>(v.size());
}

// The MSE method's model of the error (rounding step^2/12 plus clipping, on bin centres)
// must track real fake quantization: its range beats the other methods' ranges and a brute
// force search over symmetric-ish thresholds, within a few percent.
TEST(Observer, MseRangeHasTheLowestRealQuantizationError) {
  std::mt19937 rng(kSeed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::exponential_distribution<float> expo(1.0f);
  std::vector<float> relu(100'000), laplace(100'000), outliers = gaussian(100'000, kSeed);
  for (float& x : relu) x = std::max(0.0f, normal(rng));
  for (float& x : laplace) x = (rng() & 1u) ? expo(rng) : -0.3f * expo(rng);  // lopsided
  for (int i = 0; i < 10; ++i) outliers[i * 997] = 15.0f * (i % 2 ? 1.0f : -1.0f);
  const std::pair<const char*, const std::vector<float>*> cases[] = {
      {"relu", &relu}, {"laplace", &laplace}, {"outliers", &outliers}};
  for (const auto& [name, v] : cases) {
    SCOPED_TRACE(name);
    const double mse = u8_quantization_mse(*v, range_of({*v}, CalibrationMethod::kMse));
    for (CalibrationMethod m : kAllMethods) {
      const double other = u8_quantization_mse(*v, range_of({*v}, m));
      EXPECT_LE(mse, other * 1.05) << method_name(m);
    }
    const MinMax mm = finite_min_max(*v);
    double best = std::numeric_limits<double>::infinity();
    for (int k = 1; k <= 100; ++k) {  // [min, max] scaled by k/100
      const float f = static_cast<float>(k) / 100.0f;
      best = std::min(best, u8_quantization_mse(*v, {mm.min * f, mm.max * f}));
    }
    EXPECT_LE(mse, best * 1.05);
    std::printf("%-9s real u8 MSE: mse range %.3g, best scaled range %.3g\n", name, mse, best);
  }
}

TEST(Thresholds, PercentileAndKlOnHandBuiltHistograms) {
  MagnitudeHistogram h;
  h.width = 0.5;
  h.counts = {10, 10, 10, 0, 1};
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 0.0), 2.5);
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 1.0), 1.5);  // the single outlier may go
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 11.0), 1.0);
  // Fewer used bins than levels: nothing to clip.
  EXPECT_DOUBLE_EQ(kl_threshold(h, 128), 2.5);
}

}  // namespace
}  // namespace edgeq::quant
