// Reference kernels: BatchNormalization (inference and training mode), InstanceNormalization,
// LayerNormalization, MeanVarianceNormalization. Statistics are computed in double.
#include <cmath>
#include <vector>

#include "kernels/kernel.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

bool is_half(DType t) { return t == DType::kFloat16 || t == DType::kBFloat16; }

// Float inputs as double vectors; the output is written back in the input's dtype.
std::vector<double> to_doubles(const Tensor& t) { return read_double_list(t); }

Tensor from_doubles(const std::vector<double>& v, DType dtype, Dims shape) {
  Tensor f(DType::kFloat32, shape);
  if (dtype == DType::kFloat64) {
    Tensor d(DType::kFloat64, std::move(shape));
    for (size_t i = 0; i < v.size(); ++i) d.data<double>()[i] = v[i];
    return d;
  }
  for (size_t i = 0; i < v.size(); ++i) f.data<float>()[i] = static_cast<float>(v[i]);
  return cast_float_to(f, dtype);
}

Status check_float(KernelContext& ctx, const Tensor& x) {
  if (dtype_is_float(x.dtype()) || is_half(x.dtype())) return {};
  return ctx.unsupported("dtype " + std::string(dtype_name(x.dtype())) + " is not supported (float only)");
}

// Per-channel parameter of length C, or (spatial=0, opset < 9) one value per element of a sample.
StatusOr<std::vector<double>> bn_param(KernelContext& ctx, const Tensor* t, const char* name,
                                       int64_t channels, int64_t sample) {
  if (!t) return ctx.error(std::string("needs input ") + name);
  if (t->numel() != channels && t->numel() != sample)
    return ctx.error(std::string(name) + " has " + std::to_string(t->numel()) + " elements, expected " +
                     std::to_string(channels));
  return to_doubles(*t);
}

}  // namespace

Status run_BatchNormalization(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  EDGEQ_RETURN_IF_ERROR(check_float(ctx, *x));
  if (x->rank() < 1) return ctx.error("input must have rank >= 1");
  const int64_t n = x->dim(0);
  const int64_t channels = x->rank() > 1 ? x->dim(1) : 1;
  int64_t spatial = 1;
  for (int64_t d = 2; d < x->rank(); ++d) spatial *= x->dim(d);
  const int64_t sample = channels * spatial;
  EDGEQ_ASSIGN_OR_RETURN(auto scale, bn_param(ctx, ctx.input(1), "scale", channels, sample));
  EDGEQ_ASSIGN_OR_RETURN(auto bias, bn_param(ctx, ctx.input(2), "B", channels, sample));
  EDGEQ_ASSIGN_OR_RETURN(auto mean, bn_param(ctx, ctx.input(3), "mean", channels, sample));
  EDGEQ_ASSIGN_OR_RETURN(auto var, bn_param(ctx, ctx.input(4), "var", channels, sample));
  const double eps = ctx.attrs.get_float("epsilon", 1e-5f);
  const double momentum = ctx.attrs.get_float("momentum", 0.9f);
  bool training = ctx.opset >= 14 ? ctx.attrs.get_int("training_mode", 0) != 0
                                  : (ctx.wants_output(1) || ctx.wants_output(2));
  if (!training && x->dtype() == DType::kFloat32 && static_cast<int64_t>(scale.size()) == channels &&
      static_cast<int64_t>(mean.size()) == channels) {
    // Inference on f32: fold to y = x * a[c] + b[c] and stay in float (no double copy).
    std::vector<float> a(static_cast<size_t>(channels)), b(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      const double k = scale[c] / std::sqrt(var[c] + eps);
      a[c] = static_cast<float>(k);
      b[c] = static_cast<float>(bias[c] - mean[c] * k);
    }
    Tensor& y = ctx.output(0) = Tensor(DType::kFloat32, x->shape());
    const float* in = x->data<float>();
    float* out = y.data<float>();
    for (int64_t bc = 0; bc < n * channels; ++bc) {
      const float ka = a[bc % channels], kb = b[bc % channels];
      for (int64_t s = 0; s < spatial; ++s) out[bc * spatial + s] = in[bc * spatial + s] * ka + kb;
    }
    return {};
  }
  const std::vector<double> xv = to_doubles(*x);

  std::vector<double> batch_mean, batch_var;
  if (training) {
    if (static_cast<int64_t>(mean.size()) != channels) return ctx.unsupported("training mode needs per-channel statistics");
    batch_mean.assign(static_cast<size_t>(channels), 0.0);
    batch_var.assign(static_cast<size_t>(channels), 0.0);
    const double count = static_cast<double>(n * spatial);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t s = 0; s < spatial; ++s) batch_mean[c] += xv[(b * channels + c) * spatial + s];
    for (double& m : batch_mean) m = count > 0 ? m / count : 0.0;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t s = 0; s < spatial; ++s) {
          const double d = xv[(b * channels + c) * spatial + s] - batch_mean[c];
          batch_var[c] += d * d;
        }
    for (double& v : batch_var) v = count > 0 ? v / count : 0.0;
  }
  const std::vector<double>& use_mean = training ? batch_mean : mean;
  const std::vector<double>& use_var = training ? batch_var : var;
  const bool per_channel = static_cast<int64_t>(scale.size()) == channels;
  std::vector<double> y(xv.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t s = 0; s < spatial; ++s) {
        const size_t i = static_cast<size_t>((b * channels + c) * spatial + s);
        const size_t p = static_cast<size_t>(per_channel ? c : c * spatial + s);
        const size_t ps = static_cast<size_t>(use_mean.size() == static_cast<size_t>(channels) ? c : c * spatial + s);
        y[i] = (xv[i] - use_mean[ps]) / std::sqrt(use_var[ps] + eps) * scale[p] + bias[p];
      }
  ctx.output(0) = from_doubles(y, x->dtype(), x->shape());
  if (!training) return {};

  std::vector<double> run_mean(mean.size()), run_var(var.size());
  for (size_t c = 0; c < mean.size(); ++c) {
    run_mean[c] = mean[c] * momentum + batch_mean[c] * (1.0 - momentum);
    run_var[c] = var[c] * momentum + batch_var[c] * (1.0 - momentum);
  }
  const DType stat_type = ctx.input(3)->dtype();
  const Dims stat_shape{channels};
  if (ctx.wants_output(1)) ctx.output(1) = from_doubles(run_mean, stat_type, stat_shape);
  if (ctx.wants_output(2)) ctx.output(2) = from_doubles(run_var, stat_type, stat_shape);
  if (ctx.wants_output(3)) ctx.output(3) = from_doubles(batch_mean, stat_type, stat_shape);
  if (ctx.wants_output(4)) ctx.output(4) = from_doubles(batch_var, stat_type, stat_shape);
  return {};
}

