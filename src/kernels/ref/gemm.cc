// Reference Gemm and MatMul: triple loops, accumulating in double for floats and with
// modular (wrap-around) arithmetic for integers, as numpy does.
#include <type_traits>
#include <vector>

#include "kernels/kernel.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::ref {
namespace {

template <typename T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

// out[i*n + j] = sum_k A(i,k) * B(k,j), with A/B read transposed when asked.
template <typename T>
void matmul_acc(const T* a, const T* b, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                Acc<T>* out) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      Acc<T> acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const T av = trans_a ? a[p * m + i] : a[i * k + p];
        const T bv = trans_b ? b[j * k + p] : b[p * n + j];
        acc += static_cast<Acc<T>>(av) * static_cast<Acc<T>>(bv);
      }
      out[i * n + j] = acc;
    }
}

template <typename F>
Status dispatch_matmul_types(const KernelContext& ctx, DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: return f(float{});
    case DType::kFloat64: return f(double{});
    case DType::kInt32: return f(int32_t{});
    case DType::kInt64: return f(int64_t{});
    case DType::kUInt32: return f(uint32_t{});
    case DType::kUInt64: return f(uint64_t{});
    default: return ctx.unsupported("dtype " + std::string(dtype_name(t)) + " is not supported");
  }
}

}  // namespace

Status run_Gemm(KernelContext& ctx) {
  const Tensor *a = ctx.input(0), *b = ctx.input(1), *c = ctx.input(2);
  if (!a || !b) return ctx.error("needs inputs A and B");
  if (a->rank() != 2 || b->rank() != 2)
    return ctx.error("A and B must be 2-D, got " + shape_to_string(a->shape()) + " and " + shape_to_string(b->shape()));
  if (b->dtype() != a->dtype() || (c && c->dtype() != a->dtype())) return ctx.error("A, B and C must have the same dtype");
  const bool ta = ctx.attrs.get_int("transA", 0) != 0, tb = ctx.attrs.get_int("transB", 0) != 0;
  const float alpha = ctx.attrs.get_float("alpha", 1.0f), beta = ctx.attrs.get_float("beta", 1.0f);
  const int64_t m = ta ? a->dim(1) : a->dim(0), k = ta ? a->dim(0) : a->dim(1);
  const int64_t kb = tb ? b->dim(1) : b->dim(0), n = tb ? b->dim(0) : b->dim(1);
  if (k != kb)
    return ctx.error("inner dims differ: A gives K=" + std::to_string(k) + ", B gives K=" + std::to_string(kb));
  const Dims out_shape{m, n};
  Dims c_strides;
  if (c) {
    if (c->rank() > 2) return ctx.error("C must have rank <= 2, got " + shape_to_string(c->shape()));
    auto bs = broadcast_shapes(c->shape(), out_shape);
    if (!bs.ok() || *bs != out_shape)
      return ctx.error("C of shape " + shape_to_string(c->shape()) + " cannot be broadcast to " + shape_to_string(out_shape));
    c_strides = broadcast_strides(c->shape(), out_shape);
  }
  Tensor& y = ctx.output(0) = Tensor(a->dtype(), out_shape);
  return dispatch_matmul_types(ctx, a->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    std::vector<Acc<T>> acc(static_cast<size_t>(m * n));
    matmul_acc<T>(a->data<T>(), b->data<T>(), ta, tb, m, n, k, acc.data());
    T* yp = y.data<T>();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const size_t o = static_cast<size_t>(i * n + j);
        if constexpr (std::is_floating_point_v<T>) {
          double v = static_cast<double>(alpha) * acc[o];
          if (c) v += static_cast<double>(beta) * static_cast<double>(c->data<T>()[i * c_strides[0] + j * c_strides[1]]);
          yp[o] = static_cast<T>(v);
        } else {
          Acc<T> v = static_cast<Acc<T>>(static_cast<T>(alpha)) * acc[o];
          if (c) v += static_cast<Acc<T>>(static_cast<T>(beta)) * static_cast<Acc<T>>(c->data<T>()[i * c_strides[0] + j * c_strides[1]]);
          yp[o] = static_cast<T>(v);
        }
      }
    return {};
  });
}

Status run_MatMul(KernelContext& ctx) {
  const Tensor *a = ctx.input(0), *b = ctx.input(1);
  if (!a || !b) return ctx.error("needs inputs A and B");
  if (a->dtype() != b->dtype()) return ctx.error("A and B must have the same dtype");
  if (a->rank() == 0 || b->rank() == 0) return ctx.error("MatMul inputs must have rank >= 1");
  // numpy promotion: a 1-D A is [1, K], a 1-D B is [K, 1]; the added dim is removed after.
  Dims as = a->shape(), bs = b->shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return ctx.error("inner dims differ: A is " + shape_to_string(a->shape()) + ", B is " + shape_to_string(b->shape()));
  const Dims a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  auto batch = broadcast_shapes(a_batch, b_batch);
  if (!batch.ok()) return ctx.error("batch dims " + batch.status().message());
  Dims out_shape = *batch;
  if (a->rank() > 1) out_shape.push_back(m);
  if (b->rank() > 1) out_shape.push_back(n);
  Tensor& y = ctx.output(0) = Tensor(a->dtype(), out_shape);
  const Dims sa = broadcast_strides(a_batch, *batch), sb = broadcast_strides(b_batch, *batch);
  return dispatch_matmul_types(ctx, a->dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    std::vector<Acc<T>> acc(static_cast<size_t>(m * n));
    T* yp = y.data<T>();
    for_each_broadcast<2>(*batch, {sa, sb}, [&](int64_t i, const std::array<int64_t, 2>& off) {
      matmul_acc<T>(a->data<T>() + off[0] * m * k, b->data<T>() + off[1] * k * n, false, false, m, n, k, acc.data());
      for (int64_t e = 0; e < m * n; ++e) yp[i * m * n + e] = static_cast<T>(acc[static_cast<size_t>(e)]);
    });
    return {};
  });
}

}  // namespace edgeq::kernels::ref
