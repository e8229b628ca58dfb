// Reference Conv and ConvTranspose: direct loops over 1-D/2-D/3-D windows (lower ranks are
// padded to 3-D), accumulating in double so they can serve as the oracle for oneDNN.
#include <algorithm>
#include <vector>

#include "kernels/kernel.h"
#include "kernels/ref/nn_geometry.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

Status check_float_inputs(const KernelContext& ctx, const Tensor* x, const Tensor* w, const Tensor* b) {
  if (!x || !w) return ctx.error("needs inputs X and W");
  if (w->dtype() != x->dtype() || (b && b->dtype() != x->dtype()))
    return ctx.error("X, W and B must have the same dtype");
  if (x->dtype() != DType::kFloat32 && x->dtype() != DType::kFloat64)
    return ctx.unsupported("dtype " + std::string(dtype_name(x->dtype())) + " is not supported (f32, f64 only)");
  if (x->rank() < 3 || x->rank() > 5)
    return x->rank() < 3 ? ctx.error("X must have rank >= 3, got " + shape_to_string(x->shape()))
                         : ctx.unsupported("more than 3 spatial dims are not supported");
  if (w->rank() != x->rank())
    return ctx.error("W rank " + std::to_string(w->rank()) + " does not match X rank " + std::to_string(x->rank()));
  return {};
}

template <typename T>
void conv_loops(const T* x, const T* w, const T* b, T* y, const WindowGeometry& g, int64_t group,
                int64_t out_channels) {
  const int64_t cg = g.channels / group, mg = out_channels / group;
  const int64_t ID = g.in[0], IH = g.in[1], IW = g.in[2];
  const int64_t OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const int64_t KD = g.kernel[0], KH = g.kernel[1], KW = g.kernel[2];
  const int64_t in_plane = ID * IH * IW, k_size = KD * KH * KW;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t gi = m / mg;
      T* yp = y + (n * out_channels + m) * OD * OH * OW;
      for (int64_t od = 0; od < OD; ++od)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            double acc = b ? static_cast<double>(b[m]) : 0.0;
            for (int64_t c = 0; c < cg; ++c) {
              const T* xp = x + (n * g.channels + gi * cg + c) * in_plane;
              const T* wp = w + (m * cg + c) * k_size;
              for (int64_t kd = 0; kd < KD; ++kd) {
                const int64_t id = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
                if (id < 0 || id >= ID) continue;
                for (int64_t kh = 0; kh < KH; ++kh) {
                  const int64_t ih = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
                  if (ih < 0 || ih >= IH) continue;
                  for (int64_t kw = 0; kw < KW; ++kw) {
                    const int64_t iw = ow * g.stride[2] - g.pad_begin[2] + kw * g.dilation[2];
                    if (iw < 0 || iw >= IW) continue;
                    acc += static_cast<double>(xp[(id * IH + ih) * IW + iw]) *
                           static_cast<double>(wp[(kd * KH + kh) * KW + kw]);
                  }
                }
              }
            }
            yp[(od * OH + oh) * OW + ow] = static_cast<T>(acc);
          }
    }
}

// Scatter form: every input element adds its kernel-weighted contribution to the output.
template <typename T>
void conv_transpose_loops(const T* x, const T* w, const T* b, T* y, const WindowGeometry& g, int64_t group,
                          int64_t out_channels) {
  const int64_t cg = g.channels / group, mg = out_channels / group;
  const int64_t ID = g.in[0], IH = g.in[1], IW = g.in[2];
  const int64_t OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const int64_t KD = g.kernel[0], KH = g.kernel[1], KW = g.kernel[2];
  const int64_t out_plane = OD * OH * OW, k_size = KD * KH * KW;
  std::vector<double> acc(static_cast<size_t>(out_plane));
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t gi = m / mg, mm = m % mg;
      std::fill(acc.begin(), acc.end(), b ? static_cast<double>(b[m]) : 0.0);
      for (int64_t c = 0; c < cg; ++c) {
        const int64_t ci = gi * cg + c;
        const T* xp = x + (n * g.channels + ci) * ID * IH * IW;
        const T* wp = w + (ci * mg + mm) * k_size;
        for (int64_t id = 0; id < ID; ++id)
          for (int64_t ih = 0; ih < IH; ++ih)
            for (int64_t iw = 0; iw < IW; ++iw) {
              const double xv = static_cast<double>(xp[(id * IH + ih) * IW + iw]);
              for (int64_t kd = 0; kd < KD; ++kd) {
                const int64_t od = id * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
                if (od < 0 || od >= OD) continue;
                for (int64_t kh = 0; kh < KH; ++kh) {
                  const int64_t oh = ih * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
                  if (oh < 0 || oh >= OH) continue;
                  for (int64_t kw = 0; kw < KW; ++kw) {
                    const int64_t ow = iw * g.stride[2] - g.pad_begin[2] + kw * g.dilation[2];
                    if (ow < 0 || ow >= OW) continue;
                    acc[(od * OH + oh) * OW + ow] += xv * static_cast<double>(wp[(kd * KH + kh) * KW + kw]);
                  }
                }
              }
            }
      }
      T* yp = y + (n * out_channels + m) * out_plane;
      for (int64_t i = 0; i < out_plane; ++i) yp[i] = static_cast<T>(acc[i]);
    }
}

