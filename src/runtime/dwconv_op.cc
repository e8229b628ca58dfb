// Depthwise QConv (group == C == O) on edgeq's AVX-512 VNNI kernel (kernels/int8/dwconv.h)
// instead of oneDNN. make_qconv asks make_dwconv first at optimize_level >= 2 unless the
// options ask for reference kernels or force a oneDNN implementation; it returns no kernel
// (and no error) for a conv the kernel does not handle, which then goes to oneDNN.
#include <cstring>

#include "kernels/int8/dwconv.h"
#include "runtime/op_kernel.h"

namespace edgeq::runtime::detail {

namespace {

namespace i8 = kernels::int8;

class DwConvKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  i8::DwConv conv_;

  std::string describe() const override { return conv_.describe(); }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    return bind_u8_kernel(conv_, ctx, x_, y_);
  }
};

}  // namespace

// The edgeq depthwise kernel for `op`, or nullptr when the op is not a depthwise QConv the
// kernel handles on this machine (NHWC u8 activations, 3x3 / 5x5, strides 1 / 2, no
// dilation, per-tensor activation params).
StatusOr<std::unique_ptr<OpKernel>> make_dwconv(const BuildContext& ctx, const format::Op& op) {
  if (!i8::DwConv::host_supported() || op.inputs.size() < 2 || op.outputs.size() != 1 || op.inputs[0] < 0 ||
      op.inputs[1] < 0)
    return std::unique_ptr<OpKernel>();
  const format::Program& p = ctx.program;
  const format::TensorDesc& x = p.tensors[static_cast<size_t>(op.inputs[0])];
  const format::TensorDesc& w = p.tensors[static_cast<size_t>(op.inputs[1])];
  const format::TensorDesc& y = p.tensors[static_cast<size_t>(op.outputs[0])];
  if (x.shape.size() != 4 || y.shape.size() != 4 || w.shape.size() != 4 || x.layout != format::Layout::kNHWC ||
      y.layout != format::Layout::kNHWC || w.layout != format::Layout::kPlain || x.dtype != DType::kUInt8 ||
      y.dtype != DType::kUInt8 || w.dtype != DType::kInt8 || !w.is_constant)
    return std::unique_ptr<OpKernel>();
  const int64_t C = x.shape[1];
  const int64_t group = op.attrs.get_int("group", 1);
  const std::vector<int64_t> strides = op.attrs.get_ints("strides", {1, 1});
  const std::vector<int64_t> dil = op.attrs.get_ints("dilations", {1, 1});
  const std::vector<int64_t> pads = op.attrs.get_ints("pads", {0, 0, 0, 0});
  if (group != C || y.shape[1] != C || w.shape[0] != C || w.shape[1] != 1 || x.shape[0] != y.shape[0] ||
      strides.size() != 2 || dil.size() != 2 || pads.size() != 4 || dil[0] != 1 || dil[1] != 1)
    return std::unique_ptr<OpKernel>();
  if (!w.quant || (w.quant->scale.size() != 1 && static_cast<int64_t>(w.quant->scale.size()) != C))
    return std::unique_ptr<OpKernel>();
  for (int32_t z : w.quant->zero_point)
    if (z != 0) return std::unique_ptr<OpKernel>();
  const int64_t kh = w.shape[2], kw = w.shape[3];
  // The output size must be the one the padding gives.
  if (strides[0] < 1 || strides[1] < 1 || y.shape[2] != (x.shape[2] + pads[0] + pads[2] - kh) / strides[0] + 1 ||
      y.shape[3] != (x.shape[3] + pads[1] + pads[3] - kw) / strides[1] + 1)
    return std::unique_ptr<OpKernel>();
  auto xq = tensor_qparam(p, op.inputs[0], op.name);
  auto yq = tensor_qparam(p, op.outputs[0], op.name);
  if (!xq.ok() || !yq.ok()) return std::unique_ptr<OpKernel>();  // oneDNN's path reports the error

  i8::DwConvShape s;
  s.n = x.shape[0];
  s.c = C;
  s.h = x.shape[2];
  s.w = x.shape[3];
  s.oh = y.shape[2];
  s.ow = y.shape[3];
  s.kh = kh;
  s.kw = kw;
  s.stride_h = strides[0];
  s.stride_w = strides[1];
  s.pad_top = pads[0];
  s.pad_left = pads[1];
  s.x_zero_point = xq->zero_point;
  s.y_zero_point = yq->zero_point;
  if (!i8::DwConv::why_not(s).empty()) return std::unique_ptr<OpKernel>();

  std::vector<int32_t> bias;
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
    const format::TensorDesc& b = p.tensors[static_cast<size_t>(op.inputs[2])];
    if (!b.is_constant || b.dtype != DType::kInt32 || b.numel() != C)
      return invalid_argument("op '" + op.name + "' needs a constant s32 bias of " + std::to_string(C) + " values");
    bias.resize(static_cast<size_t>(C));
    std::memcpy(bias.data(), b.data.data(), bias.size() * 4);
  }
  std::vector<float> m;
  for (float ws : w.quant->scale) m.push_back(i8::conv_multiplier(xq->scale, ws, yq->scale));
  EDGEQ_ASSIGN_OR_RETURN(i8::DwConv conv, i8::DwConv::create(s, reinterpret_cast<const int8_t*>(w.data.data()), bias, m));
  auto k = std::make_unique<DwConvKernel>();
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  k->conv_ = std::move(conv);
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace edgeq::runtime::detail
