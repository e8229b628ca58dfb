#include "runtime/layout_copy.h"

#include <algorithm>
#include <cstring>

namespace edgeq::runtime {
namespace {

// dst[j][i] = src[i][j] for one [rows, cols] matrix, in 32x32 tiles.
template <typename T>
void transpose(const T* src, T* dst, int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 32;
  for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
    const int64_t i1 = std::min(i0 + kTile, rows);
    for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
      const int64_t j1 = std::min(j0 + kTile, cols);
      for (int64_t j = j0; j < j1; ++j)
        for (int64_t i = i0; i < i1; ++i) dst[j * rows + i] = src[i * cols + j];
    }
  }
}

void transpose_bytes(const uint8_t* src, uint8_t* dst, int64_t rows, int64_t cols, size_t elem) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      std::memcpy(dst + (j * rows + i) * static_cast<int64_t>(elem), src + (i * cols + j) * static_cast<int64_t>(elem),
                  elem);
}

// Each of the n images: [rows, cols] → [cols, rows].
void transpose_images(const void* src, void* dst, int64_t n, int64_t rows, int64_t cols, size_t elem) {
  const int64_t image = rows * cols * static_cast<int64_t>(elem);
  for (int64_t b = 0; b < n; ++b) {
    const auto* s = static_cast<const uint8_t*>(src) + b * image;
    auto* d = static_cast<uint8_t*>(dst) + b * image;
    if (rows == 1 || cols == 1) {
      std::memcpy(d, s, static_cast<size_t>(image));
      continue;
    }
    switch (elem) {
      case 1: transpose(s, d, rows, cols); break;
      case 2: transpose(reinterpret_cast<const uint16_t*>(s), reinterpret_cast<uint16_t*>(d), rows, cols); break;
      case 4: transpose(reinterpret_cast<const uint32_t*>(s), reinterpret_cast<uint32_t*>(d), rows, cols); break;
      case 8: transpose(reinterpret_cast<const uint64_t*>(s), reinterpret_cast<uint64_t*>(d), rows, cols); break;
      default: transpose_bytes(s, d, rows, cols, elem); break;
    }
  }
}

}  // namespace

void nchw_to_nhwc(const void* src, void* dst, int64_t n, int64_t c, int64_t hw, size_t elem) {
  transpose_images(src, dst, n, c, hw, elem);
}

void nhwc_to_nchw(const void* src, void* dst, int64_t n, int64_t c, int64_t hw, size_t elem) {
  transpose_images(src, dst, n, hw, c, elem);
}

}  // namespace edgeq::runtime
