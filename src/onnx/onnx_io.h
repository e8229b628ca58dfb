// ONNX ⇄ ir::Graph.
//
//   onnx::LoadOptions opts;
//   opts.input_shapes["input"] = {1, 3, 224, 224};          // fixes dynamic dims
//   EDGEQ_ASSIGN_OR_RETURN(ir::Graph g, onnx::load_model("model.onnx", opts));
//   EDGEQ_RETURN_IF_ERROR(onnx::save_model(g, "copy.onnx"));
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"

namespace edgeq::onnx {

struct LoadOptions {
  // Shapes that replace the declared shapes of graph inputs (--input-shape name:1x3x224x224).
  std::map<std::string, Dims> input_shapes;
  // Run ONNX shape inference and record every value's dtype/shape in Graph::values.
  bool infer_shapes = true;
  // Fail if a graph input still has a dynamic dim after applying input_shapes.
  bool require_static_inputs = true;
};

// Loads a model file (external data files are read relative to its folder). Errors name
// the problem in one sentence: unreadable/truncated file, unsupported ir_version or
// opset, control flow (If/Loop/Scan), non-default domains, sparse tensors, dynamic input
// dims without an --input-shape.
StatusOr<ir::Graph> load_model(const std::string& path, const LoadOptions& options = {});
StatusOr<ir::Graph> load_model_from_bytes(std::string_view bytes, const std::string& base_dir,
                                          const LoadOptions& options = {});

// Writes the graph as an ONNX model (initializers inline) that ONNX Runtime loads.
Status save_model(const ir::Graph& graph, const std::string& path);
StatusOr<std::string> serialize_model(const ir::Graph& graph);

// Reads a serialized TensorProto file (the ONNX backend tests' input_0.pb / output_0.pb).
StatusOr<Tensor> load_tensor_proto_file(const std::string& path);

// Parses "--input-shape" values: "name:1x3x224x224" → {"name", {1,3,224,224}}.
StatusOr<std::pair<std::string, Dims>> parse_input_shape(std::string_view flag);

}  // namespace edgeq::onnx
