// Reference kernels: Resize (opsets 10, 11, 13, 18) and Upsample (7, 9).
//
// Each resized axis gets a table of taps (input index + weight per output index: 1 tap for
// nearest, 2 for linear, 4 for cubic). The interpolation is separable, so the kernel runs one
// pass per resized axis; a pass over an inner axis is a weighted sum of contiguous rows,
// which keeps the common NCHW nearest-2x and bilinear cases fast without special code.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/kernel.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

struct ResizeParams {
  std::string mode = "nearest";         // nearest | linear | cubic
  std::string coord = "half_pixel";     // coordinate_transformation_mode
  std::string nearest_mode = "round_prefer_floor";  // or "simple" (opset < 11 rule)
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;          // opset 18: widen linear/cubic filters when downsampling
  double extrapolation = 0.0;
  std::vector<double> scales;      // per axis, full rank
  std::vector<double> resized_len; // per axis: in_len * scale (fractional with scales), or sizes
  std::vector<double> roi_start;   // per axis, normalised coordinates
  std::vector<double> roi_end;
  Dims out_shape;
};

// Per axis: out_len rows of `taps` (index, weight) and an outside flag (tf_crop_and_resize).
struct AxisTaps {
  int taps = 1;
  std::vector<int64_t> index;
  std::vector<float> weight;
  std::vector<uint8_t> outside;
};

bool absent(const Tensor* t) { return t == nullptr || t->numel() == 0; }

