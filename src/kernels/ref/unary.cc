// Unary math reference kernels: Sqrt, Exp, Log, trig and hyperbolic functions, Erf,
// rounding (Floor, Ceil, Round), Abs, Neg, Sign, Reciprocal, IsNaN, IsInf, Not.
// Activations live in activation.cc.
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/kernel.h"
#include "kernels/ref/elementwise.h"

namespace edgeq::kernels::ref {

// A float-only op: y = expr(v) for f32/f64 (f16/bf16 computed in f32).
#define EDGEQ_FLOAT_UNARY(Op, expr)                                                    \
  Status run_##Op(KernelContext& ctx) {                                                \
    return run_with_half_as_float(ctx, [](KernelContext& c) {                          \
      return float_unary(c, [](auto v) { return expr; });                              \
    });                                                                                \
  }

EDGEQ_FLOAT_UNARY(Sqrt, std::sqrt(v))
EDGEQ_FLOAT_UNARY(Exp, std::exp(v))
EDGEQ_FLOAT_UNARY(Log, std::log(v))
EDGEQ_FLOAT_UNARY(Erf, std::erf(v))
EDGEQ_FLOAT_UNARY(Sin, std::sin(v))
EDGEQ_FLOAT_UNARY(Cos, std::cos(v))
EDGEQ_FLOAT_UNARY(Tan, std::tan(v))
EDGEQ_FLOAT_UNARY(Asin, std::asin(v))
EDGEQ_FLOAT_UNARY(Acos, std::acos(v))
EDGEQ_FLOAT_UNARY(Atan, std::atan(v))
EDGEQ_FLOAT_UNARY(Sinh, std::sinh(v))
EDGEQ_FLOAT_UNARY(Cosh, std::cosh(v))
EDGEQ_FLOAT_UNARY(Asinh, std::asinh(v))
EDGEQ_FLOAT_UNARY(Acosh, std::acosh(v))
EDGEQ_FLOAT_UNARY(Atanh, std::atanh(v))
EDGEQ_FLOAT_UNARY(Floor, std::floor(v))
EDGEQ_FLOAT_UNARY(Ceil, std::ceil(v))
// nearbyint in the default rounding mode rounds halves to even, as ONNX Round requires.
EDGEQ_FLOAT_UNARY(Round, std::nearbyint(v))
EDGEQ_FLOAT_UNARY(Reciprocal, decltype(v){1} / v)

#undef EDGEQ_FLOAT_UNARY

namespace {

// Wrapping negation (numpy semantics: -INT_MIN == INT_MIN), no signed overflow UB.
template <typename T>
T wrap_neg(T v) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(U{0} - static_cast<U>(v)));
  } else {
    return -v;
  }
}

}  // namespace

Status run_Abs(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    return numeric_unary(c, [](auto v) {
      using T = decltype(v);
      if constexpr (std::is_unsigned_v<T>) return v;
      else if constexpr (std::is_integral_v<T>) return v < 0 ? wrap_neg(v) : v;
      else return std::fabs(v);
    });
  });
}

Status run_Neg(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    return numeric_unary(c, [](auto v) { return wrap_neg(v); });
  });
}

Status run_Sign(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    return numeric_unary(c, [](auto v) {
      using T = decltype(v);
      // Zero and NaN map to themselves for floats.
      if (v > T{0}) return T{1};
      if constexpr (std::is_signed_v<T>) {
        if (v < T{0}) return static_cast<T>(-1);
      }
      return v;
    });
  });
}

namespace {

Status is_nan_impl(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (x->dtype() != DType::kFloat32 && x->dtype() != DType::kFloat64)
    return ctx.error("needs a float input, got " + std::string(dtype_name(x->dtype())));
  return dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    Tensor& y = ctx.output(0) = Tensor(DType::kBool, x->shape());
    unary_loop<T, bool>(*x, y, [](T v) { return std::isnan(v); });
    return {};
  });
}

Status is_inf_impl(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (x->dtype() != DType::kFloat32 && x->dtype() != DType::kFloat64)
    return ctx.error("needs a float input, got " + std::string(dtype_name(x->dtype())));
  const bool pos = ctx.attrs.get_int("detect_positive", 1) != 0;
  const bool neg = ctx.attrs.get_int("detect_negative", 1) != 0;
  return dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    Tensor& y = ctx.output(0) = Tensor(DType::kBool, x->shape());
    unary_loop<T, bool>(*x, y, [&](T v) { return std::isinf(v) && (v > 0 ? pos : neg); });
    return {};
  });
}

}  // namespace

Status run_IsNaN(KernelContext& ctx) { return run_with_half_as_float(ctx, &is_nan_impl); }
Status run_IsInf(KernelContext& ctx) { return run_with_half_as_float(ctx, &is_inf_impl); }

Status run_Not(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (x->dtype() != DType::kBool) return ctx.error("needs a bool input, got " + std::string(dtype_name(x->dtype())));
  Tensor& y = ctx.output(0) = Tensor(DType::kBool, x->shape());
  unary_loop<bool, bool>(*x, y, [](bool v) { return !v; });
  return {};
}

}  // namespace edgeq::kernels::ref
