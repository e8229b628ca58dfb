#include "base/tensor.h"

#include <gtest/gtest.h>

#include "base/attributes.h"
#include "base/status.h"

namespace edgeq {
namespace {

TEST(Tensor, AllocatesZeroedAndShares) {
  Tensor t(DType::kFloat32, {2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  for (float v : t.span<float>()) EXPECT_EQ(v, 0.0f);
  Tensor r = t.reshaped({3, 2});
  r.data<float>()[5] = 7.0f;
  EXPECT_TRUE(r.shares_buffer(t));
  EXPECT_EQ(t.data<float>()[5], 7.0f);
  Tensor c = t.clone();
  c.data<float>()[5] = 1.0f;
  EXPECT_EQ(t.data<float>()[5], 7.0f);
}

TEST(Tensor, ScalarAndConversions) {
  Tensor s = Tensor::scalar<int64_t>(42);
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.at_int(0), 42);
  Tensor f = Tensor::from_vector<int32_t>({3}, {1, -2, 3}).to_float();
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_FLOAT_EQ(f.data<float>()[1], -2.0f);
}

TEST(DType, HalfRoundTrip) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f})
    EXPECT_EQ(half_to_float(float_to_half(v)), v) << v;
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);  // overflow saturates to +inf
  EXPECT_EQ(bfloat16_to_float(float_to_bfloat16(1.5f)), 1.5f);
  EXPECT_EQ(*dtype_from_name("i64"), DType::kInt64);
  EXPECT_FALSE(dtype_from_onnx(99).has_value());
}

TEST(Attributes, TypedGettersWithDefaults) {
  Attributes a;
  a.set("axis", int64_t{2});
  a.set("alpha", 0.5f);
  a.set("mode", std::string("linear"));
  a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  EXPECT_EQ(a.get_int("axis"), 2);
  EXPECT_EQ(a.get_int("missing", -1), -1);
  EXPECT_FLOAT_EQ(a.get_float("alpha"), 0.5f);
  EXPECT_FLOAT_EQ(a.get_float("axis"), 2.0f);
  EXPECT_EQ(a.get_string("mode"), "linear");
  EXPECT_EQ(a.get_ints("pads").size(), 4u);
  EXPECT_EQ(attribute_to_string(*a.find("pads")), "[1,1,1,1]");
}

StatusOr<int> half_of(int x) {
  if (x % 2) return invalid_argument("odd");
  return x / 2;
}

Status use_macros(int x, int* out) {
  EDGEQ_ASSIGN_OR_RETURN(int h, half_of(x));
  *out = h;
  return {};
}

TEST(Status, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(use_macros(8, &out).ok());
  EXPECT_EQ(out, 4);
  Status s = use_macros(3, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "odd");
}

}  // namespace
}  // namespace edgeq
