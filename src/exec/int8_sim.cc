#include "exec/int8_sim.h"

#include <set>
#include <unordered_map>

#include "kernels/kernel.h"
#include "kernels/ref/nn_geometry.h"

namespace edgeq::exec {

namespace {

using kernels::int8::QParam;

class GraphIndex {
 public:
  explicit GraphIndex(const ir::Graph& g) : g_(g), outputs_(g.outputs.begin(), g.outputs.end()) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& v : g.nodes[i].inputs)
        if (!v.empty()) consumers_[v].push_back(i);
      for (const auto& v : g.nodes[i].outputs)
        if (!v.empty()) producer_[v] = i;
    }
  }
  const ir::Graph& graph() const { return g_; }
  const ir::Node* producer(const std::string& v, size_t* index = nullptr) const {
    auto it = producer_.find(v);
    if (it == producer_.end()) return nullptr;
    if (index) *index = it->second;
    return &g_.nodes[it->second];
  }
  const std::vector<size_t>& consumers(const std::string& v) const {
    static const std::vector<size_t> none;
    auto it = consumers_.find(v);
    return it == consumers_.end() ? none : it->second;
  }
  bool is_output(const std::string& v) const { return outputs_.count(v) != 0; }
  const Tensor* initializer(const std::string& v) const {
    auto it = g_.initializers.find(v);
    return it == g_.initializers.end() ? nullptr : &it->second;
  }

 private:
  const ir::Graph& g_;
  std::set<std::string> outputs_;
  std::unordered_map<std::string, std::vector<size_t>> consumers_;
  std::unordered_map<std::string, size_t> producer_;
};

// Scalar f32 scale and u8 zero point given as initializers (inputs 1 and 2 of a Q / DQ node).
bool u8_params(const GraphIndex& gi, const ir::Node& n, QParam* q) {
  const Tensor* scale = n.has_input(1) ? gi.initializer(n.inputs[1]) : nullptr;
  const Tensor* zp = n.has_input(2) ? gi.initializer(n.inputs[2]) : nullptr;
  if (!scale || scale->dtype() != DType::kFloat32 || scale->numel() != 1) return false;
  if (!zp || zp->dtype() != DType::kUInt8 || zp->numel() != 1) return false;
  q->scale = scale->data<float>()[0];
  q->zero_point = zp->data<uint8_t>()[0];
  return q->scale > 0.0f;
}

// Input `i` of `op` is a DequantizeLinear of a u8 tensor with scalar params.
bool activation_input(const GraphIndex& gi, const ir::Node& op, size_t i, Int8Group* grp) {
  if (!op.has_input(i)) return false;
  size_t index = 0;
  const ir::Node* dq = gi.producer(op.inputs[i], &index);
  QParam q;
  if (!dq || dq->op_type != "DequantizeLinear" || !dq->domain.empty() || !dq->has_input(0) || !u8_params(gi, *dq, &q))
    return false;
  if (const Tensor* c = gi.initializer(dq->inputs[0]); c && c->dtype() != DType::kUInt8) return false;
  grp->inputs.push_back(dq->inputs[0]);
  grp->input_params.push_back(q);
  grp->dq_nodes.push_back(index);
  return true;
}

// Input `i` of `op` is a DequantizeLinear of a constant s8 weight with zero points 0 and
// `channels` scales along `axis` (or one scale).
bool weight_input(const GraphIndex& gi, const ir::Node& op, size_t i, int64_t rank, int64_t channel_axis,
                  Tensor* w, std::vector<float>* scales, std::vector<size_t>* dq_nodes) {
  if (!op.has_input(i)) return false;
  size_t index = 0;
  const ir::Node* dq = gi.producer(op.inputs[i], &index);
  if (!dq || dq->op_type != "DequantizeLinear" || !dq->domain.empty() || !dq->has_input(1)) return false;
  const Tensor* q = gi.initializer(dq->inputs[0]);
  const Tensor* s = gi.initializer(dq->inputs[1]);
  const Tensor* zp = dq->has_input(2) ? gi.initializer(dq->inputs[2]) : nullptr;
  if (!q || q->dtype() != DType::kInt8 || q->rank() != rank) return false;
  if (!s || s->dtype() != DType::kFloat32) return false;
  if (dq->has_input(2) && (!zp || zp->numel() != s->numel())) return false;
  if (zp)
    for (int64_t k = 0; k < zp->numel(); ++k)
      if (zp->at_int(k) != 0) return false;
  const int64_t channels = q->dim(channel_axis);
  if (s->numel() != 1) {
    int64_t axis = dq->attrs.get_int("axis", 1);
    if (axis < 0) axis += rank;
    if (axis != channel_axis || s->numel() != channels) return false;
  }
  *w = *q;
  scales->assign(s->data<float>(), s->data<float>() + s->numel());
  dq_nodes->push_back(index);
  return true;
}

