// The runtime's own int8 kernels (QAdd, QMul, QLut, pools, QConcat, Reorder, Quantize,
// Dequantize, reshapes) and the dispatch from op type to kernel. Every value follows
// kernels/int8/qops.h; the AVX-512 loops do the same float operations in the same order.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_*.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>

#include "kernels/isa.h"
#include "runtime/byte_lut.h"
#include "runtime/layout_copy.h"
#include "runtime/op_kernel.h"
#include "runtime/requantize_avx512.h"

namespace edgeq::runtime::detail {

StatusOr<std::unique_ptr<OpKernel>> make_qconv(const BuildContext& ctx, const format::Op& op);
StatusOr<std::unique_ptr<OpKernel>> make_qgemm(const BuildContext& ctx, const format::Op& op);
StatusOr<std::unique_ptr<OpKernel>> make_maxpool(const BuildContext& ctx, const format::Op& op);
StatusOr<std::unique_ptr<OpKernel>> make_cpu_op(const BuildContext& ctx, const format::Op& op, const std::string& why);
StatusOr<std::unique_ptr<OpKernel>> make_qresize(const BuildContext& ctx, const format::Op& op);
StatusOr<std::unique_ptr<OpKernel>> make_channel_shuffle(const BuildContext& ctx, const format::Op& op);

namespace i8 = kernels::int8;

StatusOr<QParam> tensor_qparam(const format::Program& p, int t, const std::string& op_name) {
  if (t < 0) return invalid_argument("op '" + op_name + "' lacks a quantized operand");
  const format::TensorDesc& d = p.tensors[static_cast<size_t>(t)];
  if (!d.quant || d.quant->scale.empty() || d.quant->zero_point.empty())
    return invalid_argument("op '" + op_name + "' needs quantization parameters on tensor '" + d.name + "'");
  if (d.quant->scale.size() != 1)
    return unsupported("op '" + op_name + "' needs per-tensor quantization on tensor '" + d.name + "'");
  return QParam{d.quant->scale[0], d.quant->zero_point[0]};
}

std::vector<int64_t> physical_strides(const format::TensorDesc& d) {
  const size_t r = d.shape.size();
  std::vector<int64_t> s(r, 1);
  if (d.layout == format::Layout::kNHWC && r == 4) {
    const int64_t C = d.shape[1], H = d.shape[2], W = d.shape[3];
    s = {H * W * C, 1, W * C, C};
    return s;
  }
  for (size_t i = r; i-- > 1;) s[i - 1] = s[i] * d.shape[i];
  return s;
}

std::vector<int> physical_order(const format::TensorDesc& d) {
  if (d.layout == format::Layout::kNHWC && d.shape.size() == 4) return {0, 2, 3, 1};
  std::vector<int> o(d.shape.size());
  for (size_t i = 0; i < o.size(); ++i) o[i] = static_cast<int>(i);
  return o;
}

Nest make_nest(const std::vector<int64_t>& shape, std::vector<std::vector<int64_t>> strides) {
  Nest n;
  n.strides.resize(strides.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !n.shape.empty();
    for (size_t o = 0; o < strides.size() && merge; ++o)
      merge = n.strides[o].back() == strides[o][d] * shape[d];
    if (merge) {
      n.shape.back() *= shape[d];
      for (size_t o = 0; o < strides.size(); ++o) n.strides[o].back() = strides[o][d];
    } else {
      n.shape.push_back(shape[d]);
      for (size_t o = 0; o < strides.size(); ++o) n.strides[o].push_back(strides[o][d]);
    }
  }
  return n;
}

bool has_avx512_vbmi() {
  static const bool yes = kernels::cpu_has_avx512bw() && __builtin_cpu_supports("avx512vbmi");
  return yes;
}

namespace {

Status expect(bool ok, const format::Op& op, const std::string& what) {
  return ok ? Status{} : invalid_argument("op '" + op.name + "' (" + op.type + ") " + what);
}

const format::TensorDesc& tdesc(const BuildContext& ctx, int t) { return ctx.program.tensors[static_cast<size_t>(t)]; }

bool has_avx512() {
  static const bool yes = kernels::cpu_has_avx512bw() && __builtin_cpu_supports("fma");
  return yes;
}

// Strides of operand `d` over the logical index space `out_shape` (numpy broadcasting,
// right-aligned), listed in the iteration order `order`.
std::vector<int64_t> broadcast_strides(const format::TensorDesc& d, const std::vector<int64_t>& out_shape,
                                       const std::vector<int>& order) {
  const std::vector<int64_t> ps = physical_strides(d);
  const size_t r = out_shape.size(), k = d.shape.size();
  std::vector<int64_t> logical(r, 0);
  for (size_t i = 0; i < k; ++i) {
    const size_t o = r - k + i;
    logical[o] = d.shape[i] == 1 ? 0 : ps[i];
  }
  std::vector<int64_t> s;
  for (int i : order) s.push_back(logical[static_cast<size_t>(i)]);
  return s;
}

std::vector<int64_t> permuted(const std::vector<int64_t>& v, const std::vector<int>& order) {
  std::vector<int64_t> r;
  for (int i : order) r.push_back(v[static_cast<size_t>(i)]);
  return r;
}

// ---- QAdd / QMul ---------------------------------------------------------------------------

template <bool kMul>
void binary_scalar(const uint8_t* a, int64_t sa, const uint8_t* b, int64_t sb, uint8_t* y, int64_t n,
                   const i8::BinaryParams& p) {
  for (int64_t i = 0; i < n; ++i) y[i] = kMul ? i8::mul(a[i * sa], b[i * sb], p) : i8::add(a[i * sa], b[i * sb], p);
}

// The float operations of qops::add / qops::mul, 16 lanes at a time:
//   add: acc = fma(a, ra, fma(b, rb, F)); round half to even; saturate
//   mul: float((a - za) * (b - zb)) * rab + float(zy); round half to even; saturate
// cvtps2dq gives INT_MIN out of range, as qops' round_to_int does.
template <bool kMul>
__attribute__((target("avx512f,avx512bw,avx512vl,fma"))) void binary_avx512(const uint8_t* a, int64_t sa,
                                                                           const uint8_t* b, int64_t sb,
                                                                           uint8_t* y, int64_t n,
                                                                           const i8::BinaryParams& p) {
  const __m512 ra = _mm512_set1_ps(p.ratio_a), rb = _mm512_set1_ps(p.ratio_b), fixed = _mm512_set1_ps(p.fixed);
  const __m512 rab = _mm512_set1_ps(p.ratio_ab), zy_f = _mm512_set1_ps(static_cast<float>(p.y.zero_point));
  const __m512i za = _mm512_set1_epi32(p.a.zero_point), zb = _mm512_set1_epi32(p.b.zero_point);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i a0 = _mm512_set1_epi32(a[0]), b0 = _mm512_set1_epi32(b[0]);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i ai = sa ? _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))) : a0;
    const __m512i bi = sb ? _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))) : b0;
    __m512 v;
    if (kMul) {
      const __m512i prod = _mm512_mullo_epi32(_mm512_sub_epi32(ai, za), _mm512_sub_epi32(bi, zb));
      v = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(prod), rab), zy_f);
    } else {
      v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ai), ra, _mm512_fmadd_ps(_mm512_cvtepi32_ps(bi), rb, fixed));
    }
    const __m512i q = _mm512_max_epi32(_mm512_cvtps_epi32(v), zero);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm512_cvtusepi32_epi8(q));
  }
  if (i < n) binary_scalar<kMul>(a + i * sa, sa, b + i * sb, sb, y + i, n - i, p);
}

