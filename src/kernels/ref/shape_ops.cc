// Kernels that only change a tensor's shape or describe it: Reshape, Flatten, Squeeze,
// Unsqueeze, Identity and inference-mode Dropout return a tensor sharing the input buffer
// (no copy); Shape and Size return int64 tensors.
#include <algorithm>
#include <cmath>

#include "kernels/kernel.h"
#include "kernels/ref/data_movement.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

Status require_input(const KernelContext& ctx, size_t i, const char* name, const Tensor** out) {
  *out = ctx.input(i);
  if (!*out || !(*out)->defined()) return ctx.error(std::string("needs input ") + name);
  return {};
}

// Resolves an ONNX Reshape target: 0 copies the input dim (unless allowzero), -1 is inferred.
Status resolve_reshape(const KernelContext& ctx, const Dims& in, std::vector<int64_t> target,
                       bool allowzero, Dims* out) {
  int64_t infer = -1, known = 1;
  bool has_zero = false;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t& d = target[i];
    if (d == 0 && !allowzero) {
      if (i >= in.size())
        return ctx.error("shape " + ints_to_string(target) + " copies dim " + std::to_string(i) +
                         " but the input " + shape_to_string(in) + " has no such dim");
      d = in[i];
    }
    if (d == 0) has_zero = true;
    if (d == -1) {
      if (infer >= 0) return ctx.error("shape " + ints_to_string(target) + " has more than one -1");
      infer = static_cast<int64_t>(i);
      continue;
    }
    if (d < 0) return ctx.error("shape " + ints_to_string(target) + " has an invalid dim " + std::to_string(d));
    known *= d;
  }
  const int64_t numel = shape_numel(in);
  if (infer >= 0) {
    if (has_zero && allowzero)
      return ctx.error("shape " + ints_to_string(target) + " has both 0 (allowzero) and -1");
    if (known == 0 || numel % known != 0)
      return ctx.error("cannot reshape " + shape_to_string(in) + " to " + ints_to_string(target));
    target[static_cast<size_t>(infer)] = numel / known;
  } else if (known != numel) {
    return ctx.error("cannot reshape " + shape_to_string(in) + " (" + std::to_string(numel) +
                     " elements) to " + ints_to_string(target));
  }
  *out = std::move(target);
  return {};
}

// Squeeze/Unsqueeze axes: attribute before opset 13, optional input from 13.
Status read_axes(const KernelContext& ctx, std::vector<int64_t>* axes, bool* present) {
  if (ctx.opset < 13 || ctx.attrs.has("axes")) {
    *present = ctx.attrs.has("axes");
    if (*present) *axes = ctx.attrs.get_ints("axes");
    return {};
  }
  return read_optional_ints(ctx, 1, "axes", axes, present);
}

}  // namespace

Status run_Reshape(KernelContext& ctx) {
  const Tensor* x;
  EDGEQ_RETURN_IF_ERROR(require_input(ctx, 0, "data", &x));
  std::vector<int64_t> target;
  bool present = false;
  EDGEQ_RETURN_IF_ERROR(read_optional_ints(ctx, 1, "shape", &target, &present));
  if (!present) {
    if (!ctx.attrs.has("shape")) return ctx.error("needs input shape");
    target = ctx.attrs.get_ints("shape");  // opset < 5 form
  }
  Dims out;
  EDGEQ_RETURN_IF_ERROR(resolve_reshape(ctx, x->shape(), target, ctx.attrs.get_int("allowzero", 0) != 0, &out));
  ctx.output(0) = x->reshaped(std::move(out));
  return {};
}

Status run_Flatten(KernelContext& ctx) {
  const Tensor* x;
  EDGEQ_RETURN_IF_ERROR(require_input(ctx, 0, "input", &x));
  const int64_t r = x->rank();
  int64_t axis = ctx.attrs.get_int("axis", 1);
  if (axis < -r || axis > r)
    return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
  if (axis < 0) axis += r;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < r; ++i) (i < axis ? outer : inner) *= x->dim(i);
  ctx.output(0) = x->reshaped({outer, inner});
  return {};
}

