// QConv, QGemm and MaxPool on oneDNN int8 primitives.
//
// Requantization follows kernels/int8/qops.h exactly: oneDNN computes
// float(acc) + float(bias), multiplies by the output scale M[c] (= conv_multiplier), and
// converts to u8 with round-half-even and saturation. A destination zero point zy != 0 is
// applied as two post-ops, eltwise_round then eltwise_linear(+zy), so it is added to an
// integer-valued float (exact) instead of to the unrounded value as oneDNN's dst
// zero-point attribute does. A source zero point zx != 0 is folded into the bias
// (bias - zx * sum(w)) when the conv has no padding and every partial sum stays exactly
// representable in float; otherwise the primitive gets oneDNN's src zero-point attribute.
//
// A QConv with a folded residual add (input 3, compiler/fuse.cc) must give
// y = qops::add(c, r) (or add(r, c)) of the conv result c = requantize(acc, M, zc), whose
// float operations are fma(a, ra, fma(b, rb, F)). oneDNN runs it as the post-ops
//   round, clip(-zc, 255 - zc)          v = c - zc (exact)
//   linear(alpha, beta)                 v = fma(v, alpha, beta)
//   sum(scale s)                        v = fma(r, s, v), r read from the destination
// then round half to even and saturate on the u8 store, over a destination that holds r
// before the primitive runs (r's bytes when the compiler let the output alias it, else a
// copy of r). The rounding order differs from add's, so the constants are not simply
// ratio and offset: at load, y depends only on the pair (c, r), and every one of the
// 65536 pairs is checked against qops::add for the natural constants and, if some pair
// differs (a value within an ulp of a rounding tie), for constants moved by a few ulps.
// The first set that agrees on all pairs is used: the op is then bit-exact. If none
// does, the primitive writes c to a per-instance buffer and a 64 KiB table [c][r] → y
// (built with qops::add) finishes the op, also exact. With reference_kernels the op runs
// as the reference int8 conv then the reference add (kernels/int8/ref.h).
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <optional>
#include <unordered_map>
#include <cstring>

#include "runtime/op_kernel.h"

namespace edgeq::runtime::detail {

// ref_residual_conv.cc: the reference-kernel form of a QConv with a folded residual add.
StatusOr<std::unique_ptr<OpKernel>> make_ref_residual_conv(const BuildContext& ctx, const format::Op& op,
                                                           const kernels::int8::BinaryParams& add, bool residual_first);

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

constexpr double kExactFloat = 16777216.0;  // 2^24

// Executes a primitive with arguments prepared once (the C++ API builds a vector per call).
class Exec {
 public:
  void add(int arg, const dnnl::memory& m) {
    mems_.push_back(m);
    args_.push_back({arg, m.get()});
  }
  Status run(const dnnl::primitive& p, dnnl::stream& s) const {
    const dnnl_status_t st = dnnl_primitive_execute(p.get(), s.get(), static_cast<int>(args_.size()), args_.data());
    if (st != dnnl_success) return internal_error("oneDNN failed to execute a primitive (status " + std::to_string(st) + ")");
    return {};
  }

 private:
  std::vector<dnnl::memory> mems_;
  std::vector<dnnl_exec_arg_t> args_;
};

tag act_tag(const format::TensorDesc& d) {
  if (d.shape.size() == 4) return d.layout == format::Layout::kNHWC ? tag::nhwc : tag::nchw;
  if (d.shape.size() == 3) return tag::ncw;
  if (d.shape.size() == 2) return tag::nc;
  return tag::undef;
}

dims to_dims(const std::vector<int64_t>& v) { return dims(v.begin(), v.end()); }

// Output scales and, for zy != 0, the exact zero-point post-ops.
dnnl::primitive_attr requant_attr(const std::vector<float>& m, int32_t zy, bool src_zp) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_output_scales(m.size() > 1 ? (1 << 1) : 0, m);
  if (zy != 0) {
    dnnl::post_ops po;
    po.append_eltwise(1.0f, dnnl::algorithm::eltwise_round, 0.0f, 0.0f);
    po.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 1.0f, static_cast<float>(zy));
    attr.set_post_ops(po);
  }
  if (src_zp) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  return attr;
}

// The residual-add post-op chain (see the top of the file).
struct ResidualChain {
  float alpha = 0, beta = 0, scale = 0;
};

dnnl::primitive_attr residual_attr(const std::vector<float>& m, int32_t zc, const ResidualChain& ch, bool src_zp) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_output_scales(m.size() > 1 ? (1 << 1) : 0, m);
  dnnl::post_ops po;
  po.append_eltwise(1.0f, dnnl::algorithm::eltwise_round, 0.0f, 0.0f);
  po.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, static_cast<float>(-zc), static_cast<float>(255 - zc));
  po.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, ch.alpha, ch.beta);
  po.append_sum(ch.scale);
  attr.set_post_ops(po);
  if (src_zp) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  return attr;
}

// y for every (c, r): table[c * 256 + r] = qops::add of the conv result and the residual.
std::vector<uint8_t> residual_table(const kernels::int8::BinaryParams& add, bool residual_first) {
  std::vector<uint8_t> t(65536);
  for (int c = 0; c < 256; ++c)
    for (int r = 0; r < 256; ++r)
      t[static_cast<size_t>(c * 256 + r)] = residual_first ? kernels::int8::add(static_cast<uint8_t>(r), static_cast<uint8_t>(c), add)
                                                           : kernels::int8::add(static_cast<uint8_t>(c), static_cast<uint8_t>(r), add);
  return t;
}

