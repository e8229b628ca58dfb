// The float interpreter: runs an ir::Graph on the CPU with edgeq's kernels (oneDNN for
// conv/matmul/pooling, reference kernels for the rest). Used by calibration, constant
// folding, the checker and tests.
//
//   EDGEQ_ASSIGN_OR_RETURN(auto interp, exec::Interpreter::create(graph));
//   std::map<std::string, Tensor> outputs;
//   EDGEQ_RETURN_IF_ERROR(interp->run({{"input", image}}, &outputs));
//   const Tensor& logits = outputs.at("output");
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "exec/int8_sim.h"
#include "ir/graph.h"
#include "kernels/kernel.h"

namespace edgeq::exec {

struct UnsupportedNode {
  std::string node_name;
  std::string op_type;
  std::string domain;
};

// Nodes whose op edgeq has no kernel for (non-default domain, or op not in the op list).
std::vector<UnsupportedNode> unsupported_nodes(const ir::Graph& graph);

struct InterpreterOptions {
  kernels::Backend backend = kernels::Backend::kFast;
  // Runs a QDQ graph as ONNX Runtime's CPU int8 kernels do: every node group ORT fuses
  // (DequantizeLinear inputs → Conv / Gemm / MatMul / Add / Mul / pools / Sigmoid /
  // LeakyRelu / Concat → one QuantizeLinear) is computed from the u8 tensors with the int8
  // reference kernels (exec/int8_sim.h) instead of in float; the rest runs as written.
  // The node callback then sees the QuantizeLinear node with the group's u8 output.
  bool int8_simulation = false;
};

// Called after each node with the node and its outputs (calibration observers, dumps).
using NodeCallback = std::function<void(const ir::Node& node, std::span<const Tensor> outputs)>;

class Interpreter {
 public:
  // Fails with a sentence naming the first unsupported node, or if the graph is invalid.
  static StatusOr<std::unique_ptr<Interpreter>> create(const ir::Graph& graph,
                                                       InterpreterOptions options = {});

  // Runs the graph. `feeds` must hold every graph input (name → tensor of the declared
  // dtype and a shape matching its static dims); `fetches` receives every graph output.
  Status run(const std::map<std::string, Tensor>& feeds, std::map<std::string, Tensor>* fetches,
             const NodeCallback& on_node = nullptr);

  const ir::Graph& graph() const { return graph_; }
  // Number of node groups the int8 simulation runs as int8 kernels (0 when it is off).
  size_t int8_group_count() const { return groups_.size(); }

 private:
  Interpreter() = default;
  Status check_feed(const std::string& name, const Tensor& t) const;

  ir::Graph graph_;
  InterpreterOptions options_;
  std::vector<kernels::KernelFn> kernels_;
  std::vector<std::unique_ptr<kernels::KernelState>> states_;
  // What runs, in order: a graph node, or (group >= 0) an int8 node group.
  struct Step {
    size_t node = 0;
    int group = -1;
  };
  std::vector<Step> plan_;
  std::vector<Int8Group> groups_;
  // For each step, the values whose last use is that step (freed after it runs).
  std::vector<std::vector<std::string>> release_after_;
};

}  // namespace edgeq::exec
