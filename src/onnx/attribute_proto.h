// AttributeProto ⇄ edgeq::AttributeValue. Internal to src/onnx.
//
//   EDGEQ_ASSIGN_OR_RETURN(AttributeValue v, onnx::attribute_from_proto(a, node, base_dir));
//   ::onnx::AttributeProto a = onnx::attribute_to_proto("axis", AttributeValue(int64_t{1}));
#pragma once

#include <string>

#include <onnx/onnx_pb.h>

#include "base/attributes.h"
#include "base/status.h"

namespace edgeq::onnx {

// INT, FLOAT, STRING, INTS, FLOATS, STRINGS and TENSOR map to the AttributeValue variant;
// GRAPH(S), SPARSE_TENSOR(S) and TYPE_PROTO(S) are kUnsupported with a sentence naming
// the node (`node_label`, e.g. "node 'if0' (If)").
StatusOr<AttributeValue> attribute_from_proto(const ::onnx::AttributeProto& a, const std::string& node_label,
                                              const std::string& base_dir);

::onnx::AttributeProto attribute_to_proto(const std::string& name, const AttributeValue& value);

}  // namespace edgeq::onnx
