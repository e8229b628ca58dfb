#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "format/bin.h"
#include "programs.h"

namespace edgeq::format {
namespace {

using test::full_program;

void expect_equal(const Program& a, const Program& b) {
  EXPECT_EQ(a.format_version, b.format_version);
  EXPECT_EQ(a.toolchain_version, b.toolchain_version);
  EXPECT_EQ(a.model_name, b.model_name);
  EXPECT_EQ(a.options.march, b.options.march);
  EXPECT_EQ(a.options.isa, b.options.isa);
  EXPECT_EQ(a.options.optimize_level, b.options.optimize_level);
  EXPECT_EQ(a.options.core_num, b.options.core_num);
  EXPECT_EQ(a.options.fast_perf, b.options.fast_perf);
  EXPECT_EQ(a.options.calibration_method, b.options.calibration_method);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    SCOPED_TRACE("tensor " + std::to_string(i));
    const TensorDesc &x = a.tensors[i], &y = b.tensors[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.dtype, y.dtype);
    EXPECT_EQ(x.shape, y.shape);
    EXPECT_EQ(x.layout, y.layout);
    ASSERT_EQ(x.quant.has_value(), y.quant.has_value());
    if (x.quant) {
      EXPECT_EQ(x.quant->scale, y.quant->scale);
      EXPECT_EQ(x.quant->zero_point, y.quant->zero_point);
      EXPECT_EQ(x.quant->axis, y.quant->axis);
    }
    EXPECT_EQ(x.is_constant, y.is_constant);
    EXPECT_EQ(x.data, y.data);
    EXPECT_EQ(x.arena_offset, y.arena_offset);
  }
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t k = 0; k < a.ops.size(); ++k) {
    SCOPED_TRACE("op " + std::to_string(k));
    const Op &x = a.ops[k], &y = b.ops[k];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    EXPECT_EQ(x.source_nodes, y.source_nodes);
    ASSERT_EQ(x.attrs.size(), y.attrs.size());
    for (const auto& [name, value] : x.attrs.all()) {
      const AttributeValue* other = y.attrs.find(name);
      ASSERT_NE(other, nullptr) << name;
      ASSERT_EQ(value.index(), other->index()) << name;
      EXPECT_EQ(attribute_to_string(value), attribute_to_string(*other)) << name;
    }
    EXPECT_EQ(x.attrs.get_int("group", -7), y.attrs.get_int("group", -7));
    EXPECT_EQ(x.attrs.get_floats("scales"), y.attrs.get_floats("scales"));
    EXPECT_EQ(x.attrs.get_strings("names"), y.attrs.get_strings("names"));
  }
  ASSERT_EQ(a.segments.size(), b.segments.size());
  for (size_t s = 0; s < a.segments.size(); ++s) {
    EXPECT_EQ(a.segments[s].placement, b.segments[s].placement);
    EXPECT_EQ(a.segments[s].first_op, b.segments[s].first_op);
    EXPECT_EQ(a.segments[s].num_ops, b.segments[s].num_ops);
  }
  for (const auto& [x, y] : {std::pair{&a.inputs, &b.inputs}, std::pair{&a.outputs, &b.outputs}}) {
    ASSERT_EQ(x->size(), y->size());
    for (size_t i = 0; i < x->size(); ++i) {
      EXPECT_EQ((*x)[i].tensor, (*y)[i].tensor);
      EXPECT_EQ((*x)[i].source_name, (*y)[i].source_name);
      EXPECT_EQ((*x)[i].removed_ops, (*y)[i].removed_ops);
    }
  }
  EXPECT_EQ(a.arena_bytes, b.arena_bytes);
  EXPECT_EQ(a.metadata, b.metadata);
}

TEST(BinRoundTrip, EveryFieldSurvives) {
  const Program p = full_program();
  const std::vector<uint8_t> bytes = test::serialize_or_die(p);
  ReadOptions ro;
  ro.host_isa = "avx512_core_vnni";
  StatusOr<Program> back = parse_bin(bytes, ro);
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_equal(p, *back);
}

TEST(BinRoundTrip, SerializeIsDeterministic) {
  EXPECT_EQ(test::serialize_or_die(full_program()), test::serialize_or_die(full_program()));
}

