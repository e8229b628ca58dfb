// The `.bin` model file: a FlatBuffers buffer (schema src/format/edgeq_model.fbs,
// specified in docs/format.md) holding a format::Program.
//
//   EDGEQ_RETURN_IF_ERROR(format::write_bin(program, "model_output/resnet50.bin"));
//   format::ReadOptions ro;
//   ro.host_isa = kernels::host_isa();
//   EDGEQ_ASSIGN_OR_RETURN(format::Program p, format::read_bin("model_output/resnet50.bin", ro));
//
// The reader trusts nothing: magic, size, FlatBuffers verifier, payload checksum, format
// version, march and ISA, then every index, shape, dtype, byte count and arena range.
// Each failure is one sentence naming the problem (kInvalidArgument for bad files,
// kUnimplemented/unsupported for a newer version or another ISA).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/program.h"

namespace edgeq::format {

StatusOr<std::vector<uint8_t>> serialize(const Program& program);
// Writes through a temporary file and a rename: a failure never leaves a partial file.
Status write_bin(const Program& program, const std::string& path);

struct ReadOptions {
  // The ISA of the machine that will run the model ("" skips the check, e.g. for the
  // static estimator and for model_info on another machine).
  std::string host_isa;
  // Marches this reader runs ("host" for the CPU runtime).
  std::vector<std::string> marches = {"host"};
};

StatusOr<Program> parse_bin(std::span<const uint8_t> bytes, const ReadOptions& options = {});
StatusOr<Program> read_bin(const std::string& path, const ReadOptions& options = {});

// Structural checks shared by the writer and the reader (indices in range, shapes and
// byte counts consistent, arena ranges inside arena_bytes, segments cover the ops).
Status validate(const Program& program);

}  // namespace edgeq::format
