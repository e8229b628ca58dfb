// Int8 reference QAdd, QMul, QLut and QConcat (see ref.h).
#include <string>

#include "kernels/int8/ref.h"
#include "kernels/ref/util.h"

namespace edgeq::kernels::int8 {

namespace {

template <typename F>
StatusOr<Tensor> binary(const Tensor& a, const Tensor& b, const char* op, F&& f) {
  if (a.dtype() != DType::kUInt8 || b.dtype() != DType::kUInt8)
    return invalid_argument(std::string(op) + " needs u8 inputs");
  EDGEQ_ASSIGN_OR_RETURN(Dims shape, ref::broadcast_shapes(a.shape(), b.shape()));
  Tensor y(DType::kUInt8, shape);
  const std::array<Dims, 2> strides{ref::broadcast_strides(a.shape(), shape), ref::broadcast_strides(b.shape(), shape)};
  const uint8_t* pa = a.data<uint8_t>();
  const uint8_t* pb = b.data<uint8_t>();
  uint8_t* py = y.data<uint8_t>();
  ref::for_each_broadcast<2>(shape, strides, [&](int64_t i, const std::array<int64_t, 2>& off) {
    py[i] = f(pa[off[0]], pb[off[1]]);
  });
  return y;
}

}  // namespace

StatusOr<Tensor> qadd(const Tensor& a, QParam aq, const Tensor& b, QParam bq, QParam yq) {
  const BinaryParams p = make_binary_params(aq, bq, yq);
  return binary(a, b, "qadd", [&p](uint8_t u, uint8_t v) { return add(u, v, p); });
}

StatusOr<Tensor> qmul(const Tensor& a, QParam aq, const Tensor& b, QParam bq, QParam yq) {
  const BinaryParams p = make_binary_params(aq, bq, yq);
  return binary(a, b, "qmul", [&p](uint8_t u, uint8_t v) { return mul(u, v, p); });
}

Tensor qlut(const Tensor& x, const Table& table) {
  Tensor y(DType::kUInt8, x.shape());
  const uint8_t* px = x.data<uint8_t>();
  uint8_t* py = y.data<uint8_t>();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = table[px[i]];
  return y;
}

StatusOr<Tensor> qconcat(std::span<const Tensor* const> xs, std::span<const QParam> xq, QParam yq, int64_t axis) {
  if (xs.empty() || xs.size() != xq.size()) return invalid_argument("qconcat needs one QParam per input");
  const Tensor& first = *xs[0];
  const int64_t rank = first.rank();
  if (axis < -rank || axis >= rank) return invalid_argument("qconcat axis " + std::to_string(axis) + " is out of range");
  if (axis < 0) axis += rank;
  Dims shape = first.shape();
  shape[axis] = 0;
  for (const Tensor* t : xs) {
    if (t->dtype() != DType::kUInt8 || t->rank() != rank) return invalid_argument("qconcat needs u8 inputs of one rank");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t->dim(d) != first.dim(d)) return invalid_argument("qconcat inputs differ outside the axis");
    shape[axis] += t->dim(axis);
  }
  Tensor y(DType::kUInt8, shape);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= shape[d];
  uint8_t* py = y.data<uint8_t>();
  int64_t offset = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Table table = requant_table(xq[i], yq);
    const int64_t pitch = xs[i]->dim(axis) * inner;
    const uint8_t* px = xs[i]->data<uint8_t>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < pitch; ++j) py[o * shape[axis] * inner + offset + j] = table[px[o * pitch + j]];
    offset += pitch;
  }
  return y;
}

}  // namespace edgeq::kernels::int8
