// NCHW ↔ NHWC copies of 4-D tensors: the layout conversions at the edges of a model (user
// data in, results out, the float CPU ops), shared by the runtime, its C API
// (edgeq_convert_layout) and the tools. Tiled so both sides stream through the cache.
//
//   runtime::nchw_to_nhwc(src, dst, N, C, H * W, sizeof(float));  // logical → NHWC memory
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeq::runtime {

// [N, C, HW] → [N, HW, C], `elem` bytes per element.
void nchw_to_nhwc(const void* src, void* dst, int64_t n, int64_t c, int64_t hw, size_t elem);
// [N, HW, C] → [N, C, HW].
void nhwc_to_nchw(const void* src, void* dst, int64_t n, int64_t c, int64_t hw, size_t elem);

}  // namespace edgeq::runtime
