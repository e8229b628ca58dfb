// Helpers for pass tests written in the text IR: parse, run one pass, check the result is
// valid, prints as expected, and computes what the original computed.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>

#include "exec/interpreter.h"
#include "ir/parser.h"
#include "passes/pass.h"

namespace edgeq::passes::testing {

inline ir::Graph parse(const std::string& text) {
  StatusOr<ir::Graph> g = ir::parse_text(text);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return g.ok() ? *g : ir::Graph();
}

// Uniform [-1, 1) values for every f32 graph input (static shapes), fixed seed.
inline std::map<std::string, Tensor> random_feeds(const ir::Graph& g, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::map<std::string, Tensor> feeds;
  for (const auto& name : g.inputs) {
    const ir::ValueInfo* info = g.value_info(name);
    auto dims = info && info->shape ? ir::static_dims(*info->shape) : std::nullopt;
    EXPECT_TRUE(dims.has_value()) << "input " << name << " needs a static shape";
    if (!dims) continue;
    Tensor t(info->dtype, *dims);
    if (t.dtype() == DType::kFloat32)
      for (float& v : t.span<float>()) v = dist(rng);
    feeds[name] = t;
  }
  return feeds;
}

// Runs both graphs on the same random inputs; every output must agree within
// tol * max|expected| (absolute tol when the outputs are all zero).
inline void expect_same_outputs(const ir::Graph& before, const ir::Graph& after, double tol = 1e-5) {
  auto feeds = random_feeds(before);
  std::map<std::string, Tensor> want, got;
  auto a = exec::Interpreter::create(before, {kernels::Backend::kReference});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE((*a)->run(feeds, &want).ok());
  auto b = exec::Interpreter::create(after, {kernels::Backend::kReference});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  Status s = (*b)->run(feeds, &got);
  ASSERT_TRUE(s.ok()) << s.to_string();
  ASSERT_EQ(want.size(), got.size());
  for (const auto& [name, w] : want) {
    ASSERT_TRUE(got.count(name)) << "output " << name << " is missing after the pass";
    const Tensor& g = got.at(name);
    ASSERT_EQ(g.shape(), w.shape()) << name;
    ASSERT_EQ(g.dtype(), w.dtype()) << name;
    double max_ref = 0, max_diff = 0;
    for (int64_t i = 0; i < w.numel(); ++i) {
      max_ref = std::max(max_ref, std::abs(w.at_double(i)));
      max_diff = std::max(max_diff, std::abs(w.at_double(i) - g.at_double(i)));
    }
    EXPECT_LE(max_diff, tol * std::max(max_ref, 1.0)) << "output " << name;
  }
}

// Parses `before`, runs `pass`, checks the graph stays valid and numerically the same,
// and returns the text of the result.
inline std::string run_pass(PassFn pass, const std::string& before, bool check_numerics = true) {
  ir::Graph g = parse(before);
  ir::Graph original = g;
  Status s = pass(g, PassContext{});
  EXPECT_TRUE(s.ok()) << s.to_string();
  Status v = ir::verify(g);
  EXPECT_TRUE(v.ok()) << v.to_string() << "\n" << ir::to_text(g);
  if (check_numerics && v.ok()) expect_same_outputs(original, g);
  return ir::to_text(g);
}

}  // namespace edgeq::passes::testing
