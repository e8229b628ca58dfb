// Activation reference kernels: Relu, Clip, LeakyRelu, PRelu, Sigmoid, HardSigmoid,
// HardSwish, Tanh, Elu, Selu, Celu, Softplus, Softsign, ThresholdedRelu, Shrink.
// Attribute defaults are those of the ONNX spec.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/kernel.h"
#include "kernels/ref/elementwise.h"

namespace edgeq::kernels::ref {

Status run_Relu(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    return numeric_unary(c, [](auto v) { return v > decltype(v){0} ? v : decltype(v){0}; });
  });
}

Status run_Sigmoid(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    return float_unary(c, [](auto v) {
      using T = decltype(v);
      // Split by sign so exp never overflows.
      if (v >= T{0}) return T{1} / (T{1} + std::exp(-v));
      const T e = std::exp(v);
      return e / (T{1} + e);
    });
  });
}

Status run_Tanh(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) { return float_unary(c, [](auto v) { return std::tanh(v); }); });
}

Status run_Softsign(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    return float_unary(c, [](auto v) { return v / (decltype(v){1} + std::fabs(v)); });
  });
}

Status run_Softplus(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    return float_unary(c, [](auto v) {
      using T = decltype(v);
      // log(1 + exp(v)) without overflow for large v.
      return v > T{0} ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
    });
  });
}

Status run_LeakyRelu(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    const double alpha = c.attrs.get_float("alpha", 0.01f);
    return float_unary(c, [alpha](auto v) { return v < 0 ? static_cast<decltype(v)>(v * alpha) : v; });
  });
}

Status run_Elu(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    const double alpha = c.attrs.get_float("alpha", 1.0f);
    return float_unary(c, [alpha](auto v) {
      using T = decltype(v);
      return v < T{0} ? static_cast<T>(alpha * std::expm1(static_cast<double>(v))) : v;
    });
  });
}

Status run_Selu(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    const double alpha = c.attrs.get_float("alpha", 1.67326319217681884765625f);
    const double gamma = c.attrs.get_float("gamma", 1.05070102214813232421875f);
    return float_unary(c, [alpha, gamma](auto v) {
      using T = decltype(v);
      const double d = static_cast<double>(v);
      return static_cast<T>(d > 0 ? gamma * d : gamma * alpha * std::expm1(d));
    });
  });
}

Status run_Celu(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) -> Status {
    const double alpha = c.attrs.get_float("alpha", 1.0f);
    if (alpha == 0) return c.error("alpha must not be 0");
    return float_unary(c, [alpha](auto v) {
      using T = decltype(v);
      const double d = static_cast<double>(v);
      return static_cast<T>(std::max(0.0, d) + std::min(0.0, alpha * std::expm1(d / alpha)));
    });
  });
}

Status run_HardSigmoid(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    const float alpha = c.attrs.get_float("alpha", 0.2f);
    const float beta = c.attrs.get_float("beta", 0.5f);
    return float_unary(c, [alpha, beta](auto v) {
      using T = decltype(v);
      return std::max(T{0}, std::min(T{1}, static_cast<T>(alpha) * v + static_cast<T>(beta)));
    });
  });
}

Status run_HardSwish(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    return float_unary(c, [](auto v) {
      using T = decltype(v);
      // HardSwish(x) = x * HardSigmoid(x) with alpha = 1/6, beta = 0.5.
      return v * std::max(T{0}, std::min(T{1}, v / T{6} + T{0.5}));
    });
  });
}

Status run_ThresholdedRelu(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    const float alpha = c.attrs.get_float("alpha", 1.0f);
    return float_unary(c, [alpha](auto v) { return v > static_cast<decltype(v)>(alpha) ? v : decltype(v){0}; });
  });
}

Status run_Shrink(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) {
    const double lambd = c.attrs.get_float("lambd", 0.5f);
    const double bias = c.attrs.get_float("bias", 0.0f);
    return numeric_unary(c, [lambd, bias](auto v) {
      using T = decltype(v);
      const double d = static_cast<double>(v);
      if (d < -lambd) return static_cast<T>(d + bias);
      if (d > lambd) return static_cast<T>(d - bias);
      return T{0};
    });
  });
}

