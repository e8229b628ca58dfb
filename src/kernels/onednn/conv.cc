// oneDNN f32 Conv and ConvTranspose (1-D/2-D/3-D, groups, dilations). The primitive and
// the reordered weights are built once per node and kept in ctx.state; other dtypes,
// negative pads and anything oneDNN refuses go to the reference kernel.
//
// Layout: the interpreter passes plain NCHW tensors between ops, so each conv either runs
// on them directly (oneDNN's gemm-based conv) or reorders src/dst to nhwc or to oneDNN's
// blocked format around a jit conv. See choose_layout() for the measured numbers.
// Depthwise convs on rows >= 12 wide use edgeq's own NCHW kernel (depthwise_nchw.h),
// which beats both (no reorders; oneDNN's NCHW depthwise is im2col + GEMM).
#include <cstdlib>
#include <cstring>
#include <optional>

#include "kernels/kernel.h"
#include "kernels/onednn/common.h"
#include "kernels/onednn/conv.h"
#include "kernels/onednn/depthwise_nchw.h"
#include "kernels/ref/nn_geometry.h"

namespace edgeq::kernels::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

enum class Layout { kAuto, kPlain, kNhwc, kBlocked };

// Layout of the primitive's src/dst. EDGEQ_ONEDNN_CONV_LAYOUT=plain|nhwc|blocked forces one
// (for benchmarking); by default choose_layout() picks per conv.
constexpr Layout kDefaultLayout = Layout::kAuto;

Layout conv_layout() {
  static const Layout layout = [] {
    const char* env = std::getenv("EDGEQ_ONEDNN_CONV_LAYOUT");
    if (!env) return kDefaultLayout;
    if (std::strcmp(env, "plain") == 0) return Layout::kPlain;
    if (std::strcmp(env, "nhwc") == 0) return Layout::kNhwc;
    if (std::strcmp(env, "blocked") == 0) return Layout::kBlocked;
    return Layout::kAuto;
  }();
  return layout;
}

// Thread CPU ms per conv, 1 thread, AVX-512 (EPYC), oneDNN 2.6, batch 1, reorders included
// (bench/kernels/conv_bench.cc; ONNX Runtime 1.23 on the same single-Conv model for scale):
//   layer (C x H^2 -> M, k)     plain   nhwc  blocked   ORT
//   r50 conv1 3x224->64 k7s2    3.61    2.73   2.67    4.43
//   r50 64x56->64 k1            0.26    0.33   0.33    0.72
//   r50 64x56->64 k3            2.93    2.28   2.19    2.59
//   r50 512x28->128 k1          0.92    1.10   1.11    1.20
//   r50 256x14->256 k3          2.48    1.95   1.98    2.05
//   r50 1024x14->256 k1         0.99    1.10   1.15    0.97
//   r50 512x7->2048 k1          1.36    0.97   1.10    1.03
//   mv2 dw 32x112 k3            1.80    0.31   0.30    0.49
//   mv2 dw 96x112 k3s2          2.04    1.43   1.29    1.35
//   mv2 16x112->96 k1           0.59    1.32   1.21    3.07
//   mv2 320x7->1280 k1          0.53    0.38   0.38    0.42
// So: a 1x1 stride-1 conv on a plane of >= 14x14 is a plain GEMM on NCHW and runs best
// without reorders; everything else (3x3, strided, grouped, small planes) is faster
// blocked, reorders and all. (Depthwise rows >= 12 wide: 0.20 ms and 0.39 ms for the two
// mv2 rows above with the direct kernel.)
Layout choose_layout(const ref::WindowGeometry& g, int64_t group) {
  bool pointwise = group == 1;
  int64_t plane = 1;
  for (size_t i = 0; i < g.spatial(); ++i) {
    pointwise = pointwise && g.kernel[i] == 1 && g.stride[i] == 1 && g.pad_begin[i] == 0 && g.pad_end[i] == 0;
    plane *= g.out[i];
  }
  return pointwise && plane >= 196 ? Layout::kPlain : Layout::kBlocked;
}

