// Test helpers for the data-movement kernels: run one op through its reference kernel and
// compare outputs with expected values.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/attributes.h"
#include "base/tensor.h"
#include "kernels/kernel.h"

namespace edgeq::kernels::testing {

// An undefined Tensor in `inputs` stands for an absent optional input.
struct OpCall {
  std::string op{};
  int64_t opset = 18;
  Attributes attrs{};
  std::vector<Tensor> inputs{};
  size_t num_outputs = 1;
  std::vector<bool> wanted{};  // empty: all wanted
};

inline Status run_op(const OpCall& call, std::vector<Tensor>* outputs) {
  std::vector<const Tensor*> in;
  for (const Tensor& t : call.inputs) in.push_back(t.defined() ? &t : nullptr);
  return run_kernel(call.op, call.attrs, call.opset, in, call.num_outputs, outputs, Backend::kReference, call.wanted,
                    "n0");
}

// Runs the op and returns output 0; fails the test on an error status.
inline Tensor run1(const OpCall& call) {
  std::vector<Tensor> outs;
  Status s = run_op(call, &outs);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return outs.empty() ? Tensor() : outs[0];
}

template <typename T>
Tensor vec(Dims shape, std::vector<T> v) { return Tensor::from_vector<T>(std::move(shape), v); }

inline Tensor i64(std::vector<int64_t> v) { return vec<int64_t>({static_cast<int64_t>(v.size())}, v); }

// 0, 1, 2, ... as f32 of the given shape.
inline Tensor iota_f32(Dims shape) {
  Tensor t(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

template <typename T>
void expect_tensor(const Tensor& t, const Dims& shape, const std::vector<T>& values, double tol = 0.0) {
  ASSERT_EQ(t.dtype(), DTypeOf<T>::value);
  ASSERT_EQ(shape_to_string(t.shape()), shape_to_string(shape));
  ASSERT_EQ(static_cast<size_t>(t.numel()), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>)
      EXPECT_NEAR(t.data<T>()[i], values[i], tol) << "at " << i;
    else
      EXPECT_EQ(t.data<T>()[i], values[i]) << "at " << i;
  }
}

// Expects the op to fail with `code` and a message containing `text`.
inline void expect_error(const OpCall& call, StatusCode code, const std::string& text) {
  std::vector<Tensor> outs;
  Status s = run_op(call, &outs);
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(text), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("n0"), std::string::npos) << "message should name the node: " << s.message();
}

}  // namespace edgeq::kernels::testing
