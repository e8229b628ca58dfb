// C API: loading (good, missing, truncated, corrupted, newer, foreign files), the
// descriptions, the info JSON and argument checks.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "edgeq/runtime.h"
#include "tests/runtime/api_fixture.h"

namespace edgeq::testing_api {
namespace {

struct ModelPtr {
  edgeq_model* m = nullptr;
  ~ModelPtr() { edgeq_model_release(m); }
};

std::string good_path() {
  static const std::string path = write_program(lut_program(), "lut_pair.bin");
  return path;
}

TEST(ApiLoad, LoadsAndDescribesInputsAndOutputs) {
  ModelPtr m;
  edgeq_load_options o{2};
  ASSERT_EQ(edgeq_model_load(good_path().c_str(), &o, &m.m), EDGEQ_OK) << edgeq_last_error();
  EXPECT_EQ(edgeq_model_num_inputs(m.m), 1);
  EXPECT_EQ(edgeq_model_num_outputs(m.m), 1);
  EXPECT_EQ(edgeq_model_num_cores(m.m), 2);
  edgeq_tensor_desc in{}, out{};
  ASSERT_EQ(edgeq_model_input_desc(m.m, 0, &in), EDGEQ_OK);
  ASSERT_EQ(edgeq_model_output_desc(m.m, 0, &out), EDGEQ_OK);
  EXPECT_STREQ(in.name, "input");
  EXPECT_EQ(in.dtype, EDGEQ_DTYPE_UINT8);
  EXPECT_EQ(in.layout, EDGEQ_LAYOUT_PLAIN);
  ASSERT_EQ(in.ndim, 2);
  EXPECT_EQ(in.dims[0], 1);
  EXPECT_EQ(in.dims[1], kElems);
  EXPECT_EQ(in.bytes, static_cast<size_t>(kElems));
  EXPECT_EQ(in.has_quant, 1);
  EXPECT_FLOAT_EQ(in.scale, 0.05f);
  EXPECT_EQ(in.zero_point, 3);
  EXPECT_STREQ(in.removed_ops, "QuantizeLinear,Transpose");
  EXPECT_STREQ(out.name, "output");
  EXPECT_FLOAT_EQ(out.scale, 0.1f);
  EXPECT_EQ(out.zero_point, 7);
  EXPECT_STREQ(out.removed_ops, "DequantizeLinear");
}

TEST(ApiLoad, InfoJsonDescribesTheModel) {
  ModelPtr m;
  edgeq_load_options o{1};
  ASSERT_EQ(edgeq_model_load(good_path().c_str(), &o, &m.m), EDGEQ_OK) << edgeq_last_error();
  const char* text = edgeq_model_info_json(m.m);
  ASSERT_NE(text, nullptr);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["name"], "lut_pair");
  EXPECT_EQ(j["march"], "host");
  EXPECT_EQ(j["isa"], kernels::host_isa());
  EXPECT_EQ(j["toolchain"], "test");
  EXPECT_EQ(j["options"]["core_num"], 1);
  EXPECT_EQ(j["options"]["optimize_level"], 3);
  EXPECT_EQ(j["options"]["calibration_method"], "max");
  EXPECT_EQ(j["arena_bytes"], 192);
  EXPECT_GE(j["load_time_ms"].get<double>(), 0.0);
  ASSERT_EQ(j["segments"].size(), 1u);
  EXPECT_EQ(j["segments"][0]["placement"], "accelerator");
  EXPECT_EQ(j["segments"][0]["op_counts"]["QLut"], 2);
  EXPECT_EQ(j["num_ops"], 2);
  EXPECT_EQ(j["inputs"][0]["source_name"], "images");
  EXPECT_EQ(j["outputs"][0]["removed_ops"][0], "DequantizeLinear");
  EXPECT_EQ(j["metadata"]["calibration"], "random");
  EXPECT_EQ(j["kernels"].size(), 2u);
  EXPECT_EQ(j["num_cores"], 1);
}

TEST(ApiLoad, LoadsFromMemory) {
  std::vector<uint8_t> bytes = read_file(good_path());
  ModelPtr m;
  ASSERT_EQ(edgeq_model_load_from_memory(bytes.data(), bytes.size(), nullptr, &m.m), EDGEQ_OK) << edgeq_last_error();
  EXPECT_EQ(edgeq_model_num_inputs(m.m), 1);
  EXPECT_GE(edgeq_model_num_cores(m.m), 1);
}

void expect_load_error(const std::string& path, edgeq_status want, const std::string& words) {
  edgeq_model* m = reinterpret_cast<edgeq_model*>(0x1);
  EXPECT_EQ(edgeq_model_load(path.c_str(), nullptr, &m), want) << edgeq_last_error();
  EXPECT_EQ(m, nullptr);
  std::string msg = edgeq_last_error();
  EXPECT_FALSE(msg.empty());
  EXPECT_NE(msg.find(words), std::string::npos) << msg;
}

TEST(ApiLoad, MissingFile) { expect_load_error("/nonexistent/model.bin", EDGEQ_ERROR_BAD_FILE, "/nonexistent/model.bin"); }

TEST(ApiLoad, TruncatedFile) {
  std::vector<uint8_t> bytes = read_file(good_path());
  auto dir = std::filesystem::path(good_path()).parent_path();
  for (size_t keep : {size_t{0}, size_t{7}, bytes.size() / 2, bytes.size() - 1}) {
    std::string path = (dir / ("truncated_" + std::to_string(keep) + ".bin")).string();
    write_file(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + keep));
    SCOPED_TRACE(keep);
    expect_load_error(path, EDGEQ_ERROR_BAD_FILE, "");
  }
}