memory::desc activation_desc(const Dims& shape, Layout layout) {
  if (layout == Layout::kPlain) return plain_desc(shape);
  if (layout == Layout::kBlocked) return memory::desc(to_dims(shape), memory::data_type::f32, tag::any);
  const tag t = shape.size() == 3 ? tag::nwc : shape.size() == 4 ? tag::nhwc : tag::ndhwc;
  return memory::desc(to_dims(shape), memory::data_type::f32, t);
}

// ONNX weights as oneDNN dims ({G, OC/G, IC/G, k...} when grouped, else {OC, IC, k...}) with
// strides describing the ONNX buffer. ConvTranspose's W is [IC, OC/G, k...] (i before o).
memory::desc user_weights_desc(const Dims& w, int64_t group, bool transposed) {
  const Dims k(w.begin() + 2, w.end());
  int64_t ksize = 1;
  for (int64_t d : k) ksize *= d;
  memory::dims spatial_strides(k.size(), 1);
  for (size_t i = k.size(); i-- > 1;) spatial_strides[i - 1] = spatial_strides[i] * k[i];
  int64_t oc_g, ic_g, s_oc, s_ic, s_g;
  if (!transposed) {  // [G*OCg, ICg, k]
    oc_g = w[0] / group, ic_g = w[1];
    s_ic = ksize, s_oc = ic_g * ksize, s_g = oc_g * ic_g * ksize;
  } else {  // [G*ICg, OCg, k]
    ic_g = w[0] / group, oc_g = w[1];
    s_oc = ksize, s_ic = oc_g * ksize, s_g = oc_g * ic_g * ksize;
  }
  memory::dims dims, strides;
  if (group > 1) dims.push_back(group), strides.push_back(s_g);
  dims.push_back(oc_g), strides.push_back(s_oc);
  dims.push_back(ic_g), strides.push_back(s_ic);
  for (size_t i = 0; i < k.size(); ++i) dims.push_back(k[i]), strides.push_back(spatial_strides[i]);
  return memory::desc(dims, memory::data_type::f32, strides);
}

struct ConvState : KernelState {
  Dims x_shape, y_shape;
  bool has_bias = false;
  std::string post_key;  // ConvPostOps::key the primitive was built with ("" = none)
  bool post_in_primitive = false;  // else ConvPostOps::epilogue runs after the conv
  WeightKey weights_key;
  dnnl::primitive prim;
  memory user_src, user_dst, src, dst, weights, bias;
  std::optional<dnnl::reorder> src_reorder, dst_reorder;
  memory user_z;                          // Z for a sum post-op, plain layout
  std::optional<dnnl::reorder> z_reorder;  // Z into the blocked dst before the conv
};

