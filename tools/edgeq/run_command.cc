#include "tools/edgeq/run_command.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "base/npy.h"
#include "exec/interpreter.h"
#include "kernels/kernel.h"
#include "onnx/onnx_io.h"

namespace edgeq::tools {

namespace {

int fail(const Status& s) {
  std::cerr << "edgeq run: error: " << s.message() << "\n";
  return 2;
}

// Random input with a fixed seed: N(0,1) for floats, small non-negative ints otherwise.
Tensor random_input(DType dtype, const Dims& dims, uint32_t seed) {
  Tensor t(dtype, dims);
  std::mt19937 rng(seed);
  if (dtype == DType::kFloat32) {
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float& v : t.span<float>()) v = dist(rng);
  } else if (dtype_is_integer(dtype)) {
    const size_t es = dtype_size(dtype);
    auto* p = static_cast<uint8_t*>(t.raw());
    for (int64_t i = 0; i < t.numel(); ++i) p[static_cast<size_t>(i) * es] = static_cast<uint8_t>(rng() % 8);
  }
  return t;
}

StatusOr<std::map<std::string, Tensor>> make_feeds(const ir::Graph& g, const RunFlags& f) {
  std::map<std::string, Tensor> feeds;
  for (const auto& spec : f.inputs) {
    auto eq = spec.find('=');
    std::string name = eq == std::string::npos ? (g.inputs.size() == 1 ? g.inputs[0] : "") : spec.substr(0, eq);
    std::string path = eq == std::string::npos ? spec : spec.substr(eq + 1);
    if (name.empty()) return invalid_argument("--input '" + spec + "' must be name=file.npy: the model has several inputs");
    if (std::find(g.inputs.begin(), g.inputs.end(), name) == g.inputs.end())
      return invalid_argument("--input names '" + name + "', which is not an input of the model");
    EDGEQ_ASSIGN_OR_RETURN(Tensor t, load_npy(path));
    feeds[name] = std::move(t);
  }
  uint32_t seed = 1;
  for (const auto& name : g.inputs) {
    if (feeds.count(name)) continue;
    const ir::ValueInfo* info = g.value_info(name);
    auto dims = info && info->shape ? ir::static_dims(*info->shape) : std::nullopt;
    if (!dims) return invalid_argument("input '" + name + "' has no static shape; give it with --input-shape");
    feeds[name] = random_input(info->dtype, *dims, seed++);
  }
  return feeds;
}

std::string summary(const Tensor& t, int top) {
  char buf[256];
  Tensor f = t.to_float();
  auto v = f.span<float>();
  std::string s = std::string(dtype_name(t.dtype())) + shape_to_string(t.shape());
  if (v.empty()) return s;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  std::snprintf(buf, sizeof buf, "  min %.5g  max %.5g  mean %.5g", *lo, *hi, mean);
  s += buf;
  if (top > 0 && v.size() > 1) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    size_t k = std::min<size_t>(static_cast<size_t>(top), idx.size());
    std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(),
                      [&](size_t a, size_t b) { return v[a] > v[b]; });
    s += "\n    top-" + std::to_string(k) + ":";
    for (size_t i = 0; i < k; ++i) {
      std::snprintf(buf, sizeof buf, " [%zu] %.5g", idx[i], v[idx[i]]);
      s += buf;
    }
  }
  return s;
}

}  // namespace

int run_model_command(const RunFlags& f) {
  if (f.model_type != "onnx") return fail(invalid_argument("unknown --model-type '" + f.model_type + "'; use onnx"));
  onnx::LoadOptions load;
  for (const auto& flag : f.input_shapes) {
    auto parsed = onnx::parse_input_shape(flag);
    if (!parsed.ok()) return fail(parsed.status());
    load.input_shapes[parsed->first] = parsed->second;
  }
  auto graph = onnx::load_model(f.model, load);
  if (!graph.ok()) return fail(graph.status());
  if (f.threads > 0) kernels::set_num_threads(f.threads);
  exec::InterpreterOptions options;
  options.int8_simulation = f.int8_sim;
  auto interp = exec::Interpreter::create(*graph, options);
  if (!interp.ok()) return fail(interp.status());
  auto feeds = make_feeds(*graph, f);
  if (!feeds.ok()) return fail(feeds.status());

  std::map<std::string, Tensor> outputs;
  auto t0 = std::chrono::steady_clock::now();
  Status s = (*interp)->run(*feeds, &outputs);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!s.ok()) return fail(s);

  if (!f.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(f.output_dir, ec);
    for (const auto& [name, t] : outputs) {
      std::string safe = name;
      std::replace_if(safe.begin(), safe.end(), [](char c) { return c == '/' || c == ':'; }, '_');
      Status w = save_npy(t, (std::filesystem::path(f.output_dir) / (safe + ".npy")).string());
      if (!w.ok()) return fail(w);
    }
  }
  if (f.json) {
    nlohmann::json j;
    j["model"] = f.model;
    j["time_ms"] = ms;
    if (f.int8_sim) j["int8_groups"] = (*interp)->int8_group_count();
    for (const auto& [name, t] : outputs) {
      Tensor fl = t.to_float();
      j["outputs"][name] = {{"dtype", dtype_name(t.dtype())}, {"shape", t.shape()},
                            {"values_head", std::vector<float>(fl.span<float>().begin(),
                                                               fl.span<float>().begin() + std::min<int64_t>(fl.numel(), 16))}};
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("model: %s\n", f.model.c_str());
  for (const auto& [name, t] : *feeds) std::printf("input:  %s %s%s\n", name.c_str(), std::string(dtype_name(t.dtype())).c_str(), shape_to_string(t.shape()).c_str());
  for (const auto& [name, t] : outputs) std::printf("output: %s %s\n", name.c_str(), summary(t, f.top).c_str());
  if (f.int8_sim)
    std::printf("int8 simulation: %zu node groups ran as int8 kernels\n", (*interp)->int8_group_count());
  std::printf("%s interpreter time: %.2f ms (first run, %d threads)\n", f.int8_sim ? "int8-simulation" : "float", ms,
              kernels::num_threads());
  if (!f.output_dir.empty()) std::printf("outputs written to %s/\n", f.output_dir.c_str());
  return 0;
}

}  // namespace edgeq::tools