Status run_InstanceNormalization(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* scale_t = ctx.input(1);
  const Tensor* bias_t = ctx.input(2);
  if (!x || !scale_t || !bias_t) return ctx.error("needs inputs input, scale and B");
  EDGEQ_RETURN_IF_ERROR(check_float(ctx, *x));
  if (x->rank() < 2) return ctx.error("input must have rank >= 2");
  const int64_t n = x->dim(0), channels = x->dim(1);
  int64_t spatial = 1;
  for (int64_t d = 2; d < x->rank(); ++d) spatial *= x->dim(d);
  if (scale_t->numel() != channels || bias_t->numel() != channels)
    return ctx.error("scale and B must have " + std::to_string(channels) + " elements");
  const double eps = ctx.attrs.get_float("epsilon", 1e-5f);
  const auto scale = to_doubles(*scale_t), bias = to_doubles(*bias_t);
  const auto xv = to_doubles(*x);
  std::vector<double> y(xv.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < channels; ++c) {
      const size_t base = static_cast<size_t>((b * channels + c) * spatial);
      double mean = 0.0, var = 0.0;
      for (int64_t s = 0; s < spatial; ++s) mean += xv[base + s];
      mean /= static_cast<double>(spatial);
      for (int64_t s = 0; s < spatial; ++s) var += (xv[base + s] - mean) * (xv[base + s] - mean);
      var /= static_cast<double>(spatial);
      const double inv = 1.0 / std::sqrt(var + eps);
      for (int64_t s = 0; s < spatial; ++s) y[base + s] = (xv[base + s] - mean) * inv * scale[c] + bias[c];
    }
  ctx.output(0) = from_doubles(y, x->dtype(), x->shape());
  return {};
}

