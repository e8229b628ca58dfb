// `.bin` bytes → Program. The file is untrusted: every step below can refuse it, and
// nothing is read before the step that makes reading it safe has passed.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <type_traits>

#include "format/bin.h"
#include "format/crc32c.h"
#include "format/edgeq_model_generated.h"
#include "format/header.h"
#include "format/messages.h"
#include "kernels/isa.h"

namespace edgeq::format {
namespace {

template <typename T>
using FbVector = flatbuffers::Vector<T>;
using FbStrings = FbVector<flatbuffers::Offset<flatbuffers::String>>;

// Absent strings and vectors (a writer may omit empty ones) read as empty.
std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// Scalar vectors are stored little-endian, as the (little-endian) host holds them, and
// the verifier has checked their alignment: one copy, not an element-wise walk.
template <typename T>
std::vector<T> vec(const FbVector<T>* v) {
  static_assert(std::is_arithmetic_v<T> && flatbuffers::is_scalar<T>::value);
  static_assert(FLATBUFFERS_LITTLEENDIAN, "the .bin reader assumes a little-endian host");
  if (!v || v->size() == 0) return {};
  const T* first = reinterpret_cast<const T*>(v->Data());
  return std::vector<T>(first, first + v->size());
}

std::vector<std::string> strings(const FbStrings* v) {
  std::vector<std::string> out;
  if (!v) return out;
  out.reserve(v->size());
  for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) out.push_back(str(v->Get(i)));
  return out;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

StatusOr<TensorDesc> convert_tensor(const fb::Tensor& t, size_t index) {
  TensorDesc d;
  d.name = str(t.name());
  const std::string ref = "Tensor " + std::to_string(index) + " '" + d.name + "'";
  const std::optional<DType> dtype = dtype_from_onnx(t.dtype());
  if (!dtype) return invalid_argument(ref + " has unknown dtype code " + std::to_string(t.dtype()) + ".");
  d.dtype = *dtype;
  d.shape = vec(t.shape());
  const auto layout = static_cast<uint8_t>(t.layout());
  if (layout > static_cast<uint8_t>(Layout::kNHWC))
    return invalid_argument(ref + " has unknown layout code " + std::to_string(layout) + ".");
  d.layout = static_cast<Layout>(layout);
  if (const fb::Quant* q = t.quant()) {
    Quant quant;
    quant.scale = vec(q->scale());
    quant.zero_point = vec(q->zero_point());
    quant.axis = q->axis();
    d.quant = std::move(quant);
  }
  d.is_constant = t.is_constant();
  d.data = vec(t.data());
  d.arena_offset = t.arena_offset();
  return d;
}

StatusOr<Op> convert_op(const fb::Op& o, size_t index) {
  Op op;
  op.name = str(o.name());
  op.type = str(o.type());
  op.inputs = vec(o.inputs());
  op.outputs = vec(o.outputs());
  op.source_nodes = strings(o.source_nodes());
  const std::string ref = "Op " + std::to_string(index) + " '" + op.name + "'";
  if (const auto* attrs = o.attributes()) {
    for (flatbuffers::uoffset_t k = 0; k < attrs->size(); ++k) {
      const fb::Attribute* a = attrs->Get(k);
      const std::string name = str(a->name());
      if (op.attrs.has(name)) return invalid_argument(ref + " has attribute '" + name + "' twice.");
      switch (a->type()) {
        case fb::AttributeType::Int: op.attrs.set(name, a->i()); break;
        case fb::AttributeType::Float: op.attrs.set(name, a->f()); break;
        case fb::AttributeType::String: op.attrs.set(name, str(a->s())); break;
        case fb::AttributeType::Ints: op.attrs.set(name, vec(a->ints())); break;
        case fb::AttributeType::Floats: op.attrs.set(name, vec(a->floats())); break;
        case fb::AttributeType::Strings: op.attrs.set(name, strings(a->strings())); break;
        default:
          return invalid_argument(ref + " attribute '" + name + "' has unknown type code " +
                                  std::to_string(static_cast<int>(a->type())) + ".");
      }
    }
  }
  return op;
}

std::vector<IoDesc> convert_ios(const FbVector<flatbuffers::Offset<fb::IoDesc>>* v) {
  std::vector<IoDesc> out;
  if (!v) return out;
  for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) {
    const fb::IoDesc* io = v->Get(i);
    out.push_back({io->tensor(), str(io->source_name()), strings(io->removed_ops())});
  }
  return out;
}

// Everything the verifier has proven in bounds, copied into a Program; what the verifier
// cannot know (enum values, dtype codes, duplicate keys) is checked here.
StatusOr<Program> convert(const fb::Model& m) {
  Program p;
  p.format_version = m.format_version();
  p.toolchain_version = str(m.toolchain_version());
  p.model_name = str(m.model_name());
  if (const fb::CompileOptions* o = m.options()) {
    p.options.march = str(o->march());
    p.options.isa = str(o->isa());
    p.options.optimize_level = o->optimize_level();
    p.options.core_num = o->core_num();
    p.options.fast_perf = o->fast_perf();
    p.options.calibration_method = str(o->calibration_method());
  } else {
    return invalid_argument("It has no compile options.");
  }
  if (const auto* tensors = m.tensors()) {
    p.tensors.reserve(tensors->size());
    for (flatbuffers::uoffset_t i = 0; i < tensors->size(); ++i) {
      EDGEQ_ASSIGN_OR_RETURN(TensorDesc t, convert_tensor(*tensors->Get(i), i));
      p.tensors.push_back(std::move(t));
    }
  }
  if (const auto* ops = m.ops()) {
    p.ops.reserve(ops->size());
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i) {
      EDGEQ_ASSIGN_OR_RETURN(Op op, convert_op(*ops->Get(i), i));
      p.ops.push_back(std::move(op));
    }
  }
  if (const auto* segments = m.segments()) {
    for (flatbuffers::uoffset_t i = 0; i < segments->size(); ++i) {
      const fb::Segment* s = segments->Get(i);
      const auto placement = static_cast<uint8_t>(s->placement());
      if (placement > static_cast<uint8_t>(Placement::kCpu))
        return invalid_argument("Segment " + std::to_string(i) + " has unknown placement code " +
                                std::to_string(placement) + ".");
      p.segments.push_back({static_cast<Placement>(placement), s->first_op(), s->num_ops()});
    }
  }
  p.inputs = convert_ios(m.inputs());
  p.outputs = convert_ios(m.outputs());
  p.arena_bytes = m.arena_bytes();
  if (const auto* md = m.metadata()) {
    for (flatbuffers::uoffset_t i = 0; i < md->size(); ++i) {
      std::string key = str(md->Get(i)->key());
      if (!p.metadata.emplace(key, str(md->Get(i)->value())).second)
        return invalid_argument("Metadata key '" + key + "' appears twice.");
    }
  }
  return p;
}