class BinaryKernel : public OpKernel {
 public:
  int a_ = -1, b_ = -1, y_ = -1;
  bool mul_ = false;
  i8::BinaryParams params_;
  Nest nest_;  // operands: y, a, b
  bool simd_ = false;
  // One operand varies along the innermost axis only (an SE block's per-channel scale in
  // NHWC): it is tiled `period_` elements long once per frame and the op runs as flat
  // vectors, instead of one short run per pixel. 0: not this case.
  int64_t period_ = 0;
  int tiled_ = 0;  // 1: a is the per-channel operand, 2: b

  // Sets period_ when the nest is [pixels, C] with y and one operand dense and the other
  // repeating along C.
  void find_period() {
    if (!simd_ || nest_.shape.size() != 2) return;
    const int64_t c = nest_.shape[1];
    const std::vector<int64_t> dense = {c, 1}, per_channel = {0, 1};
    if (nest_.strides[0] != dense) return;
    if (nest_.strides[1] == dense && nest_.strides[2] == per_channel) tiled_ = 2;
    else if (nest_.strides[1] == per_channel && nest_.strides[2] == dense) tiled_ = 1;
    else return;
    const int64_t lcm = std::lcm(c, int64_t{64});
    period_ = lcm * std::max<int64_t>(1, 4096 / lcm);
  }

