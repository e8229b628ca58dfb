// Byte-level helpers shared by the data-movement kernels (concat, slice, transpose, pad,
// ...). They work on raw bytes with the element size from dtype_size(), so one code path
// serves every dtype, including f16/bf16/bool.
//
//   // out[i][j] = in[j][i] for a 2-D tensor: a transpose is a strided copy.
//   copy_strided(out.raw(), in.raw(), {cols, rows}, {rows, 1}, {1, cols}, esize);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "kernels/kernel.h"

namespace edgeq::kernels::ref {

// Copies every element of the index space `shape`: dst[sum(i*dst_strides)] =
// src[sum(i*src_strides)]. Strides are in elements and may be 0 (broadcast) or negative
// (reversed). Adjacent dims that are contiguous in both are merged, and contiguous inner
// runs are copied with memcpy, so plain NCHW slices and concats run at memory speed.
void copy_strided(void* dst, const void* src, std::span<const int64_t> shape,
                  std::span<const int64_t> dst_strides, std::span<const int64_t> src_strides,
                  size_t esize);

// Writes `count` copies of the `esize`-byte element at `value` to `dst`.
void fill_bytes(void* dst, const void* value, int64_t count, size_t esize);

// Writes the value 1 (or `true`) of dtype `t` into `dst`; error for string/undefined.
Status write_one(DType t, void* dst);

// Reads an optional integer input (i32/i64) as a list; `present` is false when the input
// is absent. Errors name the node and the input.
Status read_optional_ints(const KernelContext& ctx, size_t index, const char* what,
                          std::vector<int64_t>* out, bool* present);

// Normalizes every axis against `rank` and rejects duplicates.
Status normalize_axes(const KernelContext& ctx, std::vector<int64_t>& axes, int64_t rank);

// "[1,2,3]" for messages.
std::string ints_to_string(std::span<const int64_t> v);

}  // namespace edgeq::kernels::ref

namespace edgeq::kernels::ref {

enum class Bf16Rounding { kNearestEven, kTruncate };

// Converts `n` elements from dtype `from` to dtype `to` with ONNX Cast semantics (float to
// integer truncates toward zero, integers wrap, to bool is != 0, f16 rounds to nearest
// even, bf16 as `rounding` says). kUnsupported for string/undefined dtypes. In cast.cc.
Status convert_elements(const void* src, DType from, void* dst, DType to, int64_t n,
                        Bf16Rounding rounding = Bf16Rounding::kNearestEven);

}  // namespace edgeq::kernels::ref
