// Single-core int8 peak of this CPU: a loop of AVX-512 VNNI vpdpbusd (u8 × s8 → s32, 64
// multiply-adds per instruction) on independent accumulators, so the only limit is the
// instruction throughput. Prints one JSON line: {"isa":..., "gops":..., "seconds":...}.
// 1 MAC = 2 OP. Run it pinned to one CPU (bench/runtime_bench.py uses taskset).
//
//   build/bin/edgeq_vnni_peak [--seconds 1.0]
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kAccumulators = 16;        // more than the latency × throughput product
constexpr long kItersPerBlock = 1 << 16;  // loop iterations per block

// 16 independent vpdpbusd per iteration in inline assembly, so the compiler adds no
// register moves or spills to the loop being timed.
__attribute__((target("avx512f,avx512vnni"))) long long run_block(long blocks, int* sink) {
  const long iters = blocks * kItersPerBlock;
  int out[16];
  asm volatile(
      "vpternlogd $0xff, %%zmm30, %%zmm30, %%zmm30\n\t"
      "vpabsb %%zmm30, %%zmm31\n\t"
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vmovdqa64 %%zmm0, %%zmm1\n\t vmovdqa64 %%zmm0, %%zmm2\n\t vmovdqa64 %%zmm0, %%zmm3\n\t"
      "vmovdqa64 %%zmm0, %%zmm4\n\t vmovdqa64 %%zmm0, %%zmm5\n\t vmovdqa64 %%zmm0, %%zmm6\n\t"
      "vmovdqa64 %%zmm0, %%zmm7\n\t vmovdqa64 %%zmm0, %%zmm8\n\t vmovdqa64 %%zmm0, %%zmm9\n\t"
      "vmovdqa64 %%zmm0, %%zmm10\n\t vmovdqa64 %%zmm0, %%zmm11\n\t vmovdqa64 %%zmm0, %%zmm12\n\t"
      "vmovdqa64 %%zmm0, %%zmm13\n\t vmovdqa64 %%zmm0, %%zmm14\n\t vmovdqa64 %%zmm0, %%zmm15\n\t"
      "mov %[n], %%rcx\n\t"
      "1:\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm0\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm1\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm2\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm3\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm4\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm5\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm6\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm7\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm8\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm9\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm10\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm11\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm12\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm13\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm14\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm15\n\t"
      "dec %%rcx\n\t"
      "jnz 1b\n\t"
      "vpaddd %%zmm1, %%zmm0, %%zmm0\n\t vpaddd %%zmm3, %%zmm2, %%zmm2\n\t vpaddd %%zmm2, %%zmm0, %%zmm0\n\t"
      "vpaddd %%zmm15, %%zmm0, %%zmm0\n\t"
      "vmovdqu32 %%zmm0, %[out]\n\t"
      : [out] "=m"(out)
      : [n] "r"(iters)
      : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15", "xmm30", "xmm31", "cc");
  *sink = out[0];
  return iters * kAccumulators;  // instructions
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512vnni")) {
    std::fprintf(stderr, "edgeq_vnni_peak: this CPU has no AVX-512 VNNI.\n");
    return 1;
  }
  int sink = 0;
  run_block(8, &sink);  // warm-up (clock ramp)
  using Clock = std::chrono::steady_clock;
  long blocks = 16;
  double best = 0, elapsed = 0;
  // Grow the block count until one run lasts `seconds`/4, then keep the best of 4 runs.
  for (;;) {
    auto t0 = Clock::now();
    long long n = run_block(blocks, &sink);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s >= seconds / 4) {
      best = n * 64.0 * 2.0 / s / 1e9;
      elapsed = s;
      break;
    }
    blocks *= 2;
  }
  for (int r = 0; r < 3; ++r) {
    auto t0 = Clock::now();
    long long n = run_block(blocks, &sink);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (n * 128.0 / s / 1e9 > best) best = n * 128.0 / s / 1e9;
    elapsed += s;
  }
  std::printf("{\"isa\": \"avx512_vnni\", \"instruction\": \"vpdpbusd zmm\", \"accumulators\": %d, "
              "\"gops\": %.2f, \"seconds\": %.3f, \"sink\": %d}\n",
              kAccumulators, best, elapsed, sink & 1);
  return 0;
}
