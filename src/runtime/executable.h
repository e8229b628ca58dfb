// The runtime's engine, below the C API (include/edgeq/runtime.h) and its scheduler.
//
//   EDGEQ_ASSIGN_OR_RETURN(format::Program p, format::read_bin(path, ro));
//   EDGEQ_ASSIGN_OR_RETURN(auto exe, runtime::Executable::create(std::move(p), {}));
//   EDGEQ_ASSIGN_OR_RETURN(auto inst, runtime::Instance::create(exe));   // one per core
//   std::memcpy(inst->input(0), image, exe->input_bytes(0));
//   EDGEQ_RETURN_IF_ERROR(inst->run());
//   const void* logits = inst->output(0);
//
// Executable is immutable once created and shared by all cores: the ops lowered to
// kernels, oneDNN primitive descriptors, weights reordered/prepacked once. Instance owns
// what one frame in flight needs: the activation arena (Program::arena_bytes), scratch
// memory, per-instance primitives. Instance::run allocates nothing and is not
// thread-safe; run different instances on different threads. The number of threads one
// frame uses is the calling thread's OpenMP setting (the scheduler sets it to core_num).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/program.h"

namespace edgeq::runtime {

struct ExecutableOptions {
  // Reserved for future knobs (e.g. forcing reference kernels for checks).
  bool reference_kernels = false;
  // Tests and benchmarks: build every QConv with the first oneDNN implementation whose
  // name starts with this (e.g. "br", "jit_int8") when one exists, instead of timing
  // the candidates at load. Empty: choose by timing (O3) or take oneDNN's first choice.
  std::string conv_impl;
  // Tests: run every QConv with a folded residual add (docs/format.md) through its table
  // form (conv result to a buffer, then a [c][r] → y table) instead of the post-op chain.
  bool residual_table = false;
};

class Executable {
 public:
  virtual ~Executable() = default;
  static StatusOr<std::shared_ptr<const Executable>> create(format::Program program,
                                                            const ExecutableOptions& options = {});

  virtual const format::Program& program() const = 0;
  virtual size_t input_bytes(int i) const = 0;
  virtual size_t output_bytes(int i) const = 0;
  // One line per op: which kernel implements it (e.g. "QConv: onednn jit:avx512_core_vnni").
  virtual std::vector<std::string> kernel_names() const = 0;
};

// Per-op wall time of one frame, filled by Instance::run when asked.
struct FrameProfile {
  std::vector<double> op_ms;  // indexed like Program::ops
};

class Instance {
 public:
  virtual ~Instance() = default;
  static StatusOr<std::unique_ptr<Instance>> create(std::shared_ptr<const Executable> executable);

  // The model's inputs and outputs, inside the arena, in the dtype/layout the Program's
  // IoDesc tensors describe.
  virtual void* input(int i) = 0;
  virtual const void* output(int i) const = 0;
  virtual Status run(FrameProfile* profile = nullptr) = 0;
};

}  // namespace edgeq::runtime
