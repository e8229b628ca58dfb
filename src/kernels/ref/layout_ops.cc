// Kernels that are one strided copy of the input: Slice, Transpose, Expand, Tile,
// DepthToSpace and SpaceToDepth. Each builds (shape, source strides, offset) and calls
// copy_strided, which merges contiguous dims and memcpys contiguous runs.
#include <algorithm>
#include <limits>

#include "kernels/kernel.h"
#include "kernels/ref/data_movement.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

// Writes the strided view (shape, strides, offset in elements) of `x` into a new tensor.
Tensor gather_view(const Tensor& x, const Dims& shape, const Dims& strides, int64_t offset) {
  Tensor out(x.dtype(), shape);
  if (out.numel() == 0) return out;
  const size_t e = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.raw()) + offset * static_cast<int64_t>(e);
  copy_strided(out.raw(), src, shape, shape_strides(shape), strides, e);
  return out;
}

const Tensor* input_or_null(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  return t && t->defined() ? t : nullptr;
}

// Slice parameters: attributes before opset 10, inputs from 10.
Status slice_params(const KernelContext& ctx, std::vector<int64_t>* starts, std::vector<int64_t>* ends,
                    std::vector<int64_t>* axes, std::vector<int64_t>* steps, bool* has_axes) {
  *has_axes = false;
  if (ctx.opset < 10) {
    if (!ctx.attrs.has("starts") || !ctx.attrs.has("ends")) return ctx.error("needs attributes starts and ends");
    *starts = ctx.attrs.get_ints("starts");
    *ends = ctx.attrs.get_ints("ends");
    *has_axes = ctx.attrs.has("axes");
    if (*has_axes) *axes = ctx.attrs.get_ints("axes");
    steps->assign(starts->size(), 1);
    return {};
  }
  bool present = false;
  EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 1, "starts", starts, &present));
  if (!present) return ctx.error("needs input starts");
  EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 2, "ends", ends, &present));
  if (!present) return ctx.error("needs input ends");
  EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 3, "axes", axes, has_axes));
  EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 4, "steps", steps, &present));
  if (!present) steps->assign(starts->size(), 1);
  return {};
}

}  // namespace

Status run_Slice(KernelContext& ctx) {
  const Tensor* x = input_or_null(ctx, 0);
  if (!x) return ctx.error("needs input data");
  std::vector<int64_t> starts, ends, axes, steps;
  bool has_axes;
  EDGEQ_RETURN_IF_ERROR(slice_params(ctx, &starts, &ends, &axes, &steps, &has_axes));
  const int64_t rank = x->rank();
  if (!has_axes)
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return ctx.error("starts, ends, axes and steps must have one length");
  EDGEQ_RETURN_IF_ERROR(normalize_axes(ctx, axes, rank));
  Dims shape = x->shape();
  Dims strides = shape_strides(x->shape());
  int64_t offset = 0;
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<size_t>(axes[i]);
    const int64_t dim = x->shape()[a], step = steps[i];
    if (step == 0) return ctx.error("step must not be zero");
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    // Clamping as the ONNX spec defines it; written to avoid overflow for huge steps.
    int64_t n = 0;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      if (end > start) n = (end - start - 1) / step + 1;
    } else if (dim > 0) {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      // -INT64_MIN overflows; any step that large takes one element.
      const int64_t stride = step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
      if (start > end) n = (start - end - 1) / stride + 1;
    }
    shape[a] = n;
    if (n > 0) offset += start * strides[a];
    strides[a] *= step;
  }
  ctx.output(0) = gather_view(*x, shape, strides, offset);
  return {};
}

Status run_Transpose(KernelContext& ctx) {
  const Tensor* x = input_or_null(ctx, 0);
  if (!x) return ctx.error("needs input data");
  const int64_t rank = x->rank();
  std::vector<int64_t> perm = ctx.attrs.get_ints("perm");
  if (!ctx.attrs.has("perm"))
    for (int64_t i = rank; i-- > 0;) perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank)
    return ctx.error("perm " + ints_to_string(perm) + " does not match rank " + std::to_string(rank));
  EDGEQ_RETURN_IF_ERROR(normalize_axes(ctx, perm, rank));
  const Dims in_strides = shape_strides(x->shape());
  Dims shape(perm.size()), strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    shape[i] = x->shape()[static_cast<size_t>(perm[i])];
    strides[i] = in_strides[static_cast<size_t>(perm[i])];
  }
  ctx.output(0) = gather_view(*x, shape, strides, 0);
  return {};
}

