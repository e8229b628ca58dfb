#include "base/npy.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

namespace edgeq {

static_assert(std::endian::native == std::endian::little,
              "npy.cc copies little-endian file data straight into tensors");

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kAlign = 64;  // numpy pads the header so the data starts 64-byte aligned

struct NpyType {
  DType dtype;
  char kind;  // numpy kind letter: f, i, u, b
  int size;   // bytes per element
};

constexpr NpyType kTypes[] = {
    {DType::kFloat32, 'f', 4}, {DType::kFloat64, 'f', 8}, {DType::kFloat16, 'f', 2},
    {DType::kInt8, 'i', 1},    {DType::kUInt8, 'u', 1},   {DType::kInt16, 'i', 2},
    {DType::kUInt16, 'u', 2},  {DType::kInt32, 'i', 4},   {DType::kInt64, 'i', 8},
    {DType::kUInt32, 'u', 4},  {DType::kUInt64, 'u', 8},  {DType::kBool, 'b', 1},
};

std::optional<NpyType> type_of(DType dtype) {
  for (const NpyType& t : kTypes)
    if (t.dtype == dtype) return t;
  return std::nullopt;
}

// The header dict, parsed just enough for the three keys numpy always writes.
struct Header {
  std::string descr;
  bool fortran_order = false;
  Dims shape;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : s_(text), source_(source) {}

  StatusOr<Header> parse() {
    Header h;
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    if (!eat('{')) return bad("does not start with '{'");
    while (true) {
      skip_space();
      if (eat('}')) break;
      std::string key;
      if (!read_string(&key)) return bad("has a key that is not a quoted string");
      skip_space();
      if (!eat(':')) return bad("misses ':' after key '" + key + "'");
      skip_space();
      if (key == "descr") {
        if (!read_string(&h.descr))
          return unsupported("npy file '" + source_ + "' has a structured dtype, which edgeq does not support.");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (s_.substr(pos_, 4) == "True") {
          h.fortran_order = true, pos_ += 4;
        } else if (s_.substr(pos_, 5) == "False") {
          pos_ += 5;
        } else {
          return bad("has a fortran_order that is neither True nor False");
        }
        have_order = true;
      } else if (key == "shape") {
        if (!read_shape(&h.shape)) return bad("has a malformed shape tuple");
        have_shape = true;
      } else {
        return bad("has an unknown key '" + key + "'");
      }
      skip_space();
      if (eat(',')) continue;
      skip_space();
      if (!eat('}')) return bad("misses ',' or '}' after key '" + key + "'");
      break;
    }
    if (!have_descr || !have_order || !have_shape)
      return bad("lacks one of the keys 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  Status bad(const std::string& what) const {
    return data_loss("npy file '" + source_ + "' has a bad header: it " + what + ".");
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) return ++pos_, true;
    return false;
  }
  bool read_string(std::string* out) {
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) return false;
    char quote = s_[pos_++];
    size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos) return false;
    *out = std::string(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool read_shape(Dims* dims) {
    if (!eat('(')) return false;
    while (true) {
      skip_space();
      if (eat(')')) return true;
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return false;
      int64_t d = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (d > (std::numeric_limits<int64_t>::max() - 9) / 10) return false;
        d = d * 10 + (s_[pos_++] - '0');
      }
      // numpy may write Python 2 longs as "3L".
      eat('L');
      dims->push_back(d);
      skip_space();
      if (eat(',')) continue;
      skip_space();
      return eat(')');
    }
  }

  std::string_view s_;
  const std::string& source_;
  size_t pos_ = 0;
};

StatusOr<NpyType> resolve_descr(const std::string& descr, const std::string& source) {
  auto bad_dtype = [&] {
    return unsupported("npy file '" + source + "' has dtype '" + descr +
                       "', which edgeq does not support (f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1).");
  };
  if (descr.size() < 3) return bad_dtype();
  char order = descr[0], kind = descr[1];
  int size = 0;
  for (size_t i = 2; i < descr.size(); ++i) {
    if (descr[i] < '0' || descr[i] > '9' || size > 1000) return bad_dtype();
    size = size * 10 + (descr[i] - '0');
  }
  std::optional<NpyType> type;
  for (const NpyType& t : kTypes)
    if (t.kind == kind && t.size == size) type = t;
  if (!type) return bad_dtype();
  if (order == '>' && size > 1)
    return unsupported("npy file '" + source + "' is big-endian ('" + descr +
                       "'); edgeq reads only little-endian data.");
  if (order != '<' && order != '|' && order != '=' && order != '>') return bad_dtype();
  return *type;
}

