// Concat and Split: block copies along one axis (one memcpy per outer index and input).
#include <algorithm>
#include <cstring>

#include "kernels/kernel.h"
#include "kernels/ref/data_movement.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

// Product of dims [from, to).
int64_t dims_product(const Dims& d, int64_t from, int64_t to) {
  int64_t p = 1;
  for (int64_t i = from; i < to; ++i) p *= d[static_cast<size_t>(i)];
  return p;
}

// Split sizes: input `split` (opset >= 13), attribute `split` (< 13), attribute
// `num_outputs` (18, last chunk may be smaller), else equal parts over the outputs.
Status split_sizes(const KernelContext& ctx, int64_t dim, std::vector<int64_t>* sizes) {
  bool present = false;
  if (ctx.opset >= 13) {
    EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 1, "split", sizes, &present));
  } else if (ctx.attrs.has("split")) {
    *sizes = ctx.attrs.get_ints("split");
    present = true;
  }
  const auto outs = static_cast<int64_t>(ctx.num_outputs());
  if (present) {
    if (static_cast<int64_t>(sizes->size()) != outs)
      return ctx.error("split has " + std::to_string(sizes->size()) + " entries but the node has " +
                       std::to_string(outs) + " outputs");
    int64_t sum = 0;
    for (int64_t s : *sizes) {
      if (s < 0) return ctx.error("split " + ints_to_string(*sizes) + " has a negative size");
      sum += s;
    }
    if (sum != dim)
      return ctx.error("split " + ints_to_string(*sizes) + " does not sum to the axis size " + std::to_string(dim));
    return {};
  }
  if (ctx.attrs.has("num_outputs")) {
    const int64_t n = ctx.attrs.get_int("num_outputs");
    if (n <= 0 || n != outs)
      return ctx.error("num_outputs " + std::to_string(n) + " does not match the " + std::to_string(outs) + " outputs");
    const int64_t chunk = (dim + n - 1) / n;
    sizes->clear();
    for (int64_t i = 0; i < n; ++i) sizes->push_back(std::clamp<int64_t>(dim - i * chunk, 0, chunk));
    return {};
  }
  if (outs == 0) return ctx.error("needs at least one output");
  if (dim % outs != 0)
    return ctx.error("axis size " + std::to_string(dim) + " cannot be split into " + std::to_string(outs) +
                     " equal parts");
  sizes->assign(static_cast<size_t>(outs), dim / outs);
  return {};
}

}  // namespace

Status run_Concat(KernelContext& ctx) {
  if (ctx.num_inputs() == 0 || !ctx.input(0)) return ctx.error("needs at least one input");
  const Tensor& first = *ctx.input(0);
  const int64_t rank = first.rank();
  if (rank == 0) return ctx.error("cannot concatenate scalars");
  if (!ctx.attrs.has("axis")) return ctx.error("needs attribute axis");
  int64_t axis = ctx.attrs.get_int("axis");
  if (axis < -rank || axis >= rank)
    return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  Dims out_shape = first.shape();
  out_shape[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.input(i);
    if (!t || !t->defined()) return ctx.error("input " + std::to_string(i) + " is missing");
    if (t->dtype() != first.dtype()) return ctx.error("inputs have different dtypes");
    bool ok = t->rank() == rank;
    for (int64_t d = 0; ok && d < rank; ++d) ok = d == axis || t->dim(d) == first.dim(d);
    if (!ok)
      return ctx.error("input shapes " + shape_to_string(first.shape()) + " and " + shape_to_string(t->shape()) +
                       " differ outside axis " + std::to_string(axis));
    out_shape[static_cast<size_t>(axis)] += t->dim(axis);
  }
  Tensor out(first.dtype(), out_shape);
  const size_t e = dtype_size(first.dtype());
  const int64_t outer = dims_product(out_shape, 0, axis);
  const int64_t inner = dims_product(out_shape, axis + 1, rank);
  const size_t out_row = static_cast<size_t>(out_shape[static_cast<size_t>(axis)] * inner) * e;
  auto* dst = static_cast<std::byte*>(out.raw());
  size_t col = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& t = *ctx.input(i);
    const size_t row = static_cast<size_t>(t.dim(axis) * inner) * e;
    if (row == 0) continue;
    const auto* src = static_cast<const std::byte*>(t.raw());
    for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row + col, src + o * row, row);
    col += row;
  }
  ctx.output(0) = std::move(out);
  return {};
}

Status run_Split(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x || !x->defined()) return ctx.error("needs input");
  const int64_t rank = x->rank();
  if (rank == 0) return ctx.error("cannot split a scalar");
  int64_t axis = ctx.attrs.get_int("axis", 0);
  if (axis < -rank || axis >= rank)
    return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  std::vector<int64_t> sizes;
  EDGEQ_RETURN_IF_ERROR(split_sizes(ctx, x->dim(axis), &sizes));
  const size_t e = dtype_size(x->dtype());
  const int64_t outer = dims_product(x->shape(), 0, axis);
  const int64_t inner = dims_product(x->shape(), axis + 1, rank);
  const size_t in_row = static_cast<size_t>(x->dim(axis) * inner) * e;
  const auto* src = static_cast<const std::byte*>(x->raw());
  size_t col = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Dims shape = x->shape();
    shape[static_cast<size_t>(axis)] = sizes[i];
    const size_t row = static_cast<size_t>(sizes[i] * inner) * e;
    if (ctx.wants_output(i)) {
      Tensor out(x->dtype(), shape);
      auto* dst = static_cast<std::byte*>(out.raw());
      if (row > 0)
        for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * row, src + o * in_row + col, row);
      ctx.output(i) = std::move(out);
    }
    col += row;
  }
  return {};
}

}  // namespace edgeq::kernels::ref
