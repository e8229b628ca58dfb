// Index-driven kernels: Gather (block copies), GatherElements and OneHot.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/kernel.h"
#include "kernels/ref/data_movement.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

Status read_axis(const KernelContext& ctx, int64_t def, int64_t rank, int64_t* axis) {
  int64_t a = ctx.attrs.get_int("axis", def);
  if (a < -rank || a >= rank)
    return ctx.error("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
  *axis = a < 0 ? a + rank : a;
  return {};
}

// Reads indices (i32/i64) and maps negative ones into [0, dim); error when out of range.
Status read_indices(const KernelContext& ctx, const Tensor& t, int64_t dim, std::vector<int64_t>* out) {
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64)
    return ctx.error("indices must be int32 or int64, got " + std::string(dtype_name(t.dtype())));
  out->resize(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    int64_t v = t.dtype() == DType::kInt64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i];
    if (v < -dim || v >= dim)
      return ctx.error("index " + std::to_string(v) + " is out of range for an axis of size " + std::to_string(dim));
    (*out)[static_cast<size_t>(i)] = v < 0 ? v + dim : v;
  }
  return {};
}

}  // namespace

Status run_Gather(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* idx_t = ctx.input(1);
  if (!x || !idx_t) return ctx.error("needs inputs data and indices");
  const int64_t rank = x->rank();
  if (rank == 0) return ctx.error("data must have rank >= 1");
  int64_t axis;
  EDGEQ_RETURN_IF_ERROR(read_axis(ctx, 0, rank, &axis));
  std::vector<int64_t> idx;
  EDGEQ_RETURN_IF_ERROR(read_indices(ctx, *idx_t, x->dim(axis), &idx));
  Dims out_shape(x->shape().begin(), x->shape().begin() + axis);
  out_shape.insert(out_shape.end(), idx_t->shape().begin(), idx_t->shape().end());
  out_shape.insert(out_shape.end(), x->shape().begin() + axis + 1, x->shape().end());
  Tensor out(x->dtype(), out_shape);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x->dim(i);
  for (int64_t i = axis + 1; i < rank; ++i) inner *= x->dim(i);
  const size_t block = static_cast<size_t>(inner) * dtype_size(x->dtype());
  const int64_t n = static_cast<int64_t>(idx.size()), dim = x->dim(axis);
  const auto* src = static_cast<const std::byte*>(x->raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  if (block > 0) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < n; ++j)
        std::memcpy(dst + (o * n + j) * block, src + (o * dim + idx[static_cast<size_t>(j)]) * block, block);
  }
  ctx.output(0) = std::move(out);
  return {};
}

Status run_GatherElements(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* idx_t = ctx.input(1);
  if (!x || !idx_t) return ctx.error("needs inputs data and indices");
  const int64_t rank = x->rank();
  if (rank == 0) return ctx.error("data must have rank >= 1");
  if (idx_t->rank() != rank) return ctx.error("indices must have the rank of data");
  int64_t axis;
  EDGEQ_RETURN_IF_ERROR(read_axis(ctx, 0, rank, &axis));
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && idx_t->dim(d) > x->dim(d))
      return ctx.error("indices shape " + shape_to_string(idx_t->shape()) + " exceeds data shape " +
                       shape_to_string(x->shape()) + " outside the axis");
  std::vector<int64_t> idx;
  EDGEQ_RETURN_IF_ERROR(read_indices(ctx, *idx_t, x->dim(axis), &idx));
  Tensor out(x->dtype(), idx_t->shape());
  const size_t e = dtype_size(x->dtype());
  const Dims in_strides = shape_strides(x->shape());
  const auto* src = static_cast<const std::byte*>(x->raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  std::vector<int64_t> pos(static_cast<size_t>(rank), 0);
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d)
      off += (d == axis ? idx[static_cast<size_t>(i)] : pos[static_cast<size_t>(d)]) * in_strides[static_cast<size_t>(d)];
    std::memcpy(dst + i * e, src + off * e, e);
    for (int64_t d = rank; d-- > 0;) {
      if (++pos[static_cast<size_t>(d)] < idx_t->dim(d)) break;
      pos[static_cast<size_t>(d)] = 0;
    }
  }
  ctx.output(0) = std::move(out);
  return {};
}

Status run_OneHot(KernelContext& ctx) {
  const Tensor* indices = ctx.input(0);
  const Tensor* depth_t = ctx.input(1);
  const Tensor* values = ctx.input(2);
  if (!indices || !depth_t || !values) return ctx.error("needs inputs indices, depth and values");
  if (depth_t->numel() != 1) return ctx.error("depth must hold one element");
  if (values->numel() != 2) return ctx.error("values must hold two elements [off, on]");
  if (dtype_size(indices->dtype()) == 0 || dtype_size(values->dtype()) == 0 || dtype_size(depth_t->dtype()) == 0)
    return ctx.unsupported("string tensors are not supported");
  const double depth_real = depth_t->at_double(0);
  if (!(depth_real >= 1.0)) return ctx.error("depth must be at least 1");
  const auto depth = static_cast<int64_t>(depth_real);
  const int64_t out_rank = indices->rank() + 1;
  int64_t axis = ctx.attrs.get_int("axis", -1);
  if (axis < -out_rank || axis >= out_rank)
    return ctx.error("axis " + std::to_string(axis) + " is out of range for output rank " + std::to_string(out_rank));
  if (axis < 0) axis += out_rank;
  Dims out_shape = indices->shape();
  out_shape.insert(out_shape.begin() + axis, depth);
  Tensor out(values->dtype(), out_shape);
  const size_t e = dtype_size(values->dtype());
  const auto* off_v = static_cast<const std::byte*>(values->raw());
  const auto* on_v = off_v + e;
  fill_bytes(out.raw(), off_v, out.numel(), e);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= indices->dim(i);
  for (int64_t i = axis; i < indices->rank(); ++i) inner *= indices->dim(i);
  auto* dst = static_cast<std::byte*>(out.raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      // Indices may be float; ONNX truncates them to integers. Out-of-range gives all off.
      const double raw = indices->at_double(o * inner + i);
      if (!(std::fabs(raw) < 9.0e18)) continue;  // NaN or beyond int64
      int64_t k = static_cast<int64_t>(raw);
      if (k < 0) k += depth;
      if (k < 0 || k >= depth) continue;
      std::memcpy(dst + ((o * depth + k) * inner + i) * e, on_v, e);
    }
  }
  ctx.output(0) = std::move(out);
  return {};
}

}  // namespace edgeq::kernels::ref