// Maps an output coordinate to the input coordinate (ONNX coordinate_transformation_mode).
// Like the ONNX reference, the "resized length" is in_len * scale, which is fractional when
// scales (not sizes) are given: align_corners downsampling by 0.6 depends on it.
double original_coordinate(const ResizeParams& p, size_t axis, double x, double scale, int64_t in_len) {
  const double out_len = p.resized_len[axis];
  const std::string& m = p.coord;
  if (m == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (m == "pytorch_half_pixel") return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (m == "align_corners") return out_len == 1 ? 0.0 : x * static_cast<double>(in_len - 1) / (out_len - 1);
  if (m == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (m == "half_pixel_symmetric") {
    const double adj = std::floor(out_len) / out_len;
    const double center = static_cast<double>(in_len) / 2.0;
    const double offset = center * (1.0 - adj);
    return offset + (x + 0.5) / scale - 0.5;
  }
  if (m == "tf_crop_and_resize") {
    const double s = p.roi_start[axis], e = p.roi_end[axis];
    const double len = static_cast<double>(in_len - 1);
    return out_len > 1 ? s * len + x * (e - s) * len / (out_len - 1) : 0.5 * (s + e) * len;
  }
  return x / scale;  // asymmetric
}

int64_t nearest_index(const std::string& mode, double x, double scale) {
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(std::floor(x + 0.5));
  if (mode == "floor") return static_cast<int64_t>(std::floor(x));
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (mode == "simple") return static_cast<int64_t>(scale < 1.0 ? std::ceil(x) : std::floor(x));
  // round_prefer_floor: halves go down.
  return static_cast<int64_t>(std::ceil(x - 0.5));
}

void cubic_coefficients(double t, double a, double c[4]) {
  const double t1 = t + 1.0, u = 1.0 - t, u1 = u + 1.0;
  c[0] = ((a * t1 - 5.0 * a) * t1 + 8.0 * a) * t1 - 4.0 * a;
  c[1] = ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
  c[2] = ((a + 2.0) * u - (a + 3.0)) * u * u + 1.0;
  c[3] = ((a * u1 - 5.0 * a) * u1 + 8.0 * a) * u1 - 4.0 * a;
}

// Cubic convolution kernel at distance |d| (the same polynomial as cubic_coefficients).
double cubic_kernel(double d, double a) {
  d = std::fabs(d);
  if (d <= 1.0) return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0;
  if (d < 2.0) return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a;
  return 0.0;
}

// Antialiased taps (opset 18, downsampling): the linear/cubic filter stretched by 1/scale,
// as in the ONNX reference: support taps floor(x)+start .. and weights normalised to 1.
AxisTaps build_antialias_taps(const ResizeParams& p, size_t axis, int64_t in_len, int64_t out_len) {
  AxisTaps t;
  const double scale = p.scales[axis];
  const double s = std::min(scale, 1.0);
  const bool linear = p.mode == "linear";
  const int64_t start = static_cast<int64_t>(std::floor((linear ? -1.0 : -2.0) / s) + 1.0);
  t.taps = static_cast<int>(2 - 2 * start);
  const size_t k = static_cast<size_t>(t.taps);
  t.index.assign(static_cast<size_t>(out_len) * k, 0);
  t.weight.assign(static_cast<size_t>(out_len) * k, 0.0f);
  t.outside.assign(static_cast<size_t>(out_len), 0);
  std::vector<double> c(k);
  for (int64_t o = 0; o < out_len; ++o) {
    const double x = original_coordinate(p, axis, static_cast<double>(o), scale, in_len);
    const size_t row = static_cast<size_t>(o) * k;
    if (p.coord == "tf_crop_and_resize" && (x < 0.0 || x > static_cast<double>(in_len - 1))) {
      t.outside[static_cast<size_t>(o)] = 1;
      continue;
    }
    // The reference takes ratio in (0, 1]: an integer x counts as floor(x) - 1 plus 1.
    double x0 = std::floor(x);
    double ratio = x - x0;
    if (ratio == 0.0) {
      ratio = 1.0;
      x0 -= 1.0;
    }
    double sum = 0.0;
    for (size_t j = 0; j < k; ++j) {
      const double arg = s * (static_cast<double>(start + static_cast<int64_t>(j)) - ratio);
      c[j] = linear ? std::clamp(1.0 - std::fabs(arg), 0.0, 1.0) : cubic_kernel(arg, p.cubic_a);
      const int64_t i = static_cast<int64_t>(x0) + start + static_cast<int64_t>(j);
      if (p.exclude_outside && (i < 0 || i >= in_len)) c[j] = 0.0;
      sum += c[j];
    }
    for (size_t j = 0; j < k; ++j) {
      const int64_t i = static_cast<int64_t>(x0) + start + static_cast<int64_t>(j);
      t.index[row + j] = std::clamp<int64_t>(i, 0, in_len - 1);
      t.weight[row + j] = static_cast<float>(sum != 0.0 ? c[j] / sum : 0.0);
    }
  }
  return t;
}

AxisTaps build_taps(const ResizeParams& p, size_t axis, int64_t in_len, int64_t out_len) {
  if (p.antialias && p.mode != "nearest" && p.scales[axis] < 1.0) return build_antialias_taps(p, axis, in_len, out_len);
  AxisTaps t;
  t.taps = p.mode == "nearest" ? 1 : p.mode == "linear" ? 2 : 4;
  const size_t k = static_cast<size_t>(t.taps);
  t.index.assign(static_cast<size_t>(out_len) * k, 0);
  t.weight.assign(static_cast<size_t>(out_len) * k, 0.0f);
  t.outside.assign(static_cast<size_t>(out_len), 0);
  const double scale = p.scales[axis];
  auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i, 0, in_len - 1); };
  for (int64_t o = 0; o < out_len; ++o) {
    const double x = original_coordinate(p, axis, static_cast<double>(o), scale, in_len);
    const size_t row = static_cast<size_t>(o) * k;
    if (p.coord == "tf_crop_and_resize" && (x < 0.0 || x > static_cast<double>(in_len - 1))) {
      t.outside[static_cast<size_t>(o)] = 1;
      continue;
    }
    if (t.taps == 1) {
      t.index[row] = clamp(nearest_index(p.nearest_mode, x, scale));
      t.weight[row] = 1.0f;
      continue;
    }
    const double x0 = std::floor(x);
    const double frac = x - x0;
    const int64_t i0 = static_cast<int64_t>(x0);
    if (t.taps == 2) {
      t.index[row] = clamp(i0);
      t.index[row + 1] = clamp(i0 + 1);
      t.weight[row] = static_cast<float>(1.0 - frac);
      t.weight[row + 1] = static_cast<float>(frac);
      continue;
    }
    double c[4];
    cubic_coefficients(frac, p.cubic_a, c);
    double sum = 0.0;
    for (int j = 0; j < 4; ++j) {
      const int64_t i = i0 - 1 + j;
      if (p.exclude_outside && (i < 0 || i >= in_len)) c[j] = 0.0;
      sum += c[j];
    }
    for (int j = 0; j < 4; ++j) {
      t.index[row + j] = clamp(i0 - 1 + j);
      t.weight[row + j] = static_cast<float>(p.exclude_outside && sum != 0.0 ? c[j] / sum : c[j]);
    }
  }
  return t;
}

