// Reference kernels: the Reduce* family, ArgMax/ArgMin and CumSum.
// Softmax, LogSoftmax and Hardmax live in softmax.cc.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/kernel.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

// Which axes are reduced and the output shape (kept dims have size 1 when keepdims).
struct ReducePlan {
  std::vector<bool> reduced;
  Dims out_shape;        // with keepdims applied
  Dims keep_shape;       // input rank, reduced dims set to 1
  bool noop = false;     // empty axes with noop_with_empty_axes: output = input
};

// Reads `axes` from the attribute (old opsets) or the optional second input (ReduceSum
// >= 13, every Reduce* >= 18), normalises them and builds the plan.
StatusOr<ReducePlan> plan_reduce(KernelContext& ctx, const Tensor& x, bool axes_from_input) {
  std::vector<int64_t> axes;
  if (axes_from_input) {
    const Tensor* a = ctx.input(1);
    if (a && a->numel() > 0) {
      auto list = read_int_list(*a);
      if (!list.ok()) return ctx.error("axes: " + list.status().message());
      axes = *list;
    }
  } else {
    axes = ctx.attrs.get_ints("axes");
  }
  const int64_t rank = x.rank();
  ReducePlan plan;
  plan.reduced.assign(static_cast<size_t>(rank), axes.empty());
  if (axes.empty() && axes_from_input && ctx.attrs.get_int("noop_with_empty_axes", 0) != 0) {
    plan.noop = true;
    plan.reduced.assign(static_cast<size_t>(rank), false);
  }
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return ctx.error("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    plan.reduced[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
  }
  const bool keepdims = ctx.attrs.get_int("keepdims", 1) != 0;
  for (int64_t d = 0; d < rank; ++d) {
    const bool r = plan.reduced[static_cast<size_t>(d)];
    plan.keep_shape.push_back(r ? 1 : x.dim(d));
    if (!r || keepdims) plan.out_shape.push_back(r ? 1 : x.dim(d));
  }
  return plan;
}

// Strides that map an input index to its output slot (0 on reduced dims).
Dims output_strides_for(const ReducePlan& plan) {
  Dims s = shape_strides(plan.keep_shape);
  for (size_t d = 0; d < s.size(); ++d)
    if (plan.reduced[d]) s[d] = 0;
  return s;
}

template <typename T>
constexpr bool kIsFloat = std::is_floating_point_v<T>;

// Accumulator type: double for floats and for results that are not exact integers;
// 64-bit integers for integer sums and products (wrap-around like numpy, then truncate).
template <typename T>
using IntAcc = std::conditional_t<std::is_same_v<T, uint64_t>, uint64_t, int64_t>;

