// Helpers for reference-kernel tests: run one op by name, check values with a tolerance,
// and build small tensors and attribute sets.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernel.h"

namespace edgeq::kernels::ref_op_testing {

struct OpResult {
  Status status;
  std::vector<Tensor> outputs;
};

// Runs the reference kernel of `op` as a node named `node_name` (error messages name it).
inline OpResult run_op(std::string_view op, const Attributes& attrs, int64_t opset,
                       std::vector<const Tensor*> inputs, size_t num_outputs = 1,
                       std::string_view node_name = "node0") {
  OpResult r;
  r.status = run_kernel(op, attrs, opset, inputs, num_outputs, &r.outputs, Backend::kReference,
                        std::vector<bool>(num_outputs, true), node_name);
  return r;
}

// Shape equal and every value within tol + tol*|want|.
inline void expect_values(const Tensor& t, const Dims& shape, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.shape(), shape) << shape_to_string(t.shape());
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(t.at_double(static_cast<int64_t>(i)), want[i], tol + tol * std::fabs(want[i])) << "index " << i;
}

inline Tensor f32(Dims shape, std::vector<float> v) { return Tensor::from_vector<float>(std::move(shape), v); }
inline Tensor i64(Dims shape, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(shape), v); }

inline Attributes attrs_with(std::initializer_list<std::pair<const char*, AttributeValue>> list) {
  Attributes a;
  for (const auto& [k, v] : list) a.set(k, v);
  return a;
}

}  // namespace edgeq::kernels::ref_op_testing