// One nearest pass: a gather of whole inner blocks along the axis (any dtype).
void nearest_pass(const std::byte* src, std::byte* dst, size_t elem, int64_t outer, int64_t in_len,
                  int64_t inner, const AxisTaps& t, int64_t out_len, const std::byte* extrap) {
  const size_t block = static_cast<size_t>(inner) * elem;
  for (int64_t o = 0; o < outer; ++o) {
    const std::byte* s = src + static_cast<size_t>(o * in_len) * block;
    std::byte* d = dst + static_cast<size_t>(o * out_len) * block;
    if (inner == 1 && elem == 4) {
      const uint32_t* s4 = reinterpret_cast<const uint32_t*>(s);
      uint32_t* d4 = reinterpret_cast<uint32_t*>(d);
      uint32_t e4;
      std::memcpy(&e4, extrap, 4);
      for (int64_t j = 0; j < out_len; ++j) d4[j] = t.outside[j] ? e4 : s4[t.index[j]];
      continue;
    }
    for (int64_t j = 0; j < out_len; ++j) {
      std::byte* dj = d + static_cast<size_t>(j) * block;
      if (t.outside[j]) {
        for (int64_t i = 0; i < inner; ++i) std::memcpy(dj + static_cast<size_t>(i) * elem, extrap, elem);
      } else {
        std::memcpy(dj, s + static_cast<size_t>(t.index[j]) * block, block);
      }
    }
  }
}

// One linear/cubic pass in float type F.
template <typename F>
void weighted_pass(const F* src, F* dst, int64_t outer, int64_t in_len, int64_t inner, const AxisTaps& t,
                   int64_t out_len, F extrap) {
  const int k = t.taps;
  for (int64_t o = 0; o < outer; ++o) {
    const F* s = src + o * in_len * inner;
    F* d = dst + o * out_len * inner;
    for (int64_t j = 0; j < out_len; ++j) {
      F* dj = d + j * inner;
      if (t.outside[j]) {
        std::fill(dj, dj + inner, extrap);
        continue;
      }
      const int64_t* idx = &t.index[static_cast<size_t>(j * k)];
      const float* w = &t.weight[static_cast<size_t>(j * k)];
      if (inner == 1) {
        F acc = 0;
        for (int q = 0; q < k; ++q) acc += static_cast<F>(w[q]) * s[idx[q]];
        dj[0] = acc;
        continue;
      }
      std::fill(dj, dj + inner, F(0));
      for (int q = 0; q < k; ++q) {
        const F wq = static_cast<F>(w[q]);
        if (wq == F(0)) continue;
        const F* sq = s + idx[q] * inner;
        for (int64_t i = 0; i < inner; ++i) dj[i] += wq * sq[i];
      }
    }
  }
}