Status run_Expand(KernelContext& ctx) {
  const Tensor* x = input_or_null(ctx, 0);
  if (!x) return ctx.error("needs input");
  std::vector<int64_t> target;
  bool present = false;
  EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 1, "shape", &target, &present));
  if (!present) return ctx.error("needs input shape");
  auto out_shape = broadcast_shapes(x->shape(), target);
  if (!out_shape.ok()) return ctx.error(out_shape.status().message());
  ctx.output(0) = gather_view(*x, *out_shape, broadcast_strides(x->shape(), *out_shape), 0);
  return {};
}

Status run_Tile(KernelContext& ctx) {
  const Tensor* x = input_or_null(ctx, 0);
  if (!x) return ctx.error("needs input");
  std::vector<int64_t> repeats;
  bool present = false;
  EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 1, "repeats", &repeats, &present));
  if (!present) return ctx.error("needs input repeats");
  const int64_t rank = x->rank();
  if (static_cast<int64_t>(repeats.size()) != rank)
    return ctx.error("repeats " + ints_to_string(repeats) + " must have one entry per input dim (rank " +
                     std::to_string(rank) + ")");
  // View the output as [r0, d0, r1, d1, ...] reading the input with stride 0 on each r_i.
  const Dims in_strides = shape_strides(x->shape());
  Dims view_shape, view_strides, out_shape;
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t r = repeats[static_cast<size_t>(i)];
    if (r < 0) return ctx.error("repeats " + ints_to_string(repeats) + " has a negative entry");
    view_shape.insert(view_shape.end(), {r, x->dim(i)});
    view_strides.insert(view_strides.end(), {0, in_strides[static_cast<size_t>(i)]});
    out_shape.push_back(r * x->dim(i));
  }
  Tensor out = gather_view(*x, view_shape, view_strides, 0);
  ctx.output(0) = out.reshaped(out_shape);
  return {};
}

namespace {

// DepthToSpace/SpaceToDepth as a transpose of a rank-6 view of NCHW input.
Status block_rearrange(KernelContext& ctx, bool to_space) {
  const Tensor* x = input_or_null(ctx, 0);
  if (!x) return ctx.error("needs input");
  if (x->rank() != 4) return ctx.error("input must be 4-D NCHW, got " + shape_to_string(x->shape()));
  const int64_t b = ctx.attrs.get_int("blocksize", 0);
  if (b <= 0) return ctx.error("needs a positive attribute blocksize");
  const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3);
  Dims view, perm, out_shape;
  if (to_space) {
    if (c % (b * b) != 0)
      return ctx.error("channels " + std::to_string(c) + " are not divisible by blocksize^2 " + std::to_string(b * b));
    const std::string mode = ctx.attrs.get_string("mode", "DCR");
    if (mode == "DCR") {
      view = {n, b, b, c / (b * b), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    } else if (mode == "CRD") {
      view = {n, c / (b * b), b, b, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      return ctx.error("unknown mode '" + mode + "' (expected DCR or CRD)");
    }
    out_shape = {n, c / (b * b), h * b, w * b};
  } else {
    if (h % b != 0 || w % b != 0)
      return ctx.error("spatial size " + shape_to_string(x->shape()) + " is not divisible by blocksize " +
                       std::to_string(b));
    view = {n, c, h / b, b, w / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    out_shape = {n, c * b * b, h / b, w / b};
  }
  const Dims vs = shape_strides(view);
  Dims shape(6), strides(6);
  for (size_t i = 0; i < 6; ++i) {
    shape[i] = view[static_cast<size_t>(perm[i])];
    strides[i] = vs[static_cast<size_t>(perm[i])];
  }
  ctx.output(0) = gather_view(*x, shape, strides, 0).reshaped(out_shape);
  return {};
}

}  // namespace

Status run_DepthToSpace(KernelContext& ctx) { return block_rearrange(ctx, true); }
Status run_SpaceToDepth(KernelContext& ctx) { return block_rearrange(ctx, false); }

}  // namespace edgeq::kernels::ref
