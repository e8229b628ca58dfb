// QuantizeLinear and DequantizeLinear reference kernels (opsets 10..18): per-tensor
// (scalar scale and zero_point) or per-axis (1-D scale along `axis`, opset 13+).
//
//   QuantizeLinear:   y = saturate(round_half_even(x / scale) + zero_point)
//   DequantizeLinear: y = (x - zero_point) * scale
//
// The quantized dtype is zero_point's (u8, i8; u16, i16 accepted too); without a
// zero_point it is u8 with zero point 0. The arithmetic is f32, as in ONNX Runtime, so
// int8 simulation built on these kernels matches it bit for bit.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel.h"
#include "kernels/ref/elementwise.h"

namespace edgeq::kernels::ref {

namespace {

// Scale and zero point per channel (one entry when per-tensor) and the x layout around
// the quantization axis: x viewed as [outer, channels, inner].
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  DType qtype = DType::kUInt8;
  int64_t outer = 1, channels = 1, inner = 1;
};

bool is_quantized_dtype(DType t) {
  return t == DType::kUInt8 || t == DType::kInt8 || t == DType::kUInt16 || t == DType::kInt16;
}

StatusOr<QuantParams> quant_params(const KernelContext& ctx, const Tensor& x, bool dequantize) {
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* scale, required_input(ctx, 1, "scale"));
  const Tensor* zp = ctx.input(2);
  if (zp && !zp->defined()) zp = nullptr;
  if (scale->dtype() != DType::kFloat32)
    return ctx.unsupported("scale of dtype " + std::string(dtype_name(scale->dtype())) + " is not supported (f32 only)");
  if (scale->rank() > 1) return ctx.error("scale must be a scalar or 1-D, got shape " + shape_to_string(scale->shape()));
  if (scale->numel() == 0) return ctx.error("scale is empty");
  QuantParams p;
  if (zp) {
    if (zp->numel() != scale->numel())
      return ctx.error("zero_point of shape " + shape_to_string(zp->shape()) + " does not match scale of shape " +
                       shape_to_string(scale->shape()));
    if (dequantize ? zp->dtype() != x.dtype() : !is_quantized_dtype(zp->dtype()))
      return ctx.error("zero_point has unsupported dtype " + std::string(dtype_name(zp->dtype())));
    p.qtype = zp->dtype();
  } else if (dequantize) {
    p.qtype = x.dtype();
  }
  const int64_t n = scale->numel();
  if (n > 1) {
    EDGEQ_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(ctx.attrs.get_int("axis", 1), x.rank()));
    if (x.rank() == 0 || x.dim(axis) != n)
      return ctx.error("scale of length " + std::to_string(n) + " does not match axis " + std::to_string(axis) +
                       " of input shape " + shape_to_string(x.shape()));
    for (int64_t d = 0; d < axis; ++d) p.outer *= x.dim(d);
    p.channels = n;
    for (int64_t d = axis + 1; d < x.rank(); ++d) p.inner *= x.dim(d);
  } else {
    p.inner = x.numel();
  }
  p.scale.assign(scale->data<float>(), scale->data<float>() + n);
  p.zero_point.assign(static_cast<size_t>(n), 0);
  if (zp)
    for (int64_t i = 0; i < n; ++i) p.zero_point[static_cast<size_t>(i)] = static_cast<int32_t>(zp->at_int(i));
  if (p.qtype == DType::kInt32) {
    for (int32_t z : p.zero_point)
      if (z != 0) return ctx.error("zero_point must be 0 for int32 input");
  }
  return p;
}

// Rounds half to even and saturates to Q; NaN maps to the zero point.
template <typename Q>
Q quantize_value(float v, float scale, int32_t zero_point) {
  constexpr float kMin = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr float kMax = static_cast<float>(std::numeric_limits<Q>::max());
  float q = std::nearbyint(v / scale) + static_cast<float>(zero_point);
  if (std::isnan(q)) return static_cast<Q>(zero_point);
  q = std::min(std::max(q, kMin), kMax);
  return static_cast<Q>(q);
}

