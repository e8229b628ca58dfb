// Hand-built Programs for the runtime engine tests and benchmarks.
//
//   ProgramBuilder b;
//   int x = b.act("x", {1, 8, 5, 5}, Layout::kNHWC, {0.02f, 128});
//   int y = b.act("y", {1, 8, 5, 5}, Layout::kNHWC, {0.05f, 3});
//   b.op("QLut", {x, b.table(...)}, {y});
//   format::Program p = b.finish({x}, {y});
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/program.h"
#include "kernels/int8/qops.h"

namespace edgeq::runtime::testing {

using format::Layout;
using kernels::int8::QParam;

class ProgramBuilder {
 public:
  format::Program p;

  // An arena tensor; `offset` < 0 places it after everything so far.
  int act(const std::string& name, std::vector<int64_t> shape, Layout layout, QParam q, DType dtype = DType::kUInt8,
          int64_t offset = -1) {
    format::TensorDesc d;
    d.name = name;
    d.dtype = dtype;
    d.shape = std::move(shape);
    d.layout = d.shape.size() == 4 ? layout : Layout::kPlain;
    if (dtype == DType::kUInt8) d.quant = format::Quant{{q.scale}, {q.zero_point}, -1};
    if (offset < 0) {
      offset = (end_ + 63) / 64 * 64;
    }
    d.arena_offset = offset;
    end_ = std::max(end_, offset + d.nbytes());
    p.tensors.push_back(std::move(d));
    return static_cast<int>(p.tensors.size()) - 1;
  }
  int64_t offset_of(int t) const { return p.tensors[static_cast<size_t>(t)].arena_offset; }

  template <typename T>
  int constant(const std::string& name, std::vector<int64_t> shape, const std::vector<T>& values,
               std::optional<format::Quant> q = std::nullopt) {
    format::TensorDesc d;
    d.name = name;
    d.dtype = DTypeOf<T>::value;
    d.shape = std::move(shape);
    d.is_constant = true;
    d.quant = std::move(q);
    d.data.resize(values.size() * sizeof(T));
    std::memcpy(d.data.data(), values.data(), d.data.size());
    p.tensors.push_back(std::move(d));
    return static_cast<int>(p.tensors.size()) - 1;
  }

  void op(const std::string& type, std::vector<int32_t> in, std::vector<int32_t> out, Attributes attrs = {}) {
    format::Op o;
    o.name = type + "_" + std::to_string(p.ops.size());
    o.type = type;
    o.inputs = std::move(in);
    o.outputs = std::move(out);
    o.attrs = std::move(attrs);
    p.ops.push_back(std::move(o));
    placements_.push_back(next_placement_);
  }
  void on_cpu(bool cpu) { next_placement_ = cpu ? format::Placement::kCpu : format::Placement::kAccelerator; }

  format::Program finish(const std::vector<int>& inputs, const std::vector<int>& outputs, int level = 3) {
    for (int t : inputs) p.inputs.push_back({t, p.tensors[static_cast<size_t>(t)].name, {}});
    for (int t : outputs) p.outputs.push_back({t, p.tensors[static_cast<size_t>(t)].name, {}});
    p.arena_bytes = (end_ + 63) / 64 * 64;
    p.options.optimize_level = level;
    for (size_t i = 0; i < placements_.size(); ++i) {
      if (p.segments.empty() || p.segments.back().placement != placements_[i])
        p.segments.push_back({placements_[i], static_cast<int32_t>(i), 0});
      ++p.segments.back().num_ops;
    }
    return p;
  }

