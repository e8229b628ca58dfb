// Int8 reference QConv and QGemm (see ref.h).
#include <string>

#include "kernels/int8/ref.h"

namespace edgeq::kernels::int8 {

int64_t window_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_begin,
                       int64_t pad_end, bool ceil_mode) {
  const int64_t extent = (kernel - 1) * dilation + 1;
  const int64_t span = in + pad_begin + pad_end - extent;
  if (span < 0) return 0;
  int64_t out = span / stride + 1;
  if (ceil_mode && span % stride != 0) {
    out = (span + stride - 1) / stride + 1;
    if ((out - 1) * stride >= in + pad_begin) --out;  // the last window must start inside
  }
  return out;
}

namespace {

Status check_window(const Window2d& w, bool needs_kernel) {
  if ((needs_kernel && w.kernel.size() != 2) || w.strides.size() != 2 || w.dilations.size() != 2 ||
      w.pads_begin.size() != 2 || w.pads_end.size() != 2)
    return invalid_argument("int8 window ops take 2-D kernel, strides, dilations and pads");
  for (int i = 0; i < 2; ++i)
    if (w.strides[i] < 1 || w.dilations[i] < 1 || (needs_kernel && w.kernel[i] < 1))
      return invalid_argument("int8 window ops need positive kernel, strides and dilations");
  return {};
}

Status check_scales(std::span<const float> w_scales, int64_t channels, const char* op) {
  if (w_scales.size() != 1 && static_cast<int64_t>(w_scales.size()) != channels)
    return invalid_argument(std::string(op) + " needs 1 or " + std::to_string(channels) + " weight scales, got " +
                            std::to_string(w_scales.size()));
  return {};
}

}  // namespace

StatusOr<Tensor> qconv(const Tensor& x, QParam xq, const Tensor& w, std::span<const float> w_scales,
                       const Tensor* bias, QParam yq, const Window2d& window, int64_t group) {
  if (x.dtype() != DType::kUInt8 || x.rank() != 4) return invalid_argument("qconv needs a u8 NCHW input");
  if (w.dtype() != DType::kInt8 || w.rank() != 4) return invalid_argument("qconv needs s8 OIHW weights");
  EDGEQ_RETURN_IF_ERROR(check_window(window, false));
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t m = w.dim(0), cg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  if (group < 1 || c % group != 0 || m % group != 0 || cg != c / group)
    return invalid_argument("qconv: weights [" + std::to_string(m) + "," + std::to_string(cg) +
                            ",...] do not match " + std::to_string(c) + " input channels in " + std::to_string(group) +
                            " groups");
  EDGEQ_RETURN_IF_ERROR(check_scales(w_scales, m, "qconv"));
  if (bias && (bias->dtype() != DType::kInt32 || bias->numel() != m))
    return invalid_argument("qconv needs an s32 bias of " + std::to_string(m) + " values");
  const int64_t oh = window_out_dim(h, kh, window.strides[0], window.dilations[0], window.pads_begin[0],
                                    window.pads_end[0], false);
  const int64_t ow = window_out_dim(wd, kw, window.strides[1], window.dilations[1], window.pads_begin[1],
                                    window.pads_end[1], false);
  Tensor y(DType::kUInt8, {n, m, oh, ow});
  const uint8_t* px = x.data<uint8_t>();
  const int8_t* pw = w.data<int8_t>();
  const int32_t* pb = bias ? bias->data<int32_t>() : nullptr;
  uint8_t* py = y.data<uint8_t>();
  const int64_t mg = m / group;
  // Each (image, output channel) plane is independent: parallel, same result at any thread count.
#pragma omp parallel for schedule(dynamic)
  for (int64_t plane = 0; plane < n * m; ++plane) {
      const int64_t b = plane / m, oc = plane % m;
      const int64_t g = oc / mg;
      const float mult = conv_multiplier(xq.scale, w_scales[w_scales.size() == 1 ? 0 : oc], yq.scale);
      const int8_t* wo = pw + oc * cg * kh * kw;
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          int32_t acc = pb ? pb[oc] : 0;
          for (int64_t ic = 0; ic < cg; ++ic) {
            const uint8_t* xc = px + ((b * c) + g * cg + ic) * h * wd;
            for (int64_t ky = 0; ky < kh; ++ky) {
              const int64_t iy = oy * window.strides[0] - window.pads_begin[0] + ky * window.dilations[0];
              if (iy < 0 || iy >= h) continue;
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t ix = ox * window.strides[1] - window.pads_begin[1] + kx * window.dilations[1];
                if (ix < 0 || ix >= wd) continue;
                acc += (static_cast<int32_t>(xc[iy * wd + ix]) - xq.zero_point) *
                       static_cast<int32_t>(wo[(ic * kh + ky) * kw + kx]);
              }
            }
          }
          py[((b * m + oc) * oh + oy) * ow + ox] = requantize(acc, mult, yq.zero_point);
        }
    }
  return y;
}

StatusOr<Tensor> qgemm(const Tensor& a, QParam aq, const Tensor& w, std::span<const float> w_scales,
                       const Tensor* bias, QParam yq) {
  if (a.dtype() != DType::kUInt8 || a.rank() != 2) return invalid_argument("qgemm needs a u8 [M, K] input");
  if (w.dtype() != DType::kInt8 || w.rank() != 2 || w.dim(1) != a.dim(1))
    return invalid_argument("qgemm needs s8 [N, K] weights with K = " + std::to_string(a.dim(1)));
  const int64_t m = a.dim(0), k = a.dim(1), n = w.dim(0);
  EDGEQ_RETURN_IF_ERROR(check_scales(w_scales, n, "qgemm"));
  if (bias && (bias->dtype() != DType::kInt32 || bias->numel() != n))
    return invalid_argument("qgemm needs an s32 bias of " + std::to_string(n) + " values");
  Tensor y(DType::kUInt8, {m, n});
  const uint8_t* pa = a.data<uint8_t>();
  const int8_t* pw = w.data<int8_t>();
  uint8_t* py = y.data<uint8_t>();
  for (int64_t j = 0; j < n; ++j) {
    const float mult = conv_multiplier(aq.scale, w_scales[w_scales.size() == 1 ? 0 : j], yq.scale);
    for (int64_t i = 0; i < m; ++i) {
      int32_t acc = bias ? bias->data<int32_t>()[j] : 0;
      for (int64_t t = 0; t < k; ++t)
        acc += (static_cast<int32_t>(pa[i * k + t]) - aq.zero_point) * static_cast<int32_t>(pw[j * k + t]);
      py[i * n + j] = requantize(acc, mult, yq.zero_point);
    }
  }
  return y;
}

}  // namespace edgeq::kernels::int8