template <typename T>
Status reduce_typed(KernelContext& ctx, ReduceKind kind, const Tensor& x, const ReducePlan& plan) {
  Tensor& y = ctx.output(0) = Tensor(x.dtype(), plan.out_shape);
  T* out = y.data<T>();
  const T* in = x.data<T>();
  const int64_t n_out = y.numel();
  const int64_t n_in = x.numel();
  const int64_t count = n_out > 0 ? n_in / n_out : 0;
  const std::array<Dims, 1> strides{output_strides_for(plan)};

  if (kind == ReduceKind::kMax || kind == ReduceKind::kMin) {
    const bool is_max = kind == ReduceKind::kMax;
    // An empty reduction yields the identity of the operation (lowest / highest value).
    T init = is_max ? (kIsFloat<T> ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest())
                    : (kIsFloat<T> ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max());
    std::fill(out, out + n_out, init);
    std::vector<bool> seen_nan(kIsFloat<T> ? static_cast<size_t>(n_out) : 0, false);
    for_each_broadcast<1>(x.shape(), strides, [&](int64_t i, const std::array<int64_t, 1>& o) {
      const T v = in[i];
      T& acc = out[o[0]];
      if constexpr (kIsFloat<T>) {
        if (std::isnan(v)) { acc = v; seen_nan[static_cast<size_t>(o[0])] = true; return; }
        if (seen_nan[static_cast<size_t>(o[0])]) return;
      }
      if (is_max ? v > acc : v < acc) acc = v;
    });
    return {};
  }

  if (kind == ReduceKind::kSum || kind == ReduceKind::kProd || kind == ReduceKind::kSumSquare ||
      kind == ReduceKind::kL1) {
    if constexpr (!kIsFloat<T>) {
      std::vector<IntAcc<T>> acc(static_cast<size_t>(n_out), kind == ReduceKind::kProd ? 1 : 0);
      for_each_broadcast<1>(x.shape(), strides, [&](int64_t i, const std::array<int64_t, 1>& o) {
        IntAcc<T> v = static_cast<IntAcc<T>>(in[i]);
        auto& a = acc[static_cast<size_t>(o[0])];
        switch (kind) {
          case ReduceKind::kProd: a = static_cast<IntAcc<T>>(a * v); break;
          case ReduceKind::kSumSquare: a = static_cast<IntAcc<T>>(a + v * v); break;
          case ReduceKind::kL1: a = static_cast<IntAcc<T>>(a + (in[i] < T(0) ? IntAcc<T>(0) - v : v)); break;
          default: a = static_cast<IntAcc<T>>(a + v); break;
        }
      });
      for (int64_t j = 0; j < n_out; ++j) out[j] = static_cast<T>(acc[static_cast<size_t>(j)]);
      return {};
    }
  }

  // Sum and mean over trailing axes (a global pool's ReduceMean over H, W): each output
  // is one contiguous run, summed in index order exactly as the general loop below does.
  if ((kind == ReduceKind::kSum || kind == ReduceKind::kMean) && count > 0 && n_out * count == n_in) {
    size_t first_reduced = plan.reduced.size();
    while (first_reduced > 0 && plan.reduced[first_reduced - 1]) --first_reduced;
    const bool trailing = std::none_of(plan.reduced.begin(), plan.reduced.begin() + static_cast<std::ptrdiff_t>(first_reduced),
                                       [](bool r) { return r; });
    if (trailing) {
      for (int64_t j = 0; j < n_out; ++j) {
        const T* run = in + j * count;
        double a = 0.0;
        for (int64_t k = 0; k < count; ++k) a += static_cast<double>(run[k]);
        if (kind == ReduceKind::kMean) a /= static_cast<double>(count);
        out[j] = static_cast<T>(a);
      }
      return {};
    }
  }

  // Everything else accumulates in double; LogSumExp first finds the max for stability.
  std::vector<double> shift(kind == ReduceKind::kLogSumExp ? static_cast<size_t>(n_out) : 0,
                            -std::numeric_limits<double>::infinity());
  if (kind == ReduceKind::kLogSumExp) {
    for_each_broadcast<1>(x.shape(), strides, [&](int64_t i, const std::array<int64_t, 1>& o) {
      double& m = shift[static_cast<size_t>(o[0])];
      m = std::max(m, static_cast<double>(in[i]));
    });
    for (double& m : shift)
      if (!std::isfinite(m)) m = 0.0;
  }
  std::vector<double> acc(static_cast<size_t>(n_out), kind == ReduceKind::kProd ? 1.0 : 0.0);
  for_each_broadcast<1>(x.shape(), strides, [&](int64_t i, const std::array<int64_t, 1>& o) {
    const double v = static_cast<double>(in[i]);
    double& a = acc[static_cast<size_t>(o[0])];
    switch (kind) {
      case ReduceKind::kProd: a *= v; break;
      case ReduceKind::kL1: a += std::fabs(v); break;
      case ReduceKind::kL2:
      case ReduceKind::kSumSquare: a += v * v; break;
      case ReduceKind::kLogSumExp: a += std::exp(v - shift[static_cast<size_t>(o[0])]); break;
      default: a += v; break;
    }
  });
  for (int64_t j = 0; j < n_out; ++j) {
    double a = acc[static_cast<size_t>(j)];
    switch (kind) {
      case ReduceKind::kMean: a = count > 0 ? a / static_cast<double>(count) : std::nan(""); break;
      case ReduceKind::kL2: a = std::sqrt(a); break;
      case ReduceKind::kLogSum: a = std::log(a); break;
      case ReduceKind::kLogSumExp: a = std::log(a) + shift[static_cast<size_t>(j)]; break;
      default: break;
    }
    out[j] = static_cast<T>(a);
  }
  return {};
}

Status run_reduce(KernelContext& ctx, ReduceKind kind) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input data");
  const bool axes_from_input = ctx.opset >= 18 || (kind == ReduceKind::kSum && ctx.opset >= 13);
  EDGEQ_ASSIGN_OR_RETURN(ReducePlan plan, plan_reduce(ctx, *x, axes_from_input));
  if (plan.noop) {
    ctx.output(0) = x->clone();
    return {};
  }
  if (x->dtype() == DType::kBool) return ctx.unsupported("bool input is not supported");
  if (x->dtype() == DType::kFloat16 || x->dtype() == DType::kBFloat16) {
    Tensor xf = x->to_float();
    EDGEQ_RETURN_IF_ERROR(reduce_typed<float>(ctx, kind, xf, plan));
    ctx.output(0) = cast_float_to(ctx.output(0), x->dtype());
    return {};
  }
  Status s = dispatch_numeric(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return Status();
    } else {
      return reduce_typed<T>(ctx, kind, *x, plan);
    }
  });
  if (!s.ok() && s.code() == StatusCode::kUnsupported) return ctx.unsupported(s.message());
  return s;
}

// ---- ArgMax / ArgMin --------------------------------------------------------------------

