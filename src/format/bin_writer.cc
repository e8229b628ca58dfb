// Program → `.bin` bytes (header + FlatBuffers payload), and the atomic file write.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>

#include "format/bin.h"
#include "format/crc32c.h"
#include "format/edgeq_model_generated.h"
#include "format/header.h"
#include "format/messages.h"

namespace edgeq::format {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// FlatBuffers offsets are 32-bit: a payload must stay under 2 GiB. Checked before
// building with an upper bound of the payload size, since the builder itself only asserts.
constexpr uint64_t kMaxPayload = (uint64_t{1} << 31) - (uint64_t{1} << 20);

uint64_t strings_bytes(const std::vector<std::string>& v) {
  uint64_t n = 8;
  for (const auto& s : v) n += s.size() + 16;
  return n;
}

uint64_t payload_upper_bound(const Program& p) {
  uint64_t n = 4096 + p.toolchain_version.size() + p.model_name.size() + p.options.march.size() +
               p.options.isa.size() + p.options.calibration_method.size();
  for (const TensorDesc& t : p.tensors) {
    n += 256 + t.name.size() + 8 * t.shape.size() + t.data.size() + 64;
    if (t.quant) n += 64 + 4 * t.quant->scale.size() + 4 * t.quant->zero_point.size();
  }
  for (const Op& op : p.ops) {
    n += 128 + op.name.size() + op.type.size() + 4 * (op.inputs.size() + op.outputs.size()) +
         strings_bytes(op.source_nodes);
    for (const auto& [name, value] : op.attrs.all()) {
      n += 96 + name.size();
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) n += v.size();
            if constexpr (std::is_same_v<T, std::vector<int64_t>>) n += 8 * v.size();
            if constexpr (std::is_same_v<T, std::vector<float>>) n += 4 * v.size();
            if constexpr (std::is_same_v<T, std::vector<std::string>>) n += strings_bytes(v);
          },
          value);
    }
  }
  n += 32 * p.segments.size();
  for (const auto* ios : {&p.inputs, &p.outputs})
    for (const IoDesc& io : *ios) n += 64 + io.source_name.size() + strings_bytes(io.removed_ops);
  for (const auto& [k, v] : p.metadata) n += 48 + k.size() + v.size();
  return n;
}

Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> string_vector(
    FlatBufferBuilder& b, const std::vector<std::string>& v) {
  std::vector<Offset<flatbuffers::String>> offs;
  offs.reserve(v.size());
  for (const auto& s : v) offs.push_back(b.CreateString(s));
  return b.CreateVector(offs);
}

StatusOr<Offset<fb::Attribute>> build_attribute(FlatBufferBuilder& b, const Op& op, const std::string& name,
                                                const AttributeValue& value) {
  auto n = b.CreateString(name);
  if (const auto* v = std::get_if<int64_t>(&value))
    return fb::CreateAttribute(b, n, fb::AttributeType::Int, *v);
  if (const auto* v = std::get_if<float>(&value))
    return fb::CreateAttribute(b, n, fb::AttributeType::Float, 0, *v);
  if (const auto* v = std::get_if<std::string>(&value)) {
    auto s = b.CreateString(*v);
    return fb::CreateAttribute(b, n, fb::AttributeType::String, 0, 0.0f, s);
  }
  if (const auto* v = std::get_if<std::vector<int64_t>>(&value)) {
    auto ints = b.CreateVector(*v);
    return fb::CreateAttribute(b, n, fb::AttributeType::Ints, 0, 0.0f, 0, ints);
  }
  if (const auto* v = std::get_if<std::vector<float>>(&value)) {
    auto floats = b.CreateVector(*v);
    return fb::CreateAttribute(b, n, fb::AttributeType::Floats, 0, 0.0f, 0, 0, floats);
  }
  if (const auto* v = std::get_if<std::vector<std::string>>(&value)) {
    auto strings = string_vector(b, *v);
    return fb::CreateAttribute(b, n, fb::AttributeType::Strings, 0, 0.0f, 0, 0, 0, strings);
  }
  return invalid_argument("Op '" + op.name + "' has a tensor-valued attribute '" + name +
                          "', which a .bin file cannot hold (make it a constant input).");
}

Offset<fb::Tensor> build_tensor(FlatBufferBuilder& b, const TensorDesc& t) {
  Offset<flatbuffers::Vector<uint8_t>> data = 0;
  if (t.is_constant || !t.data.empty()) {
    b.ForceVectorAlignment(t.data.size(), sizeof(uint8_t), 64);
    data = b.CreateVector(t.data);
  }
  Offset<fb::Quant> quant = 0;
  if (t.quant) {
    auto scale = b.CreateVector(t.quant->scale);
    auto zp = b.CreateVector(t.quant->zero_point);
    quant = fb::CreateQuant(b, scale, zp, t.quant->axis);
  }
  auto name = b.CreateString(t.name);
  auto shape = b.CreateVector(t.shape);
  return fb::CreateTensor(b, name, static_cast<int32_t>(t.dtype), shape, static_cast<fb::Layout>(t.layout), quant,
                          t.is_constant, data, t.arena_offset);
}

