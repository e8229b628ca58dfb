// Loops shared by the element-wise reference kernels (unary.cc, activation.cc,
// binary.cc, quantize.cc). Private to those files.
//
//   EDGEQ_ASSIGN_OR_RETURN(Dims out_shape, broadcast_for_node(ctx, a.shape(), b.shape()));
//   Tensor& y = ctx.output(0) = Tensor(a.dtype(), out_shape);
//   binary_loop<float, float, float>(a, b, y, [](float p, float q) { return p + q; });
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "base/tensor.h"
#include "kernels/kernel.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {

// y[i] = f(x[i]) over contiguous buffers of equal numel.
template <typename In, typename Out, typename F>
void unary_loop(const Tensor& x, Tensor& y, F f) {
  const In* px = x.data<In>();
  Out* py = y.data<Out>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) py[i] = f(px[i]);
}

// out = f(a, b) with numpy broadcasting; `out` is already allocated with the broadcast
// shape of a and b. Fast paths for equal shapes and scalar operands; otherwise the
// innermost output dimension is a plain strided loop (stride 0 or 1 per operand).
template <typename A, typename B, typename O, typename F>
void binary_loop(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  O* po = out.data<O>();
  const int64_t n = out.numel();
  if (n == 0) return;
  const int64_t na = a.numel(), nb = b.numel();
  if (na == n && nb == n) {
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return;
  }
  if (na == n && nb == 1) {
    const B s = pb[0];
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], s);
    return;
  }
  if (na == 1 && nb == n) {
    const A s = pa[0];
    for (int64_t i = 0; i < n; ++i) po[i] = f(s, pb[i]);
    return;
  }
  const Dims& shape = out.shape();
  const size_t rank = shape.size();
  Dims sa = broadcast_strides(a.shape(), shape);
  Dims sb = broadcast_strides(b.shape(), shape);
  const int64_t inner = shape[rank - 1];
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  Dims outer_shape(shape.begin(), shape.end() - 1);
  std::array<Dims, 2> strides{Dims(sa.begin(), sa.end() - 1), Dims(sb.begin(), sb.end() - 1)};
  for_each_broadcast<2>(outer_shape, strides, [&](int64_t row, const std::array<int64_t, 2>& off) {
    const A* ra = pa + off[0];
    const B* rb = pb + off[1];
    O* ro = po + row * inner;
    if (ia == 1 && ib == 1) {
      for (int64_t j = 0; j < inner; ++j) ro[j] = f(ra[j], rb[j]);
    } else if (ia == 1) {
      const B s = rb[0];
      for (int64_t j = 0; j < inner; ++j) ro[j] = f(ra[j], s);
    } else if (ib == 1) {
      const A s = ra[0];
      for (int64_t j = 0; j < inner; ++j) ro[j] = f(s, rb[j]);
    } else {
      const A s = ra[0];
      const B t = rb[0];
      for (int64_t j = 0; j < inner; ++j) ro[j] = f(s, t);
    }
  });
}

// Allocates y like x (dtype Out) and applies f to every element of T = x's C++ type,
// for x's dtype among the float dtypes (f32, f64).
template <typename F>
Status float_unary(KernelContext& ctx, F f) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (x->dtype() != DType::kFloat32 && x->dtype() != DType::kFloat64)
    return ctx.error("needs a float input, got " + std::string(dtype_name(x->dtype())));
  return dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    Tensor& y = ctx.output(0) = Tensor(x->dtype(), x->shape());
    unary_loop<T, T>(*x, y, [&](T v) { return static_cast<T>(f(v)); });
    return {};
  });
}

// Same over every numeric dtype but bool (ints of both signs, f32, f64).
template <typename F>
Status numeric_unary(KernelContext& ctx, F f) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (x->dtype() == DType::kBool) return ctx.error("does not accept bool input");
  if (dtype_size(x->dtype()) == 0 || x->dtype() == DType::kFloat16 || x->dtype() == DType::kBFloat16)
    return ctx.unsupported("dtype " + std::string(dtype_name(x->dtype())) + " is not supported");
  return dispatch_numeric(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return {};
    } else {
      Tensor& y = ctx.output(0) = Tensor(x->dtype(), x->shape());
      unary_loop<T, T>(*x, y, [&](T v) { return static_cast<T>(f(v)); });
      return {};
    }
  });
}

// Broadcast shape of a and b, or an invalid-argument error naming the node.
StatusOr<Dims> broadcast_for_node(const KernelContext& ctx, std::span<const int64_t> a,
                                  std::span<const int64_t> b);

// Input i, or an error naming the node when it is absent.
StatusOr<const Tensor*> required_input(const KernelContext& ctx, size_t i, const char* name);

// Runs `fn` with f16/bf16 inputs converted to f32; when input 0 was f16/bf16, f32
// outputs are converted back to that dtype. Ops are computed in f32 and rounded once,
// as ONNX Runtime does for half types.
Status run_with_half_as_float(KernelContext& ctx, KernelFn fn);

}  // namespace edgeq::kernels::ref