  std::string describe() const override {
    return !simd_ ? "edgeq scalar loop" : period_ ? "edgeq avx512 loop, per-channel operand tiled" : "edgeq avx512 loop";
  }
  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const BinaryKernel* k;
      uint8_t *y;
      const uint8_t *a, *b;
      std::vector<uint8_t> tile;  // the per-channel operand repeated (period_ bytes)
      Status run() override {
        const BinaryKernel& K = *k;
        if (K.period_ > 0) {
          const int64_t c = K.nest_.shape[1], total = K.nest_.shape[0] * c;
          const uint8_t* rep = K.tiled_ == 1 ? a : b;
          for (int64_t i = 0; i < K.period_; i += c) std::memcpy(tile.data() + i, rep, static_cast<size_t>(c));
          for (int64_t off = 0; off < total; off += K.period_) {
            const int64_t n = std::min(K.period_, total - off);
            const uint8_t* pa = K.tiled_ == 1 ? tile.data() : a + off;
            const uint8_t* pb = K.tiled_ == 2 ? tile.data() : b + off;
            if (K.mul_) binary_avx512<true>(pa, 1, pb, 1, y + off, n, K.params_);
            else binary_avx512<false>(pa, 1, pb, 1, y + off, n, K.params_);
          }
          return {};
        }
        const int64_t sa = K.nest_.shape.empty() ? 0 : K.nest_.strides[1].back();
        const int64_t sb = K.nest_.shape.empty() ? 0 : K.nest_.strides[2].back();
        const bool unit_y = K.nest_.shape.empty() || K.nest_.strides[0].back() == 1;
        const bool vec = K.simd_ && unit_y && (sa == 0 || sa == 1) && (sb == 0 || sb == 1);
        for_each_run(K.nest_, [&](const int64_t* off, int64_t n) {
          if (vec) {
            if (K.mul_) binary_avx512<true>(a + off[1], sa, b + off[2], sb, y + off[0], n, K.params_);
            else binary_avx512<false>(a + off[1], sa, b + off[2], sb, y + off[0], n, K.params_);
          } else {
            const int64_t sy = K.nest_.shape.empty() ? 1 : K.nest_.strides[0].back();
            for (int64_t i = 0; i < n; ++i) {
              const uint8_t av = a[off[1] + i * sa], bv = b[off[2] + i * sb];
              y[off[0] + i * sy] = K.mul_ ? i8::mul(av, bv, K.params_) : i8::add(av, bv, K.params_);
            }
          }
        });
        return {};
      }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    b->y = static_cast<uint8_t*>(ctx.ptr(y_));
    b->a = static_cast<const uint8_t*>(ctx.ptr(a_));
    b->b = static_cast<const uint8_t*>(ctx.ptr(b_));
    b->tile.resize(static_cast<size_t>(period_));
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

StatusOr<std::unique_ptr<OpKernel>> make_binary(const BuildContext& ctx, const format::Op& op, bool mul) {
  EDGEQ_RETURN_IF_ERROR(expect(op.inputs.size() == 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
                               op, "needs two inputs and one output"));
  const format::TensorDesc& a = tdesc(ctx, op.inputs[0]);
  const format::TensorDesc& b = tdesc(ctx, op.inputs[1]);
  const format::TensorDesc& y = tdesc(ctx, op.outputs[0]);
  EDGEQ_RETURN_IF_ERROR(expect(a.dtype == DType::kUInt8 && b.dtype == DType::kUInt8 && y.dtype == DType::kUInt8, op,
                               "needs u8 operands"));
  EDGEQ_RETURN_IF_ERROR(expect(a.shape.size() <= y.shape.size() && b.shape.size() <= y.shape.size(), op,
                               "has an input of higher rank than its output"));
  for (const format::TensorDesc* d : {&a, &b})
    for (size_t i = 0; i < d->shape.size(); ++i) {
      const int64_t od = y.shape[y.shape.size() - d->shape.size() + i];
      EDGEQ_RETURN_IF_ERROR(expect(d->shape[i] == od || d->shape[i] == 1, op, "has shapes that do not broadcast"));
    }
  EDGEQ_ASSIGN_OR_RETURN(QParam qa, tensor_qparam(ctx.program, op.inputs[0], op.name));
  EDGEQ_ASSIGN_OR_RETURN(QParam qb, tensor_qparam(ctx.program, op.inputs[1], op.name));
  EDGEQ_ASSIGN_OR_RETURN(QParam qy, tensor_qparam(ctx.program, op.outputs[0], op.name));
  auto k = std::make_unique<BinaryKernel>();
  k->a_ = op.inputs[0];
  k->b_ = op.inputs[1];
  k->y_ = op.outputs[0];
  k->mul_ = mul;
  k->params_ = i8::make_binary_params(qa, qb, qy);
  const std::vector<int> order = physical_order(y);
  k->nest_ = make_nest(permuted(y.shape, order), {broadcast_strides(y, y.shape, order),
                                                  broadcast_strides(a, y.shape, order),
                                                  broadcast_strides(b, y.shape, order)});
  k->simd_ = has_avx512();
  k->find_period();
  return std::unique_ptr<OpKernel>(std::move(k));
}

// The bound form of a kernel with one u8 input x_ and one u8 output y_ in the arena.
template <class Bound, class Kernel>
std::unique_ptr<Bound> bind_u8_unary(const Kernel* kernel, const BindContext& ctx) {
  auto b = std::make_unique<Bound>();
  b->k = kernel;
  b->x = static_cast<const uint8_t*>(ctx.ptr(kernel->x_));
  b->y = static_cast<uint8_t*>(ctx.ptr(kernel->y_));
  return b;
}

// ---- QLut, Quantize, Dequantize (elementwise, same layout) ----------------------------------

// 64 lookups per step (byte_lut.h).
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void lut_vbmi(const uint8_t* x, uint8_t* y, int64_t n,
                                                                     const uint8_t* t) {
  __m512i table[4];
  load_table(t, table);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) _mm512_storeu_si512(y + i, lookup64(_mm512_loadu_si512(x + i), table));
  for (; i < n; ++i) y[i] = t[x[i]];
}

class LutKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  i8::Table table_{};
  int64_t n_ = 0;
  bool vbmi_ = has_avx512_vbmi();
  std::string describe() const override { return vbmi_ ? "edgeq table lookup (avx512 vbmi)" : "edgeq table lookup"; }
  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const LutKernel* k;
      const uint8_t* x;
      uint8_t* y;
      Status run() override {
        const uint8_t* t = k->table_.data();
        const int64_t n = k->n_;
        if (k->vbmi_) {
          constexpr int64_t kChunk = 1 << 16;
          const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 1)
          for (int64_t c = 0; c < chunks; ++c)
            lut_vbmi(x + c * kChunk, y + c * kChunk, std::min(kChunk, n - c * kChunk), t);
          return {};
        }
#pragma omp parallel for schedule(static) if (n >= (1 << 17))
        for (int64_t i = 0; i < n; ++i) y[i] = t[x[i]];
        return {};
      }
    };
    auto b = bind_u8_unary<Bound>(this, ctx);
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