Status run_LayerNormalization(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* scale_t = ctx.input(1);
  const Tensor* bias_t = ctx.input(2);
  if (!x || !scale_t) return ctx.error("needs inputs X and Scale");
  EDGEQ_RETURN_IF_ERROR(check_float(ctx, *x));
  auto axis = normalize_axis(ctx.attrs.get_int("axis", -1), x->rank());
  if (!axis.ok() || x->rank() == 0) return ctx.error(axis.ok() ? "input must have rank >= 1" : axis.status().message());
  const double eps = ctx.attrs.get_float("epsilon", 1e-5f);
  Dims norm_shape(x->shape().begin() + *axis, x->shape().end());
  int64_t outer = 1;
  for (int64_t d = 0; d < *axis; ++d) outer *= x->dim(d);
  const int64_t inner = shape_numel(norm_shape);
  // Scale and B broadcast (right-aligned) over the normalised dims.
  auto param_strides = [&](const Tensor& p) -> StatusOr<Dims> {
    Dims shape = p.shape();
    while (shape.size() > norm_shape.size() && shape.front() == 1) shape.erase(shape.begin());
    auto b = broadcast_shapes(shape, norm_shape);
    if (!b.ok() || *b != norm_shape)
      return ctx.error("Scale/B of shape " + shape_to_string(p.shape()) + " does not broadcast to " +
                       shape_to_string(norm_shape));
    return broadcast_strides(shape, norm_shape);
  };
  EDGEQ_ASSIGN_OR_RETURN(Dims scale_strides, param_strides(*scale_t));
  Dims bias_strides;
  if (bias_t) {
    EDGEQ_ASSIGN_OR_RETURN(bias_strides, param_strides(*bias_t));
  }
  const auto xv = to_doubles(*x);
  const auto scale = to_doubles(*scale_t);
  const auto bias = bias_t ? to_doubles(*bias_t) : std::vector<double>{};
  std::vector<double> scale_b(static_cast<size_t>(inner)), bias_b(static_cast<size_t>(inner), 0.0);
  for_each_broadcast<2>(norm_shape, std::array<Dims, 2>{scale_strides, bias_t ? bias_strides : scale_strides},
                        [&](int64_t i, const std::array<int64_t, 2>& off) {
                          scale_b[i] = scale[off[0]];
                          if (bias_t) bias_b[i] = bias[off[1]];
                        });
  std::vector<double> y(xv.size()), mean_v(static_cast<size_t>(outer)), inv_v(static_cast<size_t>(outer));
  for (int64_t o = 0; o < outer; ++o) {
    const size_t base = static_cast<size_t>(o * inner);
    double mean = 0.0, var = 0.0;
    for (int64_t k = 0; k < inner; ++k) mean += xv[base + k];
    mean /= static_cast<double>(inner);
    for (int64_t k = 0; k < inner; ++k) var += (xv[base + k] - mean) * (xv[base + k] - mean);
    var /= static_cast<double>(inner);
    const double inv = 1.0 / std::sqrt(var + eps);
    mean_v[o] = mean;
    inv_v[o] = inv;
    for (int64_t k = 0; k < inner; ++k) y[base + k] = (xv[base + k] - mean) * inv * scale_b[k] + bias_b[k];
  }
  ctx.output(0) = from_doubles(y, x->dtype(), x->shape());
  Dims stat_shape(x->shape().begin(), x->shape().begin() + *axis);
  stat_shape.resize(static_cast<size_t>(x->rank()), 1);
  const int64_t stash = ctx.attrs.get_int("stash_type", 1);
  const DType stat_type = stash == 11 ? DType::kFloat64 : stash == 1 ? DType::kFloat32 : x->dtype();
  if (ctx.wants_output(1)) ctx.output(1) = from_doubles(mean_v, stat_type, stat_shape);
  if (ctx.wants_output(2)) ctx.output(2) = from_doubles(inv_v, stat_type, stat_shape);
  return {};
}

Status run_MeanVarianceNormalization(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  EDGEQ_RETURN_IF_ERROR(check_float(ctx, *x));
  const int64_t rank = x->rank();
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t a : ctx.attrs.get_ints("axes", {0, 2, 3})) {
    if (a < -rank || a >= rank)
      return ctx.error("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    reduced[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
  }
  Dims keep_shape;
  for (int64_t d = 0; d < rank; ++d) keep_shape.push_back(reduced[d] ? 1 : x->dim(d));
  Dims strides = shape_strides(keep_shape);
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d]) strides[d] = 0;
  const std::array<Dims, 1> st{strides};
  const int64_t n_stat = shape_numel(keep_shape);
  const double count = n_stat > 0 ? static_cast<double>(x->numel()) / static_cast<double>(n_stat) : 1.0;
  const auto xv = to_doubles(*x);
  std::vector<double> mean(static_cast<size_t>(n_stat), 0.0), var(static_cast<size_t>(n_stat), 0.0);
  for_each_broadcast<1>(x->shape(), st, [&](int64_t i, const std::array<int64_t, 1>& o) { mean[o[0]] += xv[i]; });
  for (double& m : mean) m /= count;
  for_each_broadcast<1>(x->shape(), st, [&](int64_t i, const std::array<int64_t, 1>& o) {
    const double d = xv[i] - mean[o[0]];
    var[o[0]] += d * d;
  });
  for (double& v : var) v /= count;
  std::vector<double> y(xv.size());
  // The ONNX function adds epsilon (1e-9) to the standard deviation, not the variance.
  for_each_broadcast<1>(x->shape(), st, [&](int64_t i, const std::array<int64_t, 1>& o) {
    y[i] = (xv[i] - mean[o[0]]) / (std::sqrt(var[o[0]]) + 1e-9);
  });
  ctx.output(0) = from_doubles(y, x->dtype(), x->shape());
  return {};
}

}  // namespace edgeq::kernels::ref