// What the post-op chain stores for (c, r): the float operations of oneDNN's JIT kernels.
bool chain_agrees(const ResidualChain& ch, int32_t zc, const std::vector<uint8_t>& table) {
  for (int c = 0; c < 256; ++c) {
    const float v = std::fma(static_cast<float>(c - zc), ch.alpha, ch.beta);
    for (int r = 0; r < 256; ++r) {
      const float w = std::min(std::max(std::fma(static_cast<float>(r), ch.scale, v), 0.0f), 255.0f);
      if (static_cast<int>(std::nearbyint(w)) != table[static_cast<size_t>(c * 256 + r)]) return false;
    }
  }
  return true;
}

// Constants for which the chain equals the table on all 65536 pairs: the natural ones
// (alpha = the conv result's ratio, beta = that ratio * zc + F, scale = the residual's
// ratio) first, then each moved by up to a few ulps, nearest first.
std::optional<ResidualChain> exact_chain(const kernels::int8::BinaryParams& add, bool residual_first, int32_t zc,
                                         const std::vector<uint8_t>& table) {
  const float rc = residual_first ? add.ratio_b : add.ratio_a;
  const float rr = residual_first ? add.ratio_a : add.ratio_b;
  const float beta0 = static_cast<float>(static_cast<double>(rc) * zc + static_cast<double>(add.fixed));
  auto step = [](float v, int k) {
    for (; k > 0; --k) v = std::nextafter(v, 1e30f);
    for (; k < 0; ++k) v = std::nextafter(v, -1e30f);
    return v;
  };
  constexpr int kBeta = 8, kRatio = 2;
  std::vector<std::array<int, 3>> moves;
  for (int a = -kRatio; a <= kRatio; ++a)
    for (int b = -kBeta; b <= kBeta; ++b)
      for (int s = -kRatio; s <= kRatio; ++s) moves.push_back({a, b, s});
  std::stable_sort(moves.begin(), moves.end(), [](const auto& x, const auto& y) {
    return std::abs(x[0]) + std::abs(x[1]) + std::abs(x[2]) < std::abs(y[0]) + std::abs(y[1]) + std::abs(y[2]);
  });
  for (const auto& mv : moves) {
    const ResidualChain ch{step(rc, mv[0]), step(beta0, mv[1]), step(rr, mv[2])};
    if (chain_agrees(ch, zc, table)) return ch;
  }
  return std::nullopt;
}

struct QuantOperands {
  QParam x, y;
  std::vector<float> w_scale;
  std::vector<int32_t> bias;  // [O], zeros when absent
  bool has_bias = false;
};

StatusOr<QuantOperands> quant_operands(const format::Program& p, const format::Op& op, int64_t out_channels) {
  QuantOperands q;
  EDGEQ_ASSIGN_OR_RETURN(q.x, tensor_qparam(p, op.inputs[0], op.name));
  EDGEQ_ASSIGN_OR_RETURN(q.y, tensor_qparam(p, op.outputs[0], op.name));
  const format::TensorDesc& w = p.tensors[static_cast<size_t>(op.inputs[1])];
  if (!w.quant || w.quant->scale.empty())
    return invalid_argument("op '" + op.name + "' needs quantization parameters on its weights");
  for (int32_t z : w.quant->zero_point)
    if (z != 0) return unsupported("op '" + op.name + "' has weights with a nonzero zero point");
  if (w.quant->scale.size() != 1 && static_cast<int64_t>(w.quant->scale.size()) != out_channels)
    return invalid_argument("op '" + op.name + "' has " + std::to_string(w.quant->scale.size()) +
                            " weight scales for " + std::to_string(out_channels) + " output channels");
  q.w_scale = w.quant->scale;
  q.bias.assign(static_cast<size_t>(out_channels), 0);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
    const format::TensorDesc& b = p.tensors[static_cast<size_t>(op.inputs[2])];
    if (!b.is_constant || b.dtype != DType::kInt32 || b.numel() != out_channels)
      return invalid_argument("op '" + op.name + "' needs a constant s32 bias of " + std::to_string(out_channels) +
                              " values");
    std::memcpy(q.bias.data(), b.data.data(), q.bias.size() * 4);
    q.has_bias = true;
  }
  return q;
}

std::vector<float> multipliers(const QuantOperands& q) {
  std::vector<float> m;
  for (float s : q.w_scale) m.push_back(kernels::int8::conv_multiplier(q.x.scale, s, q.y.scale));
  return m;
}

// Per output channel: sum of weights and sum of |weights|, weights [O, rest].
void weight_sums(const int8_t* w, int64_t o, int64_t rest, std::vector<int64_t>* sum, std::vector<int64_t>* abs_sum) {
  sum->assign(static_cast<size_t>(o), 0);
  abs_sum->assign(static_cast<size_t>(o), 0);
  for (int64_t i = 0; i < o; ++i)
    for (int64_t k = 0; k < rest; ++k) {
      const int v = w[i * rest + k];
      (*sum)[static_cast<size_t>(i)] += v;
      (*abs_sum)[static_cast<size_t>(i)] += v < 0 ? -v : v;
    }
}

// Tries to fold -zx * sum(w) into the bias; false if some partial sum could leave the
// range where float holds integers exactly.
bool fold_src_zero_point(const int8_t* w, int64_t o, int64_t rest, int32_t zx, std::vector<int32_t>* bias) {
  std::vector<int64_t> sum, abs_sum;
  weight_sums(w, o, rest, &sum, &abs_sum);
  std::vector<int32_t> folded(bias->size());
  for (int64_t i = 0; i < o; ++i) {
    const int64_t b = static_cast<int64_t>((*bias)[static_cast<size_t>(i)]) - int64_t{zx} * sum[static_cast<size_t>(i)];
    const double max_acc = 255.0 * static_cast<double>(abs_sum[static_cast<size_t>(i)]);
    if (std::fabs(static_cast<double>(b)) >= kExactFloat || max_acc >= kExactFloat ||
        max_acc + std::fabs(static_cast<double>(b)) >= 2 * kExactFloat)
      return false;
    folded[static_cast<size_t>(i)] = static_cast<int32_t>(b);
  }
  *bias = std::move(folded);
  return true;
}

