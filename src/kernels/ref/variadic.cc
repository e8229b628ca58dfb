// Variadic reference kernels Min, Max, Sum, Mean: 1..N inputs of one dtype with
// multidirectional (numpy) broadcasting, folded left to right. Float Min/Max propagate
// NaN like numpy's minimum/maximum.
#include <cmath>
#include <type_traits>

#include "kernels/kernel.h"
#include "kernels/ref/elementwise.h"

namespace edgeq::kernels::ref {

namespace {

template <typename T>
T max_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return a < b ? b : a;
}

template <typename T>
T min_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return b < a ? b : a;
}

template <typename T>
T add_wrapping(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using W = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;
    return static_cast<T>(static_cast<W>(a) + static_cast<W>(b));
  } else {
    return a + b;
  }
}

enum class Fold { kMin, kMax, kSum, kMean };

template <Fold kFold>
Status fold_impl(KernelContext& ctx) {
  if (ctx.num_inputs() == 0) return ctx.error("needs at least one input");
  std::vector<const Tensor*> ins;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    EDGEQ_ASSIGN_OR_RETURN(const Tensor* t, required_input(ctx, i, ("data_" + std::to_string(i)).c_str()));
    if (!ins.empty() && t->dtype() != ins[0]->dtype())
      return ctx.error("input " + std::to_string(i) + " has dtype " + std::string(dtype_name(t->dtype())) +
                       ", expected " + std::string(dtype_name(ins[0]->dtype())));
    ins.push_back(t);
  }
  const DType dt = ins[0]->dtype();
  if (dt == DType::kBool) return ctx.error("does not accept bool inputs");
  if (dtype_size(dt) == 0 || dt == DType::kFloat16 || dt == DType::kBFloat16)
    return ctx.unsupported("dtype " + std::string(dtype_name(dt)) + " is not supported");
  Dims out_shape = ins[0]->shape();  // checked up front so the fold below cannot fail
  for (size_t i = 1; i < ins.size(); ++i) {
    EDGEQ_ASSIGN_OR_RETURN(out_shape, broadcast_for_node(ctx, out_shape, ins[i]->shape()));
  }
  return dispatch_numeric(dt, [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return {};
    } else {
      auto op = [](T a, T b) {
        if constexpr (kFold == Fold::kMin) return min_nan(a, b);
        else if constexpr (kFold == Fold::kMax) return max_nan(a, b);
        else return add_wrapping(a, b);
      };
      // Each step allocates the broadcast of the running result and the next input.
      Tensor acc = ins.size() == 1 ? ins[0]->clone() : *ins[0];
      for (size_t i = 1; i < ins.size(); ++i) {
        Tensor next(dt, broadcast_shapes(acc.shape(), ins[i]->shape()).value());
        binary_loop<T, T, T>(acc, *ins[i], next, op);
        acc = next;
      }
      if constexpr (kFold == Fold::kMean) {
        const T n = static_cast<T>(ins.size());
        T* p = acc.data<T>();
        for (int64_t i = 0, e = acc.numel(); i < e; ++i) p[i] = static_cast<T>(p[i] / n);
      }
      ctx.output(0) = acc;
      return {};
    }
  });
}

}  // namespace

Status run_Min(KernelContext& ctx) { return run_with_half_as_float(ctx, &fold_impl<Fold::kMin>); }
Status run_Max(KernelContext& ctx) { return run_with_half_as_float(ctx, &fold_impl<Fold::kMax>); }
Status run_Sum(KernelContext& ctx) { return run_with_half_as_float(ctx, &fold_impl<Fold::kSum>); }
Status run_Mean(KernelContext& ctx) { return run_with_half_as_float(ctx, &fold_impl<Fold::kMean>); }

}  // namespace edgeq::kernels::ref
