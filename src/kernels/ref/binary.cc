// Broadcasting binary reference kernels: arithmetic (Add, Sub, Mul, Div, Pow, Mod,
// BitShift), comparisons, logical ops and Where. Integer arithmetic wraps around as in
// numpy; integer division truncates toward zero as in C and gives 0 for a zero divisor
// (instead of trapping). Variadic Min/Max/Sum/Mean live in variadic.cc.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/kernel.h"
#include "kernels/ref/elementwise.h"

namespace edgeq::kernels::ref {

namespace {

// Unsigned type wide enough that integer arithmetic on T wraps without signed overflow
// (uint16 * uint16 would otherwise be computed as int and overflow).
template <typename T>
using WrapT = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;

template <typename T>
T add_wrap(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapT<T>>(a) + static_cast<WrapT<T>>(b));
  else return a + b;
}
template <typename T>
T sub_wrap(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapT<T>>(a) - static_cast<WrapT<T>>(b));
  else return a - b;
}
template <typename T>
T mul_wrap(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapT<T>>(a) * static_cast<WrapT<T>>(b));
  else return a * b;
}
template <typename T>
T div_trunc(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return static_cast<T>(WrapT<T>{0} - static_cast<WrapT<T>>(a));  // MIN / -1 wraps
    }
    return static_cast<T>(a / b);
  } else {
    return a / b;
  }
}

// A (const Tensor*) and B aligned for broadcasting, and the output shape. Before opset 7,
// `broadcast=1` with `axis` placed B's dims at `axis` of A (default: trailing dims).
struct Operands {
  const Tensor* a = nullptr;
  Tensor b;
  Dims out_shape;
};

StatusOr<Operands> binary_operands(const KernelContext& ctx, bool same_dtype) {
  Operands ops;
  EDGEQ_ASSIGN_OR_RETURN(ops.a, required_input(ctx, 0, "A"));
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* b, required_input(ctx, 1, "B"));
  if (same_dtype && ops.a->dtype() != b->dtype())
    return ctx.error("inputs have different dtypes " + std::string(dtype_name(ops.a->dtype())) + " and " +
                     std::string(dtype_name(b->dtype())));
  ops.b = *b;
  if (ctx.opset < 7 && ctx.attrs.get_int("broadcast", 0) != 0) {
    const int64_t ra = ops.a->rank(), rb = b->rank();
    const int64_t axis = ctx.attrs.get_int("axis", ra - rb);
    if (axis < 0 || axis + rb > ra)
      return ctx.error("axis " + std::to_string(axis) + " does not place B of shape " + shape_to_string(b->shape()) +
                       " inside A of shape " + shape_to_string(ops.a->shape()));
    Dims shape(static_cast<size_t>(ra), 1);
    for (int64_t i = 0; i < rb; ++i) shape[static_cast<size_t>(axis + i)] = b->dim(i);
    ops.b = b->reshaped(shape);
  }
  EDGEQ_ASSIGN_OR_RETURN(ops.out_shape, broadcast_for_node(ctx, ops.a->shape(), ops.b.shape()));
  return ops;
}

// out = f(a, b) for A and B of one dtype; the output dtype is that of f's result.
// kAllowBool=false rejects bool inputs.
template <bool kAllowBool, typename F>
Status same_dtype_binary(KernelContext& ctx, F f) {
  EDGEQ_ASSIGN_OR_RETURN(Operands ops, binary_operands(ctx, true));
  const DType dt = ops.a->dtype();
  if (!kAllowBool && dt == DType::kBool) return ctx.error("does not accept bool inputs");
  if (dtype_size(dt) == 0 || dt == DType::kFloat16 || dt == DType::kBFloat16)
    return ctx.unsupported("dtype " + std::string(dtype_name(dt)) + " is not supported");
  return dispatch_numeric(dt, [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (!kAllowBool && std::is_same_v<T, bool>) {
      return {};
    } else {
      using R = decltype(f(T{}, T{}));
      Tensor& y = ctx.output(0) = Tensor(DTypeOf<R>::value, ops.out_shape);
      binary_loop<T, T, R>(*ops.a, ops.b, y, f);
      return {};
    }
  });
}

Status add_impl(KernelContext& ctx) {
  return same_dtype_binary<false>(ctx, [](auto a, auto b) { return add_wrap(a, b); });
}
Status sub_impl(KernelContext& ctx) {
  return same_dtype_binary<false>(ctx, [](auto a, auto b) { return sub_wrap(a, b); });
}
Status mul_impl(KernelContext& ctx) {
  return same_dtype_binary<false>(ctx, [](auto a, auto b) { return mul_wrap(a, b); });
}
Status div_impl(KernelContext& ctx) {
  return same_dtype_binary<false>(ctx, [](auto a, auto b) { return div_trunc(a, b); });
}

