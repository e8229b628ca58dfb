// Kernel micro-benchmark: the fast (oneDNN) Conv on ResNet-50 and MobileNetV2 layers at
// batch 1, one thread by default, in GFLOP/s; also a few other nn ops. Random data.
//
//   edgeq_kernel_bench [--threads N] [--min-ms MS] [--ref] [--filter TEXT]
//   EDGEQ_ONEDNN_CONV_LAYOUT=plain|nhwc|blocked edgeq_kernel_bench   # compare layouts
//
// Prints one line per layer: name, shape, ms per run (median of repeats), GFLOP/s. With
// one thread, times are the thread's CPU time (robust on a shared machine).
#include <algorithm>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <ctime>
#include <vector>

#include "base/attributes.h"
#include "base/tensor.h"
#include "kernels/kernel.h"

namespace {

using edgeq::Attributes;
using edgeq::Dims;
using edgeq::DType;
using edgeq::Tensor;
namespace k = edgeq::kernels;

struct ConvLayer {
  const char* name;
  int64_t c, h, m, kernel, stride, group;  // square input h x h, square kernel
};

// Layers of ResNet-50 (v1.5) and MobileNetV2 at 224x224.
const ConvLayer kLayers[] = {
    {"r50_conv1_7x7s2", 3, 224, 64, 7, 2, 1},
    {"r50_res2_1x1_64_64", 64, 56, 64, 1, 1, 1},
    {"r50_res2_3x3_64", 64, 56, 64, 3, 1, 1},
    {"r50_res2_1x1_64_256", 64, 56, 256, 1, 1, 1},
    {"r50_res3_3x3s2_128", 128, 56, 128, 3, 2, 1},
    {"r50_res3_1x1_512_128", 512, 28, 128, 1, 1, 1},
    {"r50_res4_3x3_256", 256, 14, 256, 3, 1, 1},
    {"r50_res4_1x1_1024_256", 1024, 14, 256, 1, 1, 1},
    {"r50_res5_3x3_512", 512, 7, 512, 3, 1, 1},
    {"r50_res5_1x1_512_2048", 512, 7, 2048, 1, 1, 1},
    {"mv2_conv1_3x3s2", 3, 224, 32, 3, 2, 1},
    {"mv2_dw3x3_32", 32, 112, 32, 3, 1, 32},
    {"mv2_1x1_32_16", 32, 112, 16, 1, 1, 1},
    {"mv2_1x1_16_96", 16, 112, 96, 1, 1, 1},
    {"mv2_dw3x3s2_96", 96, 112, 96, 3, 2, 96},
    {"mv2_dw3x3_144", 144, 56, 144, 3, 1, 144},
    {"mv2_1x1_144_24", 144, 56, 24, 1, 1, 1},
    {"mv2_dw3x3_576", 576, 14, 576, 3, 1, 576},
    {"mv2_1x1_576_96", 576, 14, 96, 1, 1, 1},
    {"mv2_1x1_320_1280", 320, 7, 1280, 1, 1, 1},
    {"mv2_dw3x3s2_576", 576, 14, 576, 3, 2, 576},
    {"mv2_dw3x3_960", 960, 7, 960, 3, 1, 960},
    {"mv2_1x1_64_384", 64, 14, 384, 1, 1, 1},
    {"mv2_1x1_384_64", 384, 14, 64, 1, 1, 1},
    {"mv2_1x1_160_960", 160, 7, 960, 1, 1, 1},
    {"mv2_1x1_960_160", 960, 7, 160, 1, 1, 1},
};

Tensor random_tensor(std::mt19937& rng, Dims shape) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (float& v : t.span<float>()) v = d(rng);
  return t;
}

// With one thread the bench reports the calling thread's CPU time, which stays honest on a
// machine shared with other jobs (wall time there measures the scheduler, not the kernel).
bool g_cpu_time = true;

