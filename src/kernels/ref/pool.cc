// Reference pooling (MaxPool, AveragePool, global pools) and LRN. Windows are 1-D/2-D/3-D
// (padded to 3-D); global pools take any rank >= 3.
#include <cmath>
#include <limits>

#include "kernels/kernel.h"
#include "kernels/ref/nn_geometry.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

Status check_float(const KernelContext& ctx, const Tensor& x) {
  if (x.dtype() == DType::kFloat32 || x.dtype() == DType::kFloat64) return {};
  return ctx.unsupported("dtype " + std::string(dtype_name(x.dtype())) + " is not supported (f32, f64 only)");
}

Dims pooled_shape(const WindowGeometry& g) {
  Dims s{g.batch, g.channels};
  s.insert(s.end(), g.out.begin(), g.out.end());
  return s;
}

Status pool_geometry(const KernelContext& ctx, const Tensor* x, WindowGeometry* g) {
  if (!x) return ctx.error("needs input X");
  if (x->rank() < 3) return ctx.error("X must have rank >= 3, got " + shape_to_string(x->shape()));
  if (x->rank() > 5) return ctx.unsupported("more than 3 spatial dims are not supported");
  return read_window(ctx, x->shape(), {}, ctx.attrs.get_int("ceil_mode", 0) != 0, g);
}

// Calls f(index_in_plane, d, h, w) for every in-bounds tap of the window at (od, oh, ow).
template <typename F>
void for_each_tap(const WindowGeometry& g, int64_t od, int64_t oh, int64_t ow, F&& f) {
  for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
    const int64_t id = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
    if (id < 0 || id >= g.in[0]) continue;
    for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
      const int64_t ih = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
      if (ih < 0 || ih >= g.in[1]) continue;
      for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
        const int64_t iw = ow * g.stride[2] - g.pad_begin[2] + kw * g.dilation[2];
        if (iw < 0 || iw >= g.in[2]) continue;
        f((id * g.in[1] + ih) * g.in[2] + iw, id, ih, iw);
      }
    }
  }
}

// Number of taps of a window along one dim that fall in [lo, hi).
int64_t taps_in_range(int64_t start, int64_t k, int64_t dil, int64_t lo, int64_t hi) {
  int64_t count = 0;
  for (int64_t t = 0; t < k; ++t) {
    const int64_t p = start + t * dil;
    count += p >= lo && p < hi;
  }
  return count;
}

template <typename F>
Status dispatch_maxpool(const KernelContext& ctx, DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: return f(float{});
    case DType::kFloat64: return f(double{});
    case DType::kInt8: return f(int8_t{});
    case DType::kUInt8: return f(uint8_t{});
    default: return ctx.unsupported("dtype " + std::string(dtype_name(t)) + " is not supported");
  }
}

}  // namespace

Status run_MaxPool(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  WindowGeometry g;
  EDGEQ_RETURN_IF_ERROR(pool_geometry(ctx, x, &g));
  const bool col_major = ctx.attrs.get_int("storage_order", 0) != 0;
  const Dims shape = pooled_shape(g);
  Tensor& y = ctx.output(0) = Tensor(x->dtype(), shape);
  const bool want_idx = ctx.num_outputs() > 1 && ctx.wants_output(1);
  int64_t* idx = nullptr;
  if (want_idx) idx = (ctx.output(1) = Tensor(DType::kInt64, shape)).data<int64_t>();
  const WindowGeometry g3 = as_3d(g);
  return dispatch_maxpool(ctx, x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    const int64_t ID = g3.in[0], IH = g3.in[1], IW = g3.in[2], in_plane = ID * IH * IW;
    const int64_t out_plane = g3.out[0] * g3.out[1] * g3.out[2];
    for (int64_t nc = 0; nc < g.batch * g.channels; ++nc) {
      const T* xp = x->data<T>() + nc * in_plane;
      int64_t o = nc * out_plane;
      for (int64_t od = 0; od < g3.out[0]; ++od)
        for (int64_t oh = 0; oh < g3.out[1]; ++oh)
          for (int64_t ow = 0; ow < g3.out[2]; ++ow, ++o) {
            T best = std::numeric_limits<T>::lowest();
            int64_t best_idx = -1;
            for_each_tap(g3, od, oh, ow, [&](int64_t i, int64_t d, int64_t h, int64_t w) {
              if (best_idx < 0 || xp[i] > best) {
                best = xp[i];
                best_idx = col_major ? d + h * ID + w * ID * IH : i;
              }
            });
            y.data<T>()[o] = best;
            if (idx) idx[o] = nc * in_plane + std::max<int64_t>(best_idx, 0);
          }
    }
    return {};
  });
}