// State shared by QConv and QGemm: one int8 primitive, its weights and bias.
class QMatKernel : public OpKernel {
 public:
  std::string name_;
  int x_ = -1, y_ = -1, w_ = -1;
  dnnl::primitive prim_;
  dnnl::memory::desc src_md_, dst_md_, bias_md_, wei_md_, plain_wei_md_;
  std::vector<int32_t> bias_;
  bool use_bias_ = false;
  bool src_zp_attr_ = false;
  int32_t zx_ = 0;
  bool prepacked_ = false;
  std::vector<uint8_t> packed_;      // weights in wei_md_ when prepacked
  dnnl::reorder weight_reorder_;     // plain → wei_md_ per frame when not prepacked
  bool reorder_per_frame_ = false;
  size_t scratch_ = 0;
  std::string impl_;
  std::string notes_;
  // Plain (NCHW) activations: reordered to NHWC and back around the primitive per frame.
  bool act_reorder_ = false;
  dnnl::memory::desc user_src_md_, user_dst_md_;
  dnnl::reorder src_reorder_, dst_reorder_;
  // Folded residual add: the residual tensor, placed in the destination before the
  // primitive runs (nothing to do when the output aliases it).
  int r_ = -1;
  dnnl::reorder res_reorder_;  // with act_reorder_: residual (plain) → NHWC destination
  // No exact post-op constants: the primitive writes c to a per-instance buffer and
  // table_[c * 256 + r] gives y.
  bool table_add_ = false;
  std::vector<uint8_t> table_;

  std::string describe() const override { return "onednn " + impl_ + notes_; }
  size_t scratchpad_bytes() const override { return scratch_; }

  // Finishes the build once prim_ and its pd are known.
  void finish(const dnnl::engine& eng, const dnnl::memory::desc& pd_wei, const dnnl::memory::desc& pd_scratch,
              const char* impl, const void* plain_weights, int level) {
    impl_ = impl;
    wei_md_ = pd_wei;
    scratch_ = pd_scratch.get_size();
    if (wei_md_ == plain_wei_md_) {
      prepacked_ = false;
      reorder_per_frame_ = false;
      notes_ = ", weights plain";
      return;
    }
    dnnl::memory plain(plain_wei_md_, eng, const_cast<void*>(plain_weights));
    if (level >= 3) {
      packed_.resize(wei_md_.get_size());
      dnnl::memory packed(wei_md_, eng, packed_.data());
      dnnl::stream s(eng);
      dnnl::reorder(plain, packed).execute(s, plain, packed);
      s.wait();
      prepacked_ = true;
      notes_ = ", weights prepacked";
    } else {
      weight_reorder_ = dnnl::reorder(plain, dnnl::memory(wei_md_, eng, nullptr));
      reorder_per_frame_ = true;
      notes_ = ", weights reordered per frame";
    }
  }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override;
};

class QMatBound : public BoundOp {
 public:
  const QMatKernel* k = nullptr;
  dnnl::stream* stream = nullptr;
  Exec exec, reorder_exec;
  std::vector<uint8_t> weights;  // per-instance reordered weights (not prepacked)
  std::vector<uint8_t> src_tmp, dst_tmp;
  Exec src_exec, dst_exec, res_exec;
  int32_t zx = 0;
  const void* res_from = nullptr;  // residual bytes to copy into the output first
  void* res_to = nullptr;
  size_t res_bytes = 0;
  std::vector<uint8_t> cbuf;       // table_add_: the conv result c
  const uint8_t* res = nullptr;
  uint8_t* out = nullptr;

  Status run() override {
    if (k->act_reorder_) EDGEQ_RETURN_IF_ERROR(src_exec.run(k->src_reorder_, *stream));
    if (k->r_ >= 0 && !k->table_add_ && k->act_reorder_) EDGEQ_RETURN_IF_ERROR(res_exec.run(k->res_reorder_, *stream));
    else if (res_from != nullptr) std::memcpy(res_to, res_from, res_bytes);
    if (k->reorder_per_frame_) EDGEQ_RETURN_IF_ERROR(reorder_exec.run(k->weight_reorder_, *stream));
    EDGEQ_RETURN_IF_ERROR(exec.run(k->prim_, *stream));
    if (k->act_reorder_) EDGEQ_RETURN_IF_ERROR(dst_exec.run(k->dst_reorder_, *stream));
    if (k->table_add_) {
      const uint8_t* t = k->table_.data();
      const uint8_t* c = cbuf.data();
      const int64_t n = static_cast<int64_t>(cbuf.size());
#pragma omp parallel for schedule(static) if (n >= (int64_t{1} << 16))
      for (int64_t i = 0; i < n; ++i) out[i] = t[static_cast<size_t>(c[i]) * 256 + res[i]];
    }
    return {};
  }
};