double now_ms() {
  if (g_cpu_time) {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median ms per run of `fn` over repeats lasting at least min_ms in total (after a warm-up).
template <typename F>
double time_ms(F&& fn, double min_ms) {
  fn();
  std::vector<double> times;
  double total = 0;
  while (total < min_ms || times.size() < 5) {
    const double t0 = now_ms();
    fn();
    const double ms = now_ms() - t0;
    times.push_back(ms);
    total += ms;
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

struct Node {
  std::string op;
  Attributes attrs;
  std::vector<Tensor> outputs = std::vector<Tensor>(1);
  std::unique_ptr<k::KernelState> state;
  bool run(k::KernelFn fn, std::vector<const Tensor*> inputs) {
    k::KernelContext ctx{op, "bench", attrs, 13, inputs, outputs, {}, state};
    edgeq::Status s = fn(ctx);
    if (!s.ok()) std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return s.ok();
  }
};

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double min_ms = 300;
  k::Backend backend = k::Backend::kFast;
  std::string filter;  // only layers whose name contains this
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--min-ms") && i + 1 < argc) min_ms = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--ref")) backend = k::Backend::kReference;
    else if (!std::strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--min-ms MS] [--ref] [--filter TEXT]\n", argv[0]);
      return 2;
    }
  }
  // Keep glibc from mmap-ing (and page-faulting) every large output anew: in a long-running
  // interpreter its dynamic mmap threshold rises after the first frees and the same happens.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  k::set_num_threads(threads);
  g_cpu_time = threads == 1;
  const char* layout = std::getenv("EDGEQ_ONEDNN_CONV_LAYOUT");
  std::printf("threads=%d conv_layout=%s backend=%s clock=%s\n", threads, layout ? layout : "default",
              backend == k::Backend::kFast ? "fast" : "reference", g_cpu_time ? "thread-cpu" : "wall");
  std::printf("%-24s %-22s %10s %10s\n", "layer", "x / w", "ms", "GFLOP/s");
  std::mt19937 rng(42);
  double total_ms = 0;
  for (const ConvLayer& l : kLayers) {
    if (std::string(l.name).find(filter) == std::string::npos) continue;
    Tensor x = random_tensor(rng, {1, l.c, l.h, l.h});
    Tensor w = random_tensor(rng, {l.m, l.c / l.group, l.kernel, l.kernel});
    Tensor b = random_tensor(rng, {l.m});
    Node node;
    node.op = "Conv";
    const int64_t pad = l.kernel / 2;
    node.attrs.set("pads", Dims{pad, pad, pad, pad});
    node.attrs.set("strides", Dims{l.stride, l.stride});
    node.attrs.set("group", l.group);
    const k::KernelFn fn = k::find_kernel("Conv", backend);
    if (!node.run(fn, {&x, &w, &b})) return 1;
    const Tensor& y = node.outputs[0];
    const double flops = 2.0 * static_cast<double>(y.numel()) * static_cast<double>(l.c / l.group * l.kernel * l.kernel);
    const double ms = time_ms([&] { node.run(fn, {&x, &w, &b}); }, min_ms);
    total_ms += ms;
    char shape[64];
    std::snprintf(shape, sizeof shape, "%lldx%lld^2/%lldk%lld", static_cast<long long>(l.c), static_cast<long long>(l.h),
                  static_cast<long long>(l.m), static_cast<long long>(l.kernel));
    std::printf("%-24s %-22s %10.3f %10.1f\n", l.name, shape, ms, flops / (ms * 1e6));
  }
  std::printf("%-24s %-22s %10.3f\n", "conv_total", "", total_ms);

  // A few other ops of the two networks.
  Tensor x = random_tensor(rng, {1, 64, 112, 112});
  Node pool;
  pool.op = "MaxPool";
  pool.attrs.set("kernel_shape", Dims{3, 3});
  pool.attrs.set("strides", Dims{2, 2});
  pool.attrs.set("pads", Dims{1, 1, 1, 1});
  const k::KernelFn pool_fn = k::find_kernel("MaxPool", backend);
  std::printf("%-24s %-22s %10.3f\n", "r50_maxpool_3x3s2", "64x112^2", time_ms([&] { pool.run(pool_fn, {&x}); }, min_ms));
  Tensor g = random_tensor(rng, {1, 2048, 7, 7});
  Node gap;
  gap.op = "GlobalAveragePool";
  const k::KernelFn gap_fn = k::find_kernel("GlobalAveragePool", backend);
  std::printf("%-24s %-22s %10.3f\n", "r50_global_avgpool", "2048x7^2", time_ms([&] { gap.run(gap_fn, {&g}); }, min_ms));
  Tensor a = random_tensor(rng, {1, 2048}), w = random_tensor(rng, {1000, 2048}), c = random_tensor(rng, {1000});
  Node fc;
  fc.op = "Gemm";
  fc.attrs.set("transB", int64_t{1});
  const k::KernelFn fc_fn = k::find_kernel("Gemm", backend);
  const double fc_ms = time_ms([&] { fc.run(fc_fn, {&a, &w, &c}); }, min_ms);
  std::printf("%-24s %-22s %10.3f %10.1f\n", "r50_fc_gemm", "1x2048 * 2048x1000", fc_ms, 2.0 * 2048 * 1000 / (fc_ms * 1e6));
  return 0;
}
