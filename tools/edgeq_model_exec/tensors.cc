#include "tools/edgeq_model_exec/tensors.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "base/npy.h"

namespace edgeq::model_exec {
namespace {

DType dtype_of(const edgeq_tensor_desc& d) { return static_cast<DType>(static_cast<int32_t>(d.dtype)); }

bool is_nhwc(const edgeq_tensor_desc& d) { return d.layout == EDGEQ_LAYOUT_NHWC && d.ndim == 4; }

// Copies a tensor of `d`'s dims with `elem` bytes per element between logical order and
// `d`'s memory order (edgeq_convert_layout, with the byte count of that element size).
void convert_layout(const edgeq_tensor_desc& d, const void* src, void* dst, size_t elem, bool to_model) {
  edgeq_tensor_desc e = d;
  int64_t numel = 1;
  for (int32_t i = 0; i < d.ndim; ++i) numel *= d.dims[i];
  e.bytes = static_cast<size_t>(numel) * elem;
  (void)edgeq_convert_layout(&e, src, dst, to_model ? 1 : 0);  // d comes from the model: valid
}

std::string fmt_float(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

Dims logical_dims(const edgeq_tensor_desc& d) { return Dims(d.dims, d.dims + d.ndim); }

Dims physical_dims(const edgeq_tensor_desc& d) {
  Dims l = logical_dims(d);
  if (!is_nhwc(d)) return l;
  return {l[0], l[2], l[3], l[1]};
}

std::string describe(const edgeq_tensor_desc& d) {
  std::string s = std::string(dtype_name(dtype_of(d))) + " " + shape_to_string(logical_dims(d));
  if (is_nhwc(d)) s += " NHWC (memory " + shape_to_string(physical_dims(d)) + ")";
  if (d.has_quant) s += ", scale " + fmt_float(d.scale) + ", zero point " + std::to_string(d.zero_point);
  return s;
}

StatusOr<std::vector<uint8_t>> load_input(const std::string& path, const edgeq_tensor_desc& d) {
  const DType want = dtype_of(d);
  const Dims logical = logical_dims(d), physical = physical_dims(d);
  std::vector<uint8_t> out(d.bytes);
  const bool npy = std::filesystem::path(path).extension() == ".npy";
  if (!npy) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return not_found("Cannot open input file '" + path + "'.");
    std::vector<uint8_t> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (raw.size() != d.bytes)
      return invalid_argument("Input file '" + path + "' has " + std::to_string(raw.size()) + " bytes, but input '" +
                              d.name + "' (" + describe(d) + ") needs exactly " + std::to_string(d.bytes) + ".");
    return raw;
  }
  EDGEQ_ASSIGN_OR_RETURN(Tensor t, load_npy(path));
  const std::string needs = "input '" + std::string(d.name) + "' needs " + describe(d) +
                            (d.has_quant ? ", or float32 " + shape_to_string(logical) + " to be quantized" : "");
  const std::string holds = "'" + path + "' holds " + std::string(dtype_name(t.dtype())) + " " + shape_to_string(t.shape());
  const size_t elem = dtype_size(want);
  if (static_cast<size_t>(shape_numel(physical)) * elem != d.bytes)
    return internal_error("Input '" + std::string(d.name) + "' has an inconsistent byte size.");
  if (t.dtype() == want || (want == DType::kFloat32 && t.dtype() == DType::kFloat64)) {
    if (t.dtype() != want) t = t.to_float();
    if (t.shape() == physical) {
      std::memcpy(out.data(), t.raw(), d.bytes);
      return out;
    }
    if (is_nhwc(d) && t.shape() == logical) {
      convert_layout(d, t.raw(), out.data(), elem, true);
      return out;
    }
    return invalid_argument("Wrong shape: " + holds + ", but " + needs + ".");
  }
  if (dtype_is_float(t.dtype()) && d.has_quant && (want == DType::kUInt8 || want == DType::kInt8)) {
    if (t.shape() != logical) return invalid_argument("Wrong shape: " + holds + ", but " + needs + ".");
    Tensor f = t.to_float();
    const float* x = f.data<float>();
    const int64_t n = f.numel();
    const float qmin = want == DType::kUInt8 ? 0.f : -128.f, qmax = want == DType::kUInt8 ? 255.f : 127.f;
    std::vector<uint8_t> q(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      float v = std::nearbyint(x[i] / d.scale) + static_cast<float>(d.zero_point);  // round half to even
      v = std::min(qmax, std::max(qmin, v));
      if (want == DType::kUInt8) q[i] = static_cast<uint8_t>(v);
      else q[i] = static_cast<uint8_t>(static_cast<int8_t>(v));
    }
    if (is_nhwc(d)) convert_layout(d, q.data(), out.data(), 1, true);
    else out = std::move(q);
    return out;
  }
  return invalid_argument("Wrong dtype: " + holds + ", but " + needs + ".");
}

std::vector<uint8_t> random_input(const edgeq_tensor_desc& d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(d.bytes);
  if (d.dtype == EDGEQ_DTYPE_FLOAT32) {
    float* p = reinterpret_cast<float*>(out.data());
    for (size_t i = 0; i < d.bytes / 4; ++i) p[i] = static_cast<float>(rng() >> 8) / 8388608.0f - 1.0f;
  } else {
    for (auto& b : out) b = static_cast<uint8_t>(rng() >> 24);
  }
  return out;
}

Tensor raw_tensor(const edgeq_tensor_desc& d, const std::vector<uint8_t>& bytes) {
  Tensor t(dtype_of(d), physical_dims(d));
  std::memcpy(t.raw(), bytes.data(), std::min(bytes.size(), t.nbytes()));
  return t;
}

Tensor float_tensor(const edgeq_tensor_desc& d, const std::vector<uint8_t>& bytes) {
  Tensor raw = raw_tensor(d, bytes);
  Tensor f = raw.to_float();
  if (d.has_quant) {
    f = f.clone();
    float* p = f.data<float>();
    for (int64_t i = 0; i < f.numel(); ++i) p[i] = d.scale * (p[i] - static_cast<float>(d.zero_point));
  }
  if (!is_nhwc(d)) return f;
  Tensor l(DType::kFloat32, logical_dims(d));
  convert_layout(d, f.raw(), l.raw(), 4, false);
  return l;
}

}  // namespace edgeq::model_exec
