// The compiled model in memory: what the compiler produces, what the `.bin` file stores
// (src/format/bin.h writes and reads it), and what the runtime executes. It is the
// contract between the three; docs/format.md describes the file form of every field.
//
//   compiler::compile(quantized graph)  ──▶  Program  ──format::write_bin──▶  model.bin
//   model.bin ──format::read_bin (validates everything)──▶ Program ──runtime──▶ outputs
//
// Tensors are addressed by index into Program::tensors. Ops run in the order of
// Program::ops; a Segment is a contiguous run of ops with one placement.
//
// Op vocabulary (Op::type). Accelerator ops work on quantized tensors; their exact
// arithmetic is specified in kernels/int8/qops.h, and the runtime, the interpreter's
// int8 simulation and the compiler's lookup tables all follow it.
//
//   QConv        in: x u8, w s8 const [O, I/group, kH, kW] (per-channel scale, axis 0),
//                    b s32 const [O] (optional)
//                attrs: strides, pads (4: top, left, bottom, right), dilations, group
//                optional 4th input r u8 (O2+, a folded residual QAdd): out = QAdd(conv, r)
//                (or QAdd(r, conv) with attr residual_first = 1), the conv result quantized
//                with attrs conv_scale / conv_zero_point; r has the output's shape and layout
//                and may share its arena bytes (docs/format.md, "QConv with a residual add")
//   QGemm        in: x u8 [M, K] (leading dims flattened), w s8 const [N, K] (scales axis 0),
//                    b s32 const [N] (optional). out u8 [M, N] (or the leading dims + N)
//   QAdd, QMul   in: a u8, b u8 (either may be constant); numpy broadcasting on the
//                logical shapes; out u8 with its own params
//   QLut         in: x u8, table u8 const [256]; out[i] = table[x[i]] (Sigmoid, HardSwish,
//                Tanh, LeakyRelu, Relu/Clip with requantization, …). attr `source_op`.
//   QGlobalAveragePool   u8 [N, C, H, W] → u8 [N, C, 1, 1]
//   QAveragePool         attrs as ONNX AveragePool (kernel_shape, strides, pads,
//                        count_include_pad); out params = in params
//   MaxPool              u8 direct (ONNX attrs), out params = in params
//   QConcat      attr axis (logical); every input requantized to the output params
//   QResize      attrs mode ("nearest"|"linear"), coordinate_transformation_mode,
//                nearest_mode; attr scales (floats, per logical dim); params unchanged
//   Reorder      attr to_layout ("NCHW"|"NHWC"): copies a 4-D tensor between layouts
//   ChannelShuffle  in: x0.. u8 [N, Ci, H, W] (concatenated along C, C = ΣCi; each
//                requantized to the outputs' params where its own differ); out: y0.. u8
//                [N, Ck, H, W], all with the same params. attrs group g (divides C),
//                channel_starts (one per output): yk[:, c] = shuffled[:, channel_starts[k] + c]
//                where shuffled channel j = concatenated channel (j % g) * (C / g) + j / g
//                (ONNX Reshape [N,g,C/g,H,W] → Transpose (0,2,1,3,4) → Reshape, with the
//                Concat before and the Slices / Split on C after; group 1 is a Slice /
//                Split on C). Any layout, NHWC at O1+.
//   Quantize     f32 → u8 with the output's params      (accelerator boundary)
//   Dequantize   u8 → f32 with the input's params       (accelerator boundary)
//   Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice, Split, Pad, Identity:
//                data movement on u8 or f32 in NCHW (plain) layout; shape-like operands
//                are constants; Pad's constant is the tensor's zero point
// CPU ops: any ONNX op type (domain "") with its attributes, on plain f32/int tensors,
// run by the reference kernels (kernels::run_kernel).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/attributes.h"
#include "base/dtype.h"

namespace edgeq::format {

// Version of the `.bin` layout. A reader refuses files with a larger number.
inline constexpr uint32_t kFormatVersion = 1;

// Physical order of a tensor's elements. kPlain = row-major in the logical (ONNX) order.
// kNHWC applies to 4-D tensors whose logical shape is [N, C, H, W].
enum class Layout : uint8_t { kPlain = 0, kNHWC = 1 };

enum class Placement : uint8_t { kAccelerator = 0, kCpu = 1 };

// Per-tensor (size 1) or per-channel (size = shape[axis]) quantization.
struct Quant {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int32_t axis = -1;  // -1: per tensor
};

struct TensorDesc {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;        // logical shape, ONNX order; always static
  Layout layout = Layout::kPlain;
  std::optional<Quant> quant;
  // Constants (weights, biases, tables, shape operands) carry their bytes, in `layout`
  // order; everything else lives in the instance arena at `arena_offset`.
  bool is_constant = false;
  std::vector<uint8_t> data;
  int64_t arena_offset = -1;         // bytes from the arena start; -1 for constants

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t nbytes() const { return numel() * static_cast<int64_t>(dtype_size(dtype)); }
};

struct Op {
  std::string name;                  // unique within the program
  std::string type;                  // see the vocabulary above
  std::vector<int32_t> inputs;       // tensor indices; -1 for an absent optional input
  std::vector<int32_t> outputs;
  Attributes attrs;                  // no Tensor-valued attributes
  std::vector<std::string> source_nodes;  // the quantized-graph nodes this op came from
};

struct Segment {
  Placement placement = Placement::kAccelerator;
  int32_t first_op = 0;              // ops [first_op, first_op + num_ops)
  int32_t num_ops = 0;
};

// A model input or output as the user sees it.
struct IoDesc {
  int32_t tensor = -1;               // index into tensors: its dtype/shape/layout/quant
  std::string source_name;           // the name in the float model
  // Ops cut away at the head (input) or tail (output) in fast-perf, in model order,
  // e.g. {"QuantizeLinear", "Transpose"}; the user does them (or not) outside.
  std::vector<std::string> removed_ops;
};

struct CompileOptions {
  std::string march = "host";
  std::string isa;                   // e.g. "avx512_core_vnni", "avx2_vnni", "avx2"
  int32_t optimize_level = 3;        // 0..3
  int32_t core_num = 1;
  bool fast_perf = false;
  std::string calibration_method;    // "max", "kl", …; "random" data in fast-perf
};

struct Program {
  uint32_t format_version = kFormatVersion;
  std::string toolchain_version;
  std::string model_name;
  CompileOptions options;
  std::vector<TensorDesc> tensors;
  std::vector<Op> ops;
  std::vector<Segment> segments;
  std::vector<IoDesc> inputs;
  std::vector<IoDesc> outputs;
  int64_t arena_bytes = 0;           // one instance's activation memory
  // Free-form facts: source_model_sha256, calibration, per-layer similarity (JSON), …
  std::map<std::string, std::string> metadata;
};

}  // namespace edgeq::format
