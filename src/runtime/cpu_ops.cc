// Ops run by the float reference kernels (kernels::run_kernel): CPU segments, and the
// rarer data-movement ops of accelerator segments. base::Tensor owns its buffer and
// cannot wrap the arena, so inputs are copied in and outputs copied out (NHWC tensors are
// converted to and from the logical order on the way). This is the fallback path.
#include <cstring>

#include "kernels/kernel.h"
#include "runtime/layout_copy.h"
#include "runtime/op_kernel.h"

namespace edgeq::runtime::detail {
namespace {

int64_t program_opset(const format::Program& p) {
  auto it = p.metadata.find("opset");
  if (it != p.metadata.end()) {
    try {
      return std::stoll(it->second);
    } catch (...) {
    }
  }
  return 13;
}

// Copies between the arena form (layout `d.layout`) and a plain logical-order buffer, in
// the direction `to_plain` says.
void copy_layout(const format::TensorDesc& d, const uint8_t* src, uint8_t* dst, bool to_plain) {
  const size_t es = dtype_size(d.dtype);
  if (d.layout != format::Layout::kNHWC || d.shape.size() != 4) {
    std::memcpy(dst, src, static_cast<size_t>(d.nbytes()));
    return;
  }
  const int64_t N = d.shape[0], C = d.shape[1], HW = d.shape[2] * d.shape[3];
  if (to_plain) nhwc_to_nchw(src, dst, N, C, HW, es);
  else nchw_to_nhwc(src, dst, N, C, HW, es);
}

void to_logical(const format::TensorDesc& d, const uint8_t* src, uint8_t* dst) { copy_layout(d, src, dst, true); }
void from_logical(const format::TensorDesc& d, const uint8_t* src, uint8_t* dst) { copy_layout(d, src, dst, false); }

Tensor constant_tensor(const format::TensorDesc& d) {
  Tensor t(d.dtype, d.shape);
  to_logical(d, d.data.data(), static_cast<uint8_t*>(t.raw()));
  return t;
}

class CpuKernel : public OpKernel {
 public:
  std::string op_name_, type_;
  Attributes attrs_;
  int64_t opset_ = 13;
  std::vector<int32_t> inputs_, outputs_;
  std::vector<Tensor> constants_;  // per input: the constant's tensor, or undefined
  const format::Program* program_ = nullptr;
  std::string why_;
  // QResize: dequantize → float Resize → quantize.
  bool qresize_ = false;
  QParam qx_, qy_;