 private:
  int64_t end_ = 0;
  format::Placement next_placement_ = format::Placement::kAccelerator;
  std::vector<format::Placement> placements_;
};

// Logical-order [N,C,H,W] data ↔ a tensor's physical order.
template <typename T>
std::vector<T> to_physical(const std::vector<T>& logical, const std::vector<int64_t>& shape, Layout layout) {
  if (layout != Layout::kNHWC || shape.size() != 4) return logical;
  const int64_t N = shape[0], C = shape[1], HW = shape[2] * shape[3];
  std::vector<T> out(logical.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < HW; ++p) out[static_cast<size_t>((n * HW + p) * C + c)] = logical[static_cast<size_t>((n * C + c) * HW + p)];
  return out;
}
template <typename T>
std::vector<T> to_logical(const std::vector<T>& physical, const std::vector<int64_t>& shape, Layout layout) {
  if (layout != Layout::kNHWC || shape.size() != 4) return physical;
  const int64_t N = shape[0], C = shape[1], HW = shape[2] * shape[3];
  std::vector<T> out(physical.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < HW; ++p) out[static_cast<size_t>((n * C + c) * HW + p)] = physical[static_cast<size_t>((n * HW + p) * C + c)];
  return out;
}

inline std::vector<uint8_t> random_u8(size_t n, uint32_t seed, int lo = 0, int hi = 255) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(d(rng));
  return v;
}
inline std::vector<int8_t> random_s8(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-127, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

// A conv layer's description, its random constants and its reference output.
struct ConvSpec {
  int64_t N = 1, C = 8, H = 9, W = 9, O = 8, kh = 3, kw = 3;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1, pt = 1, pl = 1, pb = 1, pr = 1, group = 1;
  int32_t zx = 0, zy = 0;
  bool per_channel = true, bias = true;
  int64_t OH() const { return (H + pt + pb - ((kh - 1) * dh + 1)) / sh + 1; }
  int64_t OW() const { return (W + pl + pr - ((kw - 1) * dw + 1)) / sw + 1; }
};

struct ConvData {
  std::vector<int8_t> w;
  std::vector<int32_t> b;
  std::vector<float> w_scale;
  QParam x, y;
};

inline ConvData make_conv_data(const ConvSpec& s, uint32_t seed) {
  ConvData d;
  const int64_t K = s.C / s.group * s.kh * s.kw;
  d.w = random_s8(static_cast<size_t>(s.O * K), seed);
  std::mt19937 rng(seed + 1);
  std::uniform_int_distribution<int> bd(-4000, 4000);
  for (int64_t o = 0; o < s.O; ++o) d.b.push_back(bd(rng));
  d.x = {0.02f, s.zx};
  for (int64_t o = 0; o < (s.per_channel ? s.O : 1); ++o) d.w_scale.push_back(0.004f * (1.0f + 0.37f * static_cast<float>(o % 5)));
  // Outputs spread over about ±90 steps around the zero point.
  const float acc_std = std::sqrt(static_cast<float>(K)) * 74.0f * 73.0f;
  d.y = {d.x.scale * d.w_scale[0] * acc_std / 45.0f, s.zy};
  return d;
}

// Reference: acc = bias + Σ (x − zx)·w, y = requantize(acc, M[c], zy). Logical order.
inline std::vector<uint8_t> reference_conv(const ConvSpec& s, const ConvData& d, const std::vector<uint8_t>& x) {
  const int64_t OH = s.OH(), OW = s.OW(), Cg = s.C / s.group, Og = s.O / s.group;
  std::vector<uint8_t> y(static_cast<size_t>(s.N * s.O * OH * OW));
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t o = 0; o < s.O; ++o) {
      const int64_t g = o / Og;
      const float m = kernels::int8::conv_multiplier(d.x.scale, d.w_scale[d.w_scale.size() > 1 ? o : 0], d.y.scale);
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          int32_t acc = s.bias ? d.b[static_cast<size_t>(o)] : 0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t i = 0; i < s.kh; ++i)
              for (int64_t j = 0; j < s.kw; ++j) {
                const int64_t h = oh * s.sh - s.pt + i * s.dh, w = ow * s.sw - s.pl + j * s.dw;
                if (h < 0 || h >= s.H || w < 0 || w >= s.W) continue;
                const int32_t xv = x[static_cast<size_t>(((n * s.C + g * Cg + c) * s.H + h) * s.W + w)];
                acc += (xv - d.x.zero_point) * d.w[static_cast<size_t>(((o * Cg + c) * s.kh + i) * s.kw + j)];
              }
          y[static_cast<size_t>(((n * s.O + o) * OH + oh) * OW + ow)] = kernels::int8::requantize(acc, m, d.y.zero_point);
        }
    }
  return y;
}

// The QConv attributes of `s`: strides, dilations, pads, group, kernel shape.
inline Attributes conv_attrs(const ConvSpec& s) {
  Attributes a;
  a.set("strides", std::vector<int64_t>{s.sh, s.sw});
  a.set("dilations", std::vector<int64_t>{s.dh, s.dw});
  a.set("pads", std::vector<int64_t>{s.pt, s.pl, s.pb, s.pr});
  a.set("group", s.group);
  a.set("kernel_shape", std::vector<int64_t>{s.kh, s.kw});
  return a;
}

