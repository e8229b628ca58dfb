// A hand-made two-op Program for the C API tests: u8 [1,16] → QLut (x+1, saturating)
// → QLut (255 - t) → u8 [1,16], so output[i] = 255 - min(255, input[i] + 1).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "format/bin.h"
#include "format/program.h"
#include "kernels/isa.h"

namespace edgeq::testing_api {

inline constexpr int kElems = 16;

inline format::TensorDesc activation(const std::string& name, int64_t offset, float scale, int32_t zp) {
  format::TensorDesc t;
  t.name = name;
  t.dtype = DType::kUInt8;
  t.shape = {1, kElems};
  t.quant = format::Quant{{scale}, {zp}, -1};
  t.arena_offset = offset;
  return t;
}

inline format::TensorDesc table(const std::string& name, std::vector<uint8_t> values) {
  format::TensorDesc t;
  t.name = name;
  t.dtype = DType::kUInt8;
  t.shape = {256};
  t.is_constant = true;
  t.data = std::move(values);
  return t;
}

inline format::Program lut_program() {
  format::Program p;
  p.toolchain_version = "test";
  p.model_name = "lut_pair";
  p.options.march = "host";
  p.options.isa = kernels::host_isa();
  p.options.core_num = 1;
  p.options.fast_perf = true;
  p.options.calibration_method = "max";
  std::vector<uint8_t> plus_one(256), flip(256);
  for (int i = 0; i < 256; ++i) {
    plus_one[i] = static_cast<uint8_t>(std::min(255, i + 1));
    flip[i] = static_cast<uint8_t>(255 - i);
  }
  p.tensors = {activation("input", 0, 0.05f, 3), table("plus_one", plus_one), activation("mid", 64, 0.05f, 3),
               table("flip", flip), activation("output", 128, 0.1f, 7)};
  format::Op a;
  a.name = "lut_plus_one";
  a.type = "QLut";
  a.inputs = {0, 1};
  a.outputs = {2};
  a.attrs.set("source_op", std::string("Relu"));
  format::Op b = a;
  b.name = "lut_flip";
  b.inputs = {2, 3};
  b.outputs = {4};
  b.attrs.set("source_op", std::string("Neg"));
  p.ops = {a, b};
  p.segments = {format::Segment{format::Placement::kAccelerator, 0, 2}};
  p.inputs = {format::IoDesc{0, "images", {"QuantizeLinear", "Transpose"}}};
  p.outputs = {format::IoDesc{4, "logits", {"DequantizeLinear"}}};
  p.arena_bytes = 192;
  p.metadata["calibration"] = "random";
  return p;
}

inline uint8_t expected(uint8_t x) { return static_cast<uint8_t>(255 - std::min(255, x + 1)); }

// Writes `p` into this process's temp folder (ctest runs tests in parallel processes);
// returns the path.
inline std::string write_program(const format::Program& p, const std::string& name) {
  auto dir = std::filesystem::path(::testing::TempDir()) / ("edgeq_api_tests_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / name).string();
  Status s = format::write_bin(p, path);
  EXPECT_TRUE(s.ok()) << s.message();
  return path;
}

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace edgeq::testing_api