StatusOr<Offset<fb::Op>> build_op(FlatBufferBuilder& b, const Op& op) {
  std::vector<Offset<fb::Attribute>> attrs;
  for (const auto& [name, value] : op.attrs.all()) {
    EDGEQ_ASSIGN_OR_RETURN(Offset<fb::Attribute> a, build_attribute(b, op, name, value));
    attrs.push_back(a);
  }
  auto name = b.CreateString(op.name);
  auto type = b.CreateString(op.type);
  auto inputs = b.CreateVector(op.inputs);
  auto outputs = b.CreateVector(op.outputs);
  auto attributes = b.CreateVector(attrs);
  auto sources = string_vector(b, op.source_nodes);
  return fb::CreateOp(b, name, type, inputs, outputs, attributes, sources);
}

Offset<flatbuffers::Vector<Offset<fb::IoDesc>>> build_ios(FlatBufferBuilder& b, const std::vector<IoDesc>& ios) {
  std::vector<Offset<fb::IoDesc>> offs;
  for (const IoDesc& io : ios) {
    auto source = b.CreateString(io.source_name);
    auto removed = string_vector(b, io.removed_ops);
    offs.push_back(fb::CreateIoDesc(b, io.tensor, source, removed));
  }
  return b.CreateVector(offs);
}

}  // namespace

namespace testing {

StatusOr<std::vector<uint8_t>> serialize_unvalidated(const Program& p) {
  const uint64_t bound = payload_upper_bound(p);
  if (bound > kMaxPayload)
    return invalid_argument("Model '" + p.model_name + "' needs about " + std::to_string(bound >> 20) +
                            " MiB, more than the 2 GiB a .bin file of format version " +
                            std::to_string(kFormatVersion) + " holds.");
  FlatBufferBuilder b(static_cast<size_t>(bound));

  std::vector<Offset<fb::Tensor>> tensors;
  tensors.reserve(p.tensors.size());
  for (const TensorDesc& t : p.tensors) tensors.push_back(build_tensor(b, t));
  auto tensors_vec = b.CreateVector(tensors);

  std::vector<Offset<fb::Op>> ops;
  ops.reserve(p.ops.size());
  for (const Op& op : p.ops) {
    EDGEQ_ASSIGN_OR_RETURN(Offset<fb::Op> o, build_op(b, op));
    ops.push_back(o);
  }
  auto ops_vec = b.CreateVector(ops);

  std::vector<Offset<fb::Segment>> segments;
  for (const Segment& s : p.segments)
    segments.push_back(fb::CreateSegment(b, static_cast<fb::Placement>(s.placement), s.first_op, s.num_ops));
  auto segments_vec = b.CreateVector(segments);

  auto inputs = build_ios(b, p.inputs);
  auto outputs = build_ios(b, p.outputs);

  std::vector<Offset<fb::KeyValue>> metadata;
  for (const auto& [k, v] : p.metadata) {
    auto key = b.CreateString(k);
    auto value = b.CreateString(v);
    metadata.push_back(fb::CreateKeyValue(b, key, value));
  }
  auto metadata_vec = b.CreateVector(metadata);

  const CompileOptions& o = p.options;
  auto options = fb::CreateCompileOptions(b, b.CreateString(o.march), b.CreateString(o.isa), o.optimize_level,
                                          o.core_num, o.fast_perf, b.CreateString(o.calibration_method));
  auto toolchain = b.CreateString(p.toolchain_version);
  auto model_name = b.CreateString(p.model_name);
  auto model = fb::CreateModel(b, kFormatVersion, toolchain, model_name, options, tensors_vec, ops_vec, segments_vec,
                               inputs, outputs, p.arena_bytes, metadata_vec);
  fb::FinishModelBuffer(b, model);

  const uint8_t* payload = b.GetBufferPointer();
  const size_t payload_size = b.GetSize();
  std::vector<uint8_t> file(kHeaderSize + payload_size, 0);
  uint8_t* h = file.data();
  std::memcpy(h + header::kMagicOffset, kMagic, sizeof(kMagic));
  header::store_u32(h + header::kVersionOffset, kFormatVersion);
  header::store_u32(h + header::kHeaderSizeOffset, static_cast<uint32_t>(kHeaderSize));
  header::store_u64(h + header::kPayloadSizeOffset, payload_size);
  header::store_u32(h + header::kPayloadCrcOffset, crc32c(payload, payload_size));
  header::store_u32(h + header::kHeaderCrcOffset, crc32c(h, header::kHeaderCrcOffset));
  std::memcpy(h + kHeaderSize, payload, payload_size);
  return file;
}

}  // namespace testing

StatusOr<std::vector<uint8_t>> serialize(const Program& program) {
  Status s = validate(program);
  if (!s.ok()) return Status(s.code(), "Model '" + program.model_name + "' is invalid: " + lower_first(s.message()));
  return testing::serialize_unvalidated(program);
}

Status write_bin(const Program& program, const std::string& path) {
  StatusOr<std::vector<uint8_t>> bytes = serialize(program);
  if (!bytes.ok())
    return Status(bytes.status().code(), path + " was not written: " + lower_first(bytes.status().message()));
  // Same folder as the target, so the rename stays on one file system and is atomic.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return io_error(path + " cannot be written: " + std::strerror(errno) + ".");
  const bool written = std::fwrite(bytes->data(), 1, bytes->size(), f) == bytes->size();
  const int write_errno = errno;
  const bool flushed = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!written || !flushed || !closed) {
    std::remove(tmp.c_str());
    return io_error(path + " cannot be written: " + std::strerror(written ? errno : write_errno) + ".");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    return io_error(path + " cannot be written: the rename from " + tmp + " failed: " + std::strerror(e) + ".");
  }
  return Status();
}

}  // namespace edgeq::format