// Optional s32 bias of `channels` values through a DequantizeLinear (its raw int32 values
// are what ORT's QLinearConv / QGemm add; the DQ scale is s_x * s_w by construction).
bool bias_input(const GraphIndex& gi, const ir::Node& op, size_t i, int64_t channels, Tensor* bias,
                std::vector<size_t>* dq_nodes) {
  if (!op.has_input(i)) return true;
  size_t index = 0;
  const ir::Node* dq = gi.producer(op.inputs[i], &index);
  if (!dq || dq->op_type != "DequantizeLinear" || !dq->domain.empty()) return false;
  const Tensor* b = gi.initializer(dq->inputs[0]);
  if (!b || b->dtype() != DType::kInt32 || b->numel() != channels) return false;
  *bias = b->reshaped({channels});
  dq_nodes->push_back(index);
  return true;
}

// The op's only output goes to exactly one QuantizeLinear (u8, scalar params).
bool single_q_consumer(const GraphIndex& gi, const ir::Node& op, Int8Group* grp) {
  if (op.outputs.size() != 1 || op.outputs[0].empty() || gi.is_output(op.outputs[0])) return false;
  const auto& cons = gi.consumers(op.outputs[0]);
  if (cons.size() != 1) return false;
  const ir::Node& q = gi.graph().nodes[cons[0]];
  if (q.op_type != "QuantizeLinear" || !q.domain.empty() || q.inputs[0] != op.outputs[0] || q.outputs.empty() ||
      q.outputs[0].empty())
    return false;
  if (!u8_params(gi, q, &grp->output_param)) return false;
  grp->q_node = cons[0];
  grp->output = q.outputs[0];
  return true;
}

bool match(const GraphIndex& gi, size_t index, Int8Group* grp) {
  const ir::Node& n = gi.graph().nodes[index];
  if (!n.domain.empty()) return false;
  grp->op_node = index;
  const std::string& op = n.op_type;
  if (op == "Conv") {
    if (!activation_input(gi, n, 0, grp)) return false;
    if (!weight_input(gi, n, 1, 4, 0, &grp->weight, &grp->weight_scales, &grp->dq_nodes)) return false;
    if (!bias_input(gi, n, 2, grp->weight.dim(0), &grp->bias, &grp->dq_nodes)) return false;
    grp->kind = Int8Group::Kind::kConv;
    grp->group = n.attrs.get_int("group", 1);
  } else if (op == "Gemm" || op == "MatMul") {
    bool trans_b = false;
    if (op == "Gemm") {
      if (n.attrs.get_int("transA", 0) != 0 || n.attrs.get_float("alpha", 1.0f) != 1.0f) return false;
      if (n.has_input(2) && n.attrs.get_float("beta", 1.0f) != 1.0f) return false;
      trans_b = n.attrs.get_int("transB", 0) != 0;
    }
    if (!activation_input(gi, n, 0, grp)) return false;
    Tensor w;
    if (!weight_input(gi, n, 1, 2, trans_b ? 0 : 1, &w, &grp->weight_scales, &grp->dq_nodes)) return false;
    if (trans_b) {
      grp->weight = w;
    } else {  // [K, N] → [N, K]
      const int64_t k = w.dim(0), m = w.dim(1);
      grp->weight = Tensor(DType::kInt8, {m, k});
      for (int64_t r = 0; r < k; ++r)
        for (int64_t c = 0; c < m; ++c) grp->weight.data<int8_t>()[c * k + r] = w.data<int8_t>()[r * m + c];
    }
    if (op == "MatMul" && n.has_input(2)) return false;
    if (!bias_input(gi, n, 2, grp->weight.dim(0), &grp->bias, &grp->dq_nodes)) return false;
    grp->kind = Int8Group::Kind::kGemm;
  } else if (op == "Add" || op == "Mul") {
    if (n.inputs.size() != 2 || !activation_input(gi, n, 0, grp) || !activation_input(gi, n, 1, grp)) return false;
    grp->kind = op == "Add" ? Int8Group::Kind::kAdd : Int8Group::Kind::kMul;
  } else if (op == "GlobalAveragePool" || op == "AveragePool" || op == "Sigmoid" || op == "LeakyRelu") {
    if (!activation_input(gi, n, 0, grp)) return false;
    if (op == "GlobalAveragePool") grp->kind = Int8Group::Kind::kGlobalAveragePool;
    if (op == "AveragePool") grp->kind = Int8Group::Kind::kAveragePool;
    if (op == "Sigmoid" || op == "LeakyRelu") grp->kind = Int8Group::Kind::kLut;
  } else if (op == "Concat") {
    if (n.inputs.empty()) return false;
    for (size_t i = 0; i < n.inputs.size(); ++i)
      if (!activation_input(gi, n, i, grp)) return false;
    grp->kind = Int8Group::Kind::kConcat;
    grp->axis = n.attrs.get_int("axis", 0);
  } else {
    return false;
  }
  if (!single_q_consumer(gi, n, grp)) return false;
  if (op == "Sigmoid") grp->table = kernels::int8::sigmoid_table(grp->input_params[0], grp->output_param);
  if (op == "LeakyRelu")
    grp->table = kernels::int8::leaky_relu_table(n.attrs.get_float("alpha", 0.01f), grp->input_params[0],
                                                 grp->output_param);
  return true;
}

