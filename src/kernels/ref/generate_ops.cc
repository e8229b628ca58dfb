// Kernels that create tensors from attributes or scalars: Constant, ConstantOfShape,
// Range, EyeLike, and Trilu (which masks a matrix).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <variant>

#include "kernels/kernel.h"
#include "kernels/ref/data_movement.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {

Status run_Constant(KernelContext& ctx) {
  if (const Tensor* t = ctx.attrs.get_tensor("value")) {
    ctx.output(0) = t->clone();
    return {};
  }
  if (ctx.attrs.has("value_float")) {
    ctx.output(0) = Tensor::scalar<float>(ctx.attrs.get_float("value_float"));
    return {};
  }
  if (ctx.attrs.has("value_int")) {
    ctx.output(0) = Tensor::scalar<int64_t>(ctx.attrs.get_int("value_int"));
    return {};
  }
  if (const AttributeValue* v = ctx.attrs.find("value_floats")) {
    std::vector<float> f = ctx.attrs.get_floats("value_floats");
    if (const auto* ints = std::get_if<std::vector<int64_t>>(v)) f.assign(ints->begin(), ints->end());
    ctx.output(0) = Tensor::from_vector<float>({static_cast<int64_t>(f.size())}, f);
    return {};
  }
  if (ctx.attrs.has("value_ints")) {
    std::vector<int64_t> i = ctx.attrs.get_ints("value_ints");
    ctx.output(0) = Tensor::from_vector<int64_t>({static_cast<int64_t>(i.size())}, i);
    return {};
  }
  for (const char* name : {"value_string", "value_strings", "sparse_value"})
    if (ctx.attrs.has(name)) return ctx.unsupported(std::string("attribute ") + name + " is not supported");
  return ctx.error("needs one of the attributes value, value_float(s), value_int(s)");
}

Status run_ConstantOfShape(KernelContext& ctx) {
  const Tensor* shape_t = ctx.input(0);
  if (!shape_t || !shape_t->defined()) return ctx.error("needs input shape");
  if (shape_t->dtype() != DType::kInt64) return ctx.error("input shape must be int64");
  if (shape_t->rank() != 1) return ctx.error("input shape must be 1-D, got " + shape_to_string(shape_t->shape()));
  Dims shape(shape_t->data<int64_t>(), shape_t->data<int64_t>() + shape_t->numel());
  for (int64_t d : shape)
    if (d < 0) return ctx.error("shape " + shape_to_string(shape) + " has a negative dim");
  const Tensor* value = ctx.attrs.get_tensor("value");
  if (value && value->numel() != 1) return ctx.error("attribute value must hold exactly one element");
  if (value && dtype_size(value->dtype()) == 0)
    return ctx.unsupported("value of dtype " + std::string(dtype_name(value->dtype())) + " is not supported");
  Tensor out(value ? value->dtype() : DType::kFloat32, std::move(shape));
  if (value) fill_bytes(out.raw(), value->raw(), out.numel(), dtype_size(value->dtype()));
  ctx.output(0) = std::move(out);
  return {};
}

Status run_Range(KernelContext& ctx) {
  const Tensor* start = ctx.input(0);
  const Tensor* limit = ctx.input(1);
  const Tensor* delta = ctx.input(2);
  if (!start || !limit || !delta) return ctx.error("needs inputs start, limit and delta");
  if (start->numel() != 1 || limit->numel() != 1 || delta->numel() != 1)
    return ctx.error("start, limit and delta must be scalars");
  if (start->dtype() != limit->dtype() || start->dtype() != delta->dtype())
    return ctx.error("start, limit and delta must have one dtype");
  Status s = dispatch_numeric(start->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return ctx.error("dtype bool is not allowed");
    } else {
      const T a = start->data<T>()[0], b = limit->data<T>()[0], d = delta->data<T>()[0];
      if (d == T(0)) return ctx.error("delta must not be zero");
      double n_real = std::ceil((static_cast<double>(b) - static_cast<double>(a)) / static_cast<double>(d));
      int64_t n = std::max<int64_t>(0, static_cast<int64_t>(n_real));
      Tensor out(start->dtype(), {n});
      T* p = out.data<T>();
      // Accumulate like the ONNX definition (prev + delta) so float results match it.
      T v = a;
      for (int64_t i = 0; i < n; ++i, v = static_cast<T>(v + d)) p[i] = v;
      ctx.output(0) = std::move(out);
      return {};
    }
  });
  if (s.code() == StatusCode::kUnsupported) return ctx.unsupported(s.message());
  return s;
}

Status run_EyeLike(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x || !x->defined()) return ctx.error("needs input");
  if (x->rank() != 2) return ctx.error("input must be 2-D, got " + shape_to_string(x->shape()));
  DType dt = x->dtype();
  if (ctx.attrs.has("dtype")) {
    auto d = dtype_from_onnx(static_cast<int32_t>(ctx.attrs.get_int("dtype")));
    if (!d) return ctx.error("unknown dtype " + std::to_string(ctx.attrs.get_int("dtype")));
    dt = *d;
  }
  if (dtype_size(dt) == 0) return ctx.unsupported("dtype " + std::string(dtype_name(dt)) + " is not supported");
  const int64_t k = ctx.attrs.get_int("k", 0), rows = x->dim(0), cols = x->dim(1);
  Tensor out(dt, {rows, cols});
  std::vector<std::byte> one(dtype_size(dt));
  Status s = write_one(dt, one.data());
  if (!s.ok()) return ctx.unsupported(s.message());
  auto* p = static_cast<std::byte*>(out.raw());
  for (int64_t i = 0; i < rows; ++i) {
    int64_t j = i + k;
    if (j >= 0 && j < cols) std::memcpy(p + (i * cols + j) * one.size(), one.data(), one.size());
  }
  ctx.output(0) = std::move(out);
  return {};
}

Status run_Trilu(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x || !x->defined()) return ctx.error("needs input");
  if (x->rank() < 2) return ctx.error("input must have rank >= 2, got " + shape_to_string(x->shape()));
  int64_t k = 0;
  if (const Tensor* kt = ctx.input(1); kt && kt->defined()) {
    if (kt->numel() != 1) return ctx.error("k must be a scalar");
    k = kt->at_int(0);
  }
  const bool upper = ctx.attrs.get_int("upper", 1) != 0;
  const int64_t rows = x->dim(x->rank() - 2), cols = x->dim(x->rank() - 1);
  const int64_t mats = rows * cols == 0 ? 0 : x->numel() / (rows * cols);
  const size_t e = dtype_size(x->dtype());
  Tensor out(x->dtype(), x->shape());  // zero-filled: 0 bits are zero for every dtype
  const auto* src = static_cast<const std::byte*>(x->raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      // Kept columns: upper keeps j >= i + k, lower keeps j <= i + k.
      int64_t lo = upper ? std::clamp<int64_t>(i + k, 0, cols) : 0;
      int64_t hi = upper ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
      if (hi <= lo) continue;
      size_t off = static_cast<size_t>((m * rows + i) * cols + lo) * e;
      std::memcpy(dst + off, src + off, static_cast<size_t>(hi - lo) * e);
    }
  }
  ctx.output(0) = std::move(out);
  return {};
}

}  // namespace edgeq::kernels::ref
