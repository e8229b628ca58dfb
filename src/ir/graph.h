// The graph IR: values (named, typed, shaped), nodes with typed attributes, initializers,
// graph inputs and outputs. Nodes refer to values by name, as ONNX does; an empty input
// name is an absent optional input.
//
//   ir::Graph g;
//   g.name = "tiny";
//   g.opset_imports[""] = 13;
//   g.add_input("x", DType::kFloat32, {ir::Dim(1), ir::Dim(8)});
//   ir::Node& n = g.add_node("Relu", {"x"}, {"y"}, "relu0");
//   g.outputs.push_back("y");
//   EDGEQ_RETURN_IF_ERROR(g.topological_sort());
//   EDGEQ_RETURN_IF_ERROR(ir::verify(g));
//   std::cout << ir::to_text(g);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/attributes.h"
#include "base/dtype.h"
#include "base/status.h"
#include "base/tensor.h"

namespace edgeq::ir {

// One dimension: a static size (value >= 0) or a symbol ("batch", or "" when anonymous).
struct Dim {
  int64_t value = -1;
  std::string symbol;

  Dim() = default;
  explicit Dim(int64_t v) : value(v) {}
  explicit Dim(std::string s) : symbol(std::move(s)) {}
  bool is_static() const { return value >= 0; }
  bool operator==(const Dim&) const = default;
};

using Shape = std::vector<Dim>;

Shape make_shape(const Dims& dims);
// Static dims of a shape; nullopt if any dim is symbolic.
std::optional<Dims> static_dims(const Shape& shape);
// "[1,3,batch,?]"
std::string shape_to_string(const Shape& shape);

// Quantization of a value (DESIGN §5): real = scale * (q - zero_point). Per-tensor when
// scale has one entry; per-channel along `axis` otherwise.
struct QuantParams {
  DType dtype = DType::kUndefined;  // kUInt8 activations, kInt8 weights, kInt32 biases
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int64_t axis = -1;
};

// Type and shape of a value. shape == nullopt means the rank is unknown.
struct ValueInfo {
  DType dtype = DType::kUndefined;
  std::optional<Shape> shape;
  std::optional<QuantParams> quant;  // set by quantization
};

// Where a node runs: on the accelerator's int8 path or in float on the CPU. An annotation
// (with its reason) before the compiler cuts the graph into segments.
enum class Placement { kUnassigned, kAccelerator, kCpu };
std::string_view placement_name(Placement p);  // "-", "accelerator", "cpu"

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain; "edgeq" for edgeq's internal ops
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  Attributes attrs;
  Placement placement = Placement::kUnassigned;
  std::string placement_reason;  // why, in a few words: "int8 conv", "op not on the int8 path"

  // Input i's name, or "" when absent.
  const std::string& input(size_t i) const;
  bool has_input(size_t i) const { return i < inputs.size() && !inputs[i].empty(); }
};

class Graph {
 public:
  std::string name;
  int64_t ir_version = 8;
  std::string producer_name;
  std::map<std::string, int64_t> opset_imports;  // domain -> version; "" is the default domain

  std::vector<Node> nodes;            // topological order after topological_sort()
  std::vector<std::string> inputs;    // runtime inputs (never initializers)
  std::vector<std::string> outputs;
  std::map<std::string, Tensor> initializers;
  std::map<std::string, ValueInfo> values;  // type/shape of inputs, outputs and intermediates
  std::map<std::string, std::string> metadata;

  // Default-domain opset version (0 if not imported).
  int64_t opset() const;

  ValueInfo& add_input(const std::string& name, DType dtype, Shape shape);
  Node& add_node(std::string op_type, std::vector<std::string> inputs,
                 std::vector<std::string> outputs, std::string name = {});
  void add_initializer(const std::string& name, Tensor t);

  bool is_initializer(const std::string& name) const { return initializers.count(name) != 0; }
  const ValueInfo* value_info(const std::string& name) const;
  // Index of the node producing `value`, or -1 (graph input, initializer or unknown).
  int producer_index(const std::string& value) const;
  // Indices of nodes consuming `value`.
  std::vector<int> consumer_indices(const std::string& value) const;

  // Reorders nodes so every input is produced before use; fails on a cycle or an
  // input that nothing defines.
  Status topological_sort();
  // Number of elements in all initializers (the model's parameters).
  int64_t parameter_count() const;
};

// Checks structure: unique value producers, every input defined (graph input, initializer
// or an earlier node's output), outputs defined, node names unique when set.
Status verify(const Graph& g);

// Text form, one line per value/node, stable for tests:
//   graph tiny opset=13
//     input %x: f32[1,8]
//     init %w: f32[8,8]
//     %y = Relu(%x) name=relu0 : f32[1,8]
//     output %y
std::string to_text(const Graph& g);

}  // namespace edgeq::ir
