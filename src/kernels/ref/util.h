// Helpers shared by the reference kernels: dtype dispatch, broadcasting, axes.
//
//   return dispatch_numeric(x->dtype(), [&](auto tag) -> Status {
//     using T = decltype(tag);
//     ...
//     return {};
//   });
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "base/tensor.h"

namespace edgeq::kernels::ref {

// Calls f(T{}) with T the C++ type of a numeric dtype (f32, f64, all ints); bool is
// passed as bool. f16/bf16/string/undefined give kUnsupported.
template <typename F>
Status dispatch_numeric(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: return f(float{});
    case DType::kFloat64: return f(double{});
    case DType::kInt8: return f(int8_t{});
    case DType::kUInt8: return f(uint8_t{});
    case DType::kInt16: return f(int16_t{});
    case DType::kUInt16: return f(uint16_t{});
    case DType::kInt32: return f(int32_t{});
    case DType::kUInt32: return f(uint32_t{});
    case DType::kInt64: return f(int64_t{});
    case DType::kUInt64: return f(uint64_t{});
    case DType::kBool: return f(bool{});
    default: return unsupported("dtype " + std::string(dtype_name(t)) + " is not supported here");
  }
}

// Same, for float dtypes only (f32, f64).
template <typename F>
Status dispatch_float(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: return f(float{});
    case DType::kFloat64: return f(double{});
    default: return unsupported("dtype " + std::string(dtype_name(t)) + " is not supported here (float only)");
  }
}

// Numpy-style broadcast of two shapes; error if incompatible.
StatusOr<Dims> broadcast_shapes(std::span<const int64_t> a, std::span<const int64_t> b);

// Strides (in elements) for reading `in` as if it had shape `out` (0 on broadcast dims).
// `in` is right-aligned against `out`.
Dims broadcast_strides(std::span<const int64_t> in, std::span<const int64_t> out);

// Calls f(out_index, in_offsets...) for every element of `out`, with one offset per input
// computed from broadcast strides. Iterates row-major.
template <size_t N, typename F>
void for_each_broadcast(std::span<const int64_t> out, const std::array<Dims, N>& in_strides, F&& f) {
  const int64_t total = shape_numel(out);
  const size_t rank = out.size();
  std::vector<int64_t> idx(rank, 0);
  std::array<int64_t, N> off{};
  for (int64_t i = 0; i < total; ++i) {
    f(i, off);
    for (size_t d = rank; d-- > 0;) {
      ++idx[d];
      for (size_t k = 0; k < N; ++k) off[k] += in_strides[k][d];
      if (idx[d] < out[d]) break;
      for (size_t k = 0; k < N; ++k) off[k] -= in_strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

// Maps a possibly negative axis into [0, rank); error if out of range.
StatusOr<int64_t> normalize_axis(int64_t axis, int64_t rank);

// Reads a 1-D (or scalar) integer tensor (i32/i64) into a vector.
StatusOr<std::vector<int64_t>> read_int_list(const Tensor& t);

// Converts an f32 tensor to `dtype` (f16/bf16 round to nearest even, ints truncate like a
// C cast); returns `f32` itself when dtype is f32. Lets f16/bf16 inputs reuse f32 kernels.
Tensor cast_float_to(const Tensor& f32, DType dtype);

// Reads a 1-D (or scalar) numeric tensor into doubles (scales, roi).
std::vector<double> read_double_list(const Tensor& t);

}  // namespace edgeq::kernels::ref