StatusOr<std::unique_ptr<BoundOp>> QMatKernel::bind(const BindContext& ctx) const {
  auto b = std::make_unique<QMatBound>();
  b->k = this;
  b->stream = &ctx.stream;
  b->zx = zx_;
  const dnnl::engine& eng = ctx.engine;
  // Where the primitive's result goes: the output, or c's buffer for the table add.
  void* y_ptr = ctx.ptr(y_);
  if (r_ >= 0 && table_add_) {
    b->cbuf.resize(static_cast<size_t>(ctx.program.tensors[static_cast<size_t>(y_)].nbytes()));
    b->res = static_cast<const uint8_t*>(ctx.ptr(r_));
    b->out = static_cast<uint8_t*>(ctx.ptr(y_));
    y_ptr = b->cbuf.data();
  }
  if (act_reorder_) {
    b->src_tmp.resize(src_md_.get_size());
    b->dst_tmp.resize(dst_md_.get_size());
    dnnl::memory src(src_md_, eng, b->src_tmp.data()), dst(dst_md_, eng, b->dst_tmp.data());
    b->src_exec.add(DNNL_ARG_FROM, dnnl::memory(user_src_md_, eng, ctx.ptr(x_)));
    b->src_exec.add(DNNL_ARG_TO, src);
    b->dst_exec.add(DNNL_ARG_FROM, dst);
    b->dst_exec.add(DNNL_ARG_TO, dnnl::memory(user_dst_md_, eng, y_ptr));
    b->exec.add(DNNL_ARG_SRC, src);
    b->exec.add(DNNL_ARG_DST, dst);
    if (r_ >= 0 && !table_add_) {
      b->res_exec.add(DNNL_ARG_FROM, dnnl::memory(user_dst_md_, eng, ctx.ptr(r_)));
      b->res_exec.add(DNNL_ARG_TO, dst);
    }
  } else {
    if (r_ >= 0 && !table_add_ && ctx.ptr(r_) != ctx.ptr(y_)) {
      b->res_from = ctx.ptr(r_);
      b->res_to = ctx.ptr(y_);
      b->res_bytes = static_cast<size_t>(ctx.program.tensors[static_cast<size_t>(y_)].nbytes());
    }
    b->exec.add(DNNL_ARG_SRC, dnnl::memory(src_md_, eng, ctx.ptr(x_)));
    b->exec.add(DNNL_ARG_DST, dnnl::memory(dst_md_, eng, y_ptr));
  }
  if (prepacked_) {
    b->exec.add(DNNL_ARG_WEIGHTS, dnnl::memory(wei_md_, eng, const_cast<uint8_t*>(packed_.data())));
  } else if (reorder_per_frame_) {
    b->weights.resize(wei_md_.get_size());
    dnnl::memory plain(plain_wei_md_, eng, ctx.ptr(w_));
    dnnl::memory blocked(wei_md_, eng, b->weights.data());
    b->reorder_exec.add(DNNL_ARG_FROM, plain);
    b->reorder_exec.add(DNNL_ARG_TO, blocked);
    b->exec.add(DNNL_ARG_WEIGHTS, blocked);
  } else {
    b->exec.add(DNNL_ARG_WEIGHTS, dnnl::memory(wei_md_, eng, ctx.ptr(w_)));
  }
  if (use_bias_) b->exec.add(DNNL_ARG_BIAS, dnnl::memory(bias_md_, eng, const_cast<int32_t*>(bias_.data())));
  if (src_zp_attr_)
    b->exec.add(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC,
                dnnl::memory(dnnl::memory::desc({1}, dt::s32, tag::x), eng, &b->zx));
  if (scratch_ > 0)
    b->exec.add(DNNL_ARG_SCRATCHPAD, dnnl::memory(dnnl::memory::desc({static_cast<int64_t>(scratch_)}, dt::u8, tag::x),
                                                  eng, ctx.scratchpad));
  return std::unique_ptr<BoundOp>(std::move(b));
}

Status expect(bool ok, const format::Op& op, const std::string& what) {
  return ok ? Status{} : invalid_argument("op '" + op.name + "' (" + op.type + ") " + what);
}

// The implementation named `impl` among those oneDNN offers for a descriptor (its first
// choice if none has that name).
template <typename Prim, typename MakePd>
typename Prim::primitive_desc impl_named(MakePd make, const std::string& impl) {
  typename Prim::primitive_desc pd = make();
  do {
    if (impl == pd.impl_info_str()) return pd;
  } while (pd.next_impl());
  return make();
}

