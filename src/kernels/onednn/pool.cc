// oneDNN f32 MaxPool, AveragePool (1-D/2-D/3-D, dilations, ceil_mode by widening the
// right pad) and global pools (a pooling whose window is the whole plane), on plain NCHW
// tensors. Indices outputs, other dtypes and the count_include_pad + ceil_mode corner
// (where ONNX counts fewer padded taps than oneDNN) go to the reference kernel.
#include "kernels/kernel.h"
#include "kernels/onednn/common.h"
#include "kernels/ref/nn_geometry.h"

namespace edgeq::kernels::onednn {
namespace {

using dnnl::memory;

struct PoolState : KernelState {
  Dims x_shape;
  Dims y_shape;
  dnnl::pooling_v2_forward prim;
  memory src, dst, workspace;
};

// Builds (or reuses) the pooling for `g` and runs it; throws dnnl::error if oneDNN refuses.
Status run_pooling(KernelContext& ctx, const Tensor& x, const ref::WindowGeometry& g, dnnl::algorithm alg,
                   const memory::dims& pad_r) {
  sync_threads();
  auto* s = dynamic_cast<PoolState*>(ctx.state.get());
  if (!s || s->x_shape != x.shape()) {
    auto fresh = std::make_unique<PoolState>();
    const size_t k = g.spatial();
    memory::dims strides(k), kernel(k), dilation(k), pad_l(k);
    for (size_t i = 0; i < k; ++i) {
      strides[i] = g.stride[i];
      kernel[i] = g.kernel[i];
      dilation[i] = g.dilation[i] - 1;
      pad_l[i] = g.pad_begin[i];
    }
    fresh->x_shape = x.shape();
    fresh->y_shape = {g.batch, g.channels};
    fresh->y_shape.insert(fresh->y_shape.end(), g.out.begin(), g.out.end());
    const memory::desc src_md = plain_desc(fresh->x_shape), dst_md = plain_desc(fresh->y_shape);
    dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, src_md, dst_md, strides, kernel,
                                     dilation, pad_l, pad_r);
    dnnl::pooling_v2_forward::primitive_desc pd(d, engine());
    fresh->prim = dnnl::pooling_v2_forward(pd);
    fresh->src = memory(src_md, engine(), nullptr);
    fresh->dst = memory(dst_md, engine(), nullptr);
    if (pd.workspace_desc().get_size() > 0) fresh->workspace = memory(pd.workspace_desc(), engine());
    ctx.state = std::move(fresh);
    s = static_cast<PoolState*>(ctx.state.get());
  }
  Tensor& y = ctx.output(0) = Tensor(DType::kFloat32, s->y_shape);
  s->src.set_data_handle(handle(&x));
  s->dst.set_data_handle(y.raw());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, s->src}, {DNNL_ARG_DST, s->dst}};
  if (s->workspace) args.emplace(DNNL_ARG_WORKSPACE, s->workspace);
  return execute(ctx, s->prim, args);
}

enum class Kind { kMax, kAverage };

Status run_window_pool(KernelContext& ctx, Kind kind) {
  const Tensor* x = ctx.input(0);
  const auto fallback = [&] { return kind == Kind::kMax ? ref::run_MaxPool(ctx) : ref::run_AveragePool(ctx); };
  if (!x || x->dtype() != DType::kFloat32 || x->rank() < 3 || x->rank() > 5 || x->numel() == 0 ||
      (ctx.num_outputs() > 1 && ctx.wants_output(1)))
    return fallback();
  ref::WindowGeometry g;
  if (!ref::read_window(ctx, x->shape(), {}, ctx.attrs.get_int("ceil_mode", 0) != 0, &g).ok()) return fallback();
  const bool include_pad = ctx.attrs.get_int("count_include_pad", 0) != 0;
  memory::dims pad_r(g.spatial());
  for (size_t i = 0; i < g.spatial(); ++i) {
    const int64_t ek = (g.kernel[i] - 1) * g.dilation[i] + 1;
    // The right pad for which oneDNN's floor formula gives g.out (wider under ceil_mode).
    pad_r[i] = (g.out[i] - 1) * g.stride[i] + ek - g.in[i] - g.pad_begin[i];
    if (pad_r[i] < 0) pad_r[i] = g.pad_end[i];
    if (kind == Kind::kAverage && include_pad && pad_r[i] > g.pad_end[i]) return fallback();
  }
  const dnnl::algorithm alg = kind == Kind::kMax  ? dnnl::algorithm::pooling_max
                              : include_pad       ? dnnl::algorithm::pooling_avg_include_padding
                                                  : dnnl::algorithm::pooling_avg_exclude_padding;
  try {
    return run_pooling(ctx, *x, g, alg, pad_r);
  } catch (const dnnl::error&) {
    ctx.state.reset();
    return fallback();
  }
}

Status run_global_pool(KernelContext& ctx, Kind kind) {
  const Tensor* x = ctx.input(0);
  const auto fallback = [&] {
    return kind == Kind::kMax ? ref::run_GlobalMaxPool(ctx) : ref::run_GlobalAveragePool(ctx);
  };
  if (!x || x->dtype() != DType::kFloat32 || x->rank() < 3 || x->rank() > 5 || x->numel() == 0) return fallback();
  ref::WindowGeometry g;
  g.batch = x->dim(0);
  g.channels = x->dim(1);
  g.in.assign(x->shape().begin() + 2, x->shape().end());
  g.kernel = g.in;
  const size_t k = g.in.size();
  g.stride.assign(k, 1);
  g.dilation.assign(k, 1);
  g.pad_begin.assign(k, 0);
  g.pad_end.assign(k, 0);
  g.out.assign(k, 1);
  try {
    return run_pooling(ctx, *x, g, kind == Kind::kMax ? dnnl::algorithm::pooling_max
                                                      : dnnl::algorithm::pooling_avg_exclude_padding,
                       memory::dims(k, 0));
  } catch (const dnnl::error&) {
    ctx.state.reset();
    return fallback();
  }
}

}  // namespace

Status run_MaxPool(KernelContext& ctx) { return run_window_pool(ctx, Kind::kMax); }
Status run_AveragePool(KernelContext& ctx) { return run_window_pool(ctx, Kind::kAverage); }
Status run_GlobalMaxPool(KernelContext& ctx) { return run_global_pool(ctx, Kind::kMax); }
Status run_GlobalAveragePool(KernelContext& ctx) { return run_global_pool(ctx, Kind::kAverage); }

}  // namespace edgeq::kernels::onednn
