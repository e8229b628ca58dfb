#include "quant/qparams.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace edgeq::quant {

namespace {

float finite_or_zero(float v) { return std::isfinite(v) ? v : 0.0f; }

// Channel c of a weight viewed as [outer, channels, inner] around `axis`.
struct AxisView {
  int64_t outer = 1, channels = 1, inner = 1;
};

AxisView axis_view(const Dims& shape, int64_t axis) {
  AxisView v;
  for (int64_t d = 0; d < axis; ++d) v.outer *= shape[static_cast<size_t>(d)];
  v.channels = shape[static_cast<size_t>(axis)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) v.inner *= shape[d];
  return v;
}

StatusOr<Tensor> as_float(const Tensor& t, const char* what) {
  if (t.dtype() == DType::kFloat32) return t;
  if (!dtype_is_float(t.dtype()))
    return invalid_argument(std::string(what) + " must be a float tensor, got " + std::string(dtype_name(t.dtype())));
  return t.to_float();
}

}  // namespace

int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  // Same f32 arithmetic as the QuantizeLinear kernels (ours and ONNX Runtime's).
  double q = static_cast<double>(std::nearbyint(x / scale)) + zero_point;
  if (std::isnan(q)) return zero_point;
  return static_cast<int32_t>(std::clamp(q, static_cast<double>(qmin), static_cast<double>(qmax)));
}

ir::QuantParams activation_params(float min, float max) {
  const float lo = std::min(finite_or_zero(min), 0.0f);
  const float hi = std::max(finite_or_zero(max), 0.0f);
  ir::QuantParams p;
  p.dtype = DType::kUInt8;
  p.axis = -1;
  float scale = (hi - lo) / 255.0f;
  int32_t zero_point = 0;
  if (!(scale >= std::numeric_limits<float>::min())) {
    scale = kDegenerateScale;
  } else {
    zero_point = static_cast<int32_t>(std::clamp(std::nearbyint(-lo / scale), 0.0f, 255.0f));
  }
  p.scale = {scale};
  p.zero_point = {zero_point};
  return p;
}

float weight_scale(float max_abs) {
  float scale = finite_or_zero(max_abs) / 127.0f;
  return scale >= std::numeric_limits<float>::min() ? scale : kDegenerateScale;
}

StatusOr<QuantizedWeight> quantize_weight(const Tensor& w_in, int64_t axis) {
  EDGEQ_ASSIGN_OR_RETURN(Tensor w, as_float(w_in, "weight"));
  if (axis < 0) axis += w.rank();
  if (axis < 0 || axis >= w.rank())
    return invalid_argument("quantization axis " + std::to_string(axis) + " is out of range for weight of shape " +
                            shape_to_string(w.shape()));
  const AxisView v = axis_view(w.shape(), axis);
  std::vector<float> max_abs(static_cast<size_t>(v.channels), 0.0f);
  const float* pw = w.data<float>();
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < v.channels; ++c)
      for (int64_t i = 0; i < v.inner; ++i) {
        float a = std::fabs(pw[(o * v.channels + c) * v.inner + i]);
        if (std::isfinite(a)) max_abs[static_cast<size_t>(c)] = std::max(max_abs[static_cast<size_t>(c)], a);
      }
  QuantizedWeight out;
  out.params.dtype = DType::kInt8;
  out.params.axis = axis;
  for (float m : max_abs) out.params.scale.push_back(weight_scale(m));
  out.params.zero_point.assign(max_abs.size(), 0);
  out.values = Tensor(DType::kInt8, w.shape());
  int8_t* q = out.values.data<int8_t>();
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < v.channels; ++c) {
      const float s = out.params.scale[static_cast<size_t>(c)];
      for (int64_t i = 0; i < v.inner; ++i) {
        const int64_t k = (o * v.channels + c) * v.inner + i;
        q[k] = static_cast<int8_t>(quantize_value(pw[k], s, 0, -127, 127));
      }
    }
  return out;
}

StatusOr<QuantizedWeight> quantize_weight_per_tensor(const Tensor& w_in) {
  EDGEQ_ASSIGN_OR_RETURN(Tensor w, as_float(w_in, "weight"));
  Tensor flat = w.reshaped({1, w.numel()});
  EDGEQ_ASSIGN_OR_RETURN(QuantizedWeight q, quantize_weight(flat, 0));
  q.values = q.values.reshaped(w.shape());
  q.params.axis = -1;
  return q;
}

StatusOr<QuantizedWeight> quantize_bias(const Tensor& bias_in, float input_scale,
                                        const std::vector<float>& weight_scales) {
  EDGEQ_ASSIGN_OR_RETURN(Tensor bias, as_float(bias_in, "bias"));
  const int64_t n = bias.numel();
  if (weight_scales.size() != 1 && static_cast<int64_t>(weight_scales.size()) != n)
    return invalid_argument("bias of " + std::to_string(n) + " elements does not match " +
                            std::to_string(weight_scales.size()) + " weight scales");
  QuantizedWeight out;
  out.params.dtype = DType::kInt32;
  out.params.axis = weight_scales.size() == 1 ? -1 : 0;
  for (float ws : weight_scales) {
    float s = input_scale * ws;
    out.params.scale.push_back(s >= std::numeric_limits<float>::min() ? s : kDegenerateScale);
  }
  out.params.zero_point.assign(out.params.scale.size(), 0);
  out.values = Tensor(DType::kInt32, bias.shape());
  const float* pb = bias.data<float>();
  int32_t* q = out.values.data<int32_t>();
  for (int64_t i = 0; i < n; ++i) {
    const float s = out.params.scale[weight_scales.size() == 1 ? 0 : static_cast<size_t>(i)];
    q[i] = quantize_value(pb[i], s, 0, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  }
  return out;
}

std::vector<float> requant_multipliers(float input_scale, const std::vector<float>& weight_scales,
                                       float output_scale) {
  std::vector<float> m;
  m.reserve(weight_scales.size());
  for (float ws : weight_scales) m.push_back(input_scale * ws / output_scale);
  return m;
}

uint8_t requantize(int32_t acc, float multiplier, int32_t output_zero_point) {
  return static_cast<uint8_t>(quantize_value(static_cast<float>(acc) * multiplier, 1.0f, output_zero_point, 0, 255));
}

}  // namespace edgeq::quant