// Fast path for f32 nearest/linear resizing of the last two axes only (NCHW detection-model
// upsampling): one pass per plane, rows blended once then gathered, planes in parallel.
bool resize_last_two_f32(const Tensor& x, const ResizeParams& p, Tensor* out) {
  const int64_t rank = x.rank();
  if (x.dtype() != DType::kFloat32 || rank < 2 || (p.mode != "nearest" && p.mode != "linear")) return false;
  if (p.coord == "tf_crop_and_resize") return false;  // needs extrapolation: general path
  for (int64_t d = 0; d < rank - 2; ++d)
    if (p.out_shape[d] != x.dim(d) || p.scales[d] != 1.0) return false;
  const int64_t ih = x.dim(rank - 2), iw = x.dim(rank - 1);
  const int64_t oh = p.out_shape[rank - 2], ow = p.out_shape[rank - 1];
  if (ih == 0 || iw == 0 || oh == 0 || ow == 0) return false;
  const AxisTaps th = build_taps(p, static_cast<size_t>(rank - 2), ih, oh);
  const AxisTaps tw = build_taps(p, static_cast<size_t>(rank - 1), iw, ow);
  if (th.taps != tw.taps || th.taps > 2) return false;  // antialiased filters take the general path
  int64_t planes = 1;
  for (int64_t d = 0; d < rank - 2; ++d) planes *= x.dim(d);
  Dims shape = x.shape();
  shape[rank - 2] = oh;
  shape[rank - 1] = ow;
  *out = Tensor(DType::kFloat32, shape);
  const float* src = x.data<float>();
  float* dst = out->data<float>();
  const bool nearest = p.mode == "nearest";
  // Threads only pay off on real feature maps; tiny tensors stay on the calling thread.
#pragma omp parallel if (planes * oh * ow >= (1 << 18))
  {
    std::vector<float> row(static_cast<size_t>(iw));
#pragma omp for schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const float* sp = src + pl * ih * iw;
      float* dp = dst + pl * oh * ow;
      for (int64_t y = 0; y < oh; ++y) {
        float* drow = dp + y * ow;
        if (nearest) {
          const int64_t iy = th.index[static_cast<size_t>(y)];
          if (y > 0 && th.index[static_cast<size_t>(y - 1)] == iy) {
            std::memcpy(drow, drow - ow, static_cast<size_t>(ow) * sizeof(float));
            continue;
          }
          const float* srow = sp + iy * iw;
          for (int64_t xo = 0; xo < ow; ++xo) drow[xo] = srow[tw.index[static_cast<size_t>(xo)]];
          continue;
        }
        const float* r0 = sp + th.index[static_cast<size_t>(2 * y)] * iw;
        const float* r1 = sp + th.index[static_cast<size_t>(2 * y + 1)] * iw;
        const float w0 = th.weight[static_cast<size_t>(2 * y)], w1 = th.weight[static_cast<size_t>(2 * y + 1)];
        for (int64_t i = 0; i < iw; ++i) row[static_cast<size_t>(i)] = w0 * r0[i] + w1 * r1[i];
        for (int64_t xo = 0; xo < ow; ++xo) {
          const size_t k = static_cast<size_t>(2 * xo);
          drow[xo] = tw.weight[k] * row[static_cast<size_t>(tw.index[k])] +
                     tw.weight[k + 1] * row[static_cast<size_t>(tw.index[k + 1])];
        }
      }
    }
  }
  return true;
}

// Runs the per-axis passes on a tensor whose dtype is handled by the pass kind.
Tensor run_passes(const Tensor& x, const ResizeParams& p) {
  Tensor fast;
  if (resize_last_two_f32(x, p, &fast)) return fast;
  Tensor cur = x;
  const size_t rank = static_cast<size_t>(x.rank());
  const bool nearest = p.mode == "nearest";
  const size_t elem = dtype_size(x.dtype());
  // Extrapolation value in the tensor's dtype, for the byte-wise nearest gather.
  Tensor extrap_f = Tensor::scalar<float>(static_cast<float>(p.extrapolation));
  Tensor extrap = cast_float_to(extrap_f, x.dtype() == DType::kBool ? DType::kUInt8 : x.dtype());
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in_len = cur.dim(static_cast<int64_t>(d));
    const int64_t out_len = p.out_shape[d];
    AxisTaps taps = build_taps(p, d, in_len, out_len);
    bool identity = in_len == out_len;
    for (int64_t j = 0; identity && j < out_len; ++j) {
      if (taps.outside[j]) identity = false;
      for (int q = 0; identity && q < taps.taps; ++q) {
        const size_t r = static_cast<size_t>(j * taps.taps + q);
        if (taps.weight[r] != 0.0f && (taps.index[r] != j || taps.weight[r] != 1.0f)) identity = false;
      }
    }
    if (identity) continue;
    Dims shape = cur.shape();
    shape[d] = out_len;
    Tensor next(cur.dtype(), shape);
    int64_t outer = 1, inner = 1;
    for (size_t e = 0; e < d; ++e) outer *= shape[e];
    for (size_t e = d + 1; e < rank; ++e) inner *= shape[e];
    if (next.numel() > 0) {
      if (nearest) {
        nearest_pass(static_cast<const std::byte*>(cur.raw()), static_cast<std::byte*>(next.raw()), elem, outer,
                     in_len, inner, taps, out_len, static_cast<const std::byte*>(extrap.raw()));
      } else if (cur.dtype() == DType::kFloat64) {
        weighted_pass<double>(cur.data<double>(), next.data<double>(), outer, in_len, inner, taps, out_len,
                              p.extrapolation);
      } else {
        weighted_pass<float>(cur.data<float>(), next.data<float>(), outer, in_len, inner, taps, out_len,
                             static_cast<float>(p.extrapolation));
      }
    }
    cur = std::move(next);
  }
  return cur;
}