// Name of the fastest of oneDNN's own-ISA JIT implementations, timed on scratch buffers.
// The candidates are timed in turns (best of 7 rounds each), so a burst of load on the
// machine hits them alike, and one replaces oneDNN's first choice only when it is at least
// 8% faster. A primitive_desc is its own iterator (copies share it).
template <typename Prim, typename MakePd>
std::string fastest_impl(MakePd make, const dnnl::engine& eng, bool bias, bool src_zp) {
  struct Candidate {
    std::string impl;
    Prim prim;
    std::unordered_map<int, dnnl::memory> args;
    double best_ms = 1e30;
  };
  dnnl::stream s(eng);
  std::vector<std::vector<uint8_t>> keep;
  std::vector<Candidate> cands;
  int32_t zp = 0;
  typename Prim::primitive_desc it = make();
  const std::string first = it.impl_info_str();
  do {
    const std::string impl = it.impl_info_str();
    if (impl.rfind("ref", 0) == 0 || impl.find("gemm") != std::string::npos || impl.find("sse41") != std::string::npos ||
        (impl.find("avx2") != std::string::npos && first.find("avx512") != std::string::npos))
      continue;
    auto mem = [&](const dnnl::memory::desc& md) {
      keep.emplace_back(md.get_size() + 64, uint8_t{1});
      return dnnl::memory(md, eng, keep.back().data());
    };
    Candidate c{impl, Prim(it), {}, 1e30};
    c.args = {{DNNL_ARG_SRC, mem(it.src_desc())}, {DNNL_ARG_WEIGHTS, mem(it.weights_desc())},
              {DNNL_ARG_DST, mem(it.dst_desc())}};
    if (bias) c.args[DNNL_ARG_BIAS] = mem(it.bias_desc());
    if (src_zp)
      c.args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = dnnl::memory(dnnl::memory::desc({1}, dt::s32, tag::x), eng, &zp);
    if (it.scratchpad_desc().get_size() > 0) c.args[DNNL_ARG_SCRATCHPAD] = mem(it.scratchpad_desc());
    c.prim.execute(s, c.args);  // warm up: JIT code, page faults
    cands.push_back(std::move(c));
  } while (it.next_impl());
  if (cands.size() < 2) return first;
  for (int round = 0; round < 7; ++round)
    for (Candidate& c : cands) {
      const auto t0 = std::chrono::steady_clock::now();
      c.prim.execute(s, c.args);
      s.wait();
      c.best_ms = std::min(c.best_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  double first_ms = 1e30;
  for (const Candidate& c : cands)
    if (c.impl == first) first_ms = c.best_ms;
  std::string best = first;
  double best_ms = first_ms * 0.92;
  for (const Candidate& c : cands)
    if (c.best_ms < best_ms) best_ms = c.best_ms, best = c.impl;
  return best;
}

}  // namespace

StatusOr<std::unique_ptr<OpKernel>> make_dwconv(const BuildContext& ctx, const format::Op& op);  // dwconv_op.cc
std::unique_ptr<OpKernel> make_maxpool_nhwc(int x, int y, const std::vector<int64_t>& x_shape, int64_t oh, int64_t ow,
                                            const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                                            const std::vector<int64_t>& dilations,
                                            const std::vector<int64_t>& pads);  // maxpool_op.cc
std::unique_ptr<OpKernel> make_gemv(int x, int y, const int8_t* w, int64_t n, int64_t k, const std::vector<int32_t>& bias,
                                    int32_t zx, const std::vector<float>& multipliers, int32_t zy);  // gemv_op.cc
StatusOr<std::unique_ptr<OpKernel>> with_stem_conv(const BuildContext& ctx, const format::Op& op,
                                                   std::unique_ptr<OpKernel> onednn);  // stemconv_op.cc

StatusOr<std::unique_ptr<OpKernel>> make_qconv(const BuildContext& ctx, const format::Op& op) {
  const format::Program& p = ctx.program;
  EDGEQ_RETURN_IF_ERROR(expect(op.inputs.size() >= 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
                               op, "needs inputs x, w[, b] and one output"));
  const format::TensorDesc& x = p.tensors[static_cast<size_t>(op.inputs[0])];
  const format::TensorDesc& w = p.tensors[static_cast<size_t>(op.inputs[1])];
  const format::TensorDesc& y = p.tensors[static_cast<size_t>(op.outputs[0])];
  EDGEQ_RETURN_IF_ERROR(expect(x.shape.size() == 4 && y.shape.size() == 4 && w.shape.size() == 4,
                               op, "supports 2-D convolutions only"));
  EDGEQ_RETURN_IF_ERROR(expect(x.dtype == DType::kUInt8 && y.dtype == DType::kUInt8 && w.dtype == DType::kInt8 &&
                                   w.is_constant,
                               op, "needs u8 activations and constant s8 weights"));
  EDGEQ_RETURN_IF_ERROR(expect(w.layout == format::Layout::kPlain, op, "needs plain [O, I/g, kH, kW] weights"));
  const int64_t group = op.attrs.get_int("group", 1);
  const std::vector<int64_t> strides = op.attrs.get_ints("strides", {1, 1});
  const std::vector<int64_t> dil = op.attrs.get_ints("dilations", {1, 1});
  const std::vector<int64_t> pads = op.attrs.get_ints("pads", {0, 0, 0, 0});
  EDGEQ_RETURN_IF_ERROR(expect(strides.size() == 2 && dil.size() == 2 && pads.size() == 4 && group >= 1,
                               op, "needs 2 strides, 2 dilations, 4 pads and group >= 1"));
  const int64_t O = w.shape[0], C = x.shape[1];
  EDGEQ_RETURN_IF_ERROR(expect(O == y.shape[1] && C % group == 0 && O % group == 0 && w.shape[1] == C / group,
                               op, "has weights that do not match its input/output channels and group"));
  EDGEQ_ASSIGN_OR_RETURN(QuantOperands q, quant_operands(p, op, O));
  const int r = op.inputs.size() > 3 ? op.inputs[3] : -1;
  kernels::int8::BinaryParams add;  // the folded residual add: a = conv result or residual
  bool residual_first = false;
  if (r >= 0) {
    EDGEQ_RETURN_IF_ERROR(expect(op.inputs.size() == 4, op, "has more inputs than x, w, b and residual"));
    const format::TensorDesc& rt = p.tensors[static_cast<size_t>(r)];
    EDGEQ_RETURN_IF_ERROR(expect(rt.dtype == DType::kUInt8 && rt.shape == y.shape && rt.layout == y.layout, op,
                                 "needs a u8 residual of the output's shape and layout"));
    EDGEQ_ASSIGN_OR_RETURN(QParam rq, tensor_qparam(p, r, op.name));
    const QParam cq{op.attrs.get_float("conv_scale", 0.0f), static_cast<int32_t>(op.attrs.get_int("conv_zero_point", -1))};
    EDGEQ_RETURN_IF_ERROR(expect(cq.scale > 0.0f && cq.zero_point >= 0 && cq.zero_point <= 255, op,
                                 "has a residual but no valid conv_scale and conv_zero_point"));
    residual_first = op.attrs.get_int("residual_first", 0) != 0;
    add = residual_first ? kernels::int8::make_binary_params(rq, cq, q.y) : kernels::int8::make_binary_params(cq, rq, q.y);
    q.y = cq;  // the conv's requantization targets the conv result's params
  }
  if (r >= 0 && ctx.reference_kernels) return make_ref_residual_conv(ctx, op, add, residual_first);
  // Depthwise: edgeq's own kernel (dwconv_op.cc) unless a oneDNN implementation is forced
  // (with a folded residual add, oneDNN and its post-ops).
  if (r < 0 && group == C && group == O && ctx.optimize_level >= 2 && !ctx.reference_kernels && ctx.conv_impl.empty()) {
    EDGEQ_ASSIGN_OR_RETURN(std::unique_ptr<OpKernel> dw, make_dwconv(ctx, op));
    if (dw) return dw;
  }

  // A 1x1 conv on one pixel (the fully connected layers of a squeeze-and-excitation block)
  // is one matrix-vector product: edgeq's VNNI kernel, without oneDNN's cost per call.
  const auto* wdata = reinterpret_cast<const int8_t*>(w.data.data());
  if (r < 0 && group == 1 && w.shape[2] == 1 && w.shape[3] == 1 && x.shape[0] == 1 && x.shape[2] * x.shape[3] == 1 &&
      y.shape[2] * y.shape[3] == 1 && ctx.optimize_level >= 2 && !ctx.reference_kernels && ctx.conv_impl.empty())
    if (auto g = make_gemv(op.inputs[0], op.outputs[0], wdata, O, C, q.bias, q.x.zero_point, multipliers(q), q.y.zero_point))
      return g;

  auto k = std::make_unique<QMatKernel>();
  k->name_ = op.name;
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  k->w_ = op.inputs[1];
  k->r_ = r;
  k->bias_ = q.bias;
  k->use_bias_ = q.has_bias;
  const int64_t rest = w.numel() / O;
  const bool no_pad = pads[0] == 0 && pads[1] == 0 && pads[2] == 0 && pads[3] == 0;
  if (q.x.zero_point != 0) {
    if (no_pad && fold_src_zero_point(wdata, O, rest, q.x.zero_point, &k->bias_)) {
      k->use_bias_ = true;
      k->notes_ = ", src zero point folded into bias";
    } else {
      k->src_zp_attr_ = true;
      k->zx_ = q.x.zero_point;
    }
  }
  const std::string fold_note = k->notes_;
  const std::vector<float> m = multipliers(q);

  k->src_md_ = dnnl::memory::desc(to_dims(x.shape), dt::u8, act_tag(x));
  k->dst_md_ = dnnl::memory::desc(to_dims(y.shape), dt::u8, act_tag(y));
  k->bias_md_ = dnnl::memory::desc({O}, dt::s32, tag::x);
  dims wdims = group > 1 ? dims{group, O / group, C / group, w.shape[2], w.shape[3]} : to_dims(w.shape);
  k->plain_wei_md_ = dnnl::memory::desc(wdims, dt::s8, group > 1 ? tag::goihw : tag::oihw);
  // oneDNN's int8 convolutions on plain NCHW are its reference loops; plain activations
  // (O0) are reordered to NHWC and back around the JIT primitive instead, every frame.
  const bool plain = ctx.reference_kernels;
  if (!plain && (x.layout == format::Layout::kPlain || y.layout == format::Layout::kPlain)) {
    k->act_reorder_ = true;
    k->user_src_md_ = k->src_md_;
    k->user_dst_md_ = k->dst_md_;
    k->src_md_ = dnnl::memory::desc(to_dims(x.shape), dt::u8, tag::nhwc);
    k->dst_md_ = dnnl::memory::desc(to_dims(y.shape), dt::u8, tag::nhwc);
    k->src_reorder_ = dnnl::reorder(dnnl::memory(k->user_src_md_, ctx.engine, nullptr),
                                    dnnl::memory(k->src_md_, ctx.engine, nullptr));
    k->dst_reorder_ = dnnl::reorder(dnnl::memory(k->dst_md_, ctx.engine, nullptr),
                                    dnnl::memory(k->user_dst_md_, ctx.engine, nullptr));
    if (r >= 0)
      k->res_reorder_ = dnnl::reorder(dnnl::memory(k->user_dst_md_, ctx.engine, nullptr),
                                      dnnl::memory(k->dst_md_, ctx.engine, nullptr));
  }
  const dnnl::memory::desc wei_any = plain ? k->plain_wei_md_ : dnnl::memory::desc(wdims, dt::s8, tag::any);
  std::optional<ResidualChain> chain;
  if (r >= 0) {
    k->table_ = residual_table(add, residual_first);
    if (!ctx.residual_table) chain = exact_chain(add, residual_first, q.y.zero_point, k->table_);
    k->table_add_ = !chain.has_value();
    if (chain) k->table_.clear();
  }
  const dnnl::primitive_attr attr = chain ? residual_attr(m, q.y.zero_point, *chain, k->src_zp_attr_)
                                          : requant_attr(m, q.y.zero_point, k->src_zp_attr_);
  auto desc = k->use_bias_
                  ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                    dnnl::algorithm::convolution_direct, k->src_md_, wei_any,
                                                    k->bias_md_, k->dst_md_, {strides[0], strides[1]},
                                                    {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2], pads[3]})
                  : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                    dnnl::algorithm::convolution_direct, k->src_md_, wei_any,
                                                    k->dst_md_, {strides[0], strides[1]}, {dil[0] - 1, dil[1] - 1},
                                                    {pads[0], pads[1]}, {pads[2], pads[3]});
  dnnl::convolution_forward::primitive_desc pd;
  try {
    pd = dnnl::convolution_forward::primitive_desc(desc, attr, ctx.engine);
  } catch (const dnnl::error& e) {
    return unsupported("op '" + op.name + "' (QConv): oneDNN has no int8 convolution for it: " + e.what());
  }
  std::string tuned_note;
  if (!ctx.conv_impl.empty() && !plain) {
    auto make = [&] { return dnnl::convolution_forward::primitive_desc(desc, attr, ctx.engine); };
    dnnl::convolution_forward::primitive_desc it = make();
    do {
      if (std::string(it.impl_info_str()).rfind(ctx.conv_impl, 0) == 0) {
        pd = impl_named<dnnl::convolution_forward>(make, it.impl_info_str());
        tuned_note = ", forced";
        break;
      }
    } while (it.next_impl());
  } else if (ctx.optimize_level >= 3 && !plain) {
    // oneDNN lists its implementations best-guess first; time the non-reference ones on
    // this machine and keep the fastest.
    auto make = [&] { return dnnl::convolution_forward::primitive_desc(desc, attr, ctx.engine); };
    const std::string first = pd.impl_info_str();
    const std::string best =
        fastest_impl<dnnl::convolution_forward>(make, ctx.engine, k->use_bias_, k->src_zp_attr_);
    pd = impl_named<dnnl::convolution_forward>(make, best);
    if (best != first) tuned_note = ", chosen by timing over " + first;
  }
  k->prim_ = dnnl::convolution_forward(pd);
  k->finish(ctx.engine, pd.weights_desc(), pd.scratchpad_desc(), pd.impl_info_str(), w.data.data(),
            ctx.optimize_level);
  k->notes_ = fold_note + k->notes_ + (k->src_zp_attr_ ? ", src zero point attribute" : "") + tuned_note +
              (k->act_reorder_ ? ", plain activations reordered per frame" : "") +
              (r < 0                 ? ""
               : k->table_add_       ? ", residual add by table"
               : p.tensors[static_cast<size_t>(r)].arena_offset == y.arena_offset ? ", residual add in place"
                                                                                 : ", residual add on a copy");
  // Few input channels (the stem): the VNNI kernel of stemconv_op.cc when it is faster.
  if (r < 0) return with_stem_conv(ctx, op, std::unique_ptr<OpKernel>(std::move(k)));
  return std::unique_ptr<OpKernel>(std::move(k));
}

