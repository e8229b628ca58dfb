#include "kernels/ref/nn_geometry.h"

#include <algorithm>

namespace edgeq::kernels::ref {
namespace {

// Floor division (pads from an explicit ConvTranspose output_shape may be negative).
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Status read_list(const KernelContext& ctx, const char* name, size_t want, int64_t def, int64_t min,
                 Dims* out) {
  Dims v = ctx.attrs.get_ints(name, {});
  if (v.empty()) {
    out->assign(want, def);
    return {};
  }
  if (v.size() != want)
    return ctx.error(std::string(name) + " has " + std::to_string(v.size()) + " values but " +
                     std::to_string(want) + " are needed");
  for (int64_t e : v)
    if (e < min) return ctx.error(std::string(name) + " has the invalid value " + std::to_string(e));
  *out = std::move(v);
  return {};
}

Status read_common(const KernelContext& ctx, const Dims& x_shape, const Dims& kernel, WindowGeometry* g) {
  if (x_shape.size() < 3)
    return ctx.error("input must have rank >= 3 ([N, C, spatial...]), got " + shape_to_string(x_shape));
  const size_t k = x_shape.size() - 2;
  g->batch = x_shape[0];
  g->channels = x_shape[1];
  g->in.assign(x_shape.begin() + 2, x_shape.end());
  if (!kernel.empty() && ctx.attrs.has("kernel_shape")) {
    Dims ks = ctx.attrs.get_ints("kernel_shape");
    if (ks != kernel)
      return ctx.error("kernel_shape " + shape_to_string(ks) + " does not match the weight's spatial dims " +
                       shape_to_string(kernel));
  }
  if (kernel.empty()) {
    if (!ctx.attrs.has("kernel_shape")) return ctx.error("kernel_shape attribute is required");
    EDGEQ_RETURN_IF_ERROR(read_list(ctx, "kernel_shape", k, 1, 1, &g->kernel));
  } else {
    if (kernel.size() != k)
      return ctx.error("weight has " + std::to_string(kernel.size()) + " spatial dims but input has " +
                       std::to_string(k));
    g->kernel = kernel;
  }
  EDGEQ_RETURN_IF_ERROR(read_list(ctx, "strides", k, 1, 1, &g->stride));
  EDGEQ_RETURN_IF_ERROR(read_list(ctx, "dilations", k, 1, 1, &g->dilation));
  Dims pads;
  EDGEQ_RETURN_IF_ERROR(read_list(ctx, "pads", 2 * k, 0, 0, &pads));
  g->pad_begin.assign(pads.begin(), pads.begin() + k);
  g->pad_end.assign(pads.begin() + k, pads.end());
  return {};
}

}  // namespace

Status read_window(const KernelContext& ctx, const Dims& x_shape, const Dims& kernel, bool ceil_mode,
                   WindowGeometry* g) {
  EDGEQ_RETURN_IF_ERROR(read_common(ctx, x_shape, kernel, g));
  const std::string auto_pad = ctx.attrs.get_string("auto_pad", "NOTSET");
  const size_t k = g->spatial();
  g->out.assign(k, 0);
  for (size_t i = 0; i < k; ++i) {
    const int64_t in = g->in[i], s = g->stride[i];
    const int64_t ek = (g->kernel[i] - 1) * g->dilation[i] + 1;  // effective kernel extent
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in);
      g->pad_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g->pad_end[i] = total - g->pad_begin[i];
      g->out[i] = out;
    } else if (auto_pad == "VALID") {
      g->pad_begin[i] = g->pad_end[i] = 0;
      if (in < ek) return ctx.error("input dim " + std::to_string(in) + " is smaller than the kernel extent " + std::to_string(ek));
      g->out[i] = (in - ek) / s + 1;
    } else if (auto_pad == "NOTSET" || auto_pad.empty()) {
      const int64_t span = in + g->pad_begin[i] + g->pad_end[i] - ek;
      if (span < 0)
        return ctx.error("padded input dim " + std::to_string(in + g->pad_begin[i] + g->pad_end[i]) +
                         " is smaller than the kernel extent " + std::to_string(ek));
      int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
      // A window may not start inside the end padding (PyTorch / ONNX Runtime rule).
      if (ceil_mode && (out - 1) * s >= in + g->pad_begin[i]) --out;
      g->out[i] = out;
    } else {
      return ctx.error("auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    }
  }
  return {};
}

Status read_transpose_window(const KernelContext& ctx, const Dims& x_shape, const Dims& w_shape,
                             WindowGeometry* g) {
  if (w_shape.size() != x_shape.size())
    return ctx.error("weight rank " + std::to_string(w_shape.size()) + " does not match input rank " +
                     std::to_string(x_shape.size()));
  Dims kernel(w_shape.begin() + 2, w_shape.end());
  EDGEQ_RETURN_IF_ERROR(read_common(ctx, x_shape, kernel, g));
  const size_t k = g->spatial();
  Dims out_pad;
  EDGEQ_RETURN_IF_ERROR(read_list(ctx, "output_padding", k, 0, 0, &out_pad));
  Dims out_shape = ctx.attrs.get_ints("output_shape", {});
  if (out_shape.size() == k + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);  // full-shape form
  if (!out_shape.empty() && out_shape.size() != k)
    return ctx.error("output_shape has " + std::to_string(out_shape.size()) + " values but " + std::to_string(k) +
                     " spatial dims are needed");
  const std::string auto_pad = ctx.attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID" &&
      !auto_pad.empty())
    return ctx.error("auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  g->out.assign(k, 0);
  for (size_t i = 0; i < k; ++i) {
    const int64_t ek = (g->kernel[i] - 1) * g->dilation[i] + 1;
    const int64_t full = g->stride[i] * (g->in[i] - 1) + out_pad[i] + ek;  // output with no pads
    if (auto_pad == "VALID") g->pad_begin[i] = g->pad_end[i] = 0;
    if (!out_shape.empty() || same) {
      const int64_t target = !out_shape.empty() ? out_shape[i] : g->in[i] * g->stride[i];
      const int64_t total = full - target;
      if (auto_pad == "SAME_UPPER") {
        g->pad_begin[i] = floor_div(total, 2);
        g->pad_end[i] = total - g->pad_begin[i];
      } else {
        g->pad_end[i] = floor_div(total, 2);
        g->pad_begin[i] = total - g->pad_end[i];
      }
      g->out[i] = target;
    } else {
      g->out[i] = full - g->pad_begin[i] - g->pad_end[i];
    }
    if (g->out[i] <= 0) return ctx.error("computed output dim " + std::to_string(g->out[i]) + " is not positive");
  }
  return {};
}

WindowGeometry as_3d(const WindowGeometry& g) {
  WindowGeometry r = g;
  const size_t add = g.spatial() < 3 ? 3 - g.spatial() : 0;
  auto pad = [&](Dims& d, int64_t v) { d.insert(d.begin(), add, v); };
  pad(r.in, 1);
  pad(r.kernel, 1);
  pad(r.stride, 1);
  pad(r.dilation, 1);
  pad(r.pad_begin, 0);
  pad(r.pad_end, 0);
  pad(r.out, 1);
  return r;
}

}  // namespace edgeq::kernels::ref