// Rounds and saturates a float result into an integer dtype (linear/cubic on ints).
Tensor float_to_int_rounded(const Tensor& f, DType dtype) {
  Tensor out(dtype, f.shape());
  const float* in = f.data<float>();
  (void)dispatch_numeric(dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    T* o = out.data<T>();
    for (int64_t i = 0; i < f.numel(); ++i) {
      double v = std::nearbyint(static_cast<double>(in[i]));
      v = std::clamp(v, static_cast<double>(std::numeric_limits<T>::lowest()),
                     static_cast<double>(std::numeric_limits<T>::max()));
      o[i] = static_cast<T>(v);
    }
    return {};
  });
  return out;
}

// Output shape from scales (floor(in * scale)) or sizes (with the opset-18 aspect policy).
Status resolve_output_shape(KernelContext& ctx, const Tensor& x, const Tensor* scales_t, const Tensor* sizes_t,
                            const std::vector<int64_t>& axes, ResizeParams& p) {
  const size_t rank = static_cast<size_t>(x.rank());
  p.scales.assign(rank, 1.0);
  p.out_shape = x.shape();
  p.resized_len.assign(x.shape().begin(), x.shape().end());
  if (!absent(scales_t) && !absent(sizes_t)) return ctx.error("only one of scales and sizes may be given");
  if (absent(scales_t) && absent(sizes_t)) return ctx.error("needs scales or sizes");
  const size_t n = axes.size();
  if (!absent(scales_t)) {
    std::vector<double> s = read_double_list(*scales_t);
    if (s.size() != n) return ctx.error("scales has " + std::to_string(s.size()) + " values, expected " + std::to_string(n));
    for (size_t i = 0; i < n; ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      if (!(s[i] > 0.0)) return ctx.error("scales must be positive");
      p.scales[a] = s[i];
      p.resized_len[a] = static_cast<double>(x.dim(axes[i])) * s[i];
      p.out_shape[a] = static_cast<int64_t>(std::floor(p.resized_len[a]));
    }
    return {};
  }
  auto sz = read_int_list(*sizes_t);
  if (!sz.ok()) return ctx.error("sizes: " + sz.status().message());
  if (sz->size() != n) return ctx.error("sizes has " + std::to_string(sz->size()) + " values, expected " + std::to_string(n));
  const std::string policy = ctx.attrs.get_string("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    return ctx.error("unknown keep_aspect_ratio_policy '" + policy + "'");
  double common = policy == "not_larger" ? std::numeric_limits<double>::infinity() : 0.0;
  for (size_t i = 0; i < n; ++i) {
    if ((*sz)[i] < 0) return ctx.error("sizes must be non-negative");
    const double r = static_cast<double>((*sz)[i]) / static_cast<double>(x.dim(axes[i]));
    common = policy == "not_larger" ? std::min(common, r) : std::max(common, r);
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t a = static_cast<size_t>(axes[i]);
    const double in = static_cast<double>(x.dim(axes[i]));
    if (policy == "stretch") {
      p.out_shape[a] = (*sz)[i];
      p.scales[a] = static_cast<double>((*sz)[i]) / in;
      p.resized_len[a] = static_cast<double>((*sz)[i]);
    } else {
      p.scales[a] = common;
      p.resized_len[a] = common * in;
      p.out_shape[a] = static_cast<int64_t>(std::nearbyint(common * in));
    }
  }
  return {};
}

Status run_resize_common(KernelContext& ctx, const Tensor& x, ResizeParams& p) {
  if (p.mode == "bilinear" || p.mode == "trilinear") p.mode = "linear";
  if (p.mode != "nearest" && p.mode != "linear" && p.mode != "cubic")
    return ctx.error("unknown mode '" + p.mode + "'");
  static const char* kCoords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                  "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
  if (std::find(std::begin(kCoords), std::end(kCoords), p.coord) == std::end(kCoords))
    return ctx.error("unknown coordinate_transformation_mode '" + p.coord + "'");
  static const char* kNearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"};
  if (std::find(std::begin(kNearest), std::end(kNearest), p.nearest_mode) == std::end(kNearest))
    return ctx.error("unknown nearest_mode '" + p.nearest_mode + "'");
  for (size_t d = 0; d < p.out_shape.size(); ++d)
    if (x.dim(static_cast<int64_t>(d)) == 0 && p.out_shape[d] > 0)
      return ctx.error("cannot resize an empty axis to a non-empty one");
  if (p.mode == "nearest" || x.dtype() == DType::kFloat32 || x.dtype() == DType::kFloat64) {
    if (p.mode == "nearest" && x.dtype() == DType::kString) return ctx.unsupported("string input is not supported");
    ctx.output(0) = run_passes(x, p);
    return {};
  }
  if (x.dtype() == DType::kString || x.dtype() == DType::kBool) return ctx.unsupported("this dtype needs mode nearest");
  Tensor yf = run_passes(x.to_float(), p);
  ctx.output(0) = dtype_is_integer(x.dtype()) ? float_to_int_rounded(yf, x.dtype()) : cast_float_to(yf, x.dtype());
  return {};
}

// Opset < 11 behaviour (Upsample, Resize-10): asymmetric coordinates, scales only, and the
// nearest pixel is floor(x) when upsampling and ceil(x) when downsampling.
Status run_legacy(KernelContext& ctx, const Tensor* x, std::vector<double> scales) {
  ResizeParams p;
  p.mode = ctx.attrs.get_string("mode", "nearest");
  p.coord = "asymmetric";
  p.nearest_mode = "simple";
  if (static_cast<int64_t>(scales.size()) != x->rank())
    return ctx.error("scales has " + std::to_string(scales.size()) + " values, expected " + std::to_string(x->rank()));
  Tensor scales_t(DType::kFloat64, {static_cast<int64_t>(scales.size())});
  for (size_t i = 0; i < scales.size(); ++i) scales_t.data<double>()[i] = scales[i];
  std::vector<int64_t> axes(scales.size());
  for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
  EDGEQ_RETURN_IF_ERROR(resolve_output_shape(ctx, *x, &scales_t, nullptr, axes, p));
  return run_resize_common(ctx, *x, p);
}

}  // namespace