// Builds the primitive for geometry `g`; throws dnnl::error if oneDNN refuses.
void build(ConvState& s, const ref::WindowGeometry& g, const Tensor& x, const Tensor& w, bool has_bias,
           int64_t group, int64_t out_channels, bool transposed, const ConvPostOps* post) {
  dnnl::engine& eng = engine();
  Layout layout = conv_layout();
  if (layout == Layout::kAuto) layout = transposed ? Layout::kBlocked : choose_layout(g, group);
  // oneDNN 2.6's gemm-based conv (the plain layout) applies post-ops slowly: with them the
  // zoo's plain 1x1 convs averaged 3.6 ms against 0.8 ms without (ONEDNN_VERBOSE, 1 thread),
  // so there the epilogue runs after the conv instead, as one vectorized pass.
  s.post_in_primitive = post && layout != Layout::kPlain;
  dnnl::primitive_attr attr;
  if (s.post_in_primitive) attr.set_post_ops(post->ops);
  const size_t k = g.spatial();
  memory::dims strides(k), dilates(k), pad_l(k), pad_r(k);
  for (size_t i = 0; i < k; ++i) {
    strides[i] = g.stride[i];
    dilates[i] = g.dilation[i] - 1;
    pad_l[i] = g.pad_begin[i];
    const int64_t ek = (g.kernel[i] - 1) * g.dilation[i] + 1;
    // Conv: oneDNN floors like ONNX. ConvTranspose: the right pad that makes oneDNN's
    // output size formula give g.out (it absorbs output_padding).
    pad_r[i] = transposed ? (g.in[i] - 1) * g.stride[i] + ek - g.pad_begin[i] - g.out[i] : g.pad_end[i];
  }
  s.x_shape = x.shape();
  s.y_shape = {g.batch, out_channels};
  s.y_shape.insert(s.y_shape.end(), g.out.begin(), g.out.end());
  s.has_bias = has_bias;
  const memory::desc src_md = activation_desc(s.x_shape, layout), dst_md = activation_desc(s.y_shape, layout);
  const memory::desc user_w = user_weights_desc(w.shape(), group, transposed);
  const memory::desc w_any(user_w.dims(), memory::data_type::f32, tag::any);
  const memory::desc b_md = has_bias ? plain_desc({out_channels}) : memory::desc();
  memory::desc prim_src, prim_dst, prim_w;
  if (!transposed) {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      src_md, w_any, b_md, dst_md, strides, dilates, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
    s.prim = dnnl::convolution_forward(pd);
    prim_src = pd.src_desc(), prim_dst = pd.dst_desc(), prim_w = pd.weights_desc();
  } else {
    dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                        src_md, w_any, b_md, dst_md, strides, dilates, pad_l, pad_r);
    dnnl::deconvolution_forward::primitive_desc pd(d, attr, eng);
    s.prim = dnnl::deconvolution_forward(pd);
    prim_src = pd.src_desc(), prim_dst = pd.dst_desc(), prim_w = pd.weights_desc();
  }
  s.user_src = memory(plain_desc(s.x_shape), eng, nullptr);
  s.user_dst = memory(plain_desc(s.y_shape), eng, nullptr);
  s.src_reorder.reset();
  s.dst_reorder.reset();
  if (prim_src != s.user_src.get_desc()) {
    s.src = memory(prim_src, eng);
    s.src_reorder = dnnl::reorder(s.user_src, s.src);
  }
  if (prim_dst != s.user_dst.get_desc()) {
    s.dst = memory(prim_dst, eng);
    s.dst_reorder = dnnl::reorder(s.dst, s.user_dst);
  }
  s.post_key = post ? post->key : "";
  s.z_reorder.reset();
  if (s.post_in_primitive && post->z) {
    s.user_z = memory(plain_desc(s.y_shape), eng, nullptr);
    if (s.dst_reorder) s.z_reorder = dnnl::reorder(s.user_z, s.dst);
  }
  // Weights: reordered once into the primitive's preferred format.
  memory user_w_mem(user_w, eng, handle(&w));
  s.weights = memory(prim_w, eng);
  dnnl::reorder(user_w_mem, s.weights).execute(stream(), user_w_mem, s.weights);
  stream().wait();
  s.weights_key.held = w;
  s.bias = has_bias ? memory(b_md, eng, nullptr) : memory();
}

