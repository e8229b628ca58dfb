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
// graph computes what the unfused one did.
template <typename T>
T apply_fused_activation(T v, const FusedActivation& act) {
  switch (act.kind) {
    case FusedActivation::kNone: return v;
    case FusedActivation::kRelu: return v > T{0} ? v : T{0};
    case FusedActivation::kClip: return std::min(std::max(v, static_cast<T>(act.a)), static_cast<T>(act.b));
    case FusedActivation::kLeakyRelu: return v < 0 ? static_cast<T>(v * static_cast<double>(act.a)) : v;
    case FusedActivation::kHardSwish: return v * std::max(T{0}, std::min(T{1}, v / T{6} + T{0.5}));
    case FusedActivation::kSigmoid: {
      if (v >= T{0}) return T{1} / (T{1} + std::exp(-v));
      const T e = std::exp(v);
      return e / (T{1} + e);
    }
    case FusedActivation::kTanh: return std::tanh(v);
    case FusedActivation::kHardSigmoid:
      return std::max(T{0}, std::min(T{1}, static_cast<T>(act.a) * v + static_cast<T>(act.b)));
  }
  return v;
}

// y[i] = act(y[i] + z[i]) (z may be null).
template <typename T>
void apply_fused_epilogue(T* y, const T* z, int64_t n, const FusedActivation& act) {
  if (z)
    for (int64_t i = 0; i < n; ++i) y[i] = y[i] + z[i];
  if (act.kind == FusedActivation::kNone) return;
  for (int64_t i = 0; i < n; ++i) y[i] = apply_fused_activation(y[i], act);
}

}  // namespace edgeq::kernels::ref
