// One matrix-vector product [1, K] × [K, N]: a QGemm with one row whose input zero point
// cannot be folded into the bias exactly (a classifier; oneDNN would take its zero-point
// path, several times slower), and a 1x1 QConv on one pixel (the fully connected layers of
// a squeeze-and-excitation block, where oneDNN's cost per call is most of the op). An
// AVX-512 VNNI dot product per 16 outputs, exact in int32, then kernels/int8/qops.h's
// requantize in vectors, so every value is the one qops gives.
//
// Weights are packed once at load as [N/16][K/4][16][4] bytes (one vpdpbusd takes 4 input
// bytes against 4 weights of 16 outputs); the input zero point goes into an int64-checked
// int32 bias: acc[n] = bias[n] - zx · Σk w[n][k] + Σk x[k] · w[n][k].
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_*.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <cstring>
#include <limits>

#include "kernels/isa.h"
#include "runtime/op_kernel.h"
#include "runtime/requantize_avx512.h"

namespace edgeq::runtime::detail {

namespace {

// acc[16 · blocks] = Σ over k4 of x[4 k4 .. 4 k4 + 3] · w_packed[block][k4][lane][0..3].
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void gemv_vnni(const uint8_t* x4, const int8_t* w,
                                                                       int64_t blocks, int64_t k4, int32_t* acc) {
  const int32_t* xw = reinterpret_cast<const int32_t*>(x4);
  int64_t b = 0;
  for (; b + 4 <= blocks; b += 4) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    const int8_t* w0 = w + b * k4 * 64;
    for (int64_t k = 0; k < k4; ++k) {
      const __m512i xb = _mm512_set1_epi32(xw[k]);
      a0 = _mm512_dpbusd_epi32(a0, xb, _mm512_loadu_si512(w0 + k * 64));
      a1 = _mm512_dpbusd_epi32(a1, xb, _mm512_loadu_si512(w0 + (k4 + k) * 64));
      a2 = _mm512_dpbusd_epi32(a2, xb, _mm512_loadu_si512(w0 + (2 * k4 + k) * 64));
      a3 = _mm512_dpbusd_epi32(a3, xb, _mm512_loadu_si512(w0 + (3 * k4 + k) * 64));
    }
    _mm512_storeu_si512(acc + b * 16, a0);
    _mm512_storeu_si512(acc + b * 16 + 16, a1);
    _mm512_storeu_si512(acc + b * 16 + 32, a2);
    _mm512_storeu_si512(acc + b * 16 + 48, a3);
  }
  for (; b < blocks; ++b) {
    __m512i a = _mm512_setzero_si512();
    const int8_t* wb = w + b * k4 * 64;
    for (int64_t k = 0; k < k4; ++k)
      a = _mm512_dpbusd_epi32(a, _mm512_set1_epi32(xw[k]), _mm512_loadu_si512(wb + k * 64));
    _mm512_storeu_si512(acc + b * 16, a);
  }
}

// y[n] = qops' requantize(acc[n] + bias[n], multiplier[n], zy), 16 outputs at a time.
__attribute__((target("avx512f,avx512bw"))) void requantize_vector(const int32_t* acc, const int32_t* bias,
                                                                    const float* multiplier, int32_t zy, int64_t n,
                                                                    uint8_t* y) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    const __m512i a = _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, acc + i), _mm512_maskz_loadu_epi32(m, bias + i));
    requantize16(a, _mm512_maskz_loadu_ps(m, multiplier + i), zy, m, y + i);
  }
}

class GemvKernel : public OpKernel {
 public:
  int x_ = -1, y_ = -1;
  int64_t n_ = 0, k_ = 0, blocks_ = 0, k4_ = 0;
  std::vector<int8_t> packed_;    // [blocks][k4][16][4]
  std::vector<int32_t> bias_;     // [n], the input zero point folded in
  std::vector<float> multiplier_; // [n]
  int32_t zy_ = 0;

  std::string describe() const override { return "edgeq gemv avx512 vnni, input zero point in the bias"; }

  StatusOr<std::unique_ptr<BoundOp>> bind(const BindContext& ctx) const override {
    struct Bound : BoundOp {
      const GemvKernel* k = nullptr;
      const uint8_t* x = nullptr;
      uint8_t* y = nullptr;
      std::vector<uint8_t> x4;  // the input padded to a multiple of 4 bytes
      std::vector<int32_t> acc;
      Status run() override {
        const GemvKernel& K = *k;
        std::memcpy(x4.data(), x, static_cast<size_t>(K.k_));
        gemv_vnni(x4.data(), K.packed_.data(), K.blocks_, K.k4_, acc.data());
        requantize_vector(acc.data(), K.bias_.data(), K.multiplier_.data(), K.zy_, K.n_, y);
        return {};
      }
    };
    auto b = std::make_unique<Bound>();
    b->k = this;
    b->x = static_cast<const uint8_t*>(ctx.ptr(x_));
    b->y = static_cast<uint8_t*>(ctx.ptr(y_));
    b->x4.assign(static_cast<size_t>(k4_ * 4), 0);
    b->acc.assign(static_cast<size_t>(blocks_ * 16), 0);
    return std::unique_ptr<BoundOp>(std::move(b));
  }
};

}  // namespace

// The VNNI kernel for a one-row QGemm, or nullptr when this machine has no AVX-512 VNNI or
// the folded bias does not fit int32 (then oneDNN runs it).
std::unique_ptr<OpKernel> make_gemv(int x, int y, const int8_t* w, int64_t n, int64_t k, const std::vector<int32_t>& bias,
                                    int32_t zx, const std::vector<float>& multipliers, int32_t zy) {
  if (!kernels::cpu_has_avx512_vnni() || n <= 0 || k <= 0) return nullptr;
  auto g = std::make_unique<GemvKernel>();
  g->x_ = x;
  g->y_ = y;
  g->n_ = n;
  g->k_ = k;
  g->blocks_ = (n + 15) / 16;
  g->k4_ = (k + 3) / 4;
  g->zy_ = zy;
  g->packed_.assign(static_cast<size_t>(g->blocks_ * g->k4_ * 64), 0);
  g->bias_.resize(static_cast<size_t>(n));
  g->multiplier_.resize(static_cast<size_t>(n));
  for (int64_t o = 0; o < n; ++o) {
    int64_t sum = 0, abs_sum = 0;
    for (int64_t i = 0; i < k; ++i) {
      const int8_t v = w[o * k + i];
      sum += v;
      abs_sum += v < 0 ? -v : v;
      g->packed_[static_cast<size_t>(((o / 16) * g->k4_ + i / 4) * 64 + (o % 16) * 4 + i % 4)] = v;
    }
    // Every partial sum stays in int32, as qops' accumulation does.
    const int64_t folded = int64_t{bias[static_cast<size_t>(o)]} - int64_t{zx} * sum;
    if (folded + 255 * abs_sum > std::numeric_limits<int32_t>::max() ||
        folded - 255 * abs_sum < std::numeric_limits<int32_t>::min())
      return nullptr;
    g->bias_[static_cast<size_t>(o)] = static_cast<int32_t>(folded);
    g->multiplier_[static_cast<size_t>(o)] = multipliers.size() == 1 ? multipliers[0] : multipliers[static_cast<size_t>(o)];
  }
  return g;
}

}  // namespace edgeq::runtime::detail
