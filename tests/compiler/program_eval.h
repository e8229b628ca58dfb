// A slow evaluator of a compiled program, for the compiler tests: it runs the ops in order
// on one real arena (every tensor at its planned offset, in its planned layout; aliased
// reshapes skipped), computing each int8 op the way the QDQ graph defines it (dequantize,
// the float reference/fast kernel, quantize). So it checks the lowering, the layouts and the
// memory plan together against the interpreter running the quantized ONNX graph; the
// runtime's int8 kernels (qops.h) are tested elsewhere.
#pragma once

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/program.h"
#include "kernels/int8/qops.h"
#include "kernels/kernel.h"

namespace edgeq::compiler::test {

class ProgramEval {
 public:
  using QParam = kernels::int8::QParam;
  explicit ProgramEval(const format::Program& p) : p_(p), arena_(static_cast<size_t>(p.arena_bytes), 0xCD) {
    auto it = p.metadata.find("opset");
    opset_ = it == p.metadata.end() ? 13 : std::stoll(it->second);
  }

  // feeds: float tensors by the model's input names; fast-perf u8 inputs are quantized
  // here as the user would. Returns float outputs by name (u8 outputs dequantized).
  StatusOr<std::map<std::string, Tensor>> run(const std::map<std::string, Tensor>& feeds) {
    for (const auto& io : p_.inputs) {
      const Tensor& f = feeds.at(io.source_name);
      const auto& t = tensor(io.tensor);
      write(io.tensor, t.dtype == DType::kUInt8 ? quantize(f, param(t)) : f);
    }
    for (const auto& op : p_.ops) EDGEQ_RETURN_IF_ERROR(run_op(op));
    std::map<std::string, Tensor> out;
    for (const auto& io : p_.outputs) {
      Tensor v = read(io.tensor);
      const auto& t = tensor(io.tensor);
      out[io.source_name] = t.dtype == DType::kUInt8 ? dequantize(v, t) : v;
    }
    return out;
  }

  // A logical NCHW tensor ↔ its NHWC bytes.
  static Tensor permute(const Tensor& x, bool to_nhwc) {
    const Dims& s = x.shape();  // logical [N, C, H, W]
    const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
    Tensor y(x.dtype(), s);
    const size_t es = dtype_size(x.dtype());
    const auto* src = static_cast<const uint8_t*>(x.raw());
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t a = 0; a < n; ++a)
      for (int64_t b = 0; b < c; ++b)
        for (int64_t i = 0; i < h; ++i)
          for (int64_t j = 0; j < w; ++j) {
            const int64_t nchw = ((a * c + b) * h + i) * w + j, nhwc = ((a * h + i) * w + j) * c + b;
            const int64_t from = to_nhwc ? nchw : nhwc, to = to_nhwc ? nhwc : nchw;
            std::memcpy(dst + to * static_cast<int64_t>(es), src + from * static_cast<int64_t>(es), es);
          }
    return y;
  }

  static QParam param(const format::TensorDesc& t) { return {t.quant->scale[0], t.quant->zero_point[0]}; }
  static Tensor quantize(const Tensor& f, QParam q) {
    Tensor u(DType::kUInt8, f.shape());
    for (int64_t k = 0; k < f.numel(); ++k) u.data<uint8_t>()[k] = kernels::int8::quantize(f.data<float>()[k], q);
    return u;
  }
  // Dequantized tensor; per-channel along axis 0 for weights and biases.
  static Tensor dequantize(const Tensor& q, const format::TensorDesc& t) {
    Tensor f(DType::kFloat32, q.shape());
    const int64_t channels = static_cast<int64_t>(t.quant->scale.size());
    const int64_t inner = channels > 1 ? q.numel() / channels : q.numel();
    for (int64_t k = 0; k < q.numel(); ++k) {
      const size_t c = channels > 1 ? static_cast<size_t>(k / inner) : 0;
      const double v = q.at_double(k);
      f.data<float>()[k] = static_cast<float>((v - t.quant->zero_point[c])) * t.quant->scale[c];
    }
    return f;
  }