// Adds a QConv to `b` from `x` (tensor index); returns the output tensor.
inline int add_conv(ProgramBuilder& b, const ConvSpec& s, const ConvData& d, int x, Layout layout,
                    const std::string& name) {
  format::Quant wq{d.w_scale, std::vector<int32_t>(d.w_scale.size(), 0), d.w_scale.size() > 1 ? 0 : -1};
  const int w = b.constant<int8_t>(name + "_w", {s.O, s.C / s.group, s.kh, s.kw}, d.w, wq);
  const int bias = s.bias ? b.constant<int32_t>(name + "_b", {s.O}, d.b) : -1;
  const int y = b.act(name + "_y", {s.N, s.O, s.OH(), s.OW()}, layout, d.y);
  b.op("QConv", {x, w, bias}, {y}, conv_attrs(s));
  return y;
}

}  // namespace edgeq::runtime::testing

namespace edgeq::runtime::testing {

// Gives every arena tensor an offset by liveness (first fit over the tensors alive at the
// same time), as a compiler's memory plan does; returns the arena size.
inline int64_t plan_arena(format::Program& p, const std::vector<int>& keep_alive = {}) {
  const size_t nt = p.tensors.size();
  std::vector<int> first(nt, -1), last(nt, -1);
  for (size_t i = 0; i < p.ops.size(); ++i) {
    for (int t : p.ops[i].outputs)
      if (first[static_cast<size_t>(t)] < 0) first[static_cast<size_t>(t)] = static_cast<int>(i);
    for (int t : p.ops[i].inputs)
      if (t >= 0) last[static_cast<size_t>(t)] = static_cast<int>(i);
  }
  for (const auto& io : p.inputs) first[static_cast<size_t>(io.tensor)] = -1;
  for (const auto& io : p.outputs) last[static_cast<size_t>(io.tensor)] = static_cast<int>(p.ops.size());
  for (int t : keep_alive) first[static_cast<size_t>(t)] = -1, last[static_cast<size_t>(t)] = static_cast<int>(p.ops.size());
  struct Block { int64_t off, size; int first, last; };
  std::vector<Block> placed;
  int64_t end = 0;
  for (size_t t = 0; t < nt; ++t) {
    format::TensorDesc& d = p.tensors[t];
    if (d.is_constant) continue;
    const int f = first[t], l = std::max(last[t], first[t]);
    const int64_t size = (d.nbytes() + 63) / 64 * 64;
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Block& b : placed)
      if (!(b.last < f || l < b.first)) busy.push_back({b.off, b.off + b.size});
    std::sort(busy.begin(), busy.end());
    int64_t off = 0;
    for (const auto& [s, e] : busy) {
      if (off + size <= s) break;
      off = std::max(off, e);
    }
    d.arena_offset = off;
    placed.push_back({off, size, f, l});
    end = std::max(end, off + size);
  }
  p.arena_bytes = end;
  return end;
}

// A network of QConv / QAdd / MaxPool / QGlobalAveragePool / QGemm built from random
// weights (NHWC, optimize level 3), shaped like ResNet-50 or MobileNetV2.
class NetBuilder {
 public:
  ProgramBuilder b;
  uint32_t seed = 1;

