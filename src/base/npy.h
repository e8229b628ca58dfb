// NumPy .npy files ⇄ Tensor (format versions 1.0, 2.0 and 3.0; little-endian, C order).
//
//   EDGEQ_ASSIGN_OR_RETURN(Tensor x, load_npy("resnet18_input.npy"));
//   EDGEQ_RETURN_IF_ERROR(save_npy(y, "out.npy"));
//
// Supported dtypes: f32 f64 f16 i8 u8 i16 u16 i32 i64 u32 u64 bool (numpy '<f4', '|u1',
// '|b1', ...). A file that is not .npy, is truncated, is in Fortran order, is big-endian or
// holds another dtype (structured, bf16, strings, objects) gets an error sentence naming
// the file and the problem. The file layout (numpy's NEP 1):
//   "\x93NUMPY" major minor, header length (u16 for v1, u32 for v2/v3, little-endian),
//   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//   padded with spaces and a final '\n' so the data starts on a 64-byte boundary, then the
//   raw elements in C order.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/tensor.h"

namespace edgeq {

StatusOr<Tensor> load_npy(const std::string& path);
// Parses the bytes of a whole .npy file; `source` names it in error messages.
StatusOr<Tensor> parse_npy(std::string_view bytes, const std::string& source = "npy data");

// Writes a version 1.0 file (2.0 when the header does not fit in 64 KiB).
Status save_npy(const Tensor& tensor, const std::string& path);
StatusOr<std::string> serialize_npy(const Tensor& tensor);

}  // namespace edgeq