StatusOr<std::unique_ptr<OpKernel>> make_lut(const BuildContext& ctx, const format::Op& op) {
  EDGEQ_RETURN_IF_ERROR(expect(op.inputs.size() == 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
                               op, "needs inputs x, table and one output"));
  const format::TensorDesc& x = tdesc(ctx, op.inputs[0]);
  const format::TensorDesc& t = tdesc(ctx, op.inputs[1]);
  const format::TensorDesc& y = tdesc(ctx, op.outputs[0]);
  EDGEQ_RETURN_IF_ERROR(expect(t.is_constant && t.dtype == DType::kUInt8 && t.numel() == 256, op,
                               "needs a constant u8 table of 256 entries"));
  EDGEQ_RETURN_IF_ERROR(expect(x.dtype == DType::kUInt8 && y.dtype == DType::kUInt8 && x.shape == y.shape &&
                                   x.layout == y.layout,
                               op, "needs u8 input and output of one shape and layout"));
  auto k = std::make_unique<LutKernel>();
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  std::memcpy(k->table_.data(), t.data.data(), 256);
  k->n_ = x.numel();
  return std::unique_ptr<OpKernel>(std::move(k));
}

class QuantizeKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  bool quantize_ = true;
  QParam q_;
  int64_t n_ = 0;
  std::array<float, 256> dequantized_{};  // Dequantize: i8::dequantize of every byte
  std::string describe() const override { return quantize_ ? "edgeq quantize loop" : "edgeq dequantize table"; }
  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const QuantizeKernel* k;
      void* x;
      void* y;
      Status run() override {
        const int64_t n = k->n_;
        const QParam q = k->q_;
        if (k->quantize_) {
          const float* in = static_cast<const float*>(x);
          uint8_t* out = static_cast<uint8_t*>(y);
#pragma omp parallel for schedule(static) if (n >= (1 << 16))
          for (int64_t i = 0; i < n; ++i) out[i] = i8::quantize(in[i], q);
        } else {
          const uint8_t* in = static_cast<const uint8_t*>(x);
          float* out = static_cast<float*>(y);
          const float* table = k->dequantized_.data();
#pragma omp parallel for schedule(static) if (n >= (1 << 16))
          for (int64_t i = 0; i < n; ++i) out[i] = table[in[i]];
        }
        return {};
      }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    b->x = ctx.ptr(x_);
    b->y = ctx.ptr(y_);
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

StatusOr<std::unique_ptr<OpKernel>> make_quantize(const BuildContext& ctx, const format::Op& op, bool quantize) {
  EDGEQ_RETURN_IF_ERROR(expect(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, op,
                               "needs one input and one output"));
  const format::TensorDesc& x = tdesc(ctx, op.inputs[0]);
  const format::TensorDesc& y = tdesc(ctx, op.outputs[0]);
  const DType from = quantize ? DType::kFloat32 : DType::kUInt8, to = quantize ? DType::kUInt8 : DType::kFloat32;
  EDGEQ_RETURN_IF_ERROR(expect(x.dtype == from && y.dtype == to && x.shape == y.shape && x.layout == y.layout, op,
                               quantize ? "needs f32 in, u8 out, one shape and layout"
                                        : "needs u8 in, f32 out, one shape and layout"));
  auto k = std::make_unique<QuantizeKernel>();
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  k->quantize_ = quantize;
  EDGEQ_ASSIGN_OR_RETURN(k->q_, tensor_qparam(ctx.program, quantize ? op.outputs[0] : op.inputs[0], op.name));
  k->n_ = x.numel();
  for (int v = 0; v < 256; ++v) k->dequantized_[static_cast<size_t>(v)] = i8::dequantize(static_cast<uint8_t>(v), k->q_);
  return std::unique_ptr<OpKernel>(std::move(k));
}

// ---- pools -------------------------------------------------------------------------------------

// s[c0 .. c0 + 64·K) (only the first `n` of the last 64 are real channels) = the sum over
// `hw` pixels of u8 NHWC rows of `c` bytes: 16-bit lanes for 256 pixels at a time (255 ·
// 256 fits), then added into 32-bit sums. Exact, as the scalar loop.
template <int K>
__attribute__((target("avx512f,avx512bw"))) void sum_pixels_u8(const uint8_t* x, int64_t hw, int64_t c, int64_t c0,
                                                                 int64_t n, int32_t* s) {
  const __mmask64 last = n >= 64 ? ~__mmask64{0} : (~__mmask64{0} >> (64 - n));
  __m512i s32[4 * K];
  for (auto& v : s32) v = _mm512_setzero_si512();
  for (int64_t p0 = 0; p0 < hw; p0 += 256) {
    const int64_t p1 = std::min(hw, p0 + 256);
    __m512i s16[2 * K];
    for (auto& v : s16) v = _mm512_setzero_si512();
    for (int64_t p = p0; p < p1; ++p) {
      const uint8_t* row = x + p * c + c0;
      for (int k = 0; k < K; ++k) {
        const __m512i v = k + 1 < K ? _mm512_loadu_si512(row + 64 * k) : _mm512_maskz_loadu_epi8(last, row + 64 * k);
        s16[2 * k] = _mm512_add_epi16(s16[2 * k], _mm512_cvtepu8_epi16(_mm512_castsi512_si256(v)));
        s16[2 * k + 1] = _mm512_add_epi16(s16[2 * k + 1], _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(v, 1)));
      }
    }
    for (int k = 0; k < 2 * K; ++k) {
      s32[2 * k] = _mm512_add_epi32(s32[2 * k], _mm512_cvtepu16_epi32(_mm512_castsi512_si256(s16[k])));
      s32[2 * k + 1] = _mm512_add_epi32(s32[2 * k + 1], _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(s16[k], 1)));
    }
  }
  alignas(64) int32_t out[64 * K];
  for (int k = 0; k < 4 * K; ++k) _mm512_store_si512(out + 16 * k, s32[k]);
  std::memcpy(s + c0, out, static_cast<size_t>(64 * (K - 1) + std::min<int64_t>(n, 64)) * sizeof(int32_t));
}

