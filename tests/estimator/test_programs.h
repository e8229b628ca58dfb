// Hand-built format::Programs for the estimator tests, and a flat target profile whose
// numbers make expected times easy to compute by hand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "estimator/target_profile.h"
#include "format/program.h"

namespace testing_estimator {

using edgeq::DType;
using edgeq::format::Placement;

class ProgramBuilder {
 public:
  ProgramBuilder() { p_.model_name = "test_model"; }

  // An activation tensor in the arena (each gets its own range unless `alias` ≥ 0).
  int32_t act(const std::vector<int64_t>& shape, DType dtype = DType::kUInt8, int32_t alias = -1) {
    edgeq::format::TensorDesc t;
    t.name = "t" + std::to_string(p_.tensors.size());
    t.dtype = dtype;
    t.shape = shape;
    if (alias >= 0) {
      t.arena_offset = p_.tensors[alias].arena_offset;
    } else {
      t.arena_offset = p_.arena_bytes;
      p_.arena_bytes += t.nbytes();
    }
    p_.tensors.push_back(t);
    return static_cast<int32_t>(p_.tensors.size() - 1);
  }
  // A constant holding zeros.
  int32_t constant(const std::vector<int64_t>& shape, DType dtype) {
    edgeq::format::TensorDesc t;
    t.name = "c" + std::to_string(p_.tensors.size());
    t.dtype = dtype;
    t.shape = shape;
    t.is_constant = true;
    t.data.assign(static_cast<size_t>(t.nbytes()), 0);
    p_.tensors.push_back(t);
    return static_cast<int32_t>(p_.tensors.size() - 1);
  }
  // Appends an op to the current segment (a new one when the placement changes).
  edgeq::format::Op& op(const std::string& type, std::vector<int32_t> in, std::vector<int32_t> out,
                        Placement placement = Placement::kAccelerator) {
    edgeq::format::Op o;
    o.name = type + "_" + std::to_string(p_.ops.size());
    o.type = type;
    o.inputs = std::move(in);
    o.outputs = std::move(out);
    p_.ops.push_back(o);
    if (p_.segments.empty() || p_.segments.back().placement != placement)
      p_.segments.push_back({placement, static_cast<int32_t>(p_.ops.size() - 1), 0});
    p_.segments.back().num_ops++;
    return p_.ops.back();
  }
  // QConv x[N,C,H,W] → [N,O,OH,OW] with a kxk s8 weight, s32 bias, stride 1, same padding.
  int32_t qconv(int32_t x, int64_t out_channels, int64_t k, int64_t group = 1) {
    const std::vector<int64_t> xs = p_.tensors[x].shape;  // a copy: tensors grows below
    int32_t w = constant({out_channels, xs[1] / group, k, k}, DType::kInt8);
    int32_t b = constant({out_channels}, DType::kInt32);
    int32_t y = act({xs[0], out_channels, xs[2], xs[3]});
    auto& o = op("QConv", {x, w, b}, {y});
    o.attrs.set("group", group);
    o.attrs.set("strides", std::vector<int64_t>{1, 1});
    o.attrs.set("pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2});
    return y;
  }
  void input(int32_t t, std::vector<std::string> removed = {}) {
    p_.inputs.push_back({t, "in" + std::to_string(p_.inputs.size()), std::move(removed)});
  }
  void output(int32_t t, std::vector<std::string> removed = {}) {
    p_.outputs.push_back({t, "out" + std::to_string(p_.outputs.size()), std::move(removed)});
  }
  edgeq::format::Program& program() { return p_; }

 private:
  edgeq::format::Program p_;
};

// 1e9 int8 MAC/s, 1e9 fp32 FLOP/s, 1e9 B/s DDR, 1e10 B/s cache (L2 1 MB), efficiency 1
// everywhere, no overheads, 1 core.
inline edgeq::estimator::TargetProfile flat_profile() {
  edgeq::estimator::TargetProfile p;
  p.name = "flat";
  p.source = "test";
  p.core_count = 1;
  p.core = {1e9, 1e9, 1e9, 1e10, 1 << 20};
  p.shared_memory_bandwidth_bytes_per_s = 1e9;
  p.multi_core_efficiency = 1.0;
  for (auto& c : p.efficiency) c.points = {{1.0, 1.0}};
  return p;
}

// A small hybrid model: input (head ops cut away) → QConv → QConv → Dequantize → CPU
// Softmax → output (tail op cut away). Accelerator and CPU segments both present.
inline edgeq::format::Program hybrid_program() {
  ProgramBuilder b;
  int32_t x = b.act({1, 8, 16, 16});
  b.input(x, {"QuantizeLinear", "Transpose"});
  int32_t y = b.qconv(x, 16, 3);
  y = b.qconv(y, 16, 1);
  int32_t f = b.act({1, 16, 16, 16}, DType::kFloat32);
  b.op("Dequantize", {y}, {f});
  int32_t s = b.act({1, 16, 16, 16}, DType::kFloat32);
  b.op("Softmax", {f}, {s}, Placement::kCpu).attrs.set("axis", int64_t{1});
  b.output(s, {"Transpose"});
  return b.program();
}

}  // namespace testing_estimator
