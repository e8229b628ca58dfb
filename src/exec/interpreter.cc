#include "exec/interpreter.h"

#include <set>
#include <unordered_map>

namespace edgeq::exec {

std::vector<UnsupportedNode> unsupported_nodes(const ir::Graph& graph) {
  std::vector<UnsupportedNode> out;
  for (const ir::Node& n : graph.nodes)
    if (!kernels::is_supported(n.domain, n.op_type))
      out.push_back({n.name, n.op_type, n.domain});
  return out;
}

StatusOr<std::unique_ptr<Interpreter>> Interpreter::create(const ir::Graph& graph,
                                                           InterpreterOptions options) {
  std::unique_ptr<Interpreter> in(new Interpreter());
  in->graph_ = graph;
  in->options_ = options;
  EDGEQ_RETURN_IF_ERROR(in->graph_.topological_sort());
  EDGEQ_RETURN_IF_ERROR(ir::verify(in->graph_));
  for (const ir::Node& n : in->graph_.nodes) {
    kernels::KernelFn fn =
        kernels::is_supported(n.domain, n.op_type) ? kernels::find_kernel(n.op_type, options.backend) : nullptr;
    if (!fn) {
      std::string op = n.domain.empty() ? n.op_type : n.domain + "." + n.op_type;
      return unsupported("op " + op + " (node '" + n.name + "') is not supported by edgeq");
    }
    in->kernels_.push_back(fn);
  }
  in->states_.resize(in->graph_.nodes.size());

  // The plan: every node, except the float op and QuantizeLinear of each int8 group (run
  // as one step where the op was) and DequantizeLinear nodes only int8 groups read.
  const size_t n_nodes = in->graph_.nodes.size();
  std::vector<int> group_at(n_nodes, -1);
  std::vector<bool> skip(n_nodes, false);
  if (options.int8_simulation) {
    in->groups_ = find_int8_groups(in->graph_);
    for (size_t g = 0; g < in->groups_.size(); ++g) {
      group_at[in->groups_[g].op_node] = static_cast<int>(g);
      skip[in->groups_[g].op_node] = skip[in->groups_[g].q_node] = true;
    }
    std::set<std::string> graph_outputs(in->graph_.outputs.begin(), in->graph_.outputs.end());
    std::unordered_map<std::string, std::vector<size_t>> consumers;
    for (size_t i = 0; i < n_nodes; ++i)
      for (const auto& v : in->graph_.nodes[i].inputs)
        if (!v.empty()) consumers[v].push_back(i);
    for (const Int8Group& g : in->groups_)
      for (size_t dq : g.dq_nodes) {
        const std::string& v = in->graph_.nodes[dq].outputs[0];
        bool only_groups = !graph_outputs.count(v);
        for (size_t c : consumers[v]) only_groups = only_groups && group_at[c] >= 0;
        if (only_groups) skip[dq] = true;
      }
  }
  for (size_t i = 0; i < n_nodes; ++i) {
    if (group_at[i] >= 0) in->plan_.push_back({i, group_at[i]});
    else if (!skip[i]) in->plan_.push_back({i, -1});
  }

  // Liveness: free a value after its last reader, unless it is a graph output.
  std::set<std::string> keep(in->graph_.outputs.begin(), in->graph_.outputs.end());
  std::unordered_map<std::string, size_t> last_use;
  for (size_t s = 0; s < in->plan_.size(); ++s) {
    const Step& step = in->plan_[s];
    const ir::Node& n = in->graph_.nodes[step.node];
    const std::vector<std::string>& reads = step.group >= 0 ? in->groups_[step.group].inputs : n.inputs;
    for (const auto& v : reads)
      if (!v.empty() && !in->graph_.is_initializer(v)) last_use[v] = s;
    if (step.group >= 0) {
      const std::string& v = in->groups_[step.group].output;
      if (!last_use.count(v)) last_use[v] = s;
    } else {
      for (const auto& v : n.outputs)
        if (!v.empty() && !last_use.count(v)) last_use[v] = s;  // unused outputs die at once
    }
  }
  in->release_after_.resize(in->plan_.size());
  for (const auto& [v, s] : last_use)
    if (!keep.count(v)) in->release_after_[s].push_back(v);
  return in;
}

Status Interpreter::check_feed(const std::string& name, const Tensor& t) const {
  const ir::ValueInfo* info = graph_.value_info(name);
  if (!info) return {};
  if (info->dtype != DType::kUndefined && t.dtype() != info->dtype)
    return invalid_argument("input '" + name + "' must be " + std::string(dtype_name(info->dtype)) +
                            ", got " + std::string(dtype_name(t.dtype())));
  if (info->shape) {
    const ir::Shape& s = *info->shape;
    bool ok = s.size() == t.shape().size();
    for (size_t i = 0; ok && i < s.size(); ++i)
      if (s[i].is_static() && s[i].value != t.shape()[i]) ok = false;
    if (!ok)
      return invalid_argument("input '" + name + "' must have shape " + ir::shape_to_string(*info->shape) +
                              ", got " + shape_to_string(t.shape()));
  }
  return {};
}

Status Interpreter::run(const std::map<std::string, Tensor>& feeds, std::map<std::string, Tensor>* fetches,
                        const NodeCallback& on_node) {
  std::unordered_map<std::string, Tensor> env;
  env.reserve(graph_.nodes.size() * 2);
  for (const auto& name : graph_.inputs) {
    auto it = feeds.find(name);
    if (it == feeds.end()) return invalid_argument("input '" + name + "' was not given");
    EDGEQ_RETURN_IF_ERROR(check_feed(name, it->second));
    env[name] = it->second;
  }
  const int64_t opset = graph_.opset();
  auto lookup = [&](const std::string& name, const ir::Node& n, const Tensor** t) -> Status {
    auto it = env.find(name);
    if (it != env.end()) {
      *t = &it->second;
      return {};
    }
    auto init = graph_.initializers.find(name);
    if (init == graph_.initializers.end())
      return internal_error("value '" + name + "' is not available for node '" + n.name + "'");
    *t = &init->second;
    return {};
  };
  std::vector<const Tensor*> inputs;
  for (size_t s = 0; s < plan_.size(); ++s) {
    const size_t i = plan_[s].node;
    const ir::Node& n = graph_.nodes[i];
    inputs.clear();
    if (plan_[s].group >= 0) {
      const Int8Group& g = groups_[plan_[s].group];
      for (const auto& name : g.inputs) {
        const Tensor* t = nullptr;
        EDGEQ_RETURN_IF_ERROR(lookup(name, n, &t));
        inputs.push_back(t);
      }
      EDGEQ_ASSIGN_OR_RETURN(Tensor y, run_int8_group(g, n, opset, inputs));
      if (on_node) on_node(graph_.nodes[g.q_node], std::span<const Tensor>(&y, 1));
      env[g.output] = std::move(y);
    } else {
      for (const auto& name : n.inputs) {
        if (name.empty()) {
          inputs.push_back(nullptr);
          continue;
        }
        const Tensor* t = nullptr;
        EDGEQ_RETURN_IF_ERROR(lookup(name, n, &t));
        inputs.push_back(t);
      }
      std::vector<Tensor> outputs(n.outputs.size());
      std::vector<bool> wanted(n.outputs.size());
      for (size_t k = 0; k < n.outputs.size(); ++k) wanted[k] = !n.outputs[k].empty();
      kernels::KernelContext ctx{n.op_type, n.name, n.attrs, opset, inputs, outputs, std::move(wanted), states_[i]};
      EDGEQ_RETURN_IF_ERROR(kernels_[i](ctx));
      for (size_t k = 0; k < n.outputs.size(); ++k) {
        if (n.outputs[k].empty()) continue;
        if (!outputs[k].defined())
          return internal_error("node '" + n.name + "' (" + n.op_type + ") did not produce output " +
                                std::to_string(k));
      }
      if (on_node) on_node(n, outputs);
      for (size_t k = 0; k < n.outputs.size(); ++k)
        if (!n.outputs[k].empty()) env[n.outputs[k]] = std::move(outputs[k]);
    }
    for (const auto& v : release_after_[s]) env.erase(v);
  }
  fetches->clear();
  for (const auto& name : graph_.outputs) {
    auto it = env.find(name);
    if (it != env.end()) {
      (*fetches)[name] = it->second;
    } else if (auto init = graph_.initializers.find(name); init != graph_.initializers.end()) {
      (*fetches)[name] = init->second;
    } else {
      return internal_error("graph output '" + name + "' was not produced");
    }
  }
  return {};
}

}  // namespace edgeq::exec