// The per-channel sums of u8 NHWC pixels, channels in groups of up to 256 (eight 16-bit
// accumulators in registers), pixels inner.
__attribute__((target("avx512f,avx512bw"))) void sum_nhwc_u8(const uint8_t* x, int64_t hw, int64_t c, int32_t* s) {
  for (int64_t c0 = 0; c0 < c; c0 += 256) {
    const int64_t left = c - c0, chunks = std::min<int64_t>(4, (left + 63) / 64);
    const int64_t n = left - 64 * (chunks - 1);  // channels in the last chunk
    switch (chunks) {
      case 1: sum_pixels_u8<1>(x, hw, c, c0, n, s); break;
      case 2: sum_pixels_u8<2>(x, hw, c, c0, n, s); break;
      case 3: sum_pixels_u8<3>(x, hw, c, c0, n, s); break;
      default: sum_pixels_u8<4>(x, hw, c, c0, n, s); break;
    }
  }
}

// y[c] = qops' average(s[c], count, qx, qy) for 16 channels at a time: requantize(s - zx ·
// count, sx / (sy · count), zy).
__attribute__((target("avx512f,avx512bw"))) void average_u8(const int32_t* s, int64_t c, int32_t count, QParam qx,
                                                              QParam qy, uint8_t* y) {
  const __m512 m = _mm512_set1_ps(qx.scale / (qy.scale * static_cast<float>(count)));
  const __m512i offset = _mm512_set1_epi32(qx.zero_point * count);
  for (int64_t i = 0; i < c; i += 16) {
    const __mmask16 k = first_lanes(c - i);
    requantize16(_mm512_sub_epi32(_mm512_maskz_loadu_epi32(k, s + i), offset), m, qy.zero_point, k, y + i);
  }
}

class GlobalAvgKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  int64_t N = 0, C = 0, HW = 0;
  bool nhwc_in_ = false, nhwc_out_ = false;
  QParam qx_, qy_;
  std::string describe() const override {
    return std::string(nhwc_in_ ? "edgeq NHWC sum loop" : "edgeq plain sum loop") + (has_avx512() ? " (avx512)" : "");
  }
  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const GlobalAvgKernel* k;
      const uint8_t* x;
      uint8_t* y;
      std::vector<int32_t> sums;
      Status run() override {
        const GlobalAvgKernel& K = *k;
        const int32_t count = static_cast<int32_t>(K.HW);
        for (int64_t n = 0; n < K.N; ++n) {
          const uint8_t* xn = x + n * K.C * K.HW;
          int32_t* s = sums.data();
          if (K.nhwc_in_ && has_avx512()) {
            sum_nhwc_u8(xn, K.HW, K.C, s);
          } else if (K.nhwc_in_) {
            std::fill(s, s + K.C, 0);
            for (int64_t p = 0; p < K.HW; ++p) {
              const uint8_t* row = xn + p * K.C;
              for (int64_t c = 0; c < K.C; ++c) s[c] += row[c];
            }
          } else {
#pragma omp parallel for schedule(static) if (K.C * K.HW >= (1 << 16))
            for (int64_t c = 0; c < K.C; ++c) {
              int32_t acc = 0;
              const uint8_t* row = xn + c * K.HW;
              for (int64_t p = 0; p < K.HW; ++p) acc += row[p];
              s[c] = acc;
            }
          }
          // [N, C, 1, 1] is the same bytes in both layouts.
          if (has_avx512()) {
            average_u8(s, K.C, count, K.qx_, K.qy_, y + n * K.C);
          } else {
            for (int64_t c = 0; c < K.C; ++c) y[n * K.C + c] = i8::average(s[c], count, K.qx_, K.qy_);
          }
        }
        return {};
      }
    };
    auto b = bind_u8_unary<Bound>(this, ctx);
    b->sums.resize(static_cast<size_t>(C));
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

StatusOr<std::unique_ptr<OpKernel>> make_gap(const BuildContext& ctx, const format::Op& op) {
  EDGEQ_RETURN_IF_ERROR(expect(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, op,
                               "needs one input and one output"));
  const format::TensorDesc& x = tdesc(ctx, op.inputs[0]);
  const format::TensorDesc& y = tdesc(ctx, op.outputs[0]);
  EDGEQ_RETURN_IF_ERROR(expect(x.shape.size() == 4 && x.dtype == DType::kUInt8 && y.dtype == DType::kUInt8 &&
                                   y.numel() == x.shape[0] * x.shape[1],
                               op, "needs a u8 [N, C, H, W] input and a [N, C, 1, 1] output"));
  auto k = std::make_unique<GlobalAvgKernel>();
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  k->N = x.shape[0];
  k->C = x.shape[1];
  k->HW = x.shape[2] * x.shape[3];
  k->nhwc_in_ = x.layout == format::Layout::kNHWC;
  EDGEQ_ASSIGN_OR_RETURN(k->qx_, tensor_qparam(ctx.program, op.inputs[0], op.name));
  EDGEQ_ASSIGN_OR_RETURN(k->qy_, tensor_qparam(ctx.program, op.outputs[0], op.name));
  return std::unique_ptr<OpKernel>(std::move(k));
}