TEST(BinRoundTrip, HeaderFields) {
  const std::vector<uint8_t> f = test::serialize_or_die(full_program());
  ASSERT_GT(f.size(), kHeaderSize);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data()), 8), "EDGEQBIN");
  EXPECT_EQ(f[8], kFormatVersion);
  EXPECT_EQ(f[12], kHeaderSize);
  uint64_t payload = 0;
  for (int i = 7; i >= 0; --i) payload = payload << 8 | f[16 + i];
  EXPECT_EQ(payload, f.size() - kHeaderSize);
  EXPECT_EQ(f.size() % 64, 0u);
  // The FlatBuffers file identifier sits at bytes 4..7 of the payload.
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data()) + kHeaderSize + 4, 4), "EQMD");
}

// Constant bytes are 64-byte aligned in the file, so a loader may map them in place.
TEST(BinRoundTrip, ConstantDataIs64ByteAligned) {
  Program p = full_program();
  std::mt19937 rng(7);
  p.tensors[1].shape = {2, 3, 5, 7};
  p.tensors[1].data.resize(2 * 3 * 5 * 7);
  for (auto& v : p.tensors[1].data) v = static_cast<uint8_t>(rng());
  const std::vector<uint8_t> f = test::serialize_or_die(p);
  const auto& w = p.tensors[1].data;
  const auto it = std::search(f.begin(), f.end(), w.begin(), w.end());
  ASSERT_NE(it, f.end());
  EXPECT_EQ((it - f.begin()) % 64, 0);
}

TEST(BinRoundTrip, EmptyProgram) {
  Program p;
  p.model_name = "empty";
  StatusOr<Program> back = parse_bin(test::serialize_or_die(p));
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_equal(p, *back);
}

TEST(BinRoundTrip, ReadsFromAnUnalignedBuffer) {
  const std::vector<uint8_t> f = test::serialize_or_die(full_program());
  std::vector<uint8_t> shifted(f.size() + 3);
  std::copy(f.begin(), f.end(), shifted.begin() + 3);
  StatusOr<Program> back = parse_bin(std::span<const uint8_t>(shifted).subspan(3));
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_equal(full_program(), *back);
}

TEST(BinFile, WriteThenRead) {
  const auto dir = std::filesystem::path(EDGEQ_BINARY_DIR) / "format_test_files";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "roundtrip.bin").string();
  ASSERT_TRUE(write_bin(full_program(), path).ok());
  StatusOr<Program> back = read_bin(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_equal(full_program(), *back);
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind("roundtrip.bin", 0) == 0) ++files;
  EXPECT_EQ(files, 1);
}

TEST(BinFile, InvalidProgramLeavesNoFile) {
  const auto dir = std::filesystem::path(EDGEQ_BINARY_DIR) / "format_test_files";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "invalid.bin").string();
  std::filesystem::remove(path);
  Program p = full_program();
  p.ops[0].inputs[0] = 42;
  Status s = write_bin(p, path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind(path, 0), 0u) << s.message();
  EXPECT_TRUE(test::contains(s.message(), "input 0 is tensor 42")) << s.message();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(BinFile, UnwritableFolder) {
  Status s = write_bin(full_program(), "/nonexistent_folder_for_edgeq/model.bin");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIo);
  EXPECT_TRUE(test::contains(s.message(), "/nonexistent_folder_for_edgeq/model.bin cannot be written")) << s.message();
}

TEST(BinFile, MissingFile) {
  StatusOr<Program> r = read_bin("/nonexistent_folder_for_edgeq/model.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "/nonexistent_folder_for_edgeq/model.bin does not exist.");
}

TEST(BinFile, ErrorsStartWithThePath) {
  const auto dir = std::filesystem::path(EDGEQ_BINARY_DIR) / "format_test_files";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "not_a_model.bin").string();
  std::ofstream(path) << "hello, this is text";
  StatusOr<Program> r = read_bin(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind(path + " is not an edgeq model file", 0), 0u) << r.status().message();
  StatusOr<Program> d = read_bin(dir.string());
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(test::contains(d.status().message(), "is a directory")) << d.status().message();
}

TEST(BinWriter, TensorAttributeIsRefused) {
  Program p = full_program();
  p.ops[0].attrs.set("value", Tensor(DType::kFloat32, {2}));
  StatusOr<std::vector<uint8_t>> r = testing::serialize_unvalidated(p);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(test::contains(r.status().message(), "tensor-valued attribute 'value'")) << r.status().message();
}

}  // namespace
}  // namespace edgeq::format