// Mod: fmod=0 gives the remainder with the divisor's sign (Python), integers only;
// fmod=1 gives C fmod (dividend's sign). A zero integer divisor gives 0.
Status mod_impl(KernelContext& ctx) {
  const bool use_fmod = ctx.attrs.get_int("fmod", 0) != 0;
  const Tensor* a = ctx.input(0);
  if (a && dtype_is_float(a->dtype()) && !use_fmod) return ctx.error("needs fmod=1 for float inputs");
  return same_dtype_binary<false>(ctx, [use_fmod](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(std::fmod(a, b));
    } else {
      if (b == 0) return T{0};
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return T{0};  // also avoids the MIN % -1 trap
        T r = static_cast<T>(a % b);
        if (!use_fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      } else {
        return static_cast<T>(a % b);
      }
    }
  });
}

Status bitshift_impl(KernelContext& ctx) {
  const std::string direction = ctx.attrs.get_string("direction");
  if (direction != "LEFT" && direction != "RIGHT")
    return ctx.error("direction must be \"LEFT\" or \"RIGHT\", got \"" + direction + "\"");
  const Tensor* a = ctx.input(0);
  if (a && !(a->dtype() == DType::kUInt8 || a->dtype() == DType::kUInt16 || a->dtype() == DType::kUInt32 ||
             a->dtype() == DType::kUInt64))
    return ctx.error("needs unsigned integer inputs, got " + std::string(dtype_name(a->dtype())));
  const bool left = direction == "LEFT";
  return same_dtype_binary<false>(ctx, [left](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_unsigned_v<T>) {
      if (b >= sizeof(T) * 8) return T{0};  // shifting out every bit; avoids UB
      return left ? static_cast<T>(a << b) : static_cast<T>(a >> b);
    } else {
      return a;
    }
  });
}

// --- Pow: base and exponent may differ in dtype; the output has the base's dtype. ------

// Converts a double to integer T, saturating and mapping NaN to 0 (no UB).
template <typename T>
T saturate_cast(double v) {
  if (std::isnan(v)) return T{0};
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

template <typename T, typename E>
T pow_value(T a, E b) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  } else if constexpr (std::is_floating_point_v<E>) {
    return saturate_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  } else {
    // Integer power by squaring, wrapping like numpy; a negative exponent truncates 1/a^n.
    if constexpr (std::is_signed_v<E>) {
      if (b < 0) {
        if (a == 1) return T{1};
        if (a == -1) return (b % 2 == 0) ? T{1} : static_cast<T>(-1);
        return T{0};
      }
    }
    WrapT<T> result = 1, base = static_cast<WrapT<T>>(a);
    for (uint64_t e = static_cast<uint64_t>(b); e != 0; e >>= 1) {
      if (e & 1) result = static_cast<WrapT<T>>(result * base);
      base = static_cast<WrapT<T>>(base * base);
    }
    return static_cast<T>(result);
  }
}

template <typename T>
Status pow_with_base(KernelContext& ctx, const Operands& ops) {
  const DType et = ops.b.dtype();
  if (et == DType::kBool || dtype_size(et) == 0 || et == DType::kFloat16 || et == DType::kBFloat16)
    return ctx.error("exponent dtype " + std::string(dtype_name(et)) + " is not supported");
  return dispatch_numeric(et, [&](auto etag) -> Status {
    using E = decltype(etag);
    if constexpr (std::is_same_v<E, bool>) {
      return {};
    } else {
      Tensor& y = ctx.output(0) = Tensor(DTypeOf<T>::value, ops.out_shape);
      binary_loop<T, E, T>(*ops.a, ops.b, y, [](T a, E b) { return pow_value<T, E>(a, b); });
      return {};
    }
  });
}

Status pow_impl(KernelContext& ctx) {
  EDGEQ_ASSIGN_OR_RETURN(Operands ops, binary_operands(ctx, false));
  switch (ops.a->dtype()) {
    case DType::kFloat32: return pow_with_base<float>(ctx, ops);
    case DType::kFloat64: return pow_with_base<double>(ctx, ops);
    case DType::kInt32: return pow_with_base<int32_t>(ctx, ops);
    case DType::kInt64: return pow_with_base<int64_t>(ctx, ops);
    default: return ctx.error("base dtype " + std::string(dtype_name(ops.a->dtype())) + " is not supported");
  }
}

// --- comparisons and logic -------------------------------------------------------------

Status equal_impl(KernelContext& ctx) {
  return same_dtype_binary<true>(ctx, [](auto a, auto b) { return a == b; });
}
Status less_impl(KernelContext& ctx) {
  return same_dtype_binary<true>(ctx, [](auto a, auto b) { return a < b; });
}
Status less_equal_impl(KernelContext& ctx) {
  return same_dtype_binary<true>(ctx, [](auto a, auto b) { return a <= b; });
}
Status greater_impl(KernelContext& ctx) {
  return same_dtype_binary<true>(ctx, [](auto a, auto b) { return a > b; });
}
Status greater_equal_impl(KernelContext& ctx) {
  return same_dtype_binary<true>(ctx, [](auto a, auto b) { return a >= b; });
}