Dims output_shape(const WindowGeometry& g, int64_t out_channels) {
  Dims s{g.batch, out_channels};
  s.insert(s.end(), g.out.begin(), g.out.end());
  return s;
}

}  // namespace

Status conv_geometry(const KernelContext& ctx, const Tensor* x, const Tensor* w, const Tensor* b,
                     WindowGeometry* g, int64_t* group) {
  EDGEQ_RETURN_IF_ERROR(check_float_inputs(ctx, x, w, b));
  *group = ctx.attrs.get_int("group", 1);
  const int64_t c = x->dim(1), m = w->dim(0);
  if (*group <= 0 || c % *group != 0 || m % *group != 0)
    return ctx.error("group " + std::to_string(*group) + " must divide the input channels " + std::to_string(c) +
                     " and the output channels " + std::to_string(m));
  if (w->dim(1) * *group != c)
    return ctx.error("W has " + std::to_string(w->dim(1)) + " input channels per group but X has " +
                     std::to_string(c) + " channels in " + std::to_string(*group) + " groups");
  if (b && (b->rank() != 1 || b->dim(0) != m))
    return ctx.error("B must have shape [" + std::to_string(m) + "], got " + shape_to_string(b->shape()));
  return read_window(ctx, x->shape(), Dims(w->shape().begin() + 2, w->shape().end()), false, g);
}

Status conv_transpose_geometry(const KernelContext& ctx, const Tensor* x, const Tensor* w, const Tensor* b,
                               WindowGeometry* g, int64_t* group, int64_t* out_channels) {
  EDGEQ_RETURN_IF_ERROR(check_float_inputs(ctx, x, w, b));
  *group = ctx.attrs.get_int("group", 1);
  const int64_t c = x->dim(1);
  if (*group <= 0 || c % *group != 0)
    return ctx.error("group " + std::to_string(*group) + " must divide the input channels " + std::to_string(c));
  if (w->dim(0) != c)
    return ctx.error("W has " + std::to_string(w->dim(0)) + " input channels but X has " + std::to_string(c));
  *out_channels = w->dim(1) * *group;
  if (b && (b->rank() != 1 || b->dim(0) != *out_channels))
    return ctx.error("B must have shape [" + std::to_string(*out_channels) + "], got " +
                     shape_to_string(b->shape()));
  return read_transpose_window(ctx, x->shape(), w->shape(), g);
}

Status run_Conv(KernelContext& ctx) {
  const Tensor *x = ctx.input(0), *w = ctx.input(1), *b = ctx.input(2);
  WindowGeometry g;
  int64_t group = 1;
  EDGEQ_RETURN_IF_ERROR(conv_geometry(ctx, x, w, b, &g, &group));
  const int64_t m = w->dim(0);
  Tensor& y = ctx.output(0) = Tensor(x->dtype(), output_shape(g, m));
  const WindowGeometry g3 = as_3d(g);
  return dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    conv_loops<T>(x->data<T>(), w->data<T>(), b ? b->data<T>() : nullptr, y.data<T>(), g3, group, m);
    return {};
  });
}

Status run_ConvTranspose(KernelContext& ctx) {
  const Tensor *x = ctx.input(0), *w = ctx.input(1), *b = ctx.input(2);
  WindowGeometry g;
  int64_t group = 1, m = 0;
  EDGEQ_RETURN_IF_ERROR(conv_transpose_geometry(ctx, x, w, b, &g, &group, &m));
  Tensor& y = ctx.output(0) = Tensor(x->dtype(), output_shape(g, m));
  const WindowGeometry g3 = as_3d(g);
  return dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    conv_transpose_loops<T>(x->data<T>(), w->data<T>(), b ? b->data<T>() : nullptr, y.data<T>(), g3, group, m);
    return {};
  });
}

}  // namespace edgeq::kernels::ref
