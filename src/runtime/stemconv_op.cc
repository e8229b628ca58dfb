// QConv with few input channels (a network's first conv on the u8 NHWC image) on the
// AVX-512 VNNI kernel of kernels/int8/stemconv.h. make_qconv builds its oneDNN kernel
// first and hands it to with_stem_conv, which keeps whichever of the two runs the layer
// faster on this machine (timed at load on scratch buffers), so a shape where oneDNN wins
// stays on oneDNN. ExecutableOptions::conv_impl "stemconv" forces this kernel (tests).
#include <chrono>
#include <cstring>

#include "kernels/int8/stemconv.h"
#include "runtime/op_kernel.h"

namespace edgeq::runtime::detail {
namespace {

namespace i8 = kernels::int8;

class StemConvKernel : public OpKernel {
 public:
  i8::StemConv conv_;
  int x_ = -1, y_ = -1;
  std::string note_;

  std::string describe() const override { return "edgeq " + conv_.describe() + ", weights prepacked" + note_; }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    return bind_u8_kernel(conv_, ctx, x_, y_);
  }
};

// The kernel for `op`, or why the op is not one it covers.
StatusOr<std::unique_ptr<StemConvKernel>> make_stem_conv(const BuildContext& ctx, const format::Op& op) {
  const format::Program& p = ctx.program;
  if (op.type != "QConv" || op.inputs.size() < 2 || op.inputs.size() > 3 || op.outputs.size() != 1 ||
      op.inputs[0] < 0 || op.inputs[1] < 0)
    return unsupported("op '" + op.name + "' is not a plain QConv");
  const format::TensorDesc& x = p.tensors[static_cast<size_t>(op.inputs[0])];
  const format::TensorDesc& w = p.tensors[static_cast<size_t>(op.inputs[1])];
  const format::TensorDesc& y = p.tensors[static_cast<size_t>(op.outputs[0])];
  if (x.shape.size() != 4 || y.shape.size() != 4 || w.shape.size() != 4 || x.layout != format::Layout::kNHWC ||
      y.layout != format::Layout::kNHWC || x.dtype != DType::kUInt8 || y.dtype != DType::kUInt8 ||
      w.dtype != DType::kInt8 || !w.is_constant || w.layout != format::Layout::kPlain)
    return unsupported("op '" + op.name + "' needs u8 NHWC activations and constant s8 OIHW weights");
  if (op.attrs.get_int("group", 1) != 1 || op.attrs.get_ints("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
    return unsupported("op '" + op.name + "' is grouped or dilated");
  const std::vector<int64_t> strides = op.attrs.get_ints("strides", {1, 1});
  const std::vector<int64_t> pads = op.attrs.get_ints("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || pads.size() != 4) return unsupported("op '" + op.name + "' is not a 2-D conv");
  i8::StemConvShape s;
  s.N = x.shape[0], s.C = x.shape[1], s.H = x.shape[2], s.W = x.shape[3], s.O = w.shape[0];
  s.kh = w.shape[2], s.kw = w.shape[3], s.sh = strides[0], s.sw = strides[1];
  s.pt = pads[0], s.pl = pads[1], s.pb = pads[2], s.pr = pads[3];
  if (const std::string why = i8::stem_conv_unsupported_reason(s); !why.empty())
    return unsupported("op '" + op.name + "': " + why);
  if (w.shape[1] != s.C || y.shape[0] != s.N || y.shape[1] != s.O || y.shape[2] != s.OH() || y.shape[3] != s.OW())
    return invalid_argument("op '" + op.name + "' has shapes that do not match its weights, strides and pads");
  if (!w.quant || w.quant->scale.empty() ||
      (w.quant->scale.size() != 1 && static_cast<int64_t>(w.quant->scale.size()) != s.O))
    return invalid_argument("op '" + op.name + "' needs 1 or O weight scales");
  for (int32_t z : w.quant->zero_point)
    if (z != 0) return unsupported("op '" + op.name + "' has weights with a nonzero zero point");
  const int32_t* bias = nullptr;
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
    const format::TensorDesc& b = p.tensors[static_cast<size_t>(op.inputs[2])];
    if (!b.is_constant || b.dtype != DType::kInt32 || b.numel() != s.O)
      return invalid_argument("op '" + op.name + "' needs a constant s32 bias of " + std::to_string(s.O) + " values");
    bias = reinterpret_cast<const int32_t*>(b.data.data());
  }
  EDGEQ_ASSIGN_OR_RETURN(QParam xq, tensor_qparam(p, op.inputs[0], op.name));
  EDGEQ_ASSIGN_OR_RETURN(QParam yq, tensor_qparam(p, op.outputs[0], op.name));
  auto k = std::make_unique<StemConvKernel>();
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  EDGEQ_ASSIGN_OR_RETURN(k->conv_, i8::StemConv::create(s, reinterpret_cast<const int8_t*>(w.data.data()), bias,
                                                        w.quant->scale, xq, yq));
  return k;
}

// Best of `rounds` times (ms) of each kernel, run in turns on one scratch arena holding
// the op's input and output.
StatusOr<std::pair<double, double>> time_pair(const BuildContext& ctx, const format::Op& op, const OpKernel& a,
                                              const OpKernel& b, int rounds) {
  const format::Program& p = ctx.program;
  size_t end = 0;
  for (int t : {op.inputs[0], op.outputs[0]}) {
    const format::TensorDesc& d = p.tensors[static_cast<size_t>(t)];
    end = std::max(end, static_cast<size_t>(d.arena_offset + d.nbytes()));
  }
  std::vector<uint8_t> arena(end + 64);
  for (size_t i = 0; i < arena.size(); ++i) arena[i] = static_cast<uint8_t>(i * 131 + 7);
  std::vector<uint8_t> scratch(std::max(a.scratchpad_bytes(), b.scratchpad_bytes()) + 64);
  dnnl::stream stream(ctx.engine);
  BindContext bc{p, arena.data(), ctx.engine, stream, scratch.data()};
  EDGEQ_ASSIGN_OR_RETURN(auto ba, a.bind(bc));
  EDGEQ_ASSIGN_OR_RETURN(auto bb, b.bind(bc));
  EDGEQ_RETURN_IF_ERROR(ba->run());  // warm up: JIT code, page faults
  EDGEQ_RETURN_IF_ERROR(bb->run());
  stream.wait();
  double best_a = 1e30, best_b = 1e30;
  auto time_one = [&](BoundOp& r, double* best) -> Status {
    const auto t0 = std::chrono::steady_clock::now();
    EDGEQ_RETURN_IF_ERROR(r.run());
    stream.wait();
    *best = std::min(*best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    return {};
  };
  for (int i = 0; i < rounds; ++i) {
    EDGEQ_RETURN_IF_ERROR(time_one(*ba, &best_a));
    EDGEQ_RETURN_IF_ERROR(time_one(*bb, &best_b));
  }
  return std::make_pair(best_a, best_b);
}

std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

// The stem conv kernel for `op` when it covers the op and (unless forced) runs faster
// than `onednn`, which is returned otherwise.
StatusOr<std::unique_ptr<OpKernel>> with_stem_conv(const BuildContext& ctx, const format::Op& op,
                                                   std::unique_ptr<OpKernel> onednn) {
  const bool forced = ctx.conv_impl == "stemconv";
  if (ctx.optimize_level < 2 || ctx.reference_kernels || (!ctx.conv_impl.empty() && !forced) ||
      !kernels::int8::stem_conv_host_supported())
    return onednn;
  StatusOr<std::unique_ptr<StemConvKernel>> stem = make_stem_conv(ctx, op);
  if (!stem.ok()) return onednn;
  if (forced) {
    (*stem)->note_ = ", forced";
    return std::unique_ptr<OpKernel>(std::move(*stem));
  }
  EDGEQ_ASSIGN_OR_RETURN(auto times, time_pair(ctx, op, **stem, *onednn, 7));
  if (times.first >= times.second) return onednn;
  (*stem)->note_ = ", chosen by timing over " + onednn->describe() + " (" + ms(times.first) + " vs " +
                   ms(times.second) + " ms)";
  return std::unique_ptr<OpKernel>(std::move(*stem));
}

}  // namespace edgeq::runtime::detail
