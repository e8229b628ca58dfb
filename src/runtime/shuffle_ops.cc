// ChannelShuffle: concatenation along C, channel shuffle and split along C in one pass
// (format/program.h). Output k, channel c is shuffled channel j = channel_starts[k] + c,
// which is channel (j % g) * (C / g) + j / g of the inputs concatenated along C; an input
// whose params differ from the outputs' goes through qops' requantization table.
//
// Fast paths (NHWC): group 2, each output pixel is the byte interleave of two contiguous
// channel runs (one per half of the concatenation), 32 pairs per AVX-512 step, through
// the requantization tables with VBMI byte permutes; group 1 (a Slice / Split on C), one
// contiguous run per pixel.
// Otherwise (and with ExecutableOptions::reference_kernels) a per-channel gather.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_*.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/isa.h"
#include "runtime/byte_lut.h"
#include "runtime/op_kernel.h"

namespace edgeq::runtime::detail {

namespace {

namespace i8 = kernels::int8;


// y[2k] = a[k], y[2k + 1] = b[k] for k < n.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void interleave_avx512(const uint8_t* a, const uint8_t* b, uint8_t* y,
                                                                             int64_t n) {
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    const __m512i va = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + k)));
    const __m512i vb = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + k)));
    _mm512_storeu_si512(y + 2 * k, _mm512_or_si512(va, _mm512_slli_epi16(vb, 8)));
  }
  if (k < n) {
    const __mmask32 m = static_cast<__mmask32>((uint64_t{1} << (n - k)) - 1);
    const __m512i va = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, a + k));
    const __m512i vb = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, b + k));
    const __mmask64 m2 = (__mmask64{1} << ((n - k) * 2)) - 1;  // n - k < 32
    _mm512_mask_storeu_epi8(y + 2 * k, m2, _mm512_or_si512(va, _mm512_slli_epi16(vb, 8)));
  }
}

// y[2k] = ta[a[k]], y[2k + 1] = tb[b[k]] for k < n.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi"))) void interleave_lut_avx512(
    const uint8_t* a, const uint8_t* b, uint8_t* y, int64_t n, const uint8_t* ta, const uint8_t* tb) {
  __m512i TA[4], TB[4];
  load_table(ta, TA);
  load_table(tb, TB);
  const __mmask64 odd = 0xAAAAAAAAAAAAAAAAull;
  for (int64_t k = 0; k < n; k += 32) {
    const int64_t r = std::min<int64_t>(32, n - k);
    const __mmask32 m = r == 32 ? ~__mmask32{0} : static_cast<__mmask32>((uint64_t{1} << r) - 1);
    const __m512i va = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, a + k));
    const __m512i vb = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, b + k));
    const __m512i v = _mm512_or_si512(va, _mm512_slli_epi16(vb, 8));
    const __m512i out = _mm512_mask_blend_epi8(odd, lookup64(v, TA), lookup64(v, TB));
    const __mmask64 m2 = r == 32 ? ~__mmask64{0} : (__mmask64{1} << (r * 2)) - 1;
    _mm512_mask_storeu_epi8(y + 2 * k, m2, out);
  }
}

// Where one tensor's element (n, c, pixel) lives: n * ns + c * cs + pixel * ps.
struct Strides {
  int64_t ns = 0, cs = 0, ps = 0;
};
Strides strides_of(const format::TensorDesc& d) {
  const int64_t C = d.shape[1], HW = d.shape[2] * d.shape[3];
  if (d.layout == format::Layout::kNHWC) return {C * HW, 1, C};
  return {C * HW, HW, 1};
}

class ChannelShuffleKernel : public OpKernel {
 public:
  struct Source {
    int input = 0;    // index into inputs_
    int64_t channel = 0;
  };
  struct Output {
    int tensor = -1;
    Strides st;
    int64_t channels = 0;
    std::vector<Source> src;  // per output channel
    // Fast path: inputs and channel offsets of the two interleaved runs.
    bool copy = false;        // group 1: one contiguous run of a_input per pixel
    bool interleave = false;
    int a_input = 0, b_input = 0;
    int64_t a_channel = 0, b_channel = 0;
  };
  std::vector<int> inputs_;
  std::vector<Strides> in_st_;
  std::vector<bool> use_table_;
  std::vector<i8::Table> tables_;
  std::vector<Output> outputs_;
  i8::Table identity_{};
  int64_t N = 1, HW = 1;
  bool fast_ = false;
  bool any_table_ = false;

