#include "kernels/isa.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <oneapi/dnnl/dnnl.hpp>

namespace edgeq::kernels {
namespace {

// From the most capable to the least; each one includes everything below it.
constexpr std::array<std::string_view, 7> kOrder = {"avx512_core_amx", "avx512_core_vnni", "avx512_core",
                                                    "avx2_vnni",       "avx2",             "sse41",
                                                    "any"};

int rank_of(const std::string& isa) {
  auto it = std::find(kOrder.begin(), kOrder.end(), isa);
  return it == kOrder.end() ? -1 : static_cast<int>(it - kOrder.begin());
}

}  // namespace

std::string host_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::sse41:
    case dnnl::cpu_isa::avx: return "sse41";
    default: return "any";
  }
}

bool isa_can_run(const std::string& host, const std::string& file_isa) {
  const int h = rank_of(host), f = rank_of(file_isa);
  if (h < 0 || f < 0) return false;
  // avx2_vnni is not a superset of avx512_core (and the reverse): only the chain matters
  // for VNNI; treat avx512_core as unable to run avx2_vnni code's dot products.
  if (file_isa == "avx2_vnni" && host == "avx512_core") return false;
  return h <= f;
}

bool cpu_has_avx512bw() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return yes;
}

bool cpu_has_avx512_vnni() {
  static const bool yes = cpu_has_avx512bw() && __builtin_cpu_supports("avx512vnni");
  return yes;
}

}  // namespace edgeq::kernels