Status run_AveragePool(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  WindowGeometry g;
  EDGEQ_RETURN_IF_ERROR(pool_geometry(ctx, x, &g));
  EDGEQ_RETURN_IF_ERROR(check_float(ctx, *x));
  const bool include_pad = ctx.attrs.get_int("count_include_pad", 0) != 0;
  Tensor& y = ctx.output(0) = Tensor(x->dtype(), pooled_shape(g));
  const WindowGeometry g3 = as_3d(g);
  return dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    const int64_t in_plane = g3.in[0] * g3.in[1] * g3.in[2];
    const int64_t out_plane = g3.out[0] * g3.out[1] * g3.out[2];
    for (int64_t nc = 0; nc < g.batch * g.channels; ++nc) {
      const T* xp = x->data<T>() + nc * in_plane;
      int64_t o = nc * out_plane;
      for (int64_t od = 0; od < g3.out[0]; ++od)
        for (int64_t oh = 0; oh < g3.out[1]; ++oh)
          for (int64_t ow = 0; ow < g3.out[2]; ++ow, ++o) {
            double sum = 0;
            int64_t count = 0;
            for_each_tap(g3, od, oh, ow, [&](int64_t i, int64_t, int64_t, int64_t) {
              sum += static_cast<double>(xp[i]);
              ++count;
            });
            if (include_pad) {
              // Taps in the padding count, taps past the end padding (ceil_mode) do not.
              const int64_t pos[3] = {od, oh, ow};
              count = 1;
              for (int d = 0; d < 3; ++d)
                count *= taps_in_range(pos[d] * g3.stride[d] - g3.pad_begin[d], g3.kernel[d], g3.dilation[d],
                                       -g3.pad_begin[d], g3.in[d] + g3.pad_end[d]);
            }
            y.data<T>()[o] = static_cast<T>(count > 0 ? sum / static_cast<double>(count) : 0.0);
          }
    }
    return {};
  });
}

namespace {

template <bool kMax>
Status global_pool(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (x->rank() < 3) return ctx.error("X must have rank >= 3, got " + shape_to_string(x->shape()));
  EDGEQ_RETURN_IF_ERROR(check_float(ctx, *x));
  Dims shape(x->shape().size(), 1);
  shape[0] = x->dim(0);
  shape[1] = x->dim(1);
  Tensor& y = ctx.output(0) = Tensor(x->dtype(), shape);
  const int64_t planes = x->dim(0) * x->dim(1);
  const int64_t size = planes == 0 ? 0 : x->numel() / planes;
  return dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    for (int64_t p = 0; p < planes; ++p) {
      const T* xp = x->data<T>() + p * size;
      double acc = kMax ? -std::numeric_limits<double>::infinity() : 0.0;
      for (int64_t i = 0; i < size; ++i) {
        const double v = static_cast<double>(xp[i]);
        if constexpr (kMax) {
          if (v > acc || std::isnan(v)) acc = v;
          if (std::isnan(acc)) break;
        } else {
          acc += v;
        }
      }
      y.data<T>()[p] = static_cast<T>(kMax ? acc : (size > 0 ? acc / static_cast<double>(size) : 0.0));
    }
    return {};
  });
}

}  // namespace

Status run_GlobalAveragePool(KernelContext& ctx) { return global_pool<false>(ctx); }
Status run_GlobalMaxPool(KernelContext& ctx) { return global_pool<true>(ctx); }

Status run_LRN(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (x->rank() < 2) return ctx.error("X must have rank >= 2, got " + shape_to_string(x->shape()));
  if (!ctx.attrs.has("size")) return ctx.error("size attribute is required");
  const int64_t size = ctx.attrs.get_int("size", 1);
  if (size <= 0) return ctx.error("size must be positive, got " + std::to_string(size));
  EDGEQ_RETURN_IF_ERROR(check_float(ctx, *x));
  const double alpha = ctx.attrs.get_float("alpha", 1e-4f), beta = ctx.attrs.get_float("beta", 0.75f);
  const double bias = ctx.attrs.get_float("bias", 1.0f);
  Tensor& y = ctx.output(0) = Tensor(x->dtype(), x->shape());
  const int64_t n = x->dim(0), c = x->dim(1);
  const int64_t plane = n * c == 0 ? 0 : x->numel() / (n * c);
  const int64_t before = (size - 1) / 2, after = size - 1 - before;  // floor / ceil of (size-1)/2
  return dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* xp = x->data<T>();
    T* yp = y.data<T>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t i = 0; i < plane; ++i) {
          double sq = 0;
          for (int64_t k = std::max<int64_t>(0, ch - before); k <= std::min(c - 1, ch + after); ++k) {
            const double v = static_cast<double>(xp[(b * c + k) * plane + i]);
            sq += v * v;
          }
          const int64_t o = (b * c + ch) * plane + i;
          yp[o] = static_cast<T>(static_cast<double>(xp[o]) / std::pow(bias + alpha / static_cast<double>(size) * sq, beta));
        }
    return {};
  });
}

}  // namespace edgeq::kernels::ref