template <typename F>
Status logical(KernelContext& ctx, F f) {
  EDGEQ_ASSIGN_OR_RETURN(Operands ops, binary_operands(ctx, true));
  if (ops.a->dtype() != DType::kBool)
    return ctx.error("needs bool inputs, got " + std::string(dtype_name(ops.a->dtype())));
  Tensor& y = ctx.output(0) = Tensor(DType::kBool, ops.out_shape);
  binary_loop<bool, bool, bool>(*ops.a, ops.b, y, f);
  return {};
}

// --- Where: three-way broadcast, any fixed-size dtype (copied as raw elements). ---------

template <typename U>
void where_loop(const Tensor& cond, const Tensor& x, const Tensor& y, Tensor& out) {
  const bool* pc = cond.data<bool>();
  const U* px = static_cast<const U*>(x.raw());
  const U* py = static_cast<const U*>(y.raw());
  U* po = static_cast<U*>(out.raw());
  const int64_t n = out.numel();
  if (cond.numel() == n && x.numel() == n && y.numel() == n) {
    for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? px[i] : py[i];
    return;
  }
  const Dims& shape = out.shape();
  std::array<Dims, 3> strides{broadcast_strides(cond.shape(), shape), broadcast_strides(x.shape(), shape),
                              broadcast_strides(y.shape(), shape)};
  for_each_broadcast<3>(shape, strides, [&](int64_t i, const std::array<int64_t, 3>& off) {
    po[i] = pc[off[0]] ? px[off[1]] : py[off[2]];
  });
}

}  // namespace

Status run_Add(KernelContext& ctx) { return run_with_half_as_float(ctx, &add_impl); }
Status run_Sub(KernelContext& ctx) { return run_with_half_as_float(ctx, &sub_impl); }
Status run_Mul(KernelContext& ctx) { return run_with_half_as_float(ctx, &mul_impl); }
Status run_Div(KernelContext& ctx) { return run_with_half_as_float(ctx, &div_impl); }
Status run_Mod(KernelContext& ctx) { return run_with_half_as_float(ctx, &mod_impl); }
Status run_Pow(KernelContext& ctx) { return run_with_half_as_float(ctx, &pow_impl); }
Status run_BitShift(KernelContext& ctx) { return bitshift_impl(ctx); }
Status run_Equal(KernelContext& ctx) { return run_with_half_as_float(ctx, &equal_impl); }
Status run_Less(KernelContext& ctx) { return run_with_half_as_float(ctx, &less_impl); }
Status run_LessOrEqual(KernelContext& ctx) { return run_with_half_as_float(ctx, &less_equal_impl); }
Status run_Greater(KernelContext& ctx) { return run_with_half_as_float(ctx, &greater_impl); }
Status run_GreaterOrEqual(KernelContext& ctx) { return run_with_half_as_float(ctx, &greater_equal_impl); }

Status run_And(KernelContext& ctx) {
  return logical(ctx, [](bool a, bool b) { return a && b; });
}
Status run_Or(KernelContext& ctx) {
  return logical(ctx, [](bool a, bool b) { return a || b; });
}
Status run_Xor(KernelContext& ctx) {
  return logical(ctx, [](bool a, bool b) { return a != b; });
}

Status run_Where(KernelContext& ctx) {
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* cond, required_input(ctx, 0, "condition"));
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* x, required_input(ctx, 1, "X"));
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* y, required_input(ctx, 2, "Y"));
  if (cond->dtype() != DType::kBool)
    return ctx.error("condition must be bool, got " + std::string(dtype_name(cond->dtype())));
  if (x->dtype() != y->dtype())
    return ctx.error("X and Y have different dtypes " + std::string(dtype_name(x->dtype())) + " and " +
                     std::string(dtype_name(y->dtype())));
  EDGEQ_ASSIGN_OR_RETURN(Dims xy, broadcast_for_node(ctx, x->shape(), y->shape()));
  EDGEQ_ASSIGN_OR_RETURN(Dims out_shape, broadcast_for_node(ctx, cond->shape(), xy));
  Tensor& out = ctx.output(0) = Tensor(x->dtype(), out_shape);
  switch (dtype_size(x->dtype())) {
    case 1: where_loop<uint8_t>(*cond, *x, *y, out); break;
    case 2: where_loop<uint16_t>(*cond, *x, *y, out); break;
    case 4: where_loop<uint32_t>(*cond, *x, *y, out); break;
    case 8: where_loop<uint64_t>(*cond, *x, *y, out); break;
    default: return ctx.unsupported("dtype " + std::string(dtype_name(x->dtype())) + " is not supported");
  }
  return {};
}

}  // namespace edgeq::kernels::ref
