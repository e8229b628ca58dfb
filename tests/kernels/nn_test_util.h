// Helpers for the nn kernel tests: run a kernel function on tensors with attributes,
// random tensors, and a tolerance comparison that names the first bad element.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/attributes.h"
#include "base/tensor.h"
#include "kernels/kernel.h"

namespace edgeq::kernels::testing {

// One node: attributes, outputs and the per-node state kept across runs like the interpreter does.
struct NodeRun {
  std::string op;
  Attributes attrs;
  std::vector<Tensor> outputs;
  std::vector<bool> wanted;
  std::unique_ptr<KernelState> state;

  explicit NodeRun(std::string op_type, size_t num_outputs = 1) : op(std::move(op_type)), outputs(num_outputs) {}

  Status run(KernelFn fn, std::vector<const Tensor*> inputs) {
    for (Tensor& t : outputs) t = Tensor();
    KernelContext ctx{op, "n0", attrs, 18, inputs, outputs, wanted, state};
    return fn(ctx);
  }
  const Tensor& out(size_t i = 0) const { return outputs[i]; }
};

inline Tensor random_tensor(std::mt19937& rng, Dims shape, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.span<float>()) v = dist(rng);
  return t;
}

// |got - want| <= atol + rtol * |want| for every element, same shape and dtype.
inline ::testing::AssertionResult all_close(const Tensor& got, const Tensor& want, double rtol = 1e-4,
                                            double atol = 1e-4) {
  if (got.dtype() != want.dtype())
    return ::testing::AssertionFailure() << "dtype " << dtype_name(got.dtype()) << " vs " << dtype_name(want.dtype());
  if (got.shape() != want.shape())
    return ::testing::AssertionFailure() << "shape " << shape_to_string(got.shape()) << " vs "
                                         << shape_to_string(want.shape());
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double g = got.at_double(i), w = want.at_double(i);
    if (std::isnan(g) && std::isnan(w)) continue;
    if (!(std::abs(g - w) <= atol + rtol * std::abs(w)))
      return ::testing::AssertionFailure() << "element " << i << ": got " << g << ", want " << w;
  }
  return ::testing::AssertionSuccess();
}

inline Tensor f32(Dims shape, std::vector<float> v) { return Tensor::from_vector<float>(std::move(shape), v); }

}  // namespace edgeq::kernels::testing
