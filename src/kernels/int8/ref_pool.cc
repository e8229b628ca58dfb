// Int8 reference pools and Resize on u8 (see ref.h).
#include <algorithm>
#include <string>

#include "kernels/int8/ref.h"
#include "kernels/kernel.h"

namespace edgeq::kernels::int8 {

namespace {

Status check_pool(const Tensor& x, const Window2d& w, const char* op) {
  if (x.dtype() != DType::kUInt8 || x.rank() != 4) return invalid_argument(std::string(op) + " needs a u8 NCHW input");
  if (w.kernel.size() != 2 || w.strides.size() != 2 || w.pads_begin.size() != 2 || w.pads_end.size() != 2 ||
      w.dilations.size() != 2)
    return invalid_argument(std::string(op) + " takes a 2-D kernel, strides, dilations and pads");
  for (int i = 0; i < 2; ++i)
    if (w.kernel[i] < 1 || w.strides[i] < 1 || w.dilations[i] < 1)
      return invalid_argument(std::string(op) + " needs positive kernel, strides and dilations");
  return {};
}

}  // namespace

StatusOr<Tensor> qglobal_average_pool(const Tensor& x, QParam xq, QParam yq) {
  if (x.dtype() != DType::kUInt8 || x.rank() < 3) return invalid_argument("qglobal_average_pool needs a u8 [N, C, ...] input");
  const int64_t nc = x.dim(0) * x.dim(1);
  const int64_t size = x.numel() / std::max<int64_t>(nc, 1);
  Dims shape = x.shape();
  for (size_t d = 2; d < shape.size(); ++d) shape[d] = 1;
  Tensor y(DType::kUInt8, shape);
  const uint8_t* px = x.data<uint8_t>();
  uint8_t* py = y.data<uint8_t>();
  for (int64_t i = 0; i < nc; ++i) {
    int32_t sum = 0;
    for (int64_t j = 0; j < size; ++j) sum += px[i * size + j];
    py[i] = average(sum, static_cast<int32_t>(size), xq, yq);
  }
  return y;
}

StatusOr<Tensor> qaverage_pool(const Tensor& x, QParam xq, QParam yq, const Window2d& window) {
  EDGEQ_RETURN_IF_ERROR(check_pool(x, window, "qaverage_pool"));
  if (window.dilations[0] != 1 || window.dilations[1] != 1)
    return unsupported("qaverage_pool does not support dilations");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t kh = window.kernel[0], kw = window.kernel[1];
  const int64_t oh = window_out_dim(h, kh, window.strides[0], 1, window.pads_begin[0], window.pads_end[0], window.ceil_mode);
  const int64_t ow = window_out_dim(w, kw, window.strides[1], 1, window.pads_begin[1], window.pads_end[1], window.ceil_mode);
  Tensor y(DType::kUInt8, {n, c, oh, ow});
  const uint8_t* px = x.data<uint8_t>();
  uint8_t* py = y.data<uint8_t>();
  float deq[256];
  for (int q = 0; q < 256; ++q) deq[q] = dequantize(static_cast<uint8_t>(q), xq);
  for (int64_t i = 0; i < n * c; ++i) {
    const uint8_t* xc = px + i * h * w;
    for (int64_t oy = 0; oy < oh; ++oy) {
      int64_t y0 = oy * window.strides[0] - window.pads_begin[0];
      const int64_t y1 = std::min(y0 + kh, h);
      y0 = std::max<int64_t>(y0, 0);
      for (int64_t ox = 0; ox < ow; ++ox) {
        int64_t x0 = ox * window.strides[1] - window.pads_begin[1];
        const int64_t x1 = std::min(x0 + kw, w);
        x0 = std::max<int64_t>(x0, 0);
        float sum = 0.0f;
        for (int64_t iy = y0; iy < y1; ++iy)
          for (int64_t ix = x0; ix < x1; ++ix) sum += deq[xc[iy * w + ix]];
        const int64_t count = window.count_include_pad ? kh * kw : (y1 - y0) * (x1 - x0);
        const float mean = count > 0 ? sum / static_cast<float>(count) : 0.0f;
        py[(i * oh + oy) * ow + ox] = pool_quantize(mean, yq);
      }
    }
  }
  return y;
}

StatusOr<Tensor> maxpool_u8(const Tensor& x, const Window2d& window) {
  EDGEQ_RETURN_IF_ERROR(check_pool(x, window, "maxpool_u8"));
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t kh = window.kernel[0], kw = window.kernel[1];
  const int64_t oh = window_out_dim(h, kh, window.strides[0], window.dilations[0], window.pads_begin[0],
                                    window.pads_end[0], window.ceil_mode);
  const int64_t ow = window_out_dim(w, kw, window.strides[1], window.dilations[1], window.pads_begin[1],
                                    window.pads_end[1], window.ceil_mode);
  Tensor y(DType::kUInt8, {n, c, oh, ow});
  const uint8_t* px = x.data<uint8_t>();
  uint8_t* py = y.data<uint8_t>();
  for (int64_t i = 0; i < n * c; ++i) {
    const uint8_t* xc = px + i * h * w;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int32_t best = -1;
        for (int64_t ky = 0; ky < kh; ++ky) {
          const int64_t iy = oy * window.strides[0] - window.pads_begin[0] + ky * window.dilations[0];
          if (iy < 0 || iy >= h) continue;
          for (int64_t kx = 0; kx < kw; ++kx) {
            const int64_t ix = ox * window.strides[1] - window.pads_begin[1] + kx * window.dilations[1];
            if (ix < 0 || ix >= w) continue;
            best = std::max<int32_t>(best, xc[iy * w + ix]);
          }
        }
        py[(i * oh + oy) * ow + ox] = static_cast<uint8_t>(std::max(best, 0));
      }
  }
  return y;
}

StatusOr<Tensor> qresize(const Tensor& x, QParam xq, const Attributes& attrs, int64_t opset, const Tensor* roi,
                         const Tensor* scales, const Tensor* sizes) {
  if (x.dtype() != DType::kUInt8) return invalid_argument("qresize needs a u8 input");
  Tensor xf(DType::kFloat32, x.shape());
  const uint8_t* px = x.data<uint8_t>();
  float* pf = xf.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) pf[i] = dequantize(px[i], xq);
  const Tensor* inputs[] = {&xf, roi, scales, sizes};
  std::vector<Tensor> out;
  EDGEQ_RETURN_IF_ERROR(run_kernel("Resize", attrs, opset, inputs, 1, &out, Backend::kReference, {}, "qresize"));
  Tensor y(DType::kUInt8, out[0].shape());
  const float* pr = out[0].data<float>();
  uint8_t* py = y.data<uint8_t>();
  for (int64_t i = 0; i < y.numel(); ++i) py[i] = quantize(pr[i], xq);
  return y;
}

}  // namespace edgeq::kernels::int8
