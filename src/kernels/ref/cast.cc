// Cast and CastLike between every numeric dtype, f16, bf16 and bool.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/kernel.h"
#include "kernels/ref/data_movement.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

// Tags for the 16-bit float formats (stored as raw bits).
struct Half { uint16_t bits; };
struct BFloat16 { uint16_t bits; };

template <typename T>
constexpr bool kIsFloat16 = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

template <typename F>
Status dispatch_castable(DType t, F&& f) {
  switch (t) {
    case DType::kFloat16: return f(Half{});
    case DType::kBFloat16: return f(BFloat16{});
    default: return dispatch_numeric(t, std::forward<F>(f));
  }
}

template <typename S>
auto widen(S v) {
  if constexpr (std::is_same_v<S, Half>) return half_to_float(v.bits);
  else if constexpr (std::is_same_v<S, BFloat16>) return bfloat16_to_float(v.bits);
  else return v;
}

// Float to integer: truncate toward zero, then wrap to the target width, as numpy does on
// x86: targets narrower than 32 bits (and int32) go through a 32-bit conversion, wider ones
// through a 64-bit one; NaN and out-of-range values give that conversion's INT_MIN.
template <typename D, typename S>
D float_to_int(S v) {
  if constexpr (sizeof(D) < 4 || std::is_same_v<D, int32_t>) {
    if (!(v > S(-2147483649.0) && v < S(2147483648.0))) return static_cast<D>(std::numeric_limits<int32_t>::min());
    return static_cast<D>(static_cast<int32_t>(v));
  } else {
    if constexpr (std::is_same_v<D, uint64_t>) {
      if (v >= S(9.2233720368547758e18) && v < S(1.8446744073709552e19)) return static_cast<uint64_t>(v);
    }
    if (!(v > S(-9.2233720368547758e18) && v < S(9.2233720368547758e18)))
      return static_cast<D>(std::numeric_limits<int64_t>::min());
    return static_cast<D>(static_cast<int64_t>(v));
  }
}

uint16_t float_to_bfloat16_truncated(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40);  // keep NaN a NaN
  return static_cast<uint16_t>(x >> 16);
}

template <typename D, typename S>
D convert(S in, Bf16Rounding rounding) {
  auto v = widen(in);
  using V = decltype(v);
  if constexpr (std::is_same_v<D, Half>) {
    return Half{float_to_half(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<D, BFloat16>) {
    const auto f = static_cast<float>(v);
    return BFloat16{rounding == Bf16Rounding::kTruncate ? float_to_bfloat16_truncated(f) : float_to_bfloat16(f)};
  } else if constexpr (std::is_same_v<D, bool>) {
    return v != V(0);
  } else if constexpr (std::is_integral_v<D> && std::is_floating_point_v<V>) {
    return float_to_int<D>(v);
  } else {
    return static_cast<D>(v);
  }
}

}  // namespace

Status convert_elements(const void* src, DType from, void* dst, DType to, int64_t n, Bf16Rounding rounding) {
  if (n <= 0) return {};
  if (from == to) {
    std::memcpy(dst, src, static_cast<size_t>(n) * dtype_size(from));
    return {};
  }
  return dispatch_castable(from, [&](auto src_tag) -> Status {
    using S = decltype(src_tag);
    return dispatch_castable(to, [&](auto dst_tag) -> Status {
      using D = decltype(dst_tag);
      const S* s = static_cast<const S*>(src);
      D* d = static_cast<D*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = convert<D>(s[i], rounding);
      return {};
    });
  });
}

namespace {

Status cast_to(KernelContext& ctx, const Tensor& x, DType to) {
  if (x.dtype() == DType::kString || to == DType::kString) return ctx.unsupported("string casts are not supported");
  Tensor out(to, x.shape());
  // ONNX defines Cast to bfloat16 as truncation up to opset 18 (the reference and backend
  // test data of opset 13 keep the upper 16 bits); opset 19 made it round to nearest even.
  const Bf16Rounding rounding = ctx.opset < 19 ? Bf16Rounding::kTruncate : Bf16Rounding::kNearestEven;
  Status s = convert_elements(x.raw(), x.dtype(), out.raw(), to, x.numel(), rounding);
  if (!s.ok()) return ctx.unsupported(s.message());
  ctx.output(0) = std::move(out);
  return {};
}

}  // namespace

Status run_Cast(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x || !x->defined()) return ctx.error("needs input");
  if (!ctx.attrs.has("to")) return ctx.error("needs attribute to");
  const int64_t code = ctx.attrs.get_int("to");
  if (code == static_cast<int64_t>(DType::kString)) return ctx.unsupported("string casts are not supported");
  auto to = dtype_from_onnx(static_cast<int32_t>(code));
  if (!to) return ctx.unsupported("cast to ONNX dtype " + std::to_string(code) + " is not supported");
  return cast_to(ctx, *x, *to);
}

Status run_CastLike(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* like = ctx.input(1);
  if (!x || !like) return ctx.error("needs inputs input and target_type");
  return cast_to(ctx, *x, like->dtype());
}

}  // namespace edgeq::kernels::ref
