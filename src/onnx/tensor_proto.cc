#include "onnx/tensor_proto.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "onnx/onnx_io.h"

namespace edgeq::onnx {

namespace fs = std::filesystem;

namespace {

std::string tensor_label(const ::onnx::TensorProto& p) {
  return p.name().empty() ? std::string("a tensor") : "tensor '" + p.name() + "'";
}

// Copies `count` values of a repeated field into the tensor, converting each element.
template <typename Dst, typename Field, typename Convert>
Status copy_field(const ::onnx::TensorProto& p, const Field& field, Tensor& t, Convert convert) {
  if (static_cast<int64_t>(field.size()) != t.numel())
    return data_loss(tensor_label(p) + " holds " + std::to_string(field.size()) + " values but its shape " +
                     shape_to_string(t.shape()) + " needs " + std::to_string(t.numel()));
  Dst* out = t.data<Dst>();
  for (int i = 0; i < field.size(); ++i) out[i] = convert(field.Get(i));
  return {};
}

template <typename Dst, typename Field>
Status copy_cast(const ::onnx::TensorProto& p, const Field& field, Tensor& t) {
  return copy_field<Dst>(p, field, t, [](auto v) { return static_cast<Dst>(v); });
}

// ONNX stores 8/16-bit types and bool one per int32_data entry; float16/bfloat16 keep their
// bit pattern in the low 16 bits.
Status from_int32_data(const ::onnx::TensorProto& p, Tensor& t) {
  const auto& f = p.int32_data();
  switch (t.dtype()) {
    case DType::kInt32: return copy_cast<int32_t>(p, f, t);
    case DType::kInt8: return copy_cast<int8_t>(p, f, t);
    case DType::kUInt8: return copy_cast<uint8_t>(p, f, t);
    case DType::kInt16: return copy_cast<int16_t>(p, f, t);
    case DType::kUInt16:
    case DType::kFloat16:
    case DType::kBFloat16:
      return copy_field<uint16_t>(p, f, t, [](int32_t v) { return static_cast<uint16_t>(v & 0xffff); });
    case DType::kBool: return copy_field<bool>(p, f, t, [](int32_t v) { return v != 0; });
    default: return data_loss(tensor_label(p) + " stores " + std::string(dtype_name(t.dtype())) + " values in int32_data");
  }
}

Status from_typed_fields(const ::onnx::TensorProto& p, Tensor& t) {
  const DType d = t.dtype();
  if (d == DType::kFloat32) return copy_cast<float>(p, p.float_data(), t);
  if (d == DType::kFloat64) return copy_cast<double>(p, p.double_data(), t);
  if (d == DType::kInt64) return copy_cast<int64_t>(p, p.int64_data(), t);
  if (d == DType::kUInt64) return copy_cast<uint64_t>(p, p.uint64_data(), t);
  if (d == DType::kUInt32) return copy_cast<uint32_t>(p, p.uint64_data(), t);
  return from_int32_data(p, t);
}

Status copy_raw(const ::onnx::TensorProto& p, std::string_view bytes, Tensor& t) {
  if (bytes.size() != t.nbytes())
    return data_loss(tensor_label(p) + " has " + std::to_string(bytes.size()) + " bytes of data but its " +
                     std::string(dtype_name(t.dtype())) + shape_to_string(t.shape()) + " shape needs " +
                     std::to_string(t.nbytes()));
  // The host is little-endian (x86/ARM), like ONNX raw_data.
  if (!bytes.empty()) std::memcpy(t.raw(), bytes.data(), bytes.size());
  if (t.dtype() == DType::kBool) {  // any non-zero byte is true; a bool must hold 0 or 1
    auto* q = static_cast<uint8_t*>(t.raw());
    for (size_t i = 0; i < bytes.size(); ++i) q[i] = q[i] != 0;
  }
  return {};
}

// How many values the typed repeated field for `d` holds.
int64_t typed_count(const ::onnx::TensorProto& p, DType d) {
  switch (d) {
    case DType::kFloat32: return p.float_data_size();
    case DType::kFloat64: return p.double_data_size();
    case DType::kInt64: return p.int64_data_size();
    case DType::kUInt64:
    case DType::kUInt32: return p.uint64_data_size();
    default: return p.int32_data_size();
  }
}

// Resolves an external-data location inside base_dir; refuses anything that leaves it.
StatusOr<fs::path> external_path(const ::onnx::TensorProto& p, const std::string& location,
                                 const std::string& base_dir) {
  fs::path rel(location);
  if (location.empty() || rel.is_absolute() || rel.has_root_name())
    return invalid_argument(tensor_label(p) + " has external data at '" + location +
                            "', which is not a path relative to the model's folder");
  fs::path norm = rel.lexically_normal();
  if (!norm.empty() && *norm.begin() == "..")
    return invalid_argument(tensor_label(p) + " has external data at '" + location +
                            "', which is outside the model's folder");
  fs::path base = base_dir.empty() ? fs::path(".") : fs::path(base_dir);
  std::error_code ec;
  fs::path full = fs::weakly_canonical(base / norm, ec);
  fs::path canon_base = fs::weakly_canonical(base, ec);
  if (!ec) {
    auto rel_to_base = full.lexically_relative(canon_base);
    if (rel_to_base.empty() || *rel_to_base.begin() == "..")
      return invalid_argument(tensor_label(p) + " has external data at '" + location +
                              "', which resolves outside the model's folder");
  }
  return base / norm;
}

// The external bytes of a tensor of `nbytes`, checked against the file before anything is
// allocated (a corrupted length must not trigger a huge allocation).
StatusOr<std::string> read_external(const ::onnx::TensorProto& p, const std::string& base_dir, const Dims& dims,
                                    size_t nbytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : p.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") offset = std::stoll(kv.value());
      else if (kv.key() == "length") length = std::stoll(kv.value());
    } catch (const std::exception&) {
      return invalid_argument(tensor_label(p) + " has a non-numeric external data " + kv.key() + " '" +
                              kv.value() + "'");
    }
  }
  if (offset < 0 || length < -1)
    return invalid_argument(tensor_label(p) + " has a negative external data offset or length");
  EDGEQ_ASSIGN_OR_RETURN(fs::path path, external_path(p, location, base_dir));
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return not_found(tensor_label(p) + " has its data in '" + path.string() + "', which does not exist");
  const auto file_size = static_cast<int64_t>(fs::file_size(path, ec));
  if (length < 0) length = file_size - offset;
  if (offset > file_size || length > file_size - offset)
    return data_loss(tensor_label(p) + " reads bytes " + std::to_string(offset) + ".." +
                     std::to_string(offset + length) + " of '" + path.string() + "', which has only " +
                     std::to_string(file_size) + " bytes");
  if (static_cast<size_t>(length) != nbytes)
    return data_loss(tensor_label(p) + " has " + std::to_string(length) + " bytes of external data but its shape " +
                     shape_to_string(dims) + " needs " + std::to_string(nbytes));
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  std::string bytes(static_cast<size_t>(length), '\0');
  if (!in.read(bytes.data(), length)) return io_error("could not read '" + path.string() + "'");
  return bytes;
}

}  // namespace