  std::string describe() const override {
    return (qresize_ ? "float reference Resize between dequantize/quantize" : "float reference kernel") +
           std::string(" (") + why_ + ")";
  }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const CpuKernel* k;
      std::vector<Tensor> in;            // per-instance copies of arena inputs
      std::vector<const Tensor*> ptrs;   // what the kernel sees
      std::vector<const uint8_t*> src;   // arena inputs (nullptr for constants/absent)
      std::vector<uint8_t*> dst;
      std::vector<Tensor> out;
      Status run() override {
        const format::Program& p = *k->program_;
        for (size_t i = 0; i < src.size(); ++i) {
          if (!src[i]) continue;
          const format::TensorDesc& d = p.tensors[static_cast<size_t>(k->inputs_[i])];
          if (k->qresize_ && i == 0) {
            Tensor q(DType::kUInt8, d.shape);
            to_logical(d, src[i], q.data<uint8_t>());
            float* f = in[i].data<float>();
            const uint8_t* qq = q.data<uint8_t>();
            for (int64_t j = 0; j < d.numel(); ++j) f[j] = kernels::int8::dequantize(qq[j], k->qx_);
          } else {
            to_logical(d, src[i], static_cast<uint8_t*>(in[i].raw()));
          }
        }
        EDGEQ_RETURN_IF_ERROR(kernels::run_kernel(k->type_, k->attrs_, k->opset_, ptrs, k->outputs_.size(), &out,
                                                  kernels::Backend::kReference, {}, k->op_name_));
        for (size_t i = 0; i < dst.size(); ++i) {
          const format::TensorDesc& d = p.tensors[static_cast<size_t>(k->outputs_[i])];
          Tensor& o = out[i];
          if (k->qresize_) {
            if (o.dtype() != DType::kFloat32 || o.numel() != d.numel())
              return internal_error("op '" + k->op_name_ + "': Resize produced " + shape_to_string(o.shape()) +
                                    " where the program says " + shape_to_string(d.shape));
            Tensor q(DType::kUInt8, d.shape);
            for (int64_t j = 0; j < d.numel(); ++j)
              q.data<uint8_t>()[j] = kernels::int8::quantize(o.data<float>()[j], k->qy_);
            from_logical(d, q.data<uint8_t>(), dst[i]);
            continue;
          }
          if (o.dtype() != d.dtype || o.numel() != d.numel())
            return internal_error("op '" + k->op_name_ + "' (" + k->type_ + ") produced " +
                                  std::string(dtype_name(o.dtype())) + shape_to_string(o.shape()) +
                                  " where the program says " + std::string(dtype_name(d.dtype)) +
                                  shape_to_string(d.shape));
          from_logical(d, static_cast<const uint8_t*>(o.raw()), dst[i]);
        }
        return {};
      }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    const format::Program& p = ctx.program;
    b->in.resize(inputs_.size());
    b->src.assign(inputs_.size(), nullptr);
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const int32_t t = inputs_[i];
      if (constants_[i].defined()) {
        b->ptrs.push_back(&constants_[i]);
        continue;
      }
      if (t < 0) {
        b->ptrs.push_back(nullptr);
        continue;
      }
      const format::TensorDesc& d = p.tensors[static_cast<size_t>(t)];
      b->in[i] = Tensor(qresize_ && i == 0 ? DType::kFloat32 : d.dtype, d.shape);
      b->src[i] = static_cast<const uint8_t*>(ctx.ptr(t));
      b->ptrs.push_back(&b->in[i]);
    }
    for (int32_t t : outputs_) b->dst.push_back(static_cast<uint8_t*>(ctx.ptr(t)));
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

}  // namespace

StatusOr<std::unique_ptr<OpKernel>> make_cpu_op(const BuildContext& ctx, const format::Op& op, const std::string& why) {
  if (!kernels::find_kernel(op.type, kernels::Backend::kReference))
    return unsupported("op '" + op.name + "' has type '" + op.type + "', for which edgeq has no CPU kernel");
  auto k = std::make_unique<CpuKernel>();
  k->op_name_ = op.name;
  k->type_ = op.type;
  k->attrs_ = op.attrs;
  k->opset_ = program_opset(ctx.program);
  k->inputs_ = op.inputs;
  k->outputs_ = op.outputs;
  k->program_ = &ctx.program;
  k->why_ = why;
  for (int32_t t : op.inputs) {
    if (t >= 0 && ctx.program.tensors[static_cast<size_t>(t)].is_constant)
      k->constants_.push_back(constant_tensor(ctx.program.tensors[static_cast<size_t>(t)]));
    else
      k->constants_.emplace_back();
  }
  return std::unique_ptr<OpKernel>(std::move(k));
}

StatusOr<std::unique_ptr<OpKernel>> make_qresize(const BuildContext& ctx, const format::Op& op) {
  if (op.inputs.empty() || op.inputs[0] < 0 || op.outputs.size() != 1)
    return invalid_argument("op '" + op.name + "' (QResize) needs one input and one output");
  auto k = std::make_unique<CpuKernel>();
  k->op_name_ = op.name;
  k->type_ = "Resize";
  k->attrs_ = op.attrs;
  k->attrs_.erase("scales");
  k->opset_ = std::max<int64_t>(program_opset(ctx.program), 11);
  k->program_ = &ctx.program;
  k->why_ = "QResize";
  k->qresize_ = true;
  EDGEQ_ASSIGN_OR_RETURN(k->qx_, tensor_qparam(ctx.program, op.inputs[0], op.name));
  EDGEQ_ASSIGN_OR_RETURN(k->qy_, tensor_qparam(ctx.program, op.outputs[0], op.name));
  const std::vector<float> scales = op.attrs.get_floats("scales");
  if (scales.size() != ctx.program.tensors[static_cast<size_t>(op.inputs[0])].shape.size())
    return invalid_argument("op '" + op.name + "' (QResize) needs one scale per input dim");
  k->inputs_ = {op.inputs[0], -1, -1};
  k->outputs_ = op.outputs;
  k->constants_.resize(3);
  k->constants_[1] = Tensor(DType::kFloat32, {0});
  k->constants_[2] = Tensor::from_vector<float>({static_cast<int64_t>(scales.size())}, scales);
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace edgeq::runtime::detail
