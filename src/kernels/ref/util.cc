#include "kernels/ref/util.h"

#include <algorithm>

namespace edgeq::kernels::ref {

StatusOr<Dims> broadcast_shapes(std::span<const int64_t> a, std::span<const int64_t> b) {
  const size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return invalid_argument("shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                              " cannot be broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Dims broadcast_strides(std::span<const int64_t> in, std::span<const int64_t> out) {
  Dims strides(out.size(), 0);
  Dims own = shape_strides(in);
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) strides[lead + i] = in[i] == 1 ? 0 : own[i];
  return strides;
}

StatusOr<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return invalid_argument("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

StatusOr<std::vector<int64_t>> read_int_list(const Tensor& t) {
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)
    return invalid_argument("expected an int32/int64 tensor, got " + std::string(dtype_name(t.dtype())));
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.at_int(i);
  return v;
}

Tensor cast_float_to(const Tensor& f32, DType dtype) {
  if (dtype == DType::kFloat32) return f32;
  Tensor out(dtype, f32.shape());
  const float* in = f32.data<float>();
  const int64_t n = f32.numel();
  switch (dtype) {
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) out.data<uint16_t>()[i] = float_to_half(in[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) out.data<uint16_t>()[i] = float_to_bfloat16(in[i]);
      break;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) out.data<double>()[i] = in[i];
      break;
    default:
      (void)dispatch_numeric(dtype, [&](auto tag) -> Status {
        using T = decltype(tag);
        for (int64_t i = 0; i < n; ++i) out.data<T>()[i] = static_cast<T>(in[i]);
        return {};
      });
  }
  return out;
}

std::vector<double> read_double_list(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.at_double(i);
  return v;
}

}  // namespace edgeq::kernels::ref
