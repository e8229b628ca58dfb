#include "converter/similarity.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "exec/interpreter.h"

namespace edgeq::converter {

Distances distances(const Tensor& a, const Tensor& b) {
  Tensor fa = a.dtype() == DType::kFloat32 ? a : a.to_float();
  Tensor fb = b.dtype() == DType::kFloat32 ? b : b.to_float();
  auto x = fa.span<float>();
  auto y = fb.span<float>();
  Distances d;
  const size_t n = std::min(x.size(), y.size());
  if (n == 0 || x.size() != y.size()) return d;
  double dot = 0, nx = 0, ny = 0, l1 = 0, l2 = 0, cheb = 0;
  for (size_t i = 0; i < n; ++i) {
    double p = x[i], q = y[i], e = p - q;
    dot += p * q;
    nx += p * p;
    ny += q * q;
    l1 += std::fabs(e);
    l2 += e * e;
    cheb = std::max(cheb, std::fabs(e));
  }
  if (nx == 0 && ny == 0) d.cosine = 1.0;
  else if (nx == 0 || ny == 0) d.cosine = 0.0;
  else d.cosine = dot / std::sqrt(nx * ny);
  d.l1 = l1 / static_cast<double>(n);
  d.l2 = std::sqrt(l2 / static_cast<double>(n));
  d.chebyshev = cheb;
  return d;
}

StatusOr<std::vector<Outputs>> run_outputs(const ir::Graph& graph, const std::vector<quant::Feeds>& samples) {
  EDGEQ_ASSIGN_OR_RETURN(auto interp, exec::Interpreter::create(graph));
  std::vector<Outputs> all;
  all.reserve(samples.size());
  for (const auto& feeds : samples) {
    Outputs out;
    EDGEQ_RETURN_IF_ERROR(interp->run(feeds, &out));
    all.push_back(std::move(out));
  }
  return all;
}

StatusOr<double> mean_output_cosine(const ir::Graph& qdq, const std::vector<quant::Feeds>& samples,
                                    const std::vector<Outputs>& reference) {
  EDGEQ_ASSIGN_OR_RETURN(auto interp, exec::Interpreter::create(qdq));
  double sum = 0;
  int count = 0;
  for (size_t s = 0; s < samples.size() && s < reference.size(); ++s) {
    Outputs out;
    EDGEQ_RETURN_IF_ERROR(interp->run(samples[s], &out));
    for (const auto& [name, ref] : reference[s]) {
      auto it = out.find(name);
      if (it == out.end()) return internal_error("the quantized graph has no output named '" + name + "'");
      sum += distances(ref, it->second).cosine;
      ++count;
    }
  }
  return count ? sum / count : 0.0;
}

std::string dequantized_name(const ir::Graph& qdq, const std::string& value) {
  for (int qi : qdq.consumer_indices(value)) {
    const ir::Node& q = qdq.nodes[static_cast<size_t>(qi)];
    if (q.op_type != "QuantizeLinear" || q.input(0) != value || q.outputs.empty()) continue;
    for (int di : qdq.consumer_indices(q.outputs[0])) {
      const ir::Node& dq = qdq.nodes[static_cast<size_t>(di)];
      if (dq.op_type == "DequantizeLinear" && !dq.outputs.empty()) return dq.outputs[0];
    }
  }
  return value;
}

namespace {

bool is_qdq_op(const ir::Node& n) { return n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear"; }

}  // namespace

StatusOr<Evaluation> evaluate(const ir::Graph& float_graph, const ir::Graph& qdq,
                              const std::vector<quant::Feeds>& samples) {
  // Which float values to compare, and under which name the QDQ graph holds them.
  std::set<std::string> float_values;
  for (const auto& n : float_graph.nodes)
    for (const auto& o : n.outputs)
      if (!o.empty()) float_values.insert(o);
  std::map<std::string, std::string> qdq_name_of;  // float value → QDQ value
  std::map<std::string, std::string> float_name_of;
  for (const auto& n : qdq.nodes) {
    if (is_qdq_op(n)) continue;
    for (const auto& o : n.outputs) {
      if (o.empty()) continue;
      // A graph output keeps its name on the DequantizeLinear that ends its QDQ pair.
      std::string q = dequantized_name(qdq, o);
      std::string f = float_values.count(o) ? o : float_values.count(q) ? q : "";
      if (f.empty()) continue;
      qdq_name_of[f] = q;
      float_name_of[q] = f;
    }
  }

  EDGEQ_ASSIGN_OR_RETURN(auto float_interp, exec::Interpreter::create(float_graph));
  EDGEQ_ASSIGN_OR_RETURN(auto qdq_interp, exec::Interpreter::create(qdq));
  Evaluation ev;
  std::map<std::string, int> counts;
  std::map<std::string, int> output_counts;
  for (const auto& feeds : samples) {
    std::map<std::string, Tensor> kept;
    Outputs fout;
    EDGEQ_RETURN_IF_ERROR(float_interp->run(feeds, &fout, [&](const ir::Node& node, std::span<const Tensor> outs) {
      for (size_t i = 0; i < outs.size() && i < node.outputs.size(); ++i)
        if (qdq_name_of.count(node.outputs[i])) kept[node.outputs[i]] = outs[i].clone();
    }));
    Outputs qout;
    EDGEQ_RETURN_IF_ERROR(qdq_interp->run(feeds, &qout, [&](const ir::Node& node, std::span<const Tensor> outs) {
      for (size_t i = 0; i < outs.size() && i < node.outputs.size(); ++i) {
        auto it = float_name_of.find(node.outputs[i]);
        if (it == float_name_of.end()) continue;
        auto ref = kept.find(it->second);
        if (ref == kept.end() || ref->second.numel() != outs[i].numel()) continue;
        ev.value_cosine[it->second] += distances(ref->second, outs[i]).cosine;
        ++counts[it->second];
      }
    }));
    for (const auto& [name, ref] : fout) {
      auto it = qout.find(name);
      if (it == qout.end()) return internal_error("the quantized graph has no output named '" + name + "'");
      Distances d = distances(ref, it->second);
      Distances& acc = ev.outputs[name];
      acc.cosine += d.cosine;
      acc.l1 += d.l1;
      acc.l2 += d.l2;
      acc.chebyshev = std::max(acc.chebyshev, d.chebyshev);
      ++output_counts[name];
    }
  }
  for (auto& [name, sum] : ev.value_cosine) sum /= counts[name];
  for (auto& [name, d] : ev.outputs) {
    double n = output_counts[name];
    d.cosine /= n;
    d.l1 /= n;
    d.l2 /= n;
  }
  return ev;
}

}  // namespace edgeq::converter
