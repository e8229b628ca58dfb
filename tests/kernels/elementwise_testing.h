// Runs one reference kernel on given inputs, for the element-wise kernel tests.
//
//   Tensor a = Tensor::from_vector<float>({2}, {1, 2});
//   elementwise_testing::OpResult r = run_ref_op("Add", {&a, &a});
//   ASSERT_TRUE(r.status.ok()) << r.status.to_string();
//   expect_values<float>(r.out(), {2, 4});
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string_view>
#include <vector>

#include "kernels/kernel.h"

namespace edgeq::kernels::elementwise_testing {

struct OpResult {
  Status status;
  std::vector<Tensor> outputs;
  const Tensor& out() const { return outputs.at(0); }
};

inline OpResult run_ref_op(std::string_view op, std::vector<const Tensor*> inputs, const Attributes& attrs = {},
                           int64_t opset = 17) {
  OpResult r;
  r.status = run_kernel(op, attrs, opset, inputs, 1, &r.outputs, Backend::kReference, {}, "n1");
  return r;
}

// Checks dtype, shape and values (|got - want| <= tol + tol * |want|; NaN equals NaN).
template <typename T>
void expect_tensor(const Tensor& t, const Dims& shape, const std::vector<T>& want, double tol = 1e-5) {
  ASSERT_EQ(t.dtype(), DTypeOf<T>::value) << "dtype " << dtype_name(t.dtype());
  ASSERT_EQ(t.shape(), shape) << "shape " << shape_to_string(t.shape());
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(want[i])) {
        EXPECT_TRUE(std::isnan(t.data<T>()[i])) << "at " << i;
        continue;
      }
      EXPECT_NEAR(t.data<T>()[i], want[i], tol + tol * std::fabs(want[i])) << "at " << i;
    } else {
      EXPECT_EQ(t.data<T>()[i], want[i]) << "at " << i;
    }
  }
}

}  // namespace edgeq::kernels::elementwise_testing
