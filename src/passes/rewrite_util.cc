#include "passes/rewrite_util.h"

#include <algorithm>

namespace edgeq::passes {

GraphIndex::GraphIndex(const ir::Graph& graph) {
  producer_.reserve(graph.nodes.size() * 2);
  consumers_.reserve(graph.nodes.size() * 2);
  for (size_t i = 0; i < graph.nodes.size(); ++i) add_node(graph, static_cast<int>(i));
  outputs_.insert(graph.outputs.begin(), graph.outputs.end());
}

int GraphIndex::producer(const std::string& value) const {
  auto it = producer_.find(value);
  return it == producer_.end() ? -1 : it->second;
}

const std::vector<int>& GraphIndex::consumers(const std::string& value) const {
  static const std::vector<int> kNone;
  auto it = consumers_.find(value);
  return it == consumers_.end() ? kNone : it->second;
}

size_t GraphIndex::use_count(const std::string& value) const {
  return consumers(value).size() + (is_graph_output(value) ? 1 : 0);
}

bool GraphIndex::has_single_consumer(const std::string& value) const {
  return consumers(value).size() == 1 && !is_graph_output(value);
}

void GraphIndex::add_node(const ir::Graph& graph, int node) {
  const ir::Node& n = graph.nodes[static_cast<size_t>(node)];
  for (const auto& in : n.inputs)
    if (!in.empty()) add_consumer(in, node);
  for (const auto& out : n.outputs)
    if (!out.empty()) producer_[out] = node;
}

void GraphIndex::remove_node(const ir::Graph& graph, int node) {
  const ir::Node& n = graph.nodes[static_cast<size_t>(node)];
  for (const auto& in : n.inputs)
    if (!in.empty()) remove_consumer(in, node);
  for (const auto& out : n.outputs) {
    auto it = producer_.find(out);
    if (it != producer_.end() && it->second == node) producer_.erase(it);
  }
}

void GraphIndex::add_consumer(const std::string& value, int node) {
  std::vector<int>& c = consumers_[value];
  if (std::find(c.begin(), c.end(), node) == c.end()) c.push_back(node);
}

void GraphIndex::remove_consumer(const std::string& value, int node) {
  auto it = consumers_.find(value);
  if (it == consumers_.end()) return;
  std::erase(it->second, node);
}

void GraphIndex::set_producer(const std::string& value, int node) {
  if (node < 0) producer_.erase(value);
  else producer_[value] = node;
}

void set_input(ir::Graph& graph, GraphIndex& index, int node, size_t slot, const std::string& value) {
  ir::Node& n = graph.nodes[static_cast<size_t>(node)];
  if (slot >= n.inputs.size()) n.inputs.resize(slot + 1);
  std::string old = n.inputs[slot];
  n.inputs[slot] = value;
  if (!old.empty() && std::find(n.inputs.begin(), n.inputs.end(), old) == n.inputs.end())
    index.remove_consumer(old, node);
  if (!value.empty()) index.add_consumer(value, node);
}

namespace {

void rename_readers(ir::Graph& graph, const std::vector<int>& readers, const std::string& from,
                    const std::string& to) {
  for (int c : readers)
    for (auto& in : graph.nodes[static_cast<size_t>(c)].inputs)
      if (in == from) in = to;
}

bool is_graph_input(const ir::Graph& graph, const std::string& value) {
  return std::find(graph.inputs.begin(), graph.inputs.end(), value) != graph.inputs.end();
}

}  // namespace

bool replace_value(ir::Graph& graph, GraphIndex& index, const std::string& old_ref,
                   const std::string& new_ref) {
  // Copies: the arguments often alias a node's input/output names, which this renames.
  const std::string old_value = old_ref, new_value = new_ref;
  if (old_value == new_value) return true;
  if (!index.is_graph_output(old_value)) {
    std::vector<int> readers = index.consumers(old_value);
    rename_readers(graph, readers, old_value, new_value);
    for (int c : readers) index.add_consumer(new_value, c);
    index.consumers_.erase(old_value);
    return true;
  }
  // old_value is a graph output: keep its name by renaming new_value to it.
  if (index.is_graph_output(new_value) || is_graph_input(graph, new_value)) return false;
  int producer = index.producer(new_value);
  auto init = graph.initializers.find(new_value);
  if (producer < 0 && init == graph.initializers.end()) return false;
  if (producer >= 0) {
    for (auto& out : graph.nodes[static_cast<size_t>(producer)].outputs)
      if (out == new_value) out = old_value;
    index.producer_.erase(new_value);
    index.producer_[old_value] = producer;
  } else {
    Tensor t = init->second;
    graph.initializers.erase(init);
    graph.initializers[old_value] = std::move(t);
    index.producer_.erase(old_value);
  }
  std::vector<int> readers = index.consumers(new_value);
  rename_readers(graph, readers, new_value, old_value);
  for (int c : readers) index.add_consumer(old_value, c);
  index.consumers_.erase(new_value);
  auto info = graph.values.find(new_value);
  if (info != graph.values.end()) {
    if (!graph.values.count(old_value)) graph.values[old_value] = info->second;
    graph.values.erase(info);
  }
  return true;
}

void rename_value_everywhere(ir::Graph& graph, const std::string& old_value, const std::string& new_value) {
  for (ir::Node& n : graph.nodes)
    for (auto& in : n.inputs)
      if (in == old_value) in = new_value;
  for (auto& out : graph.outputs)
    if (out == old_value) out = new_value;
}

void mark_dead(const ir::Graph& graph, GraphIndex& index, std::vector<bool>& dead, int node) {
  if (dead.size() < graph.nodes.size()) dead.resize(graph.nodes.size());
  if (dead[static_cast<size_t>(node)]) return;
  dead[static_cast<size_t>(node)] = true;
  index.remove_node(graph, node);
}

void erase_nodes(ir::Graph& graph, const std::vector<bool>& dead) {
  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  std::vector<std::string> dropped;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (i < dead.size() && dead[i]) {
      for (auto& o : graph.nodes[i].outputs)
        if (!o.empty()) dropped.push_back(std::move(o));
    } else {
      kept.push_back(std::move(graph.nodes[i]));
    }
  }
  graph.nodes = std::move(kept);
  if (dropped.empty()) return;
  std::unordered_set<std::string> defined(graph.inputs.begin(), graph.inputs.end());
  for (const auto& [name, t] : graph.initializers) defined.insert(name);
  for (const ir::Node& n : graph.nodes) defined.insert(n.outputs.begin(), n.outputs.end());
  for (const auto& v : dropped)
    if (!defined.count(v)) graph.values.erase(v);
}

