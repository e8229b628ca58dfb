// edgeq_convert_layout and the tiled NCHW ↔ NHWC copies behind it: every element lands
// where the index arithmetic says, for element sizes 1 and 4, sizes that are not
// multiples of the tile, and the degenerate one-channel / one-pixel cases.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "edgeq/runtime.h"
#include "runtime/layout_copy.h"

namespace {

edgeq_tensor_desc nhwc_desc(int64_t n, int64_t c, int64_t h, int64_t w, edgeq_dtype dt, size_t elem) {
  edgeq_tensor_desc d{};
  d.name = "x";
  d.dtype = dt;
  d.layout = EDGEQ_LAYOUT_NHWC;
  d.ndim = 4;
  d.dims[0] = n, d.dims[1] = c, d.dims[2] = h, d.dims[3] = w;
  d.bytes = static_cast<size_t>(n * c * h * w) * elem;
  return d;
}

template <typename T>
void check_shape(int64_t n, int64_t c, int64_t h, int64_t w) {
  const size_t elem = sizeof(T);
  const edgeq_tensor_desc d = nhwc_desc(n, c, h, w, elem == 1 ? EDGEQ_DTYPE_UINT8 : EDGEQ_DTYPE_FLOAT32, elem);
  const int64_t numel = n * c * h * w;
  std::vector<T> logical(static_cast<size_t>(numel)), model(logical.size()), back(logical.size());
  std::mt19937 rng(static_cast<uint32_t>(numel));
  for (T& v : logical) v = static_cast<T>(rng());
  ASSERT_EQ(edgeq_convert_layout(&d, logical.data(), model.data(), 1), EDGEQ_OK) << edgeq_last_error();
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < w; ++iw) {
          const size_t l = static_cast<size_t>(((in * c + ic) * h + ih) * w + iw);
          const size_t m = static_cast<size_t>(((in * h + ih) * w + iw) * c + ic);
          ASSERT_EQ(model[m], logical[l]) << n << "x" << c << "x" << h << "x" << w << " at " << l;
        }
  ASSERT_EQ(edgeq_convert_layout(&d, model.data(), back.data(), 0), EDGEQ_OK) << edgeq_last_error();
  EXPECT_EQ(back, logical);
}

TEST(ApiLayout, NhwcRoundTripsForEveryShape) {
  for (auto [n, c, h, w] : std::vector<std::array<int64_t, 4>>{
           {1, 3, 224, 224}, {2, 33, 7, 9}, {1, 1, 5, 5}, {1, 64, 1, 1}, {3, 70, 13, 11}, {1, 1000, 1, 1}}) {
    check_shape<uint8_t>(n, c, h, w);
    check_shape<uint32_t>(n, c, h, w);
  }
}

TEST(ApiLayout, PlainLayoutIsACopy) {
  edgeq_tensor_desc d = nhwc_desc(1, 4, 2, 2, EDGEQ_DTYPE_UINT8, 1);
  d.layout = EDGEQ_LAYOUT_PLAIN;
  std::vector<uint8_t> a(16), b(16, 0);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
  ASSERT_EQ(edgeq_convert_layout(&d, a.data(), b.data(), 1), EDGEQ_OK);
  EXPECT_EQ(a, b);
}

TEST(ApiLayout, BadArgumentsAreOneSentence) {
  edgeq_tensor_desc d = nhwc_desc(1, 3, 4, 4, EDGEQ_DTYPE_UINT8, 1);
  std::vector<uint8_t> a(d.bytes), b(d.bytes);
  EXPECT_EQ(edgeq_convert_layout(nullptr, a.data(), b.data(), 1), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(edgeq_convert_layout(&d, a.data(), nullptr, 1), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(edgeq_convert_layout(&d, a.data(), a.data() + 1, 1), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(edgeq_last_error()).find("overlap"), std::string::npos) << edgeq_last_error();
  d.bytes = 47;  // 48 elements
  EXPECT_EQ(edgeq_convert_layout(&d, a.data(), b.data(), 1), EDGEQ_ERROR_INVALID_ARGUMENT);
  const std::string m = edgeq_last_error();
  EXPECT_NE(m.find("47"), std::string::npos) << m;
  EXPECT_EQ(m.back(), '.') << m;
}

}  // namespace