  std::string describe() const override {
    if (!fast_) return "edgeq channel gather";
    if (outputs_.front().copy) return "edgeq channel copy per pixel";
    return any_table_ ? "edgeq channel interleave with requantization tables (avx512 vbmi)"
                      : "edgeq channel interleave (avx512bw)";
  }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const ChannelShuffleKernel* k;
      std::vector<const uint8_t*> x;
      std::vector<uint8_t*> y;
      Status run() override {
        const ChannelShuffleKernel& K = *k;
        const int64_t pixels = K.N * K.HW;
        for (size_t o = 0; o < K.outputs_.size(); ++o) {
          const Output& out = K.outputs_[o];
          uint8_t* yo = y[o];
          if (K.fast_ && out.copy) {
            const size_t ia = static_cast<size_t>(out.a_input);
            const uint8_t* a = x[ia] + out.a_channel;
            const int64_t sa = K.in_st_[ia].ps;
            const uint8_t* t = K.use_table_[ia] ? K.tables_[ia].data() : nullptr;
#pragma omp parallel for schedule(static) if (pixels * out.channels >= (int64_t{1} << 16))
            for (int64_t p = 0; p < pixels; ++p) {
              const uint8_t* src = a + p * sa;
              uint8_t* dst = yo + p * out.channels;
              if (t) {
                for (int64_t c = 0; c < out.channels; ++c) dst[c] = t[src[c]];
              } else {
                std::memcpy(dst, src, static_cast<size_t>(out.channels));
              }
            }
            continue;
          }
          if (K.fast_ && out.interleave) {
            const uint8_t* a = x[static_cast<size_t>(out.a_input)] + out.a_channel;
            const uint8_t* b = x[static_cast<size_t>(out.b_input)] + out.b_channel;
            const int64_t sa = K.in_st_[static_cast<size_t>(out.a_input)].ps;
            const int64_t sb = K.in_st_[static_cast<size_t>(out.b_input)].ps;
            const int64_t half = out.channels / 2;
            if (K.any_table_) {
              const size_t ia = static_cast<size_t>(out.a_input), ib = static_cast<size_t>(out.b_input);
              const uint8_t* ta = K.use_table_[ia] ? K.tables_[ia].data() : K.identity_.data();
              const uint8_t* tb = K.use_table_[ib] ? K.tables_[ib].data() : K.identity_.data();
#pragma omp parallel for schedule(static) if (pixels * out.channels >= (int64_t{1} << 16))
              for (int64_t p = 0; p < pixels; ++p)
                interleave_lut_avx512(a + p * sa, b + p * sb, yo + p * out.channels, half, ta, tb);
              continue;
            }
#pragma omp parallel for schedule(static) if (pixels * out.channels >= (int64_t{1} << 16))
            for (int64_t p = 0; p < pixels; ++p) interleave_avx512(a + p * sa, b + p * sb, yo + p * out.channels, half);
            continue;
          }
#pragma omp parallel for schedule(static) if (pixels * out.channels >= (int64_t{1} << 16))
          for (int64_t np = 0; np < pixels; ++np) {
            const int64_t n = np / K.HW, p = np % K.HW;
            uint8_t* yp = yo + n * out.st.ns + p * out.st.ps;
            for (int64_t c = 0; c < out.channels; ++c) {
              const Source& s = out.src[static_cast<size_t>(c)];
              const Strides& xs = K.in_st_[static_cast<size_t>(s.input)];
              const uint8_t v = x[static_cast<size_t>(s.input)][n * xs.ns + s.channel * xs.cs + p * xs.ps];
              yp[c * out.st.cs] = K.use_table_[static_cast<size_t>(s.input)] ? K.tables_[static_cast<size_t>(s.input)][v] : v;
            }
          }
        }
        return {};
      }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    for (int t : inputs_) b->x.push_back(static_cast<const uint8_t*>(ctx.ptr(t)));
    for (const Output& o : outputs_) b->y.push_back(static_cast<uint8_t*>(ctx.ptr(o.tensor)));
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

Status expect(bool ok, const format::Op& op, const std::string& what) {
  return ok ? Status{} : invalid_argument("op '" + op.name + "' (" + op.type + ") " + what);
}

}  // namespace

