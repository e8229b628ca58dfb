// oneDNN f32 Gemm and MatMul. A product with a 2-D right operand (Gemm, and MatMul whose B
// is a matrix, like a Linear layer) is one [M, K] x [K, N] matmul whose B is reordered
// once into oneDNN's preferred packed format; batched MatMul uses oneDNN's batch
// broadcasting on plain tensors. Other dtypes and shapes go to the reference kernel.
#include <optional>

#include "kernels/kernel.h"
#include "kernels/onednn/common.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::onednn {
namespace {

using dnnl::memory;

struct MatMulState : KernelState {
  Dims a_shape, b_shape;
  WeightKey b_key;  // only for the packed 2-D form
  dnnl::matmul prim;
  memory a, b, dst;
  memory b_user;                        // 2-D form: the caller's B, reordered into `b`
  std::optional<dnnl::reorder> pack_b;  // 2-D form: B -> packed B
};

// A [M, K] (strides for transA), B [K, N] (transB) packed once, dst [M, N]; alpha as an
// output scale. Throws dnnl::error if oneDNN refuses.
void build_2d(MatMulState& s, int64_t m, int64_t k, int64_t n, bool ta, bool tb, float alpha, const Tensor& b) {
  dnnl::engine& eng = engine();
  const memory::desc a_md({m, k}, memory::data_type::f32, ta ? memory::dims{1, m} : memory::dims{k, 1});
  const memory::desc b_user({k, n}, memory::data_type::f32, tb ? memory::dims{1, k} : memory::dims{n, 1});
  const memory::desc b_any({k, n}, memory::data_type::f32, memory::format_tag::any);
  const memory::desc dst_md = plain_desc({m, n});
  dnnl::primitive_attr attr;
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_any, dst_md), attr, eng);
  s.prim = dnnl::matmul(pd);
  s.a = memory(a_md, eng, nullptr);
  s.dst = memory(dst_md, eng, nullptr);
  s.b_user = memory(b_user, eng, nullptr);
  s.b = memory(pd.weights_desc(), eng);
  s.pack_b = dnnl::reorder(s.b_user, s.b);
}

// Packs B into the state's weights buffer (once per distinct B tensor).
void pack_b(MatMulState& s, const Tensor& b) {
  s.b_user.set_data_handle(handle(&b));
  s.pack_b->execute(stream(), s.b_user, s.b);
  stream().wait();
  s.b_key.held = b;
  s.b_shape = b.shape();
}

Status run_2d(KernelContext& ctx, const Tensor& a, const Tensor& b, int64_t m, int64_t k, int64_t n, bool ta,
              bool tb, float alpha, Tensor& y) {
  sync_threads();
  auto* s = dynamic_cast<MatMulState*>(ctx.state.get());
  try {
    if (!s || s->a_shape != a.shape() || s->b_shape != b.shape() || !s->pack_b) {
      auto fresh = std::make_unique<MatMulState>();
      build_2d(*fresh, m, k, n, ta, tb, alpha, b);
      fresh->a_shape = a.shape();
      ctx.state = std::move(fresh);
      s = static_cast<MatMulState*>(ctx.state.get());
    }
    // A new B of the same shape (an activation, or weights of a re-fed graph) is only re-packed.
    if (!s->b_key.matches(b)) pack_b(*s, b);
  } catch (const dnnl::error& e) {
    ctx.state.reset();
    return ctx.error(std::string("oneDNN refused the matmul: ") + e.what());
  }
  s->a.set_data_handle(handle(&a));
  s->dst.set_data_handle(y.raw());
  return execute(ctx, s->prim, {{DNNL_ARG_SRC, s->a}, {DNNL_ARG_WEIGHTS, s->b}, {DNNL_ARG_DST, s->dst}});
}

// Batched MatMul of plain tensors padded to one rank; oneDNN broadcasts size-1 batch dims.
Status run_batched(KernelContext& ctx, const Tensor& a, const Tensor& b, Tensor& y) {
  const size_t rank = static_cast<size_t>(y.rank());
  auto padded = [&](const Dims& d) {
    Dims r(rank - d.size(), 1);
    r.insert(r.end(), d.begin(), d.end());
    return r;
  };
  sync_threads();
  auto* s = dynamic_cast<MatMulState*>(ctx.state.get());
  if (!s || s->a_shape != a.shape() || s->b_shape != b.shape()) {
    auto fresh = std::make_unique<MatMulState>();
    try {
      dnnl::engine& eng = engine();
      const memory::desc a_md = plain_desc(padded(a.shape())), b_md = plain_desc(padded(b.shape()));
      const memory::desc dst_md = plain_desc(y.shape());
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, dst_md), eng);
      fresh->prim = dnnl::matmul(pd);
      fresh->a = memory(a_md, eng, nullptr);
      fresh->b = memory(b_md, eng, nullptr);
      fresh->dst = memory(dst_md, eng, nullptr);
    } catch (const dnnl::error&) {
      ctx.state.reset();
      return ref::run_MatMul(ctx);
    }
    fresh->a_shape = a.shape();
    fresh->b_shape = b.shape();
    ctx.state = std::move(fresh);
    s = static_cast<MatMulState*>(ctx.state.get());
  }
  s->a.set_data_handle(handle(&a));
  s->b.set_data_handle(handle(&b));
  s->dst.set_data_handle(y.raw());
  return execute(ctx, s->prim, {{DNNL_ARG_SRC, s->a}, {DNNL_ARG_WEIGHTS, s->b}, {DNNL_ARG_DST, s->dst}});
}

}  // namespace