// qops::pool_quantize of the float mean of the dequantized window (summed in window
// order); with count_include_pad the divisor is kH * kW (padding adds 0.0).
class AvgPoolKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  std::vector<int64_t> xs_, ys_, xst_, yst_;  // logical shapes, physical strides per logical dim
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0;
  bool include_pad_ = false;
  QParam qy_;
  float deq_[256] = {};
  std::string describe() const override { return "edgeq window loop"; }
  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const AvgPoolKernel* k;
      const uint8_t* x;
      uint8_t* y;
      Status run() override {
        const AvgPoolKernel& K = *k;
        const int64_t N = K.ys_[0], C = K.ys_[1], OH = K.ys_[2], OW = K.ys_[3], H = K.xs_[2], W = K.xs_[3];
#pragma omp parallel for collapse(2) schedule(static) if (N * C * OH * OW >= (1 << 14))
        for (int64_t n = 0; n < N; ++n)
          for (int64_t c = 0; c < C; ++c) {
            const uint8_t* xc = x + n * K.xst_[0] + c * K.xst_[1];
            for (int64_t oh = 0; oh < OH; ++oh) {
              int64_t y0 = oh * K.sh - K.pt;
              const int64_t y1 = std::min(y0 + K.kh, H);
              y0 = std::max<int64_t>(y0, 0);
              for (int64_t ow = 0; ow < OW; ++ow) {
                int64_t x0 = ow * K.sw - K.pl;
                const int64_t x1 = std::min(x0 + K.kw, W);
                x0 = std::max<int64_t>(x0, 0);
                float sum = 0.0f;
                for (int64_t ih = y0; ih < y1; ++ih)
                  for (int64_t iw = x0; iw < x1; ++iw) sum += K.deq_[xc[ih * K.xst_[2] + iw * K.xst_[3]]];
                const int64_t count = K.include_pad_ ? K.kh * K.kw : (y1 - y0) * (x1 - x0);
                const float mean = count > 0 ? sum / static_cast<float>(count) : 0.0f;
                y[n * K.yst_[0] + c * K.yst_[1] + oh * K.yst_[2] + ow * K.yst_[3]] = i8::pool_quantize(mean, K.qy_);
              }
            }
          }
        return {};
      }
    };
    auto b = bind_u8_unary<Bound>(this, ctx);
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

StatusOr<std::unique_ptr<OpKernel>> make_avgpool(const BuildContext& ctx, const format::Op& op) {
  EDGEQ_RETURN_IF_ERROR(expect(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, op,
                               "needs one input and one output"));
  const format::TensorDesc& x = tdesc(ctx, op.inputs[0]);
  const format::TensorDesc& y = tdesc(ctx, op.outputs[0]);
  EDGEQ_RETURN_IF_ERROR(expect(x.shape.size() == 4 && y.shape.size() == 4 && x.dtype == DType::kUInt8 &&
                                   y.dtype == DType::kUInt8,
                               op, "needs 4-D u8 input and output"));
  const std::vector<int64_t> ks = op.attrs.get_ints("kernel_shape");
  const std::vector<int64_t> st = op.attrs.get_ints("strides", {1, 1});
  const std::vector<int64_t> dl = op.attrs.get_ints("dilations", {1, 1});
  const std::vector<int64_t> pads = op.attrs.get_ints("pads", {0, 0, 0, 0});
  EDGEQ_RETURN_IF_ERROR(expect(ks.size() == 2 && st.size() == 2 && dl.size() == 2 && pads.size() == 4, op,
                               "needs a 2-D window"));
  if (dl[0] != 1 || dl[1] != 1) return unsupported("op '" + op.name + "' (QAveragePool) has dilations");
  auto k = std::make_unique<AvgPoolKernel>();
  k->x_ = op.inputs[0];
  k->y_ = op.outputs[0];
  k->xs_ = x.shape;
  k->ys_ = y.shape;
  k->xst_ = physical_strides(x);
  k->yst_ = physical_strides(y);
  k->kh = ks[0], k->kw = ks[1], k->sh = st[0], k->sw = st[1];
  k->pt = pads[0], k->pl = pads[1];
  k->include_pad_ = op.attrs.get_int("count_include_pad", 0) != 0;
  EDGEQ_ASSIGN_OR_RETURN(QParam qx, tensor_qparam(ctx.program, op.inputs[0], op.name));
  EDGEQ_ASSIGN_OR_RETURN(k->qy_, tensor_qparam(ctx.program, op.outputs[0], op.name));
  for (int q = 0; q < 256; ++q) k->deq_[q] = i8::dequantize(static_cast<uint8_t>(q), qx);
  return std::unique_ptr<OpKernel>(std::move(k));
}

// ---- copies: QConcat, Reorder, reshapes ------------------------------------------------------

// One strided copy (optionally through a table) from one tensor view into another.
struct CopyPlan {
  int src = -1, dst = -1;
  int64_t dst_base = 0;  // elements
  Nest nest;             // operands: dst, src
  size_t elem = 1;
  bool use_table = false;
  i8::Table table{};
};