StatusOr<std::unique_ptr<OpKernel>> make_channel_shuffle(const BuildContext& ctx, const format::Op& op) {
  const format::Program& p = ctx.program;
  EDGEQ_RETURN_IF_ERROR(expect(!op.inputs.empty() && !op.outputs.empty(), op, "needs inputs and outputs"));
  const int64_t g = op.attrs.get_int("group", 0);
  const std::vector<int64_t> starts = op.attrs.get_ints("channel_starts", {});
  EDGEQ_RETURN_IF_ERROR(expect(starts.size() == op.outputs.size(), op, "needs one channel start per output"));
  auto k = std::make_unique<ChannelShuffleKernel>();
  const format::TensorDesc& first = p.tensors[static_cast<size_t>(op.inputs[0] < 0 ? 0 : op.inputs[0])];
  std::vector<int64_t> in_first;  // first concatenated channel of each input
  int64_t C = 0;
  for (int t : op.inputs) {
    EDGEQ_RETURN_IF_ERROR(expect(t >= 0, op, "has an absent input"));
    const format::TensorDesc& x = p.tensors[static_cast<size_t>(t)];
    EDGEQ_RETURN_IF_ERROR(expect(x.dtype == DType::kUInt8 && x.shape.size() == 4 && x.shape[0] == first.shape[0] &&
                                     x.shape[2] == first.shape[2] && x.shape[3] == first.shape[3],
                                 op, "needs u8 [N, C, H, W] inputs of one N, H and W"));
    k->inputs_.push_back(t);
    k->in_st_.push_back(strides_of(x));
    in_first.push_back(C);
    C += x.shape[1];
  }
  EDGEQ_RETURN_IF_ERROR(expect(g >= 1 && C % g == 0, op, "needs a group that divides the channel count"));
  k->N = first.shape[0];
  k->HW = first.shape[2] * first.shape[3];
  EDGEQ_ASSIGN_OR_RETURN(QParam qy, tensor_qparam(p, op.outputs[0], op.name));
  for (int t : op.inputs) {
    EDGEQ_ASSIGN_OR_RETURN(QParam qx, tensor_qparam(p, t, op.name));
    const bool table = qx.scale != qy.scale || qx.zero_point != qy.zero_point;
    k->use_table_.push_back(table);
    k->tables_.push_back(table ? i8::requant_table(qx, qy) : i8::Table{});
  }
  bool all_nhwc = true;
  for (int t : op.inputs) all_nhwc &= p.tensors[static_cast<size_t>(t)].layout == format::Layout::kNHWC;
  bool any_table = false;
  for (bool t : k->use_table_) any_table |= t;
  // Concatenated channel s → (input, channel within it).
  auto locate = [&](int64_t s) {
    int i = 0;
    while (i + 1 < static_cast<int>(in_first.size()) && s >= in_first[static_cast<size_t>(i) + 1]) ++i;
    return ChannelShuffleKernel::Source{i, s - in_first[static_cast<size_t>(i)]};
  };
  bool all_interleave = true;
  for (size_t o = 0; o < op.outputs.size(); ++o) {
    const int t = op.outputs[o];
    EDGEQ_RETURN_IF_ERROR(expect(t >= 0, op, "has an absent output"));
    const format::TensorDesc& y = p.tensors[static_cast<size_t>(t)];
    EDGEQ_RETURN_IF_ERROR(expect(y.dtype == DType::kUInt8 && y.shape.size() == 4 && y.shape[0] == first.shape[0] &&
                                     y.shape[2] == first.shape[2] && y.shape[3] == first.shape[3],
                                 op, "needs u8 [N, C, H, W] outputs of its inputs' N, H and W"));
    EDGEQ_ASSIGN_OR_RETURN(QParam q, tensor_qparam(p, t, op.name));
    EDGEQ_RETURN_IF_ERROR(expect(q.scale == qy.scale && q.zero_point == qy.zero_point, op,
                                 "needs one quantization for all its outputs"));
    const int64_t start = starts[o], Co = y.shape[1];
    EDGEQ_RETURN_IF_ERROR(expect(start >= 0 && start + Co <= C, op, "has an output outside the shuffled channels"));
    ChannelShuffleKernel::Output out;
    out.tensor = t;
    out.st = strides_of(y);
    out.channels = Co;
    for (int64_t c = 0; c < Co; ++c) {
      const int64_t j = start + c;
      out.src.push_back(locate((j % g) * (C / g) + j / g));
    }
    all_nhwc &= y.layout == format::Layout::kNHWC;
    // Group 2 with an even start and count: y[2m] = src[start/2 + m], y[2m+1] = src[C/2 + start/2 + m].
    if (g == 2 && start % 2 == 0 && Co % 2 == 0 && Co > 0) {
      const auto a0 = out.src[0], a1 = out.src[static_cast<size_t>(Co - 2)];
      const auto b0 = out.src[1], b1 = out.src[static_cast<size_t>(Co - 1)];
      out.interleave = a0.input == a1.input && b0.input == b1.input;
      out.a_input = a0.input, out.a_channel = a0.channel;
      out.b_input = b0.input, out.b_channel = b0.channel;
    }
    if (g == 1 && Co > 0 && out.src[0].input == out.src[static_cast<size_t>(Co - 1)].input) {
      out.copy = true;
      out.a_input = out.src[0].input, out.a_channel = out.src[0].channel;
    }
    all_interleave &= out.interleave || out.copy;
    k->outputs_.push_back(std::move(out));
  }
  for (int v = 0; v < 256; ++v) k->identity_[static_cast<size_t>(v)] = static_cast<uint8_t>(v);
  k->any_table_ = any_table;
  const bool simd = g == 1 || (kernels::cpu_has_avx512bw() && (!any_table || has_avx512_vbmi()));
  k->fast_ = all_nhwc && all_interleave && simd && !ctx.reference_kernels;
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace edgeq::runtime::detail
