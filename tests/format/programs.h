// Programs and byte helpers shared by the format tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "format/bin.h"
#include "format/crc32c.h"

namespace edgeq::format::test {

// A small program with every field of Program set to a non-default value: a u8 NHWC
// input, an i8 per-channel weight, an i32 bias, a QConv with one attribute of each type,
// a CPU Dequantize, two segments, removed head/tail ops and metadata.
inline Program full_program() {
  Program p;
  p.toolchain_version = "edgeq 0.1.0 (test)";
  p.model_name = "tiny_conv";
  p.options = {"host", "avx2", 2, 2, true, "kl"};

  TensorDesc x;
  x.name = "x";
  x.dtype = DType::kUInt8;
  x.shape = {1, 3, 4, 4};
  x.layout = Layout::kNHWC;
  x.quant = Quant{{0.02f}, {128}, -1};
  x.arena_offset = 0;

  TensorDesc w;
  w.name = "conv.weight";
  w.dtype = DType::kInt8;
  w.shape = {2, 3, 1, 1};
  w.quant = Quant{{0.5f, 0.25f}, {0, 0}, 0};
  w.is_constant = true;
  w.data = {1, 2, 3, 0xFF, 0xFE, 0x80};

  TensorDesc b;
  b.name = "conv.bias";
  b.dtype = DType::kInt32;
  b.shape = {2};
  b.is_constant = true;
  b.data = {1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF};

  TensorDesc y;
  y.name = "y";
  y.dtype = DType::kUInt8;
  y.shape = {1, 2, 4, 4};
  y.layout = Layout::kNHWC;
  y.quant = Quant{{0.1f}, {3}, -1};
  y.arena_offset = 64;

  TensorDesc z;
  z.name = "z";
  z.dtype = DType::kFloat32;
  z.shape = {1, 2, 4, 4};
  z.arena_offset = 128;

  p.tensors = {x, w, b, y, z};

  Op conv;
  conv.name = "conv";
  conv.type = "QConv";
  conv.inputs = {0, 1, 2};
  conv.outputs = {3};
  conv.attrs.set("group", int64_t{1});
  conv.attrs.set("alpha", 0.125f);
  conv.attrs.set("activation", std::string("Relu"));
  conv.attrs.set("strides", std::vector<int64_t>{1, 1});
  conv.attrs.set("pads", std::vector<int64_t>{0, 0, 0, 0});
  conv.attrs.set("scales", std::vector<float>{1.0f, 2.5f});
  conv.attrs.set("names", std::vector<std::string>{"a", "", "c"});
  conv.source_nodes = {"Conv_0", "Relu_1"};

  Op dq;
  dq.name = "dequantize_y";
  dq.type = "Dequantize";
  dq.inputs = {3, -1};
  dq.outputs = {4};
  dq.source_nodes = {"y_DequantizeLinear"};

  p.ops = {conv, dq};
  p.segments = {{Placement::kAccelerator, 0, 1}, {Placement::kCpu, 1, 1}};
  p.inputs = {{0, "input", {"QuantizeLinear", "Transpose"}}};
  p.outputs = {{4, "logits", {}}};
  p.arena_bytes = 256;
  p.metadata = {{"source_model_sha256", "abc123"}, {"calibration", "kl"}, {"empty", ""}};
  return p;
}

inline std::vector<uint8_t> serialize_or_die(const Program& p) {
  StatusOr<std::vector<uint8_t>> bytes = serialize(p);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

inline std::vector<uint8_t> serialize_unvalidated_or_die(const Program& p) {
  StatusOr<std::vector<uint8_t>> bytes = testing::serialize_unvalidated(p);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

inline void put_u32(std::vector<uint8_t>& f, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) f[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Recomputes both checksums, so a mutated payload reaches the verifier and the checks
// behind it instead of stopping at the checksum.
inline void fix_checksums(std::vector<uint8_t>& f) {
  put_u32(f, 24, crc32c(f.data() + kHeaderSize, f.size() - kHeaderSize));
  put_u32(f, 60, crc32c(f.data(), 60));
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace edgeq::format::test
