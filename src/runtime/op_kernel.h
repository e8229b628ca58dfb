// Inside the runtime engine: one OpKernel per Program op, built once by Executable::create
// (oneDNN primitives, prepacked weights, precomputed tables and strides) and shared by all
// instances; OpKernel::bind makes the per-instance BoundOp that holds pointers into that
// instance's arena and runs one frame without allocating.
//
//   EDGEQ_ASSIGN_OR_RETURN(auto k, make_kernel(ctx, op));          // at load
//   EDGEQ_ASSIGN_OR_RETURN(auto b, k->bind(bind_ctx));              // per instance
//   EDGEQ_RETURN_IF_ERROR(b->run());                                // per frame
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/program.h"
#include "kernels/int8/qops.h"

namespace edgeq::runtime::detail {

// What an op needs at load.
struct BuildContext {
  const format::Program& program;
  const dnnl::engine& engine;
  int optimize_level = 3;
  bool reference_kernels = false;  // ExecutableOptions::reference_kernels
  std::string conv_impl;           // ExecutableOptions::conv_impl
  bool residual_table = false;     // ExecutableOptions::residual_table
};

// What an op needs to bind to one instance.
struct BindContext {
  const format::Program& program;
  uint8_t* arena = nullptr;
  const dnnl::engine& engine;
  dnnl::stream& stream;
  void* scratchpad = nullptr;  // Executable::scratchpad_bytes() bytes, shared by all ops

  // The bytes of tensor t: its constant data or its place in the arena.
  void* ptr(int t) const {
    const format::TensorDesc& d = program.tensors[static_cast<size_t>(t)];
    if (d.is_constant) return const_cast<uint8_t*>(d.data.data());
    return arena + d.arena_offset;
  }
};

class BoundOp {
 public:
  virtual ~BoundOp() = default;
  virtual Status run() = 0;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  // "onednn brgconv:avx512_core_vnni, weights prepacked" and the like.
  virtual std::string describe() const = 0;
  virtual size_t scratchpad_bytes() const { return 0; }
  virtual StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const = 0;
};

// The bound form of a kernel object with `void run(const uint8_t* x, uint8_t* y) const`
// (the depthwise and stem convs, NCHW ↔ NHWC reorders), reading tensor `x` and writing
// tensor `y`.
template <class Conv>
std::unique_ptr<BoundOp> bind_u8_kernel(const Conv& conv, const BindContext& ctx, int x, int y) {
  struct Bound : BoundOp {
    const Conv* conv = nullptr;
    const uint8_t* x = nullptr;
    uint8_t* y = nullptr;
    Status run() override {
      conv->run(x, y);
      return {};
    }
  };
  auto b = std::make_unique<Bound>();
  b->conv = &conv;
  b->x = static_cast<const uint8_t*>(ctx.ptr(x));
  b->y = static_cast<uint8_t*>(ctx.ptr(y));
  return b;
}

// The kernel for one op (accelerator vocabulary, or `cpu` = run by the float reference
// kernels). kInvalidArgument for an op whose operands do not fit its type.
StatusOr<std::unique_ptr<OpKernel>> make_kernel(const BuildContext& ctx, const format::Op& op, bool cpu);

// ---- helpers shared by the kernel files ------------------------------------------------
using kernels::int8::QParam;

// Per-tensor params of a quantized tensor (scale[0], zero_point[0]).
StatusOr<QParam> tensor_qparam(const format::Program& p, int t, const std::string& op_name);

// Physical strides (in elements) of a tensor, indexed by *logical* dim: for kNHWC 4-D
// tensors [N,C,H,W] stored N,H,W,C.
std::vector<int64_t> physical_strides(const format::TensorDesc& d);
// Logical dims listed in physical order (outermost first).
std::vector<int> physical_order(const format::TensorDesc& d);

// A loop nest over `shape` (dims in iteration order) with per-operand element strides;
// contiguous dims are merged. Used by binary ops, concat, reorders.
struct Nest {
  std::vector<int64_t> shape;                    // outer → inner
  std::vector<std::vector<int64_t>> strides;     // [operand][dim]
};
Nest make_nest(const std::vector<int64_t>& shape, std::vector<std::vector<int64_t>> strides);

// Calls fn(offsets..., inner_count) for each innermost run; offsets in elements.
template <typename Fn>
void for_each_run(const Nest& n, Fn&& fn) {
  const size_t rank = n.shape.size();
  const size_t ops = n.strides.size();
  if (rank == 0) {
    int64_t off[4] = {0, 0, 0, 0};
    fn(off, int64_t{1});
    return;
  }
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < rank; ++d) outer *= n.shape[d];
  const int64_t inner = n.shape[rank - 1];
#pragma omp parallel for schedule(static) if (outer * inner >= (int64_t{1} << 16) && outer > 1)
  for (int64_t i = 0; i < outer; ++i) {
    int64_t off[4] = {0, 0, 0, 0};
    int64_t rem = i;
    for (size_t d = rank - 1; d-- > 0;) {
      const int64_t idx = rem % n.shape[d];
      rem /= n.shape[d];
      for (size_t o = 0; o < ops; ++o) off[o] += idx * n.strides[o][d];
    }
    fn(off, inner);
  }
}

}  // namespace edgeq::runtime::detail