namespace {

// Clip bounds: attributes before opset 11, optional inputs 1 and 2 from opset 11 on.
template <typename T>
Status clip_bounds(const KernelContext& ctx, T* lo, T* hi) {
  *lo = std::numeric_limits<T>::lowest();
  *hi = std::numeric_limits<T>::max();
  if (ctx.opset < 11) {
    if constexpr (std::is_floating_point_v<T>) {
      if (ctx.attrs.has("min")) *lo = static_cast<T>(ctx.attrs.get_float("min"));
      if (ctx.attrs.has("max")) *hi = static_cast<T>(ctx.attrs.get_float("max"));
    }
    return {};
  }
  for (size_t i = 1; i <= 2; ++i) {
    const Tensor* b = ctx.input(i);
    if (!b || !b->defined()) continue;
    if (b->dtype() != ctx.input(0)->dtype())
      return ctx.error(std::string(i == 1 ? "min" : "max") + " has dtype " + std::string(dtype_name(b->dtype())) +
                       ", expected " + std::string(dtype_name(ctx.input(0)->dtype())));
    if (b->numel() != 1)
      return ctx.error(std::string(i == 1 ? "min" : "max") + " must be a scalar, got shape " +
                       shape_to_string(b->shape()));
    (i == 1 ? *lo : *hi) = b->data<T>()[0];
  }
  return {};
}

Status clip_impl(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (x->dtype() == DType::kBool) return ctx.error("does not accept bool input");
  return dispatch_numeric(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return {};
    } else {
      T lo, hi;
      EDGEQ_RETURN_IF_ERROR(clip_bounds<T>(ctx, &lo, &hi));
      Tensor& y = ctx.output(0) = Tensor(x->dtype(), x->shape());
      // min(max(x, lo), hi): when lo > hi every value becomes hi, as the spec says; NaN stays NaN.
      unary_loop<T, T>(*x, y, [lo, hi](T v) {
        if (v < lo) v = lo;
        if (v > hi) v = hi;
        return v;
      });
      return {};
    }
  });
}

Status prelu_impl(KernelContext& ctx) {
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* x, required_input(ctx, 0, "X"));
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* slope, required_input(ctx, 1, "slope"));
  if (slope->dtype() != x->dtype())
    return ctx.error("slope has dtype " + std::string(dtype_name(slope->dtype())) + ", expected " +
                     std::string(dtype_name(x->dtype())));
  if (x->dtype() == DType::kBool) return ctx.error("does not accept bool input");
  Tensor s = *slope;
  // Before opset 7 a 1-D slope of length C applied per channel (axis 1).
  if (ctx.opset < 7 && s.rank() == 1 && x->rank() >= 2 && s.dim(0) == x->dim(1) && s.dim(0) != 1) {
    Dims shape(static_cast<size_t>(x->rank() - 1), 1);
    shape[0] = s.dim(0);
    s = s.reshaped(shape);
  }
  EDGEQ_ASSIGN_OR_RETURN(Dims out_shape, broadcast_for_node(ctx, x->shape(), s.shape()));
  if (out_shape != x->shape())
    return ctx.error("slope of shape " + shape_to_string(s.shape()) + " cannot be broadcast to X of shape " +
                     shape_to_string(x->shape()));
  return dispatch_numeric(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return {};
    } else {
      Tensor& y = ctx.output(0) = Tensor(x->dtype(), x->shape());
      binary_loop<T, T, T>(*x, s, y, [](T v, T a) { return v < T{0} ? static_cast<T>(v * a) : v; });
      return {};
    }
  });
}

}  // namespace

Status run_Clip(KernelContext& ctx) { return run_with_half_as_float(ctx, &clip_impl); }
Status run_PRelu(KernelContext& ctx) { return run_with_half_as_float(ctx, &prelu_impl); }

}  // namespace edgeq::kernels::ref