  int input(int64_t C, int64_t H, int64_t W, int32_t zx) {
    return b.act("input", {1, C, H, W}, Layout::kNHWC, {0.02f, zx});
  }
  // conv + requantization; relu = output zero point 0 (saturation is the ReLU).
  int conv(int x, int64_t O, int64_t k, int64_t stride, int64_t group, bool relu) {
    const format::TensorDesc xd = b.p.tensors[static_cast<size_t>(x)];
    ConvSpec s;
    s.C = xd.shape[1], s.H = xd.shape[2], s.W = xd.shape[3], s.O = O, s.kh = s.kw = k;
    s.sh = s.sw = stride, s.group = group;
    s.pt = s.pl = s.pb = s.pr = k / 2;
    s.zx = xd.quant->zero_point[0];
    s.zy = relu ? 0 : 128;
    ConvData d = make_conv_data(s, seed++);
    d.x = {xd.quant->scale[0], s.zx};
    const int64_t K = s.C / s.group * s.kh * s.kw;
    d.y = {d.x.scale * d.w_scale[0] * std::sqrt(static_cast<float>(K)) * 74.0f * 73.0f / 45.0f, s.zy};
    return add_conv(b, s, d, x, Layout::kNHWC, "conv" + std::to_string(b.p.ops.size()));
  }
  int add(int a, int c, bool relu) {
    const format::TensorDesc& ad = b.p.tensors[static_cast<size_t>(a)];
    const int y = b.act("add" + std::to_string(b.p.ops.size()), ad.shape, Layout::kNHWC,
                        {ad.quant->scale[0] * 1.5f, relu ? 0 : 128});
    b.op("QAdd", {a, c}, {y});
    return y;
  }
  int maxpool(int x) {
    const format::TensorDesc xd = b.p.tensors[static_cast<size_t>(x)];
    const int y = b.act("pool" + std::to_string(b.p.ops.size()), {1, xd.shape[1], (xd.shape[2] + 1) / 2, (xd.shape[3] + 1) / 2},
                        Layout::kNHWC, {xd.quant->scale[0], xd.quant->zero_point[0]});
    Attributes a;
    a.set("kernel_shape", std::vector<int64_t>{3, 3});
    a.set("strides", std::vector<int64_t>{2, 2});
    a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    b.op("MaxPool", {x}, {y}, a);
    return y;
  }
  int head(int x, int64_t classes) {
    const format::TensorDesc xd = b.p.tensors[static_cast<size_t>(x)];
    const int64_t C = xd.shape[1];
    const int g = b.act("gap", {1, C, 1, 1}, Layout::kNHWC, {xd.quant->scale[0] * 0.5f, 0});
    b.op("QGlobalAveragePool", {x}, {g});
    const int f = b.act("flat", {1, C}, Layout::kPlain, {xd.quant->scale[0] * 0.5f, 0});
    b.op("Flatten", {g}, {f});
    std::vector<float> ws(static_cast<size_t>(classes), 0.003f);
    const int w = b.constant<int8_t>("fc_w", {classes, C}, random_s8(static_cast<size_t>(classes * C), seed++),
                                     format::Quant{ws, std::vector<int32_t>(ws.size(), 0), 0});
    const int y = b.act("logits", {1, classes}, Layout::kPlain,
                        {xd.quant->scale[0] * 0.5f * 0.003f * std::sqrt(static_cast<float>(C)) * 74 * 73 / 45, 128});
    b.op("QGemm", {f, w, -1}, {y});
    return y;
  }
  format::Program finish(int x, int y) {
    format::Program p = b.finish({x}, {y});
    plan_arena(p);
    return p;
  }
};

inline format::Program resnet50_program() {
  NetBuilder n;
  const int in = n.input(3, 224, 224, 114);
  int x = n.maxpool(n.conv(in, 64, 7, 2, 1, true));
  int64_t cin = 64;
  const int64_t widths[4] = {64, 128, 256, 512};
  const int blocks[4] = {3, 4, 6, 3};
  for (int s = 0; s < 4; ++s)
    for (int i = 0; i < blocks[s]; ++i) {
      const int64_t w = widths[s], stride = (i == 0 && s > 0) ? 2 : 1;
      int y = n.conv(x, w, 1, 1, 1, true);
      y = n.conv(y, w, 3, stride, 1, true);
      y = n.conv(y, 4 * w, 1, 1, 1, false);
      const int sc = (i == 0) ? n.conv(x, 4 * w, 1, stride, 1, false) : x;
      x = n.add(y, sc, true);
      cin = 4 * w;
    }
  (void)cin;
  return n.finish(in, n.head(x, 1000));
}

inline format::Program mobilenet_v2_program() {
  NetBuilder n;
  const int in = n.input(3, 224, 224, 114);
  int x = n.conv(in, 32, 3, 2, 1, true);
  int64_t cin = 32;
  const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                         {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  for (const auto& c : cfg)
    for (int i = 0; i < c[2]; ++i) {
      const int64_t stride = i == 0 ? c[3] : 1, hidden = cin * c[0];
      int y = c[0] == 1 ? x : n.conv(x, hidden, 1, 1, 1, true);
      y = n.conv(y, hidden, 3, stride, hidden, true);
      y = n.conv(y, c[1], 1, 1, 1, false);
      x = (stride == 1 && cin == c[1]) ? n.add(x, y, false) : y;
      cin = c[1];
    }
  x = n.conv(x, 1280, 1, 1, 1, true);
  return n.finish(in, n.head(x, 1000));
}

}  // namespace edgeq::runtime::testing
