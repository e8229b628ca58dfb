// The kernel interface. A kernel is one plain function per op, shared by the float
// interpreter, constant folding, calibration and tests:
//
//   Status ref::run_Relu(KernelContext& ctx) {
//     const Tensor* x = ctx.input(0);
//     if (!x) return ctx.error("needs input X");
//     Tensor& y = ctx.output(0) = Tensor(x->dtype(), x->shape());
//     ...
//     return {};
//   }
//
// A kernel allocates its outputs (ctx.outputs is sized to the node's output count; a
// kernel may skip optional outputs whose slot `ctx.wants_output(i)` is false). A kernel
// that needs per-node state (oneDNN primitives, packed weights) keeps it in ctx.state,
// which persists across runs of the same node; it must rebuild it when shapes change.
// Errors: kInvalidArgument for bad inputs/attributes, kUnsupported for a legal ONNX
// feature the kernel does not implement (named in the message).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/attributes.h"
#include "base/status.h"
#include "base/tensor.h"
#include "kernels/op_list.h"

namespace edgeq::kernels {

struct KernelState {
  virtual ~KernelState() = default;
};

struct KernelContext {
  std::string_view op_type;
  std::string_view node_name;
  const Attributes& attrs;
  int64_t opset;                          // default-domain opset of the model
  std::span<const Tensor* const> inputs;  // nullptr for an absent optional input
  std::vector<Tensor>& outputs;           // one slot per node output
  std::vector<bool> output_wanted;        // false for outputs with an empty name
  std::unique_ptr<KernelState>& state;    // per-node, persists across runs

  size_t num_inputs() const { return inputs.size(); }
  const Tensor* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  size_t num_outputs() const { return outputs.size(); }
  Tensor& output(size_t i) { return outputs[i]; }
  bool wants_output(size_t i) const {
    return i < outputs.size() && (i >= output_wanted.size() || output_wanted[i]);
  }
  // "node 'conv1' (Conv): <message>" as an invalid-argument / unsupported Status.
  Status error(const std::string& message) const;
  Status unsupported(const std::string& message) const;
};

using KernelFn = Status (*)(KernelContext&);

enum class Backend { kReference, kFast };

// The kernel for an op in the default ONNX domain: the fast one when `backend` is kFast
// and one exists, else the reference one; nullptr if edgeq has no kernel for the op.
KernelFn find_kernel(std::string_view op_type, Backend backend = Backend::kFast);
bool has_fast_kernel(std::string_view op_type);
// The domain an op type belongs to: "edgeq" for internal ops, "" for ONNX ops.
std::string_view op_domain(std::string_view op_type);
// True if edgeq has a kernel for (domain, op_type); domain "" and "ai.onnx" are ONNX's.
bool is_supported(std::string_view domain, std::string_view op_type);
// Every op type in the op list, in list order.
std::span<const std::string_view> op_types();
// Op types whose reference kernel is missing from this build (must be empty).
std::vector<std::string_view> missing_kernels();

// Runs one op once, outside any graph (constant folding, tests). `outputs` is resized to
// `num_outputs`; `wanted` empty means every output is wanted. kUnsupported if edgeq has
// no kernel for the op.
Status run_kernel(std::string_view op_type, const Attributes& attrs, int64_t opset,
                  std::span<const Tensor* const> inputs, size_t num_outputs, std::vector<Tensor>* outputs,
                  Backend backend = Backend::kReference, std::vector<bool> wanted = {},
                  std::string_view node_name = "node");

// Sets how many threads the fast kernels use (0 = library default: all cores).
void set_num_threads(int n);
int num_threads();

namespace ref {
#define EDGEQ_DECLARE_REF(op, file) Status run_##op(KernelContext& ctx);
EDGEQ_REF_OPS(EDGEQ_DECLARE_REF)
#undef EDGEQ_DECLARE_REF
}  // namespace ref

namespace onednn {
#define EDGEQ_DECLARE_FAST(op) Status run_##op(KernelContext& ctx);
EDGEQ_FAST_OPS(EDGEQ_DECLARE_FAST)
#undef EDGEQ_DECLARE_FAST
}  // namespace onednn

}  // namespace edgeq::kernels