// The bytes of `bytes` as an 8-byte aligned buffer: FlatBuffers reads its scalars in
// place, and the verifier checks their alignment relative to the buffer start only.
class AlignedPayload {
 public:
  explicit AlignedPayload(std::span<const uint8_t> bytes) {
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) == 0) {
      data_ = bytes.data();
    } else {
      copy_.resize((bytes.size() + 7) / 8);
      if (!bytes.empty()) std::memcpy(copy_.data(), bytes.data(), bytes.size());
      data_ = reinterpret_cast<const uint8_t*>(copy_.data());
    }
  }
  const uint8_t* data() const { return data_; }

 private:
  const uint8_t* data_ = nullptr;
  std::vector<uint64_t> copy_;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// `label` names the file in every message: its path, or "the model buffer".
StatusOr<Program> parse(std::span<const uint8_t> bytes, const ReadOptions& options, const std::string& label) {
  const std::string L = upper_first(label);
  const uint64_t size = bytes.size();
  const uint8_t* h = bytes.data();

  // 1. Magic (on what there is of it, so a short foreign file is still called foreign).
  if (size == 0) return invalid_argument(L + " is not an edgeq model file: it is empty.");
  if (std::memcmp(h, kMagic, std::min<uint64_t>(size, sizeof(kMagic))) != 0)
    return invalid_argument(L + " is not an edgeq model file (it does not start with \"EDGEQBIN\").");
  // 2. Size of the header.
  if (size < kHeaderSize)
    return data_loss(L + " is truncated: " + std::to_string(size) + " bytes of at least " +
                     std::to_string(kHeaderSize) + " (the header).");
  // 3. Version, before anything whose layout a later version may change.
  const uint32_t version = header::load_u32(h + header::kVersionOffset);
  if (version > kFormatVersion)
    return unsupported(L + " has format version " + std::to_string(version) + ", newer than format version " +
                       std::to_string(kFormatVersion) + " that this edgeq reads; update edgeq, or rebuild the model "
                       "with this toolchain.");
  if (version == 0) return invalid_argument(L + " has format version 0, which no edgeq writes.");
  // 4. Header checksum, then the header's own fields.
  const uint32_t stored_header_crc = header::load_u32(h + header::kHeaderCrcOffset);
  const uint32_t header_crc = crc32c(h, header::kHeaderCrcOffset);
  if (stored_header_crc != header_crc)
    return data_loss(L + " is corrupted: header checksum mismatch (stored " + hex32(stored_header_crc) +
                     ", computed " + hex32(header_crc) + ").");
  const uint32_t header_size = header::load_u32(h + header::kHeaderSizeOffset);
  if (header_size != kHeaderSize)
    return invalid_argument(L + " has a header of " + std::to_string(header_size) + " bytes; format version " +
                            std::to_string(version) + " has " + std::to_string(kHeaderSize) + ".");
  for (size_t i = header::kReservedOffset; i < header::kHeaderCrcOffset; ++i) {
    if (h[i] != 0) return invalid_argument(L + " has non-zero reserved header byte " + std::to_string(i) + ".");
  }
  // 5. Payload size against the file size.
  const uint64_t payload_size = header::load_u64(h + header::kPayloadSizeOffset);
  if (payload_size > size - kHeaderSize)
    return data_loss(L + " is truncated: " + std::to_string(size) + " bytes of " +
                     (payload_size > std::numeric_limits<uint64_t>::max() - kHeaderSize
                          ? "more than 2^64"
                          : std::to_string(kHeaderSize + payload_size)) +
                     ".");
  if (payload_size < size - kHeaderSize)
    return data_loss(L + " is corrupted: it has " + std::to_string(size - kHeaderSize - payload_size) +
                     " bytes after the end of its payload (" + std::to_string(kHeaderSize + payload_size) +
                     " bytes).");
  if (payload_size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return invalid_argument(L + " has a payload of " + std::to_string(payload_size) +
                            " bytes, more than a FlatBuffers payload can hold.");
  // 6. Payload checksum.
  const std::span<const uint8_t> payload = bytes.subspan(kHeaderSize);
  const uint32_t stored_crc = header::load_u32(h + header::kPayloadCrcOffset);
  const uint32_t crc = crc32c(payload.data(), payload.size());
  if (stored_crc != crc)
    return data_loss(L + " is corrupted: payload checksum mismatch (stored " + hex32(stored_crc) + ", computed " +
                     hex32(crc) + ").");
  // 7. FlatBuffers verifier: every offset, vector and string inside the payload.
  AlignedPayload aligned(payload);
  const auto max_tables = static_cast<flatbuffers::uoffset_t>(std::max<uint64_t>(1000000, payload.size() / 4));
  flatbuffers::Verifier verifier(aligned.data(), payload.size(), /*max_depth=*/64, max_tables);
  if (!fb::VerifyModelBuffer(verifier))
    return invalid_argument(L + " is not a valid edgeq model: its payload fails the FlatBuffers verifier "
                            "(schema src/format/edgeq_model.fbs).");
  // 8. Conversion and the structural checks.
  StatusOr<Program> program = convert(*fb::GetModel(aligned.data()));
  if (!program.ok()) return Status(program.status().code(), L + " is invalid: " + lower_first(program.status().message()));
  if (program->format_version != version)
    return invalid_argument(L + " is invalid: its header says format version " + std::to_string(version) +
                            " but its payload says " + std::to_string(program->format_version) + ".");
  Status valid = validate(*program);
  if (!valid.ok()) return Status(valid.code(), L + " is invalid: " + lower_first(valid.message()));
  // 9. Can this reader run it?
  const CompileOptions& o = program->options;
  if (!options.marches.empty() &&
      std::find(options.marches.begin(), options.marches.end(), o.march) == options.marches.end())
    return unsupported(L + " was compiled for march '" + o.march + "'; this runtime runs: " + join(options.marches) +
                       ".");
  // An empty ISA means the program uses no ISA-specific code ("any").
  const std::string file_isa = o.isa.empty() ? "any" : o.isa;
  if (!options.host_isa.empty() && !kernels::isa_can_run(options.host_isa, file_isa))
    return unsupported(L + " was compiled for " + file_isa + "; this CPU supports " + options.host_isa + " only.");
  return program;
}

}  // namespace

StatusOr<Program> parse_bin(std::span<const uint8_t> bytes, const ReadOptions& options) {
  return parse(bytes, options, "the model buffer");
}

StatusOr<Program> read_bin(const std::string& path, const ReadOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return invalid_argument(path + " is a directory, not an edgeq model file.");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    if (!std::filesystem::exists(path, ec)) return not_found(path + " does not exist.");
    return io_error(path + " cannot be opened for reading.");
  }
  const std::streamoff size = in.tellg();
  if (size < 0) return io_error(path + " cannot be read (is it a regular file?).");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    return io_error(path + " cannot be read: the read stopped early.");
  return parse(bytes, options, path);
}

}  // namespace edgeq::format
