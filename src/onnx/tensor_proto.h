// TensorProto ⇄ Tensor, shared by the loader (initializers, TENSOR attributes), the
// exporter and load_tensor_proto_file. Internal to src/onnx (and its tests).
//
//   ::onnx::TensorProto p = ...;
//   EDGEQ_ASSIGN_OR_RETURN(Tensor t, onnx::tensor_from_proto(p, model_dir));
//   ::onnx::TensorProto q = onnx::tensor_to_proto(t, "w");   // raw_data, little-endian
#pragma once

#include <string>

#include <onnx/onnx_pb.h>

#include "base/status.h"
#include "base/tensor.h"

namespace edgeq::onnx {

// Converts every storage form ONNX allows: raw_data (little-endian), float_data,
// int32_data (int8/uint8/int16/uint16/bool/float16/bfloat16/int32), int64_data,
// double_data, uint64_data (uint32/uint64), and external data (location/offset/length
// relative to `base_dir`; paths that leave base_dir are refused). String, complex and
// segmented tensors are kUnsupported.
StatusOr<Tensor> tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& base_dir);

// Writes dims, data_type and raw_data (little-endian) under `name`.
::onnx::TensorProto tensor_to_proto(const Tensor& tensor, const std::string& name);

}  // namespace edgeq::onnx