template <typename Q, typename X>
void quantize_loop(const Tensor& x, const QuantParams& p, Tensor& y) {
  const X* px = x.data<X>();
  Q* py = y.data<Q>();
  for (int64_t o = 0; o < p.outer; ++o) {
    for (int64_t c = 0; c < p.channels; ++c) {
      const float s = p.scale[static_cast<size_t>(c)];
      const int32_t z = p.zero_point[static_cast<size_t>(c)];
      const int64_t base = (o * p.channels + c) * p.inner;
      for (int64_t i = 0; i < p.inner; ++i) py[base + i] = quantize_value<Q>(static_cast<float>(px[base + i]), s, z);
    }
  }
}

template <typename Q>
void dequantize_loop(const Tensor& x, const QuantParams& p, Tensor& y) {
  const Q* px = x.data<Q>();
  float* py = y.data<float>();
  for (int64_t o = 0; o < p.outer; ++o) {
    for (int64_t c = 0; c < p.channels; ++c) {
      const float s = p.scale[static_cast<size_t>(c)];
      const int64_t z = p.zero_point[static_cast<size_t>(c)];
      const int64_t base = (o * p.channels + c) * p.inner;
      for (int64_t i = 0; i < p.inner; ++i)
        py[base + i] = static_cast<float>(static_cast<int64_t>(px[base + i]) - z) * s;
    }
  }
}

template <typename Q>
Status quantize_as(const Tensor& x, const QuantParams& p, Tensor& y) {
  switch (x.dtype()) {
    case DType::kFloat32: quantize_loop<Q, float>(x, p, y); break;
    case DType::kFloat64: quantize_loop<Q, double>(x, p, y); break;
    case DType::kInt32: quantize_loop<Q, int32_t>(x, p, y); break;
    default: break;
  }
  return {};
}

}  // namespace

Status run_QuantizeLinear(KernelContext& ctx) {
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* x, required_input(ctx, 0, "x"));
  if (x->dtype() != DType::kFloat32 && x->dtype() != DType::kInt32 && x->dtype() != DType::kFloat64)
    return ctx.error("x must be f32 or i32, got " + std::string(dtype_name(x->dtype())));
  EDGEQ_ASSIGN_OR_RETURN(QuantParams p, quant_params(ctx, *x, false));
  Tensor& y = ctx.output(0) = Tensor(p.qtype, x->shape());
  switch (p.qtype) {
    case DType::kUInt8: return quantize_as<uint8_t>(*x, p, y);
    case DType::kInt8: return quantize_as<int8_t>(*x, p, y);
    case DType::kUInt16: return quantize_as<uint16_t>(*x, p, y);
    case DType::kInt16: return quantize_as<int16_t>(*x, p, y);
    default: return ctx.error("cannot quantize to " + std::string(dtype_name(p.qtype)));
  }
}

Status run_DequantizeLinear(KernelContext& ctx) {
  EDGEQ_ASSIGN_OR_RETURN(const Tensor* x, required_input(ctx, 0, "x"));
  if (!is_quantized_dtype(x->dtype()) && x->dtype() != DType::kInt32)
    return ctx.error("x must be u8, i8 or i32, got " + std::string(dtype_name(x->dtype())));
  EDGEQ_ASSIGN_OR_RETURN(QuantParams p, quant_params(ctx, *x, true));
  Tensor& y = ctx.output(0) = Tensor(DType::kFloat32, x->shape());
  switch (x->dtype()) {
    case DType::kUInt8: dequantize_loop<uint8_t>(*x, p, y); break;
    case DType::kInt8: dequantize_loop<int8_t>(*x, p, y); break;
    case DType::kUInt16: dequantize_loop<uint16_t>(*x, p, y); break;
    case DType::kInt16: dequantize_loop<int16_t>(*x, p, y); break;
    case DType::kInt32: dequantize_loop<int32_t>(*x, p, y); break;
    default: break;
  }
  return {};
}

}  // namespace edgeq::kernels::ref
