// The first conv of ResNet / MobileNet / EfficientNet-Lite (3 input channels, u8 NHWC
// 224x224) on the stem conv kernel and on oneDNN's implementations, one layer at a time,
// interleaved so load on the machine hits all alike. Prints the median and best ms and
// GOP/s of each.
//
//   edgeq_bench_stemconv [--runs 200] [--threads 1]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

using namespace edgeq;            // NOLINT
using namespace edgeq::runtime;   // NOLINT
using namespace edgeq::runtime::testing;  // NOLINT

int main(int argc, char** argv) {
  int runs = 200, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
  }
  struct Layer {
    const char* name;
    ConvSpec s;
  };
  std::vector<Layer> layers;
  ConvSpec s;
  s.C = 3, s.H = s.W = 224, s.O = 64, s.kh = s.kw = 7, s.sh = s.sw = 2, s.pt = s.pl = s.pb = s.pr = 3, s.zx = 114;
  layers.push_back({"resnet 7x7 s2 3->64", s});
  s.O = 32, s.kh = s.kw = 3, s.pt = s.pl = s.pb = s.pr = 1, s.zy = 0;
  layers.push_back({"mobilenet 3x3 s2 3->32", s});
  s.pt = s.pl = 0;  // TF-style "same" padding of EfficientNet-Lite: bottom/right only
  layers.push_back({"3x3 s2 3->32 pad br", s});
  // oneDNN candidates: "onednn" matches no implementation name, so it is oneDNN's first
  // choice; the others force an implementation family.
  const std::vector<std::string> impls = {"stemconv", "onednn", "brg", "jit_int8"};
  for (const Layer& l : layers) {
    struct Run {
      std::string impl, kernel;
      std::shared_ptr<const Executable> exe;
      std::unique_ptr<Instance> inst;
      std::vector<double> ms;
    };
    std::vector<Run> rs;
    const ConvData d = make_conv_data(l.s, 42);
    for (const std::string& impl : impls) {
      ProgramBuilder b;
      const int x = b.act("x", {1, l.s.C, l.s.H, l.s.W}, Layout::kNHWC, d.x);
      const int y = add_conv(b, l.s, d, x, Layout::kNHWC, "conv");
      format::Program p = b.finish({x}, {y});
      p.options.core_num = threads;
      ExecutableOptions o;
      o.conv_impl = impl;
      auto exe = Executable::create(std::move(p), o);
      if (!exe.ok()) {
        std::fprintf(stderr, "%s: %s\n", impl.c_str(), exe.status().message().c_str());
        continue;
      }
      omp_set_num_threads(threads);
      auto inst = Instance::create(*exe);
      if (!inst.ok()) continue;
      const std::string k = (*exe)->kernel_names()[0];
      if (impl != "stemconv" && impl != "onednn" && k.find("forced") == std::string::npos) continue;
      const std::vector<uint8_t> xin = random_u8(static_cast<size_t>(l.s.C * l.s.H * l.s.W), 1);
      std::memcpy((*inst)->input(0), xin.data(), xin.size());
      rs.push_back({impl, k, std::move(exe).value(), std::move(inst).value(), {}});
    }
    for (int r = -5; r < runs; ++r)
      for (Run& run : rs) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!run.inst->run().ok()) return 1;
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (r >= 0) run.ms.push_back(ms);
      }
    const double gop = 2.0 * l.s.O * l.s.OH() * l.s.OW() * l.s.C * l.s.kh * l.s.kw * 1e-9;
    std::printf("%s (%.3f GOP)\n", l.name, gop);
    for (Run& run : rs) {
      std::sort(run.ms.begin(), run.ms.end());
      const double med = run.ms[run.ms.size() / 2], best = run.ms.front();
      std::printf("  %-9s median %.3f ms  best %.3f ms  %6.1f GOP/s  [%s]\n", run.impl.c_str(), med, best, gop / med * 1e3,
                  run.kernel.c_str());
    }
  }
  return 0;
}