size_t remove_dead_nodes(ir::Graph& graph) {
  std::unordered_map<std::string, int> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (const auto& o : graph.nodes[i].outputs)
      if (!o.empty()) producer[o] = static_cast<int>(i);
  std::vector<bool> live(graph.nodes.size(), false);
  std::vector<int> work;
  auto need = [&](const std::string& v) {
    auto it = producer.find(v);
    if (it != producer.end() && !live[static_cast<size_t>(it->second)]) {
      live[static_cast<size_t>(it->second)] = true;
      work.push_back(it->second);
    }
  };
  for (const auto& out : graph.outputs) need(out);
  while (!work.empty()) {
    int i = work.back();
    work.pop_back();
    for (const auto& in : graph.nodes[static_cast<size_t>(i)].inputs)
      if (!in.empty()) need(in);
  }
  std::vector<bool> dead(graph.nodes.size());
  size_t removed = 0;
  for (size_t i = 0; i < dead.size(); ++i)
    if (!live[i]) {
      dead[i] = true;
      ++removed;
    }
  erase_nodes(graph, dead);

  std::unordered_set<std::string> used(graph.outputs.begin(), graph.outputs.end());
  for (const ir::Node& n : graph.nodes) used.insert(n.inputs.begin(), n.inputs.end());
  std::erase_if(graph.initializers, [&](const auto& kv) { return !used.count(kv.first); });

  std::unordered_set<std::string> exists(graph.inputs.begin(), graph.inputs.end());
  exists.insert(graph.outputs.begin(), graph.outputs.end());
  for (const auto& [name, t] : graph.initializers) exists.insert(name);
  for (const ir::Node& n : graph.nodes) exists.insert(n.outputs.begin(), n.outputs.end());
  std::erase_if(graph.values, [&](const auto& kv) { return !exists.count(kv.first); });
  return removed;
}

void remove_unused_initializers(ir::Graph& graph) {
  std::unordered_set<std::string> used(graph.outputs.begin(), graph.outputs.end());
  for (const ir::Node& n : graph.nodes) used.insert(n.inputs.begin(), n.inputs.end());
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
    if (used.count(it->first)) {
      ++it;
      continue;
    }
    graph.values.erase(it->first);
    it = graph.initializers.erase(it);
  }
}

NameGenerator::NameGenerator(const ir::Graph& graph) {
  values_.insert(graph.inputs.begin(), graph.inputs.end());
  values_.insert(graph.outputs.begin(), graph.outputs.end());
  for (const auto& [name, t] : graph.initializers) values_.insert(name);
  for (const auto& [name, v] : graph.values) values_.insert(name);
  for (const ir::Node& n : graph.nodes) {
    values_.insert(n.outputs.begin(), n.outputs.end());
    values_.insert(n.inputs.begin(), n.inputs.end());
    if (!n.name.empty()) nodes_.insert(n.name);
  }
}

std::string NameGenerator::fresh(std::unordered_set<std::string>& used, std::string_view base) {
  std::string b(base.empty() ? std::string_view("v") : base);
  if (used.insert(b).second) return b;
  for (int k = 1;; ++k) {
    std::string s = b + "_" + std::to_string(k);
    if (used.insert(s).second) return s;
  }
}

std::string NameGenerator::value(std::string_view base) { return fresh(values_, base); }
std::string NameGenerator::node(std::string_view base) { return fresh(nodes_, base); }

std::string add_initializer(ir::Graph& graph, NameGenerator& names, std::string_view base, Tensor t) {
  std::string name = names.value(base);
  graph.add_initializer(name, std::move(t));
  return name;
}

Tensor* writable_initializer(ir::Graph& graph, const std::string& value) {
  auto it = graph.initializers.find(value);
  if (it == graph.initializers.end()) return nullptr;
  it->second = it->second.clone();
  return &it->second;
}

const Tensor* constant_value(const ir::Graph& graph, const std::string& value) {
  auto it = graph.initializers.find(value);
  return it == graph.initializers.end() ? nullptr : &it->second;
}

std::optional<double> constant_scalar(const ir::Graph& graph, const std::string& value) {
  const Tensor* t = constant_value(graph, value);
  if (!t || t->numel() != 1 || t->dtype() == DType::kString) return std::nullopt;
  return t->at_double(0);
}

std::optional<Dims> static_shape(const ir::Graph& graph, const std::string& value) {
  if (const Tensor* t = constant_value(graph, value)) return t->shape();
  const ir::ValueInfo* info = graph.value_info(value);
  if (!info || !info->shape) return std::nullopt;
  return ir::static_dims(*info->shape);
}

void copy_value_info(ir::Graph& graph, const std::string& from, const std::string& to) {
  auto it = graph.values.find(from);
  if (it != graph.values.end()) graph.values[to] = it->second;
}

}  // namespace edgeq::passes