StatusOr<std::unique_ptr<OpKernel>> make_qgemm(const BuildContext& ctx, const format::Op& op) {
  const format::Program& p = ctx.program;
  EDGEQ_RETURN_IF_ERROR(expect(op.inputs.size() >= 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
                               op, "needs inputs x, w[, b] and one output"));
  const format::TensorDesc& x = p.tensors[static_cast<size_t>(op.inputs[0])];
  const format::TensorDesc& w = p.tensors[static_cast<size_t>(op.inputs[1])];
  const format::TensorDesc& y = p.tensors[static_cast<size_t>(op.outputs[0])];
  EDGEQ_RETURN_IF_ERROR(expect(x.dtype == DType::kUInt8 && y.dtype == DType::kUInt8 && w.dtype == DType::kInt8 &&
                                   w.is_constant && w.shape.size() == 2,
                               op, "needs u8 activations and constant s8 weights [N, K]"));
  const int64_t N = w.shape[0], K = w.shape[1];
  EDGEQ_RETURN_IF_ERROR(expect(!x.shape.empty() && x.numel() % K == 0 && y.numel() == x.numel() / K * N,
                               op, "has shapes that do not match its weights"));
  // NHWC and plain coincide when only one of C and H*W is > 1.
  EDGEQ_RETURN_IF_ERROR(expect(x.layout == format::Layout::kPlain || x.shape.size() != 4 ||
                                   x.shape[2] * x.shape[3] == 1,
                               op, "needs a plain input"));
  const int64_t M = x.numel() / K;
  EDGEQ_ASSIGN_OR_RETURN(QuantOperands q, quant_operands(p, op, N));
  auto k = std::make_unique<QMatKernel>();
  k->name_ = op.name;
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  k->w_ = op.inputs[1];
  k->bias_ = q.bias;
  k->use_bias_ = q.has_bias;
  if (q.x.zero_point != 0) {
    if (fold_src_zero_point(reinterpret_cast<const int8_t*>(w.data.data()), N, K, q.x.zero_point, &k->bias_)) {
      k->use_bias_ = true;
      k->notes_ = ", src zero point folded into bias";
    } else {
      k->src_zp_attr_ = true;
      k->zx_ = q.x.zero_point;
    }
  }
  const std::string fold_note = k->notes_;
  const std::vector<float> m = multipliers(q);
  // One row whose input zero point does not fold exactly (a classifier with a long K):
  // edgeq's VNNI kernel, exact in int32, rather than oneDNN's zero-point path.
  if (k->src_zp_attr_ && M == 1 && ctx.optimize_level >= 2 && !ctx.reference_kernels)
    if (auto g = make_gemv(op.inputs[0], op.outputs[0], reinterpret_cast<const int8_t*>(w.data.data()), N, K, q.bias,
                           q.x.zero_point, m, q.y.zero_point))
      return g;
  k->src_md_ = dnnl::memory::desc({M, K}, dt::u8, tag::ab);
  k->dst_md_ = dnnl::memory::desc({M, N}, dt::u8, tag::ab);
  k->bias_md_ = dnnl::memory::desc({1, N}, dt::s32, tag::ab);
  k->plain_wei_md_ = dnnl::memory::desc({K, N}, dt::s8, tag::ba);  // w is [N, K] row-major
  const dnnl::memory::desc wei_any =
      ctx.optimize_level >= 3 && !ctx.reference_kernels ? dnnl::memory::desc({K, N}, dt::s8, tag::any) : k->plain_wei_md_;
  const dnnl::primitive_attr attr = requant_attr(m, q.y.zero_point, k->src_zp_attr_);
  auto desc = k->use_bias_ ? dnnl::matmul::desc(k->src_md_, wei_any, k->bias_md_, k->dst_md_)
                           : dnnl::matmul::desc(k->src_md_, wei_any, k->dst_md_);
  dnnl::matmul::primitive_desc pd;
  try {
    pd = dnnl::matmul::primitive_desc(desc, attr, ctx.engine);
  } catch (const dnnl::error& e) {
    return unsupported("op '" + op.name + "' (QGemm): oneDNN has no int8 matmul for it: " + e.what());
  }
  k->prim_ = dnnl::matmul(pd);
  k->finish(ctx.engine, pd.weights_desc(), pd.scratchpad_desc(), pd.impl_info_str(), w.data.data(),
            ctx.optimize_level);
  k->notes_ = fold_note + k->notes_ + (k->src_zp_attr_ ? ", src zero point attribute" : "");
  return std::unique_ptr<OpKernel>(std::move(k));
}

