// Reference FusedConv: the reference Conv, then + Z, then the activation, each step
// rounding to the tensor dtype exactly as the unfused Conv → Add → activation nodes do.
#include <array>
#include <limits>

#include "kernels/kernel.h"
#include "kernels/ref/fused_activation.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {

Status parse_fused_activation(const KernelContext& ctx, FusedActivation* act) {
  const std::string name = ctx.attrs.get_string("activation", "");
  const std::vector<float> p = ctx.attrs.get_floats("activation_params");
  auto want = [&](size_t lo, size_t hi) -> Status {
    if (p.size() < lo || p.size() > hi)
      return ctx.error("activation " + name + " takes " + std::to_string(lo) + ".." + std::to_string(hi) +
                       " activation_params, got " + std::to_string(p.size()));
    return {};
  };
  *act = FusedActivation{};
  if (name.empty()) {
    EDGEQ_RETURN_IF_ERROR(want(0, 0));
  } else if (name == "Relu") {
    act->kind = FusedActivation::kRelu;
    EDGEQ_RETURN_IF_ERROR(want(0, 0));
  } else if (name == "Clip") {
    act->kind = FusedActivation::kClip;
    EDGEQ_RETURN_IF_ERROR(want(0, 2));
    act->a = p.size() > 0 ? p[0] : -std::numeric_limits<float>::infinity();
    act->b = p.size() > 1 ? p[1] : std::numeric_limits<float>::infinity();
  } else if (name == "LeakyRelu") {
    act->kind = FusedActivation::kLeakyRelu;
    EDGEQ_RETURN_IF_ERROR(want(0, 1));
    act->a = p.empty() ? 0.01f : p[0];
  } else if (name == "HardSwish") {
    act->kind = FusedActivation::kHardSwish;
    EDGEQ_RETURN_IF_ERROR(want(0, 0));
  } else if (name == "Sigmoid") {
    act->kind = FusedActivation::kSigmoid;
    EDGEQ_RETURN_IF_ERROR(want(0, 0));
  } else if (name == "Tanh") {
    act->kind = FusedActivation::kTanh;
    EDGEQ_RETURN_IF_ERROR(want(0, 0));
  } else if (name == "HardSigmoid") {
    act->kind = FusedActivation::kHardSigmoid;
    EDGEQ_RETURN_IF_ERROR(want(0, 2));
    act->a = p.size() > 0 ? p[0] : 0.2f;
    act->b = p.size() > 1 ? p[1] : 0.5f;
  } else {
    return ctx.error("unknown activation '" + name + "'");
  }
  return {};
}

Status run_FusedConv(KernelContext& ctx) {
  FusedActivation act;
  EDGEQ_RETURN_IF_ERROR(parse_fused_activation(ctx, &act));
  const std::array<const Tensor*, 3> conv_inputs{ctx.input(0), ctx.input(1), ctx.input(2)};
  KernelContext conv{ctx.op_type, ctx.node_name, ctx.attrs, ctx.opset, conv_inputs,
                     ctx.outputs, ctx.output_wanted, ctx.state};
  EDGEQ_RETURN_IF_ERROR(run_Conv(conv));
  Tensor& y = ctx.output(0);
  const Tensor* z = ctx.input(3);
  if (z && (z->dtype() != y.dtype() || z->shape() != y.shape()))
    return ctx.error("Z must have the conv output's dtype and shape " + shape_to_string(y.shape()) + ", got " +
                     std::string(dtype_name(z->dtype())) + shape_to_string(z->shape()));
  return dispatch_float(y.dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    apply_fused_epilogue<T>(y.data<T>(), z ? z->data<T>() : nullptr, y.numel(), act);
    return {};
  });
}

}  // namespace edgeq::kernels::ref