uint32_t read_le(std::string_view bytes, size_t offset, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
  return v;
}

std::string shape_tuple(const Dims& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

}  // namespace

StatusOr<Tensor> parse_npy(std::string_view bytes, const std::string& source) {
  if (bytes.size() < kMagic.size() + 2 || bytes.substr(0, kMagic.size()) != kMagic)
    return invalid_argument("'" + source + "' is not an npy file (no \\x93NUMPY magic).");
  int major = static_cast<uint8_t>(bytes[6]);
  if (major < 1 || major > 3)
    return unsupported("npy file '" + source + "' has format version " + std::to_string(major) +
                       ", which edgeq does not read (1, 2 or 3).");
  size_t len_bytes = major == 1 ? 2 : 4;
  size_t prefix = kMagic.size() + 2 + len_bytes;
  if (bytes.size() < prefix)
    return data_loss("npy file '" + source + "' is truncated inside its header.");
  size_t header_len = read_le(bytes, kMagic.size() + 2, len_bytes);
  if (bytes.size() - prefix < header_len)
    return data_loss("npy file '" + source + "' is truncated inside its header.");

  EDGEQ_ASSIGN_OR_RETURN(Header header,
                         HeaderParser(bytes.substr(prefix, header_len), source).parse());
  EDGEQ_ASSIGN_OR_RETURN(NpyType type, resolve_descr(header.descr, source));
  if (header.fortran_order)
    return unsupported("npy file '" + source +
                       "' is in Fortran order; edgeq reads only C-order arrays.");

  // Element count, guarding against shapes whose byte size overflows.
  uint64_t numel = 1;
  const uint64_t limit = std::numeric_limits<uint64_t>::max() / 16;
  for (int64_t d : header.shape) {
    if (d != 0 && numel > limit / static_cast<uint64_t>(d))
      return data_loss("npy file '" + source + "' declares shape " + shape_to_string(header.shape) +
                       ", which is too large.");
    numel *= static_cast<uint64_t>(d);
  }
  uint64_t data_bytes = numel * static_cast<uint64_t>(type.size);
  size_t available = bytes.size() - prefix - header_len;
  if (available < data_bytes)
    return data_loss("npy file '" + source + "' is truncated: shape " + shape_to_string(header.shape) +
                     " needs " + std::to_string(data_bytes) + " data bytes but it has " +
                     std::to_string(available) + ".");

  Tensor t(type.dtype, header.shape);
  const char* src = bytes.data() + prefix + header_len;
  if (type.dtype == DType::kBool) {
    // numpy bools are bytes 0/1; normalise anything else so the tensor holds valid bools.
    bool* dst = t.data<bool>();
    for (uint64_t i = 0; i < numel; ++i) dst[i] = src[i] != 0;
  } else if (data_bytes) {
    std::memcpy(t.raw(), src, data_bytes);
  }
  return t;
}

StatusOr<Tensor> load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open npy file '" + path + "'.");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return io_error("cannot read npy file '" + path + "'.");
  return parse_npy(buf.str(), path);
}

StatusOr<std::string> serialize_npy(const Tensor& tensor) {
  std::optional<NpyType> type = type_of(tensor.dtype());
  if (!type)
    return unsupported("cannot write a " + std::string(dtype_name(tensor.dtype())) +
                       " tensor as npy; supported dtypes are f16 f32 f64 i8 u8 i16 u16 i32 i64 u32 u64 bool.");
  if (tensor.numel() < 0)
    return invalid_argument("cannot write a tensor of shape " + shape_to_string(tensor.shape()) + " as npy.");
  char order = type->size == 1 ? '|' : '<';
  std::string dict = "{'descr': '" + std::string(1, order) + type->kind + std::to_string(type->size) +
                     "', 'fortran_order': False, 'shape': " + shape_tuple(tensor.shape()) + ", }";
  // Version 1 stores the header length in 16 bits; larger headers need version 2.
  int major = 1;
  size_t prefix = kMagic.size() + 4;
  size_t total = (prefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = kMagic.size() + 6;
    total = (prefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign;
  }
  size_t header_len = total - prefix;
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) out += static_cast<char>((header_len >> (8 * i)) & 0xff);
  out += dict;
  out.append(static_cast<const char*>(tensor.raw()), tensor.nbytes());
  return out;
}

Status save_npy(const Tensor& tensor, const std::string& path) {
  EDGEQ_ASSIGN_OR_RETURN(std::string bytes, serialize_npy(tensor));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return io_error("cannot create npy file '" + path + "'.");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return io_error("cannot write npy file '" + path + "'.");
  return {};
}

}  // namespace edgeq
