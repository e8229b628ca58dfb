// Times edgeq's float interpreter on one ONNX model: load, one run to prepare kernels,
// `--warmup` more runs, then `--runs` timed runs (one frame each, wall clock).
//
//   edgeq_bench_interp --model resnet50_op13.onnx --input resnet50_input.npy --threads 1
//
// Prints one JSON line: {"model", "threads", "runs", "median_ms", "min_ms", "mean_ms",
// "times_ms"}; with
// --profile also "ops": total ms per op type over the timed runs, divided by the run count
// (a node's time is measured from the previous node's end, so it includes the interpreter's
// own work between nodes).
// Inputs not given with --input are fed zeros of the declared shape.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <numeric>

#include <nlohmann/json.hpp>

#include "base/npy.h"
#include "exec/interpreter.h"
#include "onnx/onnx_io.h"
#include "passes/pass.h"

namespace {

using edgeq::Status;
using edgeq::Tensor;

int fail(const std::string& message) {
  std::cerr << "edgeq_bench_interp: " << message << "\n";
  return 1;
}

// Feeds every graph input: from its .npy file if given, else zeros of the declared shape.
Status make_feeds(const edgeq::ir::Graph& graph, const std::string& input_npy,
                  std::map<std::string, Tensor>* feeds) {
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    const std::string& name = graph.inputs[i];
    if (i == 0 && !input_npy.empty()) {
      EDGEQ_ASSIGN_OR_RETURN((*feeds)[name], edgeq::load_npy(input_npy));
      continue;
    }
    const edgeq::ir::ValueInfo* info = graph.value_info(name);
    std::optional<edgeq::Dims> dims;
    if (info && info->shape) dims = edgeq::ir::static_dims(*info->shape);
    if (!info || !dims) return edgeq::invalid_argument("input '" + name + "' has no static shape to feed zeros.");
    (*feeds)[name] = Tensor(info->dtype, *dims);
  }
  return {};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times edgeq's float interpreter on an ONNX model"};
  std::string model, input;
  int warmup = 5, runs = 30, threads = 1;
  bool profile = false, optimize = false;
  app.add_option("--model", model, "ONNX model file")->required();
  app.add_option("--input", input, ".npy file for the first graph input (default: zeros)");
  app.add_option("--warmup", warmup, "untimed runs after the first")->check(CLI::NonNegativeNumber);
  app.add_option("--runs", runs, "timed runs")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "kernel threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_flag("--profile", profile, "report time per op type");
  app.add_flag("--optimize", optimize, "run edgeq's optimization pipeline first (folding, fusion)");
  CLI11_PARSE(app, argc, argv);

  edgeq::kernels::set_num_threads(threads);
  auto graph = edgeq::onnx::load_model(model);
  if (!graph.ok()) return fail(graph.status().message());
  if (optimize) {
    if (Status s = edgeq::passes::run_pipeline(*graph, {}); !s.ok()) return fail(s.message());
  }
  auto interp = edgeq::exec::Interpreter::create(*graph);
  if (!interp.ok()) return fail(interp.status().message());
  std::map<std::string, Tensor> feeds, fetches;
  if (Status s = make_feeds(*graph, input, &feeds); !s.ok()) return fail(s.message());

  using Clock = std::chrono::steady_clock;
  std::map<std::string, double> op_ms;
  Clock::time_point last;
  bool timing_ops = false;
  edgeq::exec::NodeCallback on_node = [&](const edgeq::ir::Node& node, std::span<const Tensor>) {
    Clock::time_point now = Clock::now();
    if (timing_ops) op_ms[node.op_type] += std::chrono::duration<double, std::milli>(now - last).count();
    last = now;
  };

  std::vector<double> times;
  for (int i = 0; i < 1 + warmup + runs; ++i) {
    fetches.clear();
    timing_ops = profile && i > warmup;
    auto t0 = Clock::now();
    last = t0;
    Status s = (*interp)->run(feeds, &fetches, profile ? on_node : nullptr);
    auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) return fail(s.message());
    if (i > warmup) times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  nlohmann::json report = {
      {"model", model},
      {"threads", edgeq::kernels::num_threads()},
      {"optimized", optimize},
      {"runs", times.size()},
      {"median_ms", median(times)},
      {"min_ms", *std::min_element(times.begin(), times.end())},
      {"mean_ms", std::accumulate(times.begin(), times.end(), 0.0) / times.size()},
      {"times_ms", times},
  };
  if (profile) {
    nlohmann::json ops = nlohmann::json::object();
    for (const auto& [op, ms] : op_ms) ops[op] = ms / times.size();
    report["ops"] = ops;
  }
  std::cout << report.dump() << "\n";
  return 0;
}