Status run_Gemm(KernelContext& ctx) {
  const Tensor *a = ctx.input(0), *b = ctx.input(1), *c = ctx.input(2);
  if (!a || !b || a->dtype() != DType::kFloat32 || b->dtype() != DType::kFloat32 || a->rank() != 2 ||
      b->rank() != 2 || (c && (c->dtype() != DType::kFloat32 || c->rank() > 2)))
    return ref::run_Gemm(ctx);
  const bool ta = ctx.attrs.get_int("transA", 0) != 0, tb = ctx.attrs.get_int("transB", 0) != 0;
  const float alpha = ctx.attrs.get_float("alpha", 1.0f), beta = ctx.attrs.get_float("beta", 1.0f);
  const int64_t m = ta ? a->dim(1) : a->dim(0), k = ta ? a->dim(0) : a->dim(1);
  const int64_t n = tb ? b->dim(0) : b->dim(1);
  if ((tb ? b->dim(1) : b->dim(0)) != k || m * n * k == 0) return ref::run_Gemm(ctx);
  const Dims out{m, n};
  Dims c_strides;
  if (c) {
    auto bs = ref::broadcast_shapes(c->shape(), out);
    if (!bs.ok() || *bs != out) return ref::run_Gemm(ctx);
    c_strides = ref::broadcast_strides(c->shape(), out);
  }
  Tensor& y = ctx.output(0) = Tensor(DType::kFloat32, out);
  EDGEQ_RETURN_IF_ERROR(run_2d(ctx, *a, *b, m, k, n, ta, tb, alpha, y));
  if (c && beta != 0.0f) {  // y += beta * C, broadcast; O(M*N) next to the O(M*N*K) product
    float* yp = y.data<float>();
    const float* cp = c->data<float>();
    for (int64_t i = 0; i < m; ++i) {
      const float* crow = cp + i * c_strides[0];
      float* yrow = yp + i * n;
      if (c_strides[1] == 0) {
        for (int64_t j = 0; j < n; ++j) yrow[j] += beta * crow[0];
      } else {
        for (int64_t j = 0; j < n; ++j) yrow[j] += beta * crow[j];
      }
    }
  }
  return {};
}

Status run_MatMul(KernelContext& ctx) {
  const Tensor *a = ctx.input(0), *b = ctx.input(1);
  if (!a || !b || a->dtype() != DType::kFloat32 || b->dtype() != DType::kFloat32 || a->rank() == 0 ||
      b->rank() < 2 || a->numel() == 0 || b->numel() == 0 || a->dim(a->rank() - 1) != b->dim(b->rank() - 2))
    return ref::run_MatMul(ctx);
  const int64_t k = a->dim(a->rank() - 1), n = b->dim(b->rank() - 1);
  if (b->rank() == 2) {  // fold A's leading dims into M
    const int64_t m = a->numel() / k;
    Dims out = a->shape();
    out.back() = n;
    if (a->rank() == 1) out = {n};
    Tensor& y = ctx.output(0) = Tensor(DType::kFloat32, out);
    return run_2d(ctx, *a, *b, m, k, n, false, false, 1.0f, y);
  }
  if (a->rank() < 2 || b->rank() > 12 || a->rank() > 12) return ref::run_MatMul(ctx);
  auto batch = ref::broadcast_shapes(Dims(a->shape().begin(), a->shape().end() - 2),
                                     Dims(b->shape().begin(), b->shape().end() - 2));
  if (!batch.ok()) return ref::run_MatMul(ctx);
  Dims out = *batch;
  out.push_back(a->dim(a->rank() - 2));
  out.push_back(n);
  Tensor& y = ctx.output(0) = Tensor(DType::kFloat32, out);
  return run_batched(ctx, *a, *b, y);
}

}  // namespace edgeq::kernels::onednn
