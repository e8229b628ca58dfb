// Shared pieces of the oneDNN f32 kernels: the CPU engine and stream, thread-count sync,
// a cache key for constant weights, and memory descriptors for plain tensors.
//
//   dnnl::engine& eng = onednn::engine();
//   dnnl::memory m(plain_desc(x->shape()), eng, const_cast<float*>(x->data<float>()));
//   prim.execute(onednn::stream(), {{DNNL_ARG_SRC, m}, ...});
//   onednn::stream().wait();
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <unordered_map>

#include "base/tensor.h"
#include "kernels/kernel.h"

namespace edgeq::kernels::onednn {

dnnl::engine& engine();
// One stream per calling thread (in practice: the interpreter's thread).
dnnl::stream& stream();

// oneDNN's OpenMP runtime reads the calling thread's thread count; make it follow
// kernels::num_threads() even if set_num_threads() was called from another thread.
void sync_threads();

dnnl::memory::dims to_dims(const Dims& d);
// Row-major f32 descriptor for a tensor shape (rank 1..12; a scalar is [1]).
dnnl::memory::desc plain_desc(const Dims& shape);

// Identifies a weight tensor across runs: same buffer (kept alive by the copy, so its
// address cannot be reused by another tensor) and same shape. Kernels never write into
// tensors they did not allocate, so the same buffer means the same values.
struct WeightKey {
  Tensor held;
  bool matches(const Tensor& t) const {
    return held.defined() && held.shares_buffer(t) && held.shape() == t.shape();
  }
};

// Stream-executes `prim` with `args` and waits; converts a dnnl::error into a Status.
Status execute(const KernelContext& ctx, dnnl::primitive& prim,
               const std::unordered_map<int, dnnl::memory>& args);

// A tensor's data as a mutable pointer for dnnl::memory (oneDNN takes void* even for inputs).
inline void* handle(const Tensor* t) { return const_cast<void*>(t->raw()); }

}  // namespace edgeq::kernels::onednn
