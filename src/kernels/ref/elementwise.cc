#include "kernels/ref/elementwise.h"

namespace edgeq::kernels::ref {

StatusOr<Dims> broadcast_for_node(const KernelContext& ctx, std::span<const int64_t> a,
                                  std::span<const int64_t> b) {
  StatusOr<Dims> out = broadcast_shapes(a, b);
  if (!out.ok()) return ctx.error(out.status().message());
  return out;
}

StatusOr<const Tensor*> required_input(const KernelContext& ctx, size_t i, const char* name) {
  const Tensor* t = ctx.input(i);
  if (!t || !t->defined()) return ctx.error(std::string("needs input ") + name);
  return t;
}

namespace {

bool is_half(DType t) { return t == DType::kFloat16 || t == DType::kBFloat16; }

Tensor float_to_half_tensor(const Tensor& f, DType half) {
  Tensor h(half, f.shape());
  const float* src = f.data<float>();
  uint16_t* dst = h.data<uint16_t>();
  const int64_t n = f.numel();
  if (half == DType::kFloat16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = float_to_half(src[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = float_to_bfloat16(src[i]);
  }
  return h;
}

}  // namespace

Status run_with_half_as_float(KernelContext& ctx, KernelFn fn) {
  bool any_half = false;
  for (const Tensor* t : ctx.inputs) any_half = any_half || (t && is_half(t->dtype()));
  if (!any_half) return fn(ctx);

  std::vector<Tensor> converted(ctx.inputs.size());
  std::vector<const Tensor*> ptrs(ctx.inputs.size(), nullptr);
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor* t = ctx.inputs[i];
    if (!t) continue;
    if (is_half(t->dtype())) {
      converted[i] = t->to_float();
      ptrs[i] = &converted[i];
    } else {
      ptrs[i] = t;
    }
  }
  KernelContext inner{ctx.op_type, ctx.node_name, ctx.attrs, ctx.opset, ptrs,
                      ctx.outputs, ctx.output_wanted, ctx.state};
  EDGEQ_RETURN_IF_ERROR(fn(inner));
  const Tensor* first = ctx.input(0);
  if (first && is_half(first->dtype())) {
    for (Tensor& out : ctx.outputs)
      if (out.defined() && out.dtype() == DType::kFloat32) out = float_to_half_tensor(out, first->dtype());
  }
  return {};
}

}  // namespace edgeq::kernels::ref