// `post` (FusedConv only) adds oneDNN post-ops; its fallback is the reference FusedConv.
Status run(KernelContext& ctx, bool transposed, const ConvPostOps* post) {
  const Tensor *x = ctx.input(0), *w = ctx.input(1), *b = ctx.input(2);
  ref::WindowGeometry g;
  int64_t group = 1, out_channels = 0;
  if (!transposed) {
    EDGEQ_RETURN_IF_ERROR(ref::conv_geometry(ctx, x, w, b, &g, &group));
    out_channels = w->dim(0);
  } else {
    EDGEQ_RETURN_IF_ERROR(ref::conv_transpose_geometry(ctx, x, w, b, &g, &group, &out_channels));
  }
  const auto fallback = [&] {
    return post ? ref::run_FusedConv(ctx) : transposed ? ref::run_ConvTranspose(ctx) : ref::run_Conv(ctx);
  };
  if (x->dtype() != DType::kFloat32 || x->numel() == 0) return fallback();
  for (size_t i = 0; i < g.spatial(); ++i)
    if (g.pad_begin[i] < 0 || g.pad_end[i] < 0) return fallback();
  // (A forced layout, for benchmarking, bypasses the direct kernel too.)
  if (!transposed && depthwise_nchw_applies(g, group, out_channels) && conv_layout() == Layout::kAuto) {
    Tensor& y = ctx.output(0) = Tensor(DType::kFloat32, {g.batch, out_channels, g.out[0], g.out[1]});
    depthwise_nchw(x->data<float>(), w->data<float>(), b ? b->data<float>() : nullptr, y.data<float>(), g);
    if (post) post->epilogue(y.data<float>(), post->z ? post->z->data<float>() : nullptr, y.numel());
    return {};
  }
  sync_threads();
  auto* s = dynamic_cast<ConvState*>(ctx.state.get());
  const std::string_view post_key = post ? std::string_view(post->key) : std::string_view();
  if (!s || s->x_shape != x->shape() || !s->weights_key.matches(*w) || s->has_bias != (b != nullptr) ||
      s->post_key != post_key) {
    auto fresh = std::make_unique<ConvState>();
    try {
      build(*fresh, g, *x, *w, b != nullptr, group, out_channels, transposed, post);
    } catch (const dnnl::error&) {
      ctx.state.reset();
      return fallback();  // a configuration oneDNN does not implement
    }
    ctx.state = std::move(fresh);
    s = static_cast<ConvState*>(ctx.state.get());
  }
  Tensor& y = ctx.output(0) = Tensor(DType::kFloat32, s->y_shape);
  s->user_src.set_data_handle(handle(x));
  s->user_dst.set_data_handle(y.raw());
  if (post && post->z && post->z->shape() != s->y_shape) return fallback();
  if (post && post->z && s->post_in_primitive) {  // the sum post-op adds what dst holds before the conv
    if (s->z_reorder) {
      s->user_z.set_data_handle(handle(post->z));
    } else {
      std::memcpy(y.raw(), post->z->raw(), y.nbytes());
    }
  }
  try {
    if (s->z_reorder) s->z_reorder->execute(stream(), s->user_z, s->dst);
    if (s->src_reorder) s->src_reorder->execute(stream(), s->user_src, s->src);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, s->src_reorder ? s->src : s->user_src},
                                         {DNNL_ARG_WEIGHTS, s->weights},
                                         {DNNL_ARG_DST, s->dst_reorder ? s->dst : s->user_dst}};
    if (b) {
      s->bias.set_data_handle(handle(b));
      args.emplace(DNNL_ARG_BIAS, s->bias);
    }
    s->prim.execute(stream(), args);
    if (s->dst_reorder) s->dst_reorder->execute(stream(), s->dst, s->user_dst);
    stream().wait();
    if (post && !s->post_in_primitive)
      post->epilogue(y.data<float>(), post->z ? post->z->data<float>() : nullptr, y.numel());
  } catch (const dnnl::error& e) {
    return ctx.error(std::string("oneDNN failed to execute: ") + e.what());
  }
  return {};
}

}  // namespace

Status run_Conv(KernelContext& ctx) { return run(ctx, false, nullptr); }
Status run_ConvTranspose(KernelContext& ctx) { return run(ctx, true, nullptr); }
Status run_conv_with_post_ops(KernelContext& ctx, const ConvPostOps& post) { return run(ctx, false, &post); }

}  // namespace edgeq::kernels::onednn