Status run_Upsample(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (ctx.opset < 9) return run_legacy(ctx, x, [&] {
    std::vector<double> s;
    for (float f : ctx.attrs.get_floats("scales")) s.push_back(f);
    return s;
  }());
  const Tensor* scales = ctx.input(1);
  if (!scales) return ctx.error("needs input scales");
  return run_legacy(ctx, x, read_double_list(*scales));
}

Status run_Resize(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input X");
  if (ctx.opset < 11) {
    const Tensor* scales = ctx.input(1);
    if (!scales) return ctx.error("needs input scales");
    return run_legacy(ctx, x, read_double_list(*scales));
  }
  const int64_t rank = x->rank();
  ResizeParams p;
  p.mode = ctx.attrs.get_string("mode", "nearest");
  p.coord = ctx.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  p.nearest_mode = ctx.attrs.get_string("nearest_mode", "round_prefer_floor");
  p.cubic_a = ctx.attrs.get_float("cubic_coeff_a", -0.75f);
  p.exclude_outside = ctx.attrs.get_int("exclude_outside", 0) != 0;
  p.extrapolation = ctx.attrs.get_float("extrapolation_value", 0.0f);
  if (p.nearest_mode == "simple") return ctx.error("unknown nearest_mode 'simple'");
  std::vector<int64_t> axes;
  for (int64_t a : ctx.attrs.get_ints("axes")) {
    if (a < -rank || a >= rank)
      return ctx.error("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    const int64_t na = a < 0 ? a + rank : a;
    if (std::find(axes.begin(), axes.end(), na) != axes.end()) return ctx.error("axes has a repeated axis");
    axes.push_back(na);
  }
  if (axes.empty())
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  p.antialias = ctx.opset >= 18 && ctx.attrs.get_int("antialias", 0) != 0;
  EDGEQ_RETURN_IF_ERROR(resolve_output_shape(ctx, *x, ctx.input(2), ctx.input(3), axes, p));
  p.roi_start.assign(static_cast<size_t>(rank), 0.0);
  p.roi_end.assign(static_cast<size_t>(rank), 1.0);
  if (p.coord == "tf_crop_and_resize") {
    const Tensor* roi = ctx.input(1);
    if (absent(roi)) return ctx.error("tf_crop_and_resize needs input roi");
    std::vector<double> r = read_double_list(*roi);
    if (r.size() != 2 * axes.size())
      return ctx.error("roi has " + std::to_string(r.size()) + " values, expected " + std::to_string(2 * axes.size()));
    for (size_t i = 0; i < axes.size(); ++i) {
      p.roi_start[static_cast<size_t>(axes[i])] = r[i];
      p.roi_end[static_cast<size_t>(axes[i])] = r[axes.size() + i];
    }
  }
  return run_resize_common(ctx, *x, p);
}

}  // namespace edgeq::kernels::ref