TEST(ApiLoad, EveryFlippedPayloadByteIsRefused) {
  std::vector<uint8_t> bytes = read_file(good_path());
  // One byte flipped anywhere: the header checks or the payload checksum catch it.
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::vector<uint8_t> bad = bytes;
    bad[i] ^= 0x5a;
    edgeq_model* m = nullptr;
    edgeq_status s = edgeq_model_load_from_memory(bad.data(), bad.size(), nullptr, &m);
    EXPECT_NE(s, EDGEQ_OK) << "byte " << i;
    EXPECT_TRUE(s == EDGEQ_ERROR_BAD_FILE || s == EDGEQ_ERROR_UNSUPPORTED) << "byte " << i << ": " << s;
    EXPECT_FALSE(std::string(edgeq_last_error()).empty());
    edgeq_model_release(m);
  }
}

TEST(ApiLoad, NewerFormatVersionIsUnsupported) {
  // The header's format_version (u32 little-endian at byte 8, docs/format.md) of a later
  // edgeq: the reader refuses before looking at anything a later version may change.
  std::vector<uint8_t> bytes = read_file(good_path());
  ASSERT_GT(bytes.size(), 12u);
  const uint32_t newer = format::kFormatVersion + 1;
  for (int i = 0; i < 4; ++i) bytes[8 + i] = static_cast<uint8_t>(newer >> (8 * i));
  edgeq_model* m = nullptr;
  EXPECT_EQ(edgeq_model_load_from_memory(bytes.data(), bytes.size(), nullptr, &m), EDGEQ_ERROR_UNSUPPORTED);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(edgeq_last_error()).find("version"), std::string::npos) << edgeq_last_error();
}

TEST(ApiLoad, OtherMarchIsUnsupported) {
  format::Program p = lut_program();
  p.options.march = "bayes";
  auto bytes = format::serialize(p);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  edgeq_model* m = nullptr;
  EXPECT_EQ(edgeq_model_load_from_memory(bytes->data(), bytes->size(), nullptr, &m), EDGEQ_ERROR_UNSUPPORTED);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(edgeq_last_error()).find("bayes"), std::string::npos) << edgeq_last_error();
}

TEST(ApiLoad, IsaThisCpuLacksIsUnsupported) {
  const std::string host = kernels::host_isa();
  std::string beyond;
  for (const char* isa : {"avx512_core_amx", "avx512_core_vnni", "avx2_vnni", "avx2"})
    if (!kernels::isa_can_run(host, isa)) {
      beyond = isa;
      break;
    }
  if (beyond.empty()) GTEST_SKIP() << "this CPU runs every ISA edgeq knows";
  format::Program p = lut_program();
  p.options.isa = beyond;
  auto bytes = format::serialize(p);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  edgeq_model* m = nullptr;
  EXPECT_EQ(edgeq_model_load_from_memory(bytes->data(), bytes->size(), nullptr, &m), EDGEQ_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(edgeq_last_error()).find(beyond), std::string::npos) << edgeq_last_error();
}

TEST(ApiLoad, ArgumentChecks) {
  edgeq_model* m = nullptr;
  EXPECT_EQ(edgeq_model_load(nullptr, nullptr, &m), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(edgeq_model_load(good_path().c_str(), nullptr, nullptr), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(edgeq_model_load_from_memory(nullptr, 10, nullptr, &m), EDGEQ_ERROR_INVALID_ARGUMENT);
  edgeq_load_options bad{-1};
  EXPECT_EQ(edgeq_model_load(good_path().c_str(), &bad, &m), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(edgeq_last_error()).find("num_cores"), std::string::npos);
  EXPECT_EQ(m, nullptr);

  ModelPtr good;
  ASSERT_EQ(edgeq_model_load(good_path().c_str(), nullptr, &good.m), EDGEQ_OK);
  edgeq_tensor_desc d;
  EXPECT_EQ(edgeq_model_input_desc(good.m, 1, &d), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(edgeq_last_error()).find("out of range"), std::string::npos);
  EXPECT_EQ(edgeq_model_output_desc(good.m, -1, &d), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(edgeq_model_input_desc(good.m, 0, nullptr), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(edgeq_model_input_desc(nullptr, 0, &d), EDGEQ_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(edgeq_model_num_inputs(nullptr), -1);
  EXPECT_EQ(edgeq_model_info_json(nullptr), nullptr);
  EXPECT_EQ(edgeq_model_set_profiling(nullptr, 1), EDGEQ_ERROR_INVALID_ARGUMENT);
  edgeq_model_release(nullptr);  // allowed, does nothing
}

TEST(ApiLoad, LastErrorIsPerThread) {
  edgeq_model* m = nullptr;
  ASSERT_EQ(edgeq_model_load("/nonexistent/a.bin", nullptr, &m), EDGEQ_ERROR_BAD_FILE);
  std::string mine = edgeq_last_error();
  std::thread([&] {
    edgeq_model* other = nullptr;
    EXPECT_EQ(edgeq_model_load(nullptr, nullptr, &other), EDGEQ_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(edgeq_last_error()), mine);
  }).join();
  EXPECT_EQ(std::string(edgeq_last_error()), mine);
}

}  // namespace
}  // namespace edgeq::testing_api