StatusOr<Tensor> tensor_from_proto(const ::onnx::TensorProto& p, const std::string& base_dir) {
  if (p.data_type() == ::onnx::TensorProto::STRING)
    return unsupported(tensor_label(p) + " holds strings, which edgeq does not support");
  std::optional<DType> dtype = dtype_from_onnx(p.data_type());
  if (!dtype || dtype_size(*dtype) == 0)
    return unsupported(tensor_label(p) + " has ONNX data type " + std::to_string(p.data_type()) +
                       ", which edgeq does not support");
  if (p.has_segment()) return unsupported(tensor_label(p) + " is segmented, which edgeq does not support");
  Dims dims(p.dims().begin(), p.dims().end());
  for (int64_t d : dims)
    if (d < 0) return data_loss(tensor_label(p) + " has a negative dimension " + shape_to_string(dims));
  // Check the stored data against the shape before allocating, so a corrupted shape or
  // length cannot trigger a huge allocation.
  const size_t elem = dtype_size(*dtype);
  int64_t numel = 1;
  for (int64_t d : dims)
    if (__builtin_mul_overflow(numel, d, &numel) || numel > (int64_t{1} << 62) / static_cast<int64_t>(elem))
      return data_loss(tensor_label(p) + " has an impossible shape " + shape_to_string(dims));
  const size_t nbytes = static_cast<size_t>(numel) * elem;
  std::string external;
  std::string_view raw;
  if (p.data_location() == ::onnx::TensorProto::EXTERNAL) {
    EDGEQ_ASSIGN_OR_RETURN(external, read_external(p, base_dir, dims, nbytes));
    raw = external;
  } else if (p.has_raw_data()) {
    raw = p.raw_data();
    if (raw.size() != nbytes)
      return data_loss(tensor_label(p) + " has " + std::to_string(raw.size()) + " bytes of data but its " +
                       std::string(dtype_name(*dtype)) + shape_to_string(dims) + " shape needs " + std::to_string(nbytes));
  } else if (typed_count(p, *dtype) != numel) {
    return data_loss(tensor_label(p) + " holds " + std::to_string(typed_count(p, *dtype)) + " values but its shape " +
                     shape_to_string(dims) + " needs " + std::to_string(numel));
  }
  Tensor t(*dtype, dims);
  if (p.data_location() == ::onnx::TensorProto::EXTERNAL || p.has_raw_data()) {
    EDGEQ_RETURN_IF_ERROR(copy_raw(p, raw, t));
  } else {
    EDGEQ_RETURN_IF_ERROR(from_typed_fields(p, t));
  }
  return t;
}

::onnx::TensorProto tensor_to_proto(const Tensor& t, const std::string& name) {
  ::onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.shape()) p.add_dims(d);
  p.set_raw_data(std::string(static_cast<const char*>(t.raw()), t.nbytes()));
  return p;
}

StatusOr<Tensor> load_tensor_proto_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found("tensor file '" + path + "' does not exist");
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("could not open tensor file '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes))
    return data_loss(path + " is not a valid ONNX TensorProto (protobuf parse failed)");
  return tensor_from_proto(proto, fs::path(path).parent_path().string());
}

}  // namespace edgeq::onnx
