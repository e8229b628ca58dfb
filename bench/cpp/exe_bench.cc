// Latency of the runtime engine on one thread: loads a .bin (or builds a ResNet-50 /
// MobileNetV2-shaped program with random weights), runs N frames and prints the median
// frame time and the share of each op type (and kernel) in it.
//
//   edgeq_bench_exe --model_file model_output/resnet50.bin --runs 50
//   edgeq_bench_exe --synthetic resnet50 --runs 50 [--threads 1] [--per_op]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "format/bin.h"
#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

using namespace edgeq;  // NOLINT

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: edgeq_bench_exe (--model_file F.bin | --synthetic resnet50|mobilenetv2) [--runs N]\n"
               "                       [--warmup N] [--threads T] [--per_op]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_file, synthetic;
  int runs = 20, warmup = 3, threads = 1;
  bool per_op = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--model_file" && (v = next())) model_file = v;
    else if (a == "--synthetic" && (v = next())) synthetic = v;
    else if (a == "--runs" && (v = next())) runs = std::max(1, std::atoi(v));
    else if (a == "--warmup" && (v = next())) warmup = std::max(0, std::atoi(v));
    else if (a == "--threads" && (v = next())) threads = std::max(1, std::atoi(v));
    else if (a == "--per_op") per_op = true;
    else return usage();
  }
  if (model_file.empty() == synthetic.empty()) return usage();

  const auto t_load = std::chrono::steady_clock::now();
  format::Program program;
  if (!model_file.empty()) {
    auto p = format::read_bin(model_file);
    if (!p.ok()) {
      std::fprintf(stderr, "error: %s\n", p.status().message().c_str());
      return 1;
    }
    program = std::move(p).value();
  } else if (synthetic == "resnet50") {
    program = runtime::testing::resnet50_program();
  } else if (synthetic == "mobilenetv2") {
    program = runtime::testing::mobilenet_v2_program();
  } else {
    return usage();
  }
  if (!synthetic.empty()) program.options.core_num = threads;
  auto exe = runtime::Executable::create(std::move(program));
  if (!exe.ok()) {
    std::fprintf(stderr, "error: %s\n", exe.status().message().c_str());
    return 1;
  }
  omp_set_num_threads(threads);
  auto inst = runtime::Instance::create(*exe);
  if (!inst.ok()) {
    std::fprintf(stderr, "error: %s\n", inst.status().message().c_str());
    return 1;
  }
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_load).count();
  const format::Program& p = (*exe)->program();
  std::mt19937 rng(1);
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    auto* d = static_cast<uint8_t*>((*inst)->input(static_cast<int>(i)));
    const size_t n = (*exe)->input_bytes(static_cast<int>(i));
    const bool f32 = p.tensors[static_cast<size_t>(p.inputs[i].tensor)].dtype == DType::kFloat32;
    if (f32) {
      std::normal_distribution<float> nd(0.0f, 1.0f);
      for (size_t j = 0; j < n / 4; ++j) reinterpret_cast<float*>(d)[j] = nd(rng);
    } else {
      for (size_t j = 0; j < n; ++j) d[j] = static_cast<uint8_t>(rng());
    }
  }

  for (int i = 0; i < warmup; ++i)
    if (Status s = (*inst)->run(); !s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.message().c_str());
      return 1;
    }
  std::vector<double> frame_ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (Status s = (*inst)->run(); !s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.message().c_str());
      return 1;
    }
    frame_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(frame_ms.begin(), frame_ms.end());
  const double median = frame_ms[frame_ms.size() / 2];

  // Per-op times: median over profiled runs.
  const size_t nops = p.ops.size();
  std::vector<std::vector<double>> op_ms(nops);
  runtime::FrameProfile prof;
  for (int i = 0; i < std::max(5, runs / 2); ++i) {
    if (Status s = (*inst)->run(&prof); !s.ok()) return 1;
    for (size_t j = 0; j < nops; ++j) op_ms[j].push_back(prof.op_ms[j]);
  }
  std::vector<double> op_med(nops);
  double total = 0;
  for (size_t j = 0; j < nops; ++j) {
    std::sort(op_ms[j].begin(), op_ms[j].end());
    op_med[j] = op_ms[j][op_ms[j].size() / 2];
    total += op_med[j];
  }
  const std::vector<std::string> kernels = (*exe)->kernel_names();
  std::map<std::string, std::pair<double, int>> by_type, by_kernel;
  for (size_t j = 0; j < nops; ++j) {
    by_type[p.ops[j].type].first += op_med[j];
    by_type[p.ops[j].type].second++;
    std::string k = kernels[j];
    if (auto c = k.find(','); c != std::string::npos) k = k.substr(0, c);
    by_kernel[k].first += op_med[j];
    by_kernel[k].second++;
  }

  std::printf("model: %s\n", model_file.empty() ? ("synthetic " + synthetic).c_str() : model_file.c_str());
  std::printf("threads: %d, runs: %d, load+instance: %.1f ms, arena: %.2f MB, ops: %zu\n", threads, runs, load_ms,
              static_cast<double>(p.arena_bytes) / 1e6, nops);
  std::printf("median frame: %.3f ms (min %.3f, max %.3f)\n", median, frame_ms.front(), frame_ms.back());
  std::printf("\n%-22s %6s %10s %7s\n", "op type", "count", "ms", "share");
  for (const auto& [t, v] : by_type)
    std::printf("%-22s %6d %10.3f %6.1f%%\n", t.c_str(), v.second, v.first, 100.0 * v.first / total);
  std::printf("\n%-60s %6s %10s %7s\n", "kernel", "count", "ms", "share");
  for (const auto& [k, v] : by_kernel)
    std::printf("%-60s %6d %10.3f %6.1f%%\n", k.c_str(), v.second, v.first, 100.0 * v.first / total);
  if (per_op) {
    std::printf("\n%-4s %-28s %10s  %s\n", "#", "op", "ms", "kernel");
    for (size_t j = 0; j < nops; ++j)
      std::printf("%-4zu %-28s %10.3f  %s\n", j, p.ops[j].name.c_str(), op_med[j], kernels[j].c_str());
  }
  return 0;
}