 private:
  const format::TensorDesc& tensor(int i) const { return p_.tensors[static_cast<size_t>(i)]; }

  // The tensor in logical (NCHW) order.
  Tensor read(int i) const {
    const auto& t = tensor(i);
    Tensor v(t.dtype, t.shape);
    const uint8_t* src = t.is_constant ? t.data.data() : arena_.data() + t.arena_offset;
    if (v.nbytes()) std::memcpy(v.raw(), src, v.nbytes());
    return t.layout == format::Layout::kNHWC ? permute(v, false) : v;
  }
  void write(int i, const Tensor& logical) {
    const auto& t = tensor(i);
    Tensor v = t.layout == format::Layout::kNHWC ? permute(logical, true) : logical;
    if (v.nbytes()) std::memcpy(arena_.data() + t.arena_offset, v.raw(), v.nbytes());
  }

  StatusOr<Tensor> kernel(const std::string& type, const Attributes& attrs, std::vector<const Tensor*> ins,
                          size_t outputs = 1, std::vector<Tensor>* all = nullptr) {
    std::vector<Tensor> out;
    EDGEQ_RETURN_IF_ERROR(kernels::run_kernel(type, attrs, opset_, ins, outputs, &out, kernels::Backend::kFast));
    if (all) *all = out;
    return out[0];
  }