void run_copy(const CopyPlan& c, const uint8_t* src, uint8_t* dst) {
  const bool contiguous = c.nest.shape.empty() || (c.nest.strides[0].back() == 1 && c.nest.strides[1].back() == 1);
  const int64_t sd = c.nest.shape.empty() ? 1 : c.nest.strides[0].back();
  const int64_t ss = c.nest.shape.empty() ? 1 : c.nest.strides[1].back();
  const size_t es = c.elem;
  const bool vbmi = c.use_table && has_avx512_vbmi();
  for_each_run(c.nest, [&](const int64_t* off, int64_t n) {
    uint8_t* d = dst + (c.dst_base + off[0]) * static_cast<int64_t>(es);
    const uint8_t* s = src + off[1] * static_cast<int64_t>(es);
    if (c.use_table) {
      const uint8_t* t = c.table.data();
      if (contiguous && es == 1 && vbmi) {
        lut_vbmi(s, d, n, t);
        return;
      }
      for (int64_t i = 0; i < n; ++i) d[i * sd] = t[s[i * ss]];
    } else if (contiguous) {
      std::memcpy(d, s, static_cast<size_t>(n) * es);
    } else if (es == 1) {
      for (int64_t i = 0; i < n; ++i) d[i * sd] = s[i * ss];
    } else {
      for (int64_t i = 0; i < n; ++i) std::memcpy(d + i * sd * static_cast<int64_t>(es), s + i * ss * static_cast<int64_t>(es), es);
    }
  });
}

// The plan copying all of `src` into `dst` at `offset` along logical `axis` (or whole).
CopyPlan copy_plan(const format::TensorDesc& src, int src_i, const format::TensorDesc& dst, int dst_i, int axis,
                   int64_t offset) {
  CopyPlan c;
  c.src = src_i;
  c.dst = dst_i;
  c.elem = dtype_size(src.dtype);
  const std::vector<int> order = physical_order(dst);
  const std::vector<int64_t> ds = physical_strides(dst), ss = physical_strides(src);
  c.dst_base = axis >= 0 ? offset * ds[static_cast<size_t>(axis)] : 0;
  c.nest = make_nest(permuted(src.shape, order), {permuted(ds, order), permuted(ss, order)});
  return c;
}

class CopyKernel : public OpKernel {
 public:
  std::vector<CopyPlan> plans_;
  std::string what_;
  bool noop_ = false;
  std::string describe() const override { return what_; }
  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const CopyKernel* k;
      std::vector<std::pair<const uint8_t*, uint8_t*>> ptrs;
      Status run() override {
        for (size_t i = 0; i < ptrs.size(); ++i) run_copy(k->plans_[i], ptrs[i].first, ptrs[i].second);
        return {};
      }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    if (!noop_)
      for (const CopyPlan& p : plans_)
        b->ptrs.push_back({static_cast<const uint8_t*>(ctx.ptr(p.src)), static_cast<uint8_t*>(ctx.ptr(p.dst))});
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

StatusOr<std::unique_ptr<OpKernel>> make_concat(const BuildContext& ctx, const format::Op& op) {
  EDGEQ_RETURN_IF_ERROR(expect(!op.inputs.empty() && op.outputs.size() == 1, op, "needs inputs and one output"));
  const format::TensorDesc& y = tdesc(ctx, op.outputs[0]);
  int64_t axis = op.attrs.get_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(y.shape.size());
  EDGEQ_RETURN_IF_ERROR(expect(axis >= 0 && axis < static_cast<int64_t>(y.shape.size()) && y.dtype == DType::kUInt8,
                               op, "needs a u8 output and an axis within its rank"));
  EDGEQ_ASSIGN_OR_RETURN(QParam qy, tensor_qparam(ctx.program, op.outputs[0], op.name));
  auto k = std::make_unique<CopyKernel>();
  int64_t offset = 0;
  bool any_table = false;
  for (int32_t t : op.inputs) {
    EDGEQ_RETURN_IF_ERROR(expect(t >= 0, op, "has an absent input"));
    const format::TensorDesc& x = tdesc(ctx, t);
    EDGEQ_RETURN_IF_ERROR(expect(x.dtype == DType::kUInt8 && x.shape.size() == y.shape.size(), op,
                                 "needs u8 inputs of the output's rank"));
    for (size_t d = 0; d < y.shape.size(); ++d)
      EDGEQ_RETURN_IF_ERROR(expect(static_cast<int64_t>(d) == axis || x.shape[d] == y.shape[d], op,
                                   "has inputs whose shapes do not concatenate"));
    EDGEQ_ASSIGN_OR_RETURN(QParam qx, tensor_qparam(ctx.program, t, op.name));
    CopyPlan c = copy_plan(x, t, y, op.outputs[0], static_cast<int>(axis), offset);
    if (qx.scale != qy.scale || qx.zero_point != qy.zero_point) {
      c.use_table = true;
      c.table = i8::requant_table(qx, qy);
      any_table = true;
    }
    k->plans_.push_back(std::move(c));
    offset += x.shape[static_cast<size_t>(axis)];
  }
  EDGEQ_RETURN_IF_ERROR(expect(offset == y.shape[static_cast<size_t>(axis)], op,
                               "has inputs whose sizes along the axis do not add up to the output's"));
  k->what_ = any_table ? "edgeq strided copy with requantization tables" : "edgeq strided copy";
  return std::unique_ptr<OpKernel>(std::move(k));
}

// A 4-D Reorder between NCHW and NHWC: the tiled transpose of layout_copy.h.
class TransposeKernel : public OpKernel {
 public:
  TransposeKernel(const format::Op& op, const format::TensorDesc& x, format::Layout to)
      : x_(op.inputs[0]), y_(op.outputs[0]), to_nhwc_(to == format::Layout::kNHWC), n_(x.shape[0]),
        c_(x.shape[1]), hw_(x.shape[2] * x.shape[3]), elem_(dtype_size(x.dtype)) {}
  std::string describe() const override { return "edgeq tiled transpose"; }
  void run(const uint8_t* x, uint8_t* y) const {
    if (to_nhwc_) nchw_to_nhwc(x, y, n_, c_, hw_, elem_);
    else nhwc_to_nchw(x, y, n_, c_, hw_, elem_);
  }
  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    return bind_u8_kernel(*this, ctx, x_, y_);
  }

