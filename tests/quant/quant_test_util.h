// Helpers for the quantization tests: max calibration through the interpreter (the
// calibrator proper lives in quant/calibrator), random inputs, cosine similarity.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "exec/interpreter.h"
#include "quant/calibration.h"

namespace edgeq::quant::test {

inline Tensor random_tensor(const Dims& shape, std::mt19937& rng, float stddev = 1.0f) {
  std::normal_distribution<float> dist(0.0f, stddev);
  Tensor t(DType::kFloat32, shape);
  for (float& v : t.span<float>()) v = dist(rng);
  return t;
}

// One random N(0,1) feed per sample for every float graph input (static shapes).
inline std::vector<std::map<std::string, Tensor>> random_feeds(const ir::Graph& g, int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::map<std::string, Tensor>> feeds(static_cast<size_t>(count));
  for (auto& f : feeds)
    for (const auto& in : g.inputs) f[in] = random_tensor(*ir::static_dims(*g.value_info(in)->shape), rng);
  return feeds;
}

// min/max of every float value (graph inputs and node outputs) over the feeds.
inline RangeTable max_ranges(const ir::Graph& g, const std::vector<std::map<std::string, Tensor>>& feeds) {
  RangeTable ranges;
  auto observe = [&](const std::string& name, const Tensor& t) {
    if (t.dtype() != DType::kFloat32 || t.numel() == 0) return;
    auto [lo, hi] = std::minmax_element(t.data<float>(), t.data<float>() + t.numel());
    auto [it, fresh] = ranges.try_emplace(name, TensorRange{*lo, *hi});
    if (!fresh) it->second = {std::min(it->second.min, *lo), std::max(it->second.max, *hi)};
  };
  auto interp = exec::Interpreter::create(g);
  EXPECT_TRUE(interp.ok()) << interp.status().to_string();
  if (!interp.ok()) return ranges;
  for (const auto& f : feeds) {
    for (const auto& [name, t] : f) observe(name, t);
    std::map<std::string, Tensor> out;
    Status s = (*interp)->run(f, &out, [&](const ir::Node& n, std::span<const Tensor> outs) {
      for (size_t i = 0; i < outs.size() && i < n.outputs.size(); ++i) observe(n.outputs[i], outs[i]);
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  return ranges;
}

inline std::map<std::string, Tensor> run(const ir::Graph& g, const std::map<std::string, Tensor>& feeds) {
  std::map<std::string, Tensor> out;
  auto interp = exec::Interpreter::create(g);
  EXPECT_TRUE(interp.ok()) << interp.status().to_string();
  if (!interp.ok()) return out;
  Status s = (*interp)->run(feeds, &out);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

inline double cosine(const Tensor& a, const Tensor& b) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = a.at_double(i), y = b.at_double(i);
    ab += x * y, aa += x * x, bb += y * y;
  }
  if (aa == 0 && bb == 0) return 1.0;
  return ab / std::sqrt(aa * bb + 1e-300);
}

inline int64_t argmax(const Tensor& t) {
  int64_t best = 0;
  for (int64_t i = 1; i < t.numel(); ++i)
    if (t.at_double(i) > t.at_double(best)) best = i;
  return best;
}

}  // namespace edgeq::quant::test