// Window geometry from the node's attributes (auto_pad, pads, strides, dilations).
StatusOr<kernels::int8::Window2d> window_of(const ir::Node& node, int64_t opset, const Tensor& x, const Dims& kernel,
                                            bool pool) {
  std::vector<Tensor> outs;
  std::unique_ptr<kernels::KernelState> state;
  const Tensor* ins[] = {&x};
  kernels::KernelContext ctx{node.op_type, node.name, node.attrs, opset, ins, outs, {}, state};
  kernels::ref::WindowGeometry g;
  const bool ceil_mode = pool && node.attrs.get_int("ceil_mode", 0) != 0;
  EDGEQ_RETURN_IF_ERROR(kernels::ref::read_window(ctx, x.shape(), kernel, ceil_mode, &g));
  if (g.spatial() != 2) return unsupported("node '" + node.name + "': the int8 simulation supports 2-D windows only");
  kernels::int8::Window2d w;
  w.kernel = g.kernel;
  w.strides = g.stride;
  w.dilations = g.dilation;
  w.pads_begin = g.pad_begin;
  w.pads_end = g.pad_end;
  w.ceil_mode = ceil_mode;
  w.count_include_pad = node.attrs.get_int("count_include_pad", 0) != 0;
  return w;
}

}  // namespace

std::vector<Int8Group> find_int8_groups(const ir::Graph& graph) {
  GraphIndex gi(graph);
  std::vector<Int8Group> groups;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Int8Group g;
    if (match(gi, i, &g)) groups.push_back(std::move(g));
  }
  return groups;
}

StatusOr<Tensor> run_int8_group(const Int8Group& g, const ir::Node& node, int64_t opset,
                                const std::vector<const Tensor*>& in) {
  namespace q8 = kernels::int8;
  if (in.size() != g.inputs.size()) return internal_error("int8 group '" + node.name + "' got the wrong input count");
  for (const Tensor* t : in)
    if (!t || t->dtype() != DType::kUInt8)
      return invalid_argument("node '" + node.name + "': the int8 simulation needs u8 inputs");
  const Tensor* bias = g.bias.defined() ? &g.bias : nullptr;
  switch (g.kind) {
    case Int8Group::Kind::kConv: {
      if (in[0]->rank() != 4) return unsupported("node '" + node.name + "': the int8 simulation supports 2-D convs only");
      EDGEQ_ASSIGN_OR_RETURN(q8::Window2d w, window_of(node, opset, *in[0], {g.weight.dim(2), g.weight.dim(3)}, false));
      return q8::qconv(*in[0], g.input_params[0], g.weight, g.weight_scales, bias, g.output_param, w, g.group);
    }
    case Int8Group::Kind::kGemm: {
      const Tensor& a = *in[0];
      if (a.rank() < 2 || (node.op_type == "Gemm" && a.rank() != 2))
        return invalid_argument("node '" + node.name + "': the int8 simulation needs a matrix input");
      const int64_t k = a.dim(a.rank() - 1);
      EDGEQ_ASSIGN_OR_RETURN(Tensor y, q8::qgemm(a.reshaped({a.numel() / k, k}), g.input_params[0], g.weight,
                                                 g.weight_scales, bias, g.output_param));
      Dims shape = a.shape();
      shape.back() = g.weight.dim(0);
      return y.reshaped(shape);
    }
    case Int8Group::Kind::kAdd:
      return q8::qadd(*in[0], g.input_params[0], *in[1], g.input_params[1], g.output_param);
    case Int8Group::Kind::kMul:
      return q8::qmul(*in[0], g.input_params[0], *in[1], g.input_params[1], g.output_param);
    case Int8Group::Kind::kGlobalAveragePool:
      return q8::qglobal_average_pool(*in[0], g.input_params[0], g.output_param);
    case Int8Group::Kind::kAveragePool: {
      if (in[0]->rank() != 4) return unsupported("node '" + node.name + "': the int8 simulation supports 2-D pools only");
      EDGEQ_ASSIGN_OR_RETURN(q8::Window2d w, window_of(node, opset, *in[0], {}, true));
      return q8::qaverage_pool(*in[0], g.input_params[0], g.output_param, w);
    }
    case Int8Group::Kind::kConcat:
      return q8::qconcat(in, g.input_params, g.output_param, g.axis);
    case Int8Group::Kind::kLut:
      return q8::qlut(*in[0], g.table);
  }
  return internal_error("unknown int8 group kind");
}

}  // namespace edgeq::exec