 private:
  int x_, y_;
  bool to_nhwc_;
  int64_t n_, c_, hw_;
  size_t elem_;
};

StatusOr<std::unique_ptr<OpKernel>> make_reorder(const BuildContext& ctx, const format::Op& op) {
  EDGEQ_RETURN_IF_ERROR(expect(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, op,
                               "needs one input and one output"));
  const format::TensorDesc& x = tdesc(ctx, op.inputs[0]);
  const format::TensorDesc& y = tdesc(ctx, op.outputs[0]);
  EDGEQ_RETURN_IF_ERROR(expect(x.shape == y.shape && x.dtype == y.dtype, op,
                               "needs input and output of one shape and dtype"));
  const std::string to = op.attrs.get_string("to_layout", "");
  const format::Layout want = to == "NHWC" ? format::Layout::kNHWC : format::Layout::kPlain;
  EDGEQ_RETURN_IF_ERROR(expect((to == "NHWC" || to == "NCHW") && y.layout == want, op,
                               "needs to_layout NCHW or NHWC matching its output's layout"));
  if (x.shape.size() == 4 && x.layout != y.layout) return std::unique_ptr<OpKernel>(new TransposeKernel(op, x, want));
  auto k = std::make_unique<CopyKernel>();
  k->plans_.push_back(copy_plan(x, op.inputs[0], y, op.outputs[0], -1, 0));
  k->what_ = "edgeq layout copy";
  return std::unique_ptr<OpKernel>(std::move(k));
}

// Reshape, Flatten, Squeeze, Unsqueeze, Identity: the bytes do not change.
StatusOr<std::unique_ptr<OpKernel>> make_reshape(const BuildContext& ctx, const format::Op& op) {
  EDGEQ_RETURN_IF_ERROR(expect(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, op,
                               "needs one data input and one output"));
  const format::TensorDesc& x = tdesc(ctx, op.inputs[0]);
  const format::TensorDesc& y = tdesc(ctx, op.outputs[0]);
  EDGEQ_RETURN_IF_ERROR(expect(x.nbytes() == y.nbytes() && x.dtype == y.dtype, op,
                               "needs input and output of one size and dtype"));
  auto trivially_plain = [](const format::TensorDesc& d) {
    return d.layout == format::Layout::kPlain || d.shape.size() != 4 || d.shape[1] == 1 || d.shape[2] * d.shape[3] == 1;
  };
  EDGEQ_RETURN_IF_ERROR(expect(trivially_plain(x) && trivially_plain(y), op, "needs plain-layout data"));
  auto k = std::make_unique<CopyKernel>();
  if (!x.is_constant && x.arena_offset == y.arena_offset) {
    k->noop_ = true;
    k->what_ = "no-op (aliased)";
  } else {
    CopyPlan c;
    c.src = op.inputs[0];
    c.dst = op.outputs[0];
    c.elem = 1;
    c.nest = make_nest({x.nbytes()}, {{1}, {1}});
    k->plans_.push_back(std::move(c));
    k->what_ = "memcpy";
  }
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace

StatusOr<std::unique_ptr<OpKernel>> make_kernel(const BuildContext& ctx, const format::Op& op, bool cpu) {
  const std::string& t = op.type;
  if (cpu) return make_cpu_op(ctx, op, "CPU segment");
  if (t == "QConv") return make_qconv(ctx, op);
  if (t == "QGemm") return make_qgemm(ctx, op);
  if (t == "MaxPool") return make_maxpool(ctx, op);
  if (t == "QAdd") return make_binary(ctx, op, false);
  if (t == "QMul") return make_binary(ctx, op, true);
  if (t == "QLut") return make_lut(ctx, op);
  if (t == "QGlobalAveragePool") return make_gap(ctx, op);
  if (t == "QAveragePool") return make_avgpool(ctx, op);
  if (t == "QConcat") return make_concat(ctx, op);
  if (t == "QResize") return make_qresize(ctx, op);
  if (t == "Reorder") return make_reorder(ctx, op);
  if (t == "ChannelShuffle") return make_channel_shuffle(ctx, op);
  if (t == "Quantize") return make_quantize(ctx, op, true);
  if (t == "Dequantize") return make_quantize(ctx, op, false);
  if (t == "Reshape" || t == "Flatten" || t == "Squeeze" || t == "Unsqueeze" || t == "Identity")
    return make_reshape(ctx, op);
  if (t == "Transpose" || t == "Slice" || t == "Split" || t == "Pad")
    return make_cpu_op(ctx, op, "data movement");
  return unsupported("op '" + op.name + "' has type '" + t + "', which the accelerator does not run");
}

}  // namespace edgeq::runtime::detail
