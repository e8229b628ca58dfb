// Model inputs and outputs for edgeq_model_exec: files → the exact bytes a model input
// wants, random inputs, and outputs → float in the float model's logical order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "edgeq/runtime.h"

namespace edgeq::model_exec {

// The dims as stored in memory: N, H, W, C for an NHWC tensor, else the logical dims.
Dims physical_dims(const edgeq_tensor_desc& d);
Dims logical_dims(const edgeq_tensor_desc& d);
// "u8 [1,3,224,224] NHWC (memory [1,224,224,3]), scale 0.0187, zero point 114"
std::string describe(const edgeq_tensor_desc& d);

// Reads one input for `d`:
//  - .npy of the model's dtype in the memory shape (copied), or in the logical shape of
//    an NHWC input (transposed);
//  - float .npy in the logical (float model, NCHW) shape: quantized with the input's
//    scale / zero point when the input is quantized, transposed to NHWC when needed;
//  - any other file: raw bytes, exactly d.bytes of them.
// Anything else is one sentence naming the file, what it holds and what is needed.
StatusOr<std::vector<uint8_t>> load_input(const std::string& path, const edgeq_tensor_desc& d);

// Deterministic random bytes for `d` (u8/i8: the whole range; f32: uniform [-1, 1)).
std::vector<uint8_t> random_input(const edgeq_tensor_desc& d, uint32_t seed);

// The raw output as a tensor in memory order (dtype of the model).
Tensor raw_tensor(const edgeq_tensor_desc& d, const std::vector<uint8_t>& bytes);
// The output as f32 in the logical order: dequantized when quantized, NHWC → NCHW.
Tensor float_tensor(const edgeq_tensor_desc& d, const std::vector<uint8_t>& bytes);

}  // namespace edgeq::model_exec
