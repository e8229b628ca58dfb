// The activation epilogue of FusedConv (see op_list.h), shared by the reference kernel and
// the fast kernel's paths that do not run it inside oneDNN.
//
//   FusedActivation act;
//   EDGEQ_RETURN_IF_ERROR(parse_fused_activation(ctx, &act));
//   apply_fused_epilogue(y, z_or_null, n, act);   // y = act(y + z)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "base/status.h"
#include "kernels/kernel.h"

namespace edgeq::kernels::ref {

struct FusedActivation {
  enum Kind { kNone, kRelu, kClip, kLeakyRelu, kHardSwish, kSigmoid, kTanh, kHardSigmoid };
  Kind kind = kNone;
  float a = 0, b = 0;  // Clip min,max; LeakyRelu alpha; HardSigmoid alpha,beta
};

// Reads `activation` and `activation_params`; error on an unknown activation or a wrong
// number of params. Missing params take the ONNX defaults (Clip: -inf, +inf).
Status parse_fused_activation(const KernelContext& ctx, FusedActivation* act);

// The same formulas as the standalone activation kernels (activation.cc), so that a fused
// graph computes what the unfused one did. K is a template argument so that loops over
// one activation compile to straight (vectorizable) code.
template <FusedActivation::Kind K, typename T>
T activate(T v, float a, float b) {
  if constexpr (K == FusedActivation::kRelu) return v > T{0} ? v : T{0};
  if constexpr (K == FusedActivation::kClip) return std::min(std::max(v, static_cast<T>(a)), static_cast<T>(b));
  if constexpr (K == FusedActivation::kLeakyRelu) return v < 0 ? static_cast<T>(v * static_cast<double>(a)) : v;
  if constexpr (K == FusedActivation::kHardSwish) return v * std::max(T{0}, std::min(T{1}, v / T{6} + T{0.5}));
  if constexpr (K == FusedActivation::kSigmoid) {
    if (v >= T{0}) return T{1} / (T{1} + std::exp(-v));
    const T e = std::exp(v);
    return e / (T{1} + e);
  }
  if constexpr (K == FusedActivation::kTanh) return std::tanh(v);
  if constexpr (K == FusedActivation::kHardSigmoid)
    return std::max(T{0}, std::min(T{1}, static_cast<T>(a) * v + static_cast<T>(b)));
  return v;
}

template <FusedActivation::Kind K, typename T>
void activate_all(T* __restrict y, int64_t n, float a, float b) {
  for (int64_t i = 0; i < n; ++i) y[i] = activate<K>(y[i], a, b);
}

// y[i] = act(y[i] + z[i]) (z may be null).
template <typename T>
void apply_fused_epilogue(T* __restrict y, const T* __restrict z, int64_t n, const FusedActivation& act) {
  if (z)
    for (int64_t i = 0; i < n; ++i) y[i] = y[i] + z[i];
  using A = FusedActivation;
  switch (act.kind) {
    case A::kNone: return;
    case A::kRelu: return activate_all<A::kRelu>(y, n, act.a, act.b);
    case A::kClip: return activate_all<A::kClip>(y, n, act.a, act.b);
    case A::kLeakyRelu: return activate_all<A::kLeakyRelu>(y, n, act.a, act.b);
    case A::kHardSwish: return activate_all<A::kHardSwish>(y, n, act.a, act.b);
    case A::kSigmoid: return activate_all<A::kSigmoid>(y, n, act.a, act.b);
    case A::kTanh: return activate_all<A::kTanh>(y, n, act.a, act.b);
    case A::kHardSigmoid: return activate_all<A::kHardSigmoid>(y, n, act.a, act.b);
  }
}

}  // namespace edgeq::kernels::ref