  Status run_op(const format::Op& op) {
    if (op.attrs.get_int("alias", 0)) return {};
    auto in = [&](size_t k) { return read(op.inputs[k]); };
    auto deq = [&](size_t k) { return dequantize(read(op.inputs[k]), tensor(op.inputs[k])); };
    auto out_q = [&](const Tensor& f) { write(op.outputs[0], quantize(f, param(tensor(op.outputs[0])))); };
    const std::string& t = op.type;
    if (t == "Quantize") {
      out_q(in(0));
    } else if (t == "Dequantize") {
      write(op.outputs[0], dequantize(in(0), tensor(op.inputs[0])));
    } else if (t == "Reorder") {
      write(op.outputs[0], in(0));
    } else if (t == "QConv") {
      Tensor x = deq(0), w = deq(1);
      std::optional<Tensor> b;
      if (op.inputs[2] >= 0) b = deq(2);
      Attributes a;
      for (const char* k : {"strides", "pads", "dilations", "kernel_shape"}) a.set(k, op.attrs.get_ints(k));
      a.set("group", op.attrs.get_int("group", 1));
      EDGEQ_ASSIGN_OR_RETURN(Tensor y, kernel("Conv", a, {&x, &w, b ? &*b : nullptr}));
      if (op.inputs.size() > 3 && op.inputs[3] >= 0) {
        // Folded residual add: the conv result at its own params, then Add.
        format::TensorDesc cd = tensor(op.outputs[0]);
        cd.quant->scale = {op.attrs.get_float("conv_scale")};
        cd.quant->zero_point = {static_cast<int32_t>(op.attrs.get_int("conv_zero_point"))};
        Tensor c = dequantize(quantize(y, param(cd)), cd), r = deq(3);
        const bool r_first = op.attrs.get_int("residual_first", 0) != 0;
        EDGEQ_ASSIGN_OR_RETURN(Tensor sum, kernel("Add", {}, {r_first ? &r : &c, r_first ? &c : &r}));
        y = sum;
      }
      out_q(y);
    } else if (t == "QGemm") {
      Tensor x = deq(0), w = deq(1);
      std::optional<Tensor> b;
      if (op.inputs[2] >= 0) b = deq(2);
      Attributes a;
      if (op.attrs.get_string("source_op") == "Gemm") {
        a.set("transB", int64_t{1});
        EDGEQ_ASSIGN_OR_RETURN(Tensor y, kernel("Gemm", a, {&x, &w, b ? &*b : nullptr}));
        out_q(y);
      } else {
        Attributes perm;
        perm.set("perm", std::vector<int64_t>{1, 0});
        EDGEQ_ASSIGN_OR_RETURN(Tensor wt, kernel("Transpose", perm, {&w}));
        EDGEQ_ASSIGN_OR_RETURN(Tensor y, kernel("MatMul", a, {&x, &wt}));
        out_q(y);
      }
    } else if (t == "QAdd" || t == "QMul" || t == "QConcat" || t == "QGlobalAveragePool" || t == "QAveragePool" ||
               t == "MaxPool") {
      std::vector<Tensor> xs;
      for (size_t k = 0; k < op.inputs.size(); ++k) xs.push_back(deq(k));
      std::vector<const Tensor*> ptrs;
      for (const auto& x : xs) ptrs.push_back(&x);
      const std::string type = t == "MaxPool" ? t : t.substr(1);
      EDGEQ_ASSIGN_OR_RETURN(Tensor y, kernel(type, op.attrs, ptrs));
      out_q(y);
    } else if (t == "QResize") {
      Tensor x = deq(0);
      const auto s = op.attrs.get_floats("scales");
      Tensor scales = Tensor::from_vector<float>({static_cast<int64_t>(s.size())}, s);
      Attributes a;
      for (const char* k : {"mode", "coordinate_transformation_mode", "nearest_mode"}) a.set(k, op.attrs.get_string(k));
      EDGEQ_ASSIGN_OR_RETURN(Tensor y, kernel("Resize", a, {&x, nullptr, &scales}));
      out_q(y);
    } else if (t == "ChannelShuffle") {
      // DQ → Concat on C → Q (the outputs' params), then the u8 Reshape → Transpose →
      // Reshape and the Slices on C.
      std::vector<Tensor> xs;
      for (size_t k = 0; k < op.inputs.size(); ++k) xs.push_back(deq(k));
      std::vector<const Tensor*> ptrs;
      for (const auto& x : xs) ptrs.push_back(&x);
      Attributes a;
      a.set("axis", int64_t{1});
      EDGEQ_ASSIGN_OR_RETURN(Tensor cat, kernel("Concat", a, ptrs));
      const Tensor u = quantize(cat, param(tensor(op.outputs[0])));
      const Dims& s = u.shape();
      const int64_t N = s[0], C = s[1], HW = s[2] * s[3], g = op.attrs.get_int("group"), cg = C / g;
      const std::vector<int64_t> starts = op.attrs.get_ints("channel_starts");
      for (size_t o = 0; o < op.outputs.size(); ++o) {
        const auto& yd = tensor(op.outputs[o]);
        Tensor y(DType::kUInt8, yd.shape);
        const int64_t Co = yd.shape[1];
        for (int64_t n = 0; n < N; ++n)
          for (int64_t c = 0; c < Co; ++c) {
            const int64_t j = starts[o] + c, src = (j % g) * cg + j / g;
            for (int64_t p = 0; p < HW; ++p)
              y.data<uint8_t>()[(n * Co + c) * HW + p] = u.data<uint8_t>()[(n * C + src) * HW + p];
          }
        write(op.outputs[o], y);
      }
    } else if (t == "QLut") {
      Tensor x = in(0), table = in(1), y(DType::kUInt8, x.shape());
      for (int64_t k = 0; k < x.numel(); ++k) y.data<uint8_t>()[k] = table.data<uint8_t>()[x.data<uint8_t>()[k]];
      write(op.outputs[0], y);
    } else {
      // Data movement on u8 and CPU float ops: the ONNX kernel as it is.
      std::vector<Tensor> xs(op.inputs.size());
      std::vector<const Tensor*> ptrs;
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        if (op.inputs[k] >= 0) xs[k] = in(k);
        ptrs.push_back(op.inputs[k] >= 0 ? &xs[k] : nullptr);
      }
      std::vector<Tensor> outs;
      EDGEQ_RETURN_IF_ERROR(kernel(t, op.attrs, ptrs, op.outputs.size(), &outs).status());
      for (size_t k = 0; k < op.outputs.size(); ++k)
        if (op.outputs[k] >= 0) write(op.outputs[k], outs[k]);
    }
    return {};
  }

  const format::Program& p_;
  std::vector<uint8_t> arena_;
  int64_t opset_ = 13;
};

}  // namespace edgeq::compiler::test