namespace {

class MaxPoolKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  dnnl::memory::desc src_md_, dst_md_;
  dnnl::primitive prim_;
  size_t scratch_ = 0;
  std::string impl_;

  std::string describe() const override { return "onednn " + impl_; }
  size_t scratchpad_bytes() const override { return scratch_; }
  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const MaxPoolKernel* k;
      dnnl::stream* s;
      Exec exec;
      Status run() override { return exec.run(k->prim_, *s); }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    b->s = &ctx.stream;
    b->exec.add(DNNL_ARG_SRC, dnnl::memory(src_md_, ctx.engine, ctx.ptr(x_)));
    b->exec.add(DNNL_ARG_DST, dnnl::memory(dst_md_, ctx.engine, ctx.ptr(y_)));
    if (scratch_ > 0)
      b->exec.add(DNNL_ARG_SCRATCHPAD,
                  dnnl::memory(dnnl::memory::desc({static_cast<int64_t>(scratch_)}, dt::u8, tag::x), ctx.engine,
                               ctx.scratchpad));
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

}  // namespace

StatusOr<std::unique_ptr<OpKernel>> make_maxpool(const BuildContext& ctx, const format::Op& op) {
  const format::Program& p = ctx.program;
  EDGEQ_RETURN_IF_ERROR(expect(!op.inputs.empty() && op.inputs[0] >= 0 && !op.outputs.empty(), op,
                               "needs one input and one output"));
  const format::TensorDesc& x = p.tensors[static_cast<size_t>(op.inputs[0])];
  const format::TensorDesc& y = p.tensors[static_cast<size_t>(op.outputs[0])];
  EDGEQ_RETURN_IF_ERROR(expect(x.shape.size() == 4 && y.shape.size() == 4 && x.layout == y.layout &&
                                   x.dtype == DType::kUInt8 && y.dtype == DType::kUInt8,
                               op, "needs 4-D u8 input and output in one layout"));
  const std::vector<int64_t> ks = op.attrs.get_ints("kernel_shape");
  const std::vector<int64_t> strides = op.attrs.get_ints("strides", {1, 1});
  const std::vector<int64_t> dil = op.attrs.get_ints("dilations", {1, 1});
  const std::vector<int64_t> pads = op.attrs.get_ints("pads", {0, 0, 0, 0});
  EDGEQ_RETURN_IF_ERROR(expect(ks.size() == 2 && strides.size() == 2 && dil.size() == 2 && pads.size() == 4, op,
                               "needs a 2-D window"));
  // The right/bottom padding that yields the output size (ONNX ceil_mode).
  dims pad_r(2);
  for (int i = 0; i < 2; ++i)
    pad_r[static_cast<size_t>(i)] = (y.shape[static_cast<size_t>(2 + i)] - 1) * strides[static_cast<size_t>(i)] +
                                    (ks[static_cast<size_t>(i)] - 1) * dil[static_cast<size_t>(i)] + 1 -
                                    x.shape[static_cast<size_t>(2 + i)] - pads[static_cast<size_t>(i)];
  // NHWC: edgeq's own loop, whatever the channel count (oneDNN's runs blocks of 64).
  if (x.layout == format::Layout::kNHWC && ctx.optimize_level >= 2 && !ctx.reference_kernels && x.shape[0] == y.shape[0] &&
      x.shape[1] == y.shape[1])
    if (auto own = make_maxpool_nhwc(op.inputs[0], op.outputs[0], x.shape, y.shape[2], y.shape[3], ks, strides, dil, pads))
      return own;
  auto k = std::make_unique<MaxPoolKernel>();
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  k->src_md_ = dnnl::memory::desc(to_dims(x.shape), dt::u8, act_tag(x));
  k->dst_md_ = dnnl::memory::desc(to_dims(y.shape), dt::u8, act_tag(y));
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  try {
    dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, k->src_md_,
                                     k->dst_md_, {strides[0], strides[1]}, {ks[0], ks[1]}, {dil[0] - 1, dil[1] - 1},
                                     {pads[0], pads[1]}, pad_r);
    dnnl::pooling_v2_forward::primitive_desc pd(d, attr, ctx.engine);
    k->prim_ = dnnl::pooling_v2_forward(pd);
    k->scratch_ = pd.scratchpad_desc().get_size();
    k->impl_ = pd.impl_info_str();
  } catch (const dnnl::error& e) {
    return unsupported("op '" + op.name + "' (MaxPool): oneDNN has no u8 pooling for it: " + e.what());
  }
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace edgeq::runtime::detail
