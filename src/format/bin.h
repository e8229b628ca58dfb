// The `.bin` model file: a FlatBuffers buffer (schema src/format/edgeq_model.fbs,
// specified in docs/format.md) holding a format::Program.
//
//   EDGEQ_RETURN_IF_ERROR(format::write_bin(program, "model_output/resnet50.bin"));
//   format::ReadOptions ro;
//   ro.host_isa = kernels::host_isa();
//   EDGEQ_ASSIGN_OR_RETURN(format::Program p, format::read_bin("model_output/resnet50.bin", ro));
//
// The file is a fixed 64-byte header (magic, format version, payload size, CRC-32C of
// the payload, CRC-32C of the header) followed by the FlatBuffers payload; see
// docs/format.md for every byte.
//
// The reader trusts nothing. In this order: magic, size, format version, header checksum,
// payload size against the file size, payload checksum, FlatBuffers verifier, then the
// conversion to a Program (enum values, dtype codes, duplicate names), validate(), march
// and ISA. Each failure is one sentence naming the problem, starting with the file path
// in read_bin ("the model buffer" in parse_bin):
//   kInvalidArgument  not an edgeq file, or a structurally wrong model (validate)
//   kDataLoss         truncated, or a checksum mismatch (corrupted)
//   kUnsupported      a newer format version, another march, an ISA this CPU lacks
//   kIo / kNotFound   the file cannot be read
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/program.h"

namespace edgeq::format {

// The fixed header in front of the payload (little-endian fields, docs/format.md).
inline constexpr char kMagic[8] = {'E', 'D', 'G', 'E', 'Q', 'B', 'I', 'N'};
inline constexpr size_t kHeaderSize = 64;

// validate()s the program, then lays it out as a complete file (header + payload). The
// file always has format version kFormatVersion (program.format_version is ignored:
// this writer writes the current layout only).
StatusOr<std::vector<uint8_t>> serialize(const Program& program);
// Writes through a temporary file and a rename: a failure never leaves a partial file.
Status write_bin(const Program& program, const std::string& path);

struct ReadOptions {
  // The ISA of the machine that will run the model ("" skips the check, e.g. for the
  // static estimator and for model_info on another machine).
  std::string host_isa;
  // Marches this reader runs ("host" for the CPU runtime); empty accepts any march.
  std::vector<std::string> marches = {"host"};
};

StatusOr<Program> parse_bin(std::span<const uint8_t> bytes, const ReadOptions& options = {});
StatusOr<Program> read_bin(const std::string& path, const ReadOptions& options = {});

// Structural checks shared by the writer and the reader (indices in range, shapes and
// byte counts consistent, arena ranges inside arena_bytes, segments cover the ops).
// The message names the tensor / op / segment at fault, e.g.
//   "tensor 7 'conv1.weight' holds 100 bytes of constant data, but i8[16,3,3,3] needs 432".
Status validate(const Program& program);

namespace testing {
// serialize() without validate(), so tests can make files that only the reader's own
// checks catch. Fails only for what the schema cannot hold (Tensor attributes, > 2 GiB).
StatusOr<std::vector<uint8_t>> serialize_unvalidated(const Program& program);
}  // namespace testing

}  // namespace edgeq::format
