// Reference kernels: Softmax, LogSoftmax, Hardmax.
// Opset < 13 coerces the input to 2-D at `axis` (default 1) and normalises over the
// flattened trailing dims; opset >= 13 normalises along `axis` alone (default -1).
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/kernel.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// The input viewed as [outer, n, inner]; normalisation runs over n.
struct SoftmaxLayout {
  int64_t outer = 1, n = 1, inner = 1;
};

StatusOr<SoftmaxLayout> softmax_layout(KernelContext& ctx, const Tensor& x) {
  const bool legacy = ctx.opset < 13;
  const int64_t rank = x.rank();
  const int64_t axis_attr = ctx.attrs.get_int("axis", legacy ? 1 : -1);
  if (rank == 0) {
    if (axis_attr != 0 && axis_attr != -1) return ctx.error("axis " + std::to_string(axis_attr) + " is out of range for rank 0");
    return SoftmaxLayout{};
  }
  // Legacy coercion allows axis == rank (everything in the outer part).
  if (axis_attr < -rank || axis_attr > (legacy ? rank : rank - 1))
    return ctx.error("axis " + std::to_string(axis_attr) + " is out of range for rank " + std::to_string(rank));
  const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
  SoftmaxLayout l;
  for (int64_t d = 0; d < axis; ++d) l.outer *= x.dim(d);
  if (legacy) {
    for (int64_t d = axis; d < rank; ++d) l.n *= x.dim(d);
  } else {
    l.n = x.dim(axis);
    for (int64_t d = axis + 1; d < rank; ++d) l.inner *= x.dim(d);
  }
  return l;
}

template <typename T>
void softmax_typed(SoftmaxKind kind, const SoftmaxLayout& l, const T* in, T* out) {
  std::vector<double> buf(static_cast<size_t>(l.n));
  for (int64_t o = 0; o < l.outer; ++o) {
    for (int64_t i = 0; i < l.inner; ++i) {
      const T* p = in + o * l.n * l.inner + i;
      T* q = out + o * l.n * l.inner + i;
      if (l.n == 0) continue;
      int64_t arg = 0;
      for (int64_t k = 1; k < l.n; ++k)
        if (p[k * l.inner] > p[arg * l.inner]) arg = k;
      if (kind == SoftmaxKind::kHardmax) {
        for (int64_t k = 0; k < l.n; ++k) q[k * l.inner] = T(k == arg ? 1 : 0);
        continue;
      }
      const double mx = static_cast<double>(p[arg * l.inner]);
      double sum = 0.0;
      for (int64_t k = 0; k < l.n; ++k) {
        buf[static_cast<size_t>(k)] = static_cast<double>(p[k * l.inner]) - mx;
        sum += std::exp(buf[static_cast<size_t>(k)]);
      }
      if (kind == SoftmaxKind::kSoftmax) {
        for (int64_t k = 0; k < l.n; ++k) q[k * l.inner] = static_cast<T>(std::exp(buf[static_cast<size_t>(k)]) / sum);
      } else {
        const double log_sum = std::log(sum);
        for (int64_t k = 0; k < l.n; ++k) q[k * l.inner] = static_cast<T>(buf[static_cast<size_t>(k)] - log_sum);
      }
    }
  }
}

Status run_softmax(KernelContext& ctx, SoftmaxKind kind) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("needs input");
  EDGEQ_ASSIGN_OR_RETURN(SoftmaxLayout l, softmax_layout(ctx, *x));
  if (x->dtype() == DType::kFloat16 || x->dtype() == DType::kBFloat16) {
    Tensor xf = x->to_float();
    Tensor yf(DType::kFloat32, x->shape());
    softmax_typed<float>(kind, l, xf.data<float>(), yf.data<float>());
    ctx.output(0) = cast_float_to(yf, x->dtype());
    return {};
  }
  Tensor& y = ctx.output(0) = Tensor(x->dtype(), x->shape());
  Status s = dispatch_float(x->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    softmax_typed<T>(kind, l, x->data<T>(), y.data<T>());
    return {};
  });
  if (!s.ok()) return ctx.unsupported(s.message());
  return {};
}

}  // namespace

Status run_Softmax(KernelContext& ctx) { return run_softmax(ctx, SoftmaxKind::kSoftmax); }
Status run_LogSoftmax(KernelContext& ctx) { return run_softmax(ctx, SoftmaxKind::kLogSoftmax); }
Status run_Hardmax(KernelContext& ctx) { return run_softmax(ctx, SoftmaxKind::kHardmax); }

}  // namespace edgeq::kernels::ref
