// Helpers for graph rewrites: a producer/consumer index built once per pass, value
// replacement that keeps graph output names, node erasure, fresh names and initializers.
//
//   GraphIndex index(graph);
//   NameGenerator names(graph);
//   std::vector<bool> dead(graph.nodes.size());
//   for (size_t i = 0; i < graph.nodes.size(); ++i) {
//     ir::Node& n = graph.nodes[i];
//     if (n.op_type != "Identity") continue;
//     if (replace_value(graph, index, n.outputs[0], n.inputs[0])) dead[i] = true;
//   }
//   erase_nodes(graph, dead);
//
// The index refers to nodes by position, so a pass marks nodes dead while it walks and
// erases them once at the end (erase_nodes). Nodes appended during the walk get indices
// past the end of the walk; call index.add_node for them, then graph.topological_sort().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/tensor.h"
#include "ir/graph.h"

namespace edgeq::passes {

class GraphIndex {
 public:
  explicit GraphIndex(const ir::Graph& graph);

  // Index of the node producing `value`, or -1 (graph input, initializer or unknown).
  int producer(const std::string& value) const;
  // Indices of the nodes reading `value` (each node once, in graph order at build time).
  const std::vector<int>& consumers(const std::string& value) const;
  bool is_graph_output(const std::string& value) const { return outputs_.count(value) != 0; }
  // Readers plus graph-output uses.
  size_t use_count(const std::string& value) const;
  // True if exactly one node reads `value` and it is not a graph output (safe to fuse).
  bool has_single_consumer(const std::string& value) const;
  // True if nothing reads `value` and it is not a graph output.
  bool is_unused(const std::string& value) const { return use_count(value) == 0; }

  // Keeps the index in step with edits made through the helpers below; call these when
  // editing node inputs/outputs directly.
  void add_node(const ir::Graph& graph, int node);
  void remove_node(const ir::Graph& graph, int node);  // before erasing or when marking dead
  void add_consumer(const std::string& value, int node);
  void remove_consumer(const std::string& value, int node);
  void set_producer(const std::string& value, int node);

 private:
  friend bool replace_value(ir::Graph&, GraphIndex&, const std::string&, const std::string&);
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::unordered_set<std::string> outputs_;
};

// Sets input `slot` of node `node` to `value` and updates the index.
void set_input(ir::Graph& graph, GraphIndex& index, int node, size_t slot, const std::string& value);

// Makes every reader of `old_value` read `new_value` instead. When `old_value` is a graph
// output, its name must survive, so `new_value` is renamed to `old_value` instead (its
// producer's output or initializer, every reader, and its ValueInfo). Returns false and
// changes nothing when neither is possible: `old_value` is a graph output and `new_value`
// is a graph input or a graph output too. The node producing `old_value` is left in place
// (it is now unused; mark it dead).
bool replace_value(ir::Graph& graph, GraphIndex& index, const std::string& old_value,
                   const std::string& new_value);

// Renames every reader of `old_value` (no index; O(nodes)). Graph outputs are renamed too.
void rename_value_everywhere(ir::Graph& graph, const std::string& old_value, const std::string& new_value);

// Marks node `node` dead (dead[node] = true) and drops it from the index, so use counts
// no longer include it.
void mark_dead(const ir::Graph& graph, GraphIndex& index, std::vector<bool>& dead, int node);

// Removes the nodes with dead[i] set, keeping the order of the others. Drops the
// ValueInfo of their outputs unless another node, input or initializer still defines it.
void erase_nodes(ir::Graph& graph, const std::vector<bool>& dead);

// Removes nodes whose outputs reach no graph output, then initializers nothing reads and
// ValueInfo of values that no longer exist. Returns the number of nodes removed.
size_t remove_dead_nodes(ir::Graph& graph);

// Removes initializers that no node reads and no graph output names (with their ValueInfo).
void remove_unused_initializers(ir::Graph& graph);

// Fresh value and node names that clash with nothing in the graph (nor with each other).
class NameGenerator {
 public:
  explicit NameGenerator(const ir::Graph& graph);
  std::string value(std::string_view base);  // "base", else "base_1", "base_2", ...
  std::string node(std::string_view base);

 private:
  static std::string fresh(std::unordered_set<std::string>& used, std::string_view base);
  std::unordered_set<std::string> values_;
  std::unordered_set<std::string> nodes_;
};

// Adds `t` as an initializer under a fresh name derived from `base`; returns the name.
std::string add_initializer(ir::Graph& graph, NameGenerator& names, std::string_view base, Tensor t);

// The initializer named `value` made safe to edit in place (replaced by a deep copy first:
// tensors share buffers, e.g. a folded Reshape shares its input's), or nullptr.
Tensor* writable_initializer(ir::Graph& graph, const std::string& value);

// The initializer named `value`, or nullptr (graph inputs and node outputs are not constant).
const Tensor* constant_value(const ir::Graph& graph, const std::string& value);
// The single element of a constant holding exactly one element, as double.
std::optional<double> constant_scalar(const ir::Graph& graph, const std::string& value);
// Static dims of a value from Graph::values, or nullopt.
std::optional<Dims> static_shape(const ir::Graph& graph, const std::string& value);
// Copies the ValueInfo of `from` to `to` (if known).
void copy_value_info(ir::Graph& graph, const std::string& from, const std::string& to);

}  // namespace edgeq::passes
