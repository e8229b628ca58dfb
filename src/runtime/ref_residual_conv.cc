// ExecutableOptions::reference_kernels: a QConv with a folded residual add (compiler/fuse.cc)
// run as the two ops it came from, the reference int8 conv to the conv result's params and
// then the reference QAdd (kernels/int8/ref.h), so every value equals the unfused program's.
// Plain loops on logical (NCHW) tensors; NHWC operands are permuted in and out each frame.
#include <cstring>

#include "base/tensor.h"
#include "kernels/int8/ref.h"
#include "runtime/op_kernel.h"

namespace edgeq::runtime::detail {

namespace {

namespace i8 = kernels::int8;

// Logical [N, C, H, W] ↔ the bytes of a 4-D u8 tensor in `layout`.
void permute_u8(const uint8_t* src, uint8_t* dst, const std::vector<int64_t>& s, bool to_nhwc) {
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
          const int64_t nchw = ((a * c + b) * h + i) * w + j, nhwc = ((a * h + i) * w + j) * c + b;
          dst[to_nhwc ? nhwc : nchw] = src[to_nhwc ? nchw : nhwc];
        }
}

Tensor read_logical(const format::TensorDesc& d, const void* bytes) {
  Tensor t(d.dtype, d.shape);
  if (d.layout == format::Layout::kNHWC) permute_u8(static_cast<const uint8_t*>(bytes), t.data<uint8_t>(), d.shape, false);
  else std::memcpy(t.raw(), bytes, static_cast<size_t>(d.nbytes()));
  return t;
}

class RefResidualConvKernel : public OpKernel {
 public:
  int x_ = -1, r_ = -1, y_ = -1;
  Tensor w_, bias_;
  bool has_bias_ = false;
  std::vector<float> w_scales_;
  QParam xq_, cq_, rq_, yq_;
  i8::Window2d window_;
  int64_t group_ = 1;
  bool residual_first_ = false;

  std::string describe() const override { return "edgeq reference int8 conv, then reference add"; }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const RefResidualConvKernel* k;
      const format::Program* p;
      const void *x, *r;
      void* y;
      Status run() override {
        const RefResidualConvKernel& K = *k;
        const auto& td = [&](int t) -> const format::TensorDesc& { return p->tensors[static_cast<size_t>(t)]; };
        const Tensor xl = read_logical(td(K.x_), x);
        const Tensor rl = read_logical(td(K.r_), r);
        EDGEQ_ASSIGN_OR_RETURN(Tensor c, i8::qconv(xl, K.xq_, K.w_, K.w_scales_, K.has_bias_ ? &K.bias_ : nullptr,
                                                   K.cq_, K.window_, K.group_));
        EDGEQ_ASSIGN_OR_RETURN(Tensor yl, K.residual_first_ ? i8::qadd(rl, K.rq_, c, K.cq_, K.yq_)
                                                            : i8::qadd(c, K.cq_, rl, K.rq_, K.yq_));
        const format::TensorDesc& yd = td(K.y_);
        if (yd.layout == format::Layout::kNHWC) permute_u8(yl.data<uint8_t>(), static_cast<uint8_t*>(y), yd.shape, true);
        else std::memcpy(y, yl.raw(), static_cast<size_t>(yd.nbytes()));
        return {};
      }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    b->p = &ctx.program;
    b->x = ctx.ptr(x_);
    b->r = ctx.ptr(r_);
    b->y = ctx.ptr(y_);
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

}  // namespace

// Called by make_qconv (onednn_ops.cc), which has checked the operands; `add` holds the
// folded QAdd's params (a = the residual when residual_first).
StatusOr<std::unique_ptr<OpKernel>> make_ref_residual_conv(const BuildContext& ctx, const format::Op& op,
                                                           const i8::BinaryParams& add, bool residual_first) {
  const format::Program& p = ctx.program;
  auto k = std::make_unique<RefResidualConvKernel>();
  k->x_ = op.inputs[0];
  k->r_ = op.inputs[3];
  k->y_ = op.outputs[0];
  const format::TensorDesc& w = p.tensors[static_cast<size_t>(op.inputs[1])];
  k->w_ = Tensor(DType::kInt8, w.shape);
  std::memcpy(k->w_.raw(), w.data.data(), w.data.size());
  k->w_scales_ = w.quant->scale;
  if (op.inputs[2] >= 0) {
    const format::TensorDesc& b = p.tensors[static_cast<size_t>(op.inputs[2])];
    k->bias_ = Tensor(DType::kInt32, b.shape);
    std::memcpy(k->bias_.raw(), b.data.data(), b.data.size());
    k->has_bias_ = true;
  }
  EDGEQ_ASSIGN_OR_RETURN(k->xq_, tensor_qparam(p, op.inputs[0], op.name));
  k->residual_first_ = residual_first;
  k->cq_ = residual_first ? add.b : add.a;
  k->rq_ = residual_first ? add.a : add.b;
  k->yq_ = add.y;
  const std::vector<int64_t> pads = op.attrs.get_ints("pads", {0, 0, 0, 0});
  k->window_.strides = op.attrs.get_ints("strides", {1, 1});
  k->window_.dilations = op.attrs.get_ints("dilations", {1, 1});
  k->window_.pads_begin = {pads[0], pads[1]};
  k->window_.pads_end = {pads[2], pads[3]};
  k->group_ = op.attrs.get_int("group", 1);
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace edgeq::runtime::detail