template <typename T>
void arg_reduce_typed(const Tensor& x, int64_t axis, bool is_max, bool last, int64_t* out) {
  const int64_t n = x.dim(axis);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  const T* in = x.data<T>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = in + o * n * inner + i;
      int64_t best = 0;
      for (int64_t k = 1; k < n; ++k) {
        const T v = p[k * inner], b = p[best * inner];
        bool take;
        if constexpr (kIsFloat<T>) {
          // numpy: the first (or last) NaN wins.
          if (std::isnan(b)) take = last && std::isnan(v);
          else if (std::isnan(v)) take = true;
          else take = is_max ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
        } else {
          take = is_max ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
        }
        if (take) best = k;
      }
      out[o * inner + i] = best;
    }
  }
}

Status run_arg_reduce(KernelContext& ctx, bool is_max) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input data");
  auto axis = normalize_axis(ctx.attrs.get_int("axis", 0), x->rank());
  if (!axis.ok()) return ctx.error(axis.status().message());
  if (x->rank() > 0 && x->dim(*axis) == 0) return ctx.error("cannot take the arg of an empty axis");
  const bool keepdims = ctx.attrs.get_int("keepdims", 1) != 0;
  const bool last = ctx.attrs.get_int("select_last_index", 0) != 0;
  Dims shape;
  for (int64_t d = 0; d < x->rank(); ++d) {
    if (d != *axis) shape.push_back(x->dim(d));
    else if (keepdims) shape.push_back(1);
  }
  Tensor xin = *x;
  if (x->dtype() == DType::kFloat16 || x->dtype() == DType::kBFloat16) xin = x->to_float();
  if (xin.rank() == 0) xin = xin.reshaped({1});
  Tensor& y = ctx.output(0) = Tensor(DType::kInt64, shape);
  int64_t* out = y.data<int64_t>();
  Status s = dispatch_numeric(xin.dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    arg_reduce_typed<T>(xin, *axis, is_max, last, out);
    return {};
  });
  if (!s.ok()) return ctx.unsupported(s.message());
  return {};
}

// ---- CumSum -------------------------------------------------------------------------------

template <typename T>
void cumsum_typed(const Tensor& x, int64_t axis, bool exclusive, bool reverse, Tensor& y) {
  const int64_t n = x.dim(axis);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  using Acc = std::conditional_t<kIsFloat<T>, double, IntAcc<T>>;
  const T* in = x.data<T>();
  T* out = y.data<T>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * n * inner + i;
      Acc acc = 0;
      for (int64_t s = 0; s < n; ++s) {
        const int64_t k = reverse ? n - 1 - s : s;
        const int64_t off = base + k * inner;
        if (exclusive) {
          out[off] = static_cast<T>(acc);
          acc = static_cast<Acc>(acc + static_cast<Acc>(in[off]));
        } else {
          acc = static_cast<Acc>(acc + static_cast<Acc>(in[off]));
          out[off] = static_cast<T>(acc);
        }
      }
    }
  }
}

}  // namespace

Status run_ReduceSum(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kSum); }
Status run_ReduceMean(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kMean); }
Status run_ReduceMax(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kMax); }
Status run_ReduceMin(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kMin); }
Status run_ReduceProd(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kProd); }
Status run_ReduceL1(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kL1); }
Status run_ReduceL2(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kL2); }
Status run_ReduceSumSquare(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kSumSquare); }
Status run_ReduceLogSum(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kLogSum); }
Status run_ReduceLogSumExp(KernelContext& ctx) { return run_reduce(ctx, ReduceKind::kLogSumExp); }

Status run_ArgMax(KernelContext& ctx) { return run_arg_reduce(ctx, true); }
Status run_ArgMin(KernelContext& ctx) { return run_arg_reduce(ctx, false); }

Status run_CumSum(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* axis_t = ctx.input(1);
  if (!x || !axis_t) return ctx.error("needs inputs x and axis");
  if (axis_t->numel() != 1 || axis_t->rank() > 1) return ctx.error("axis must be a 0-D or 1-element tensor");
  if (axis_t->dtype() != DType::kInt32 && axis_t->dtype() != DType::kInt64)
    return ctx.error("axis must be int32 or int64");
  if (x->rank() == 0) return ctx.error("input must have rank >= 1");
  auto axis = normalize_axis(axis_t->at_int(0), x->rank());
  if (!axis.ok()) return ctx.error(axis.status().message());
  const bool exclusive = ctx.attrs.get_int("exclusive", 0) != 0;
  const bool reverse = ctx.attrs.get_int("reverse", 0) != 0;
  if (x->dtype() == DType::kFloat16 || x->dtype() == DType::kBFloat16) {
    Tensor xf = x->to_float();
    Tensor yf(DType::kFloat32, x->shape());
    cumsum_typed<float>(xf, *axis, exclusive, reverse, yf);
    ctx.output(0) = cast_float_to(yf, x->dtype());
    return {};
  }
  Tensor& y = ctx.output(0) = Tensor(x->dtype(), x->shape());
  Status s = dispatch_numeric(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return unsupported("bool input is not supported");
    } else {
      cumsum_typed<T>(*x, *axis, exclusive, reverse, y);
      return {};
    }
  });
  if (!s.ok()) return ctx.unsupported(s.message());
  return {};
}

}  // namespace edgeq::kernels::ref