Status run_Squeeze(KernelContext& ctx) {
  const Tensor* x;
  EDGEQ_RETURN_IF_ERROR(require_input(ctx, 0, "data", &x));
  std::vector<int64_t> axes;
  bool present = false;
  EDGEQ_RETURN_IF_ERROR(read_axes(ctx, &axes, &present));
  const int64_t r = x->rank();
  std::vector<bool> drop(static_cast<size_t>(r), false);
  // An empty axes list squeezes every 1 dim, as when axes is absent (ONNX Runtime agrees).
  if (present && !axes.empty()) {
    EDGEQ_RETURN_IF_ERROR(normalize_axes(ctx, axes, r));
    for (int64_t a : axes) {
      if (x->dim(a) != 1)
        return ctx.error("cannot squeeze axis " + std::to_string(a) + " of shape " + shape_to_string(x->shape()) +
                         ": its size is not 1");
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (int64_t i = 0; i < r; ++i) drop[static_cast<size_t>(i)] = x->dim(i) == 1;
  }
  Dims out;
  for (int64_t i = 0; i < r; ++i)
    if (!drop[static_cast<size_t>(i)]) out.push_back(x->dim(i));
  ctx.output(0) = x->reshaped(std::move(out));
  return {};
}

Status run_Unsqueeze(KernelContext& ctx) {
  const Tensor* x;
  EDGEQ_RETURN_IF_ERROR(require_input(ctx, 0, "data", &x));
  std::vector<int64_t> axes;
  bool present = false;
  EDGEQ_RETURN_IF_ERROR(read_axes(ctx, &axes, &present));
  if (!present) return ctx.error("needs axes");
  const int64_t out_rank = x->rank() + static_cast<int64_t>(axes.size());
  EDGEQ_RETURN_IF_ERROR(normalize_axes(ctx, axes, out_rank));
  Dims out(static_cast<size_t>(out_rank), 0);
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : axes) inserted[static_cast<size_t>(a)] = true;
  int64_t src = 0;
  for (int64_t i = 0; i < out_rank; ++i)
    out[static_cast<size_t>(i)] = inserted[static_cast<size_t>(i)] ? 1 : x->dim(src++);
  ctx.output(0) = x->reshaped(std::move(out));
  return {};
}

Status run_Identity(KernelContext& ctx) {
  const Tensor* x;
  EDGEQ_RETURN_IF_ERROR(require_input(ctx, 0, "input", &x));
  ctx.output(0) = *x;
  return {};
}

Status run_Dropout(KernelContext& ctx) {
  const Tensor* x;
  EDGEQ_RETURN_IF_ERROR(require_input(ctx, 0, "data", &x));
  double ratio = ctx.attrs.get_float("ratio", 0.5f);
  bool training = false;
  if (ctx.opset >= 12) {
    const Tensor* r = ctx.input(1);
    if (r && r->defined()) {
      if (r->numel() != 1) return ctx.error("ratio must be a scalar");
      ratio = r->at_double(0);
    }
    const Tensor* t = ctx.input(2);
    if (t && t->defined()) {
      if (t->numel() != 1) return ctx.error("training_mode must be a scalar");
      training = t->at_double(0) != 0.0;
    }
  }
  if (training && ratio != 0.0)
    return ctx.unsupported("training mode with a non-zero ratio is random");
  ctx.output(0) = *x;
  if (ctx.wants_output(1)) {
    // The mask is bool from opset 10; before, it has the input's dtype.
    DType mask_type = ctx.opset >= 10 ? DType::kBool : x->dtype();
    Tensor mask(mask_type, x->shape());
    if (x->numel() > 0) {
      std::vector<std::byte> one(dtype_size(mask_type));
      Status s = write_one(mask_type, one.data());
      if (!s.ok()) return ctx.error(s.message());
      fill_bytes(mask.raw(), one.data(), mask.numel(), one.size());
    }
    ctx.output(1) = std::move(mask);
  }
  return {};
}

Status run_Shape(KernelContext& ctx) {
  const Tensor* x;
  EDGEQ_RETURN_IF_ERROR(require_input(ctx, 0, "data", &x));
  const int64_t r = x->rank();
  auto clamp = [r](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r); };
  int64_t start = clamp(ctx.attrs.get_int("start", 0));
  int64_t end = ctx.attrs.has("end") ? clamp(ctx.attrs.get_int("end", r)) : r;
  int64_t n = std::max<int64_t>(end - start, 0);
  Tensor out(DType::kInt64, {n});
  for (int64_t i = 0; i < n; ++i) out.data<int64_t>()[i] = x->dim(start + i);
  ctx.output(0) = std::move(out);
  return {};
}

Status run_Size(KernelContext& ctx) {
  const Tensor* x;
  EDGEQ_RETURN_IF_ERROR(require_input(ctx, 0, "data", &x));
  ctx.output(0) = Tensor::scalar<int64_t>(x->numel());
  return {};
}

}  // namespace edgeq::kernels::ref
