// Every way the reader refuses a file, each with the sentence that names the problem.
#include <gtest/gtest.h>

#include "format/bin.h"
#include "programs.h"

namespace edgeq::format {
namespace {

using test::contains;

Status parse_status(const std::vector<uint8_t>& f, const ReadOptions& ro = {}) {
  StatusOr<Program> r = parse_bin(f, ro);
  return r.ok() ? Status() : r.status();
}

TEST(BinReader, EmptyAndForeignFiles) {
  Status empty = parse_status({});
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "The model buffer is not an edgeq model file: it is empty.");
  const std::string text = "#!/bin/sh\necho not a model\n";
  Status foreign = parse_status(std::vector<uint8_t>(text.begin(), text.end()));
  EXPECT_EQ(foreign.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(foreign.message(), "is not an edgeq model file")) << foreign.message();
  // An ONNX file (protobuf) is foreign too.
  Status onnx = parse_status({0x08, 0x07, 0x12, 0x07, 'p', 'y', 't', 'o', 'r', 'c', 'h'});
  EXPECT_TRUE(contains(onnx.message(), "is not an edgeq model file")) << onnx.message();
}

TEST(BinReader, TruncatedAtEveryLength) {
  const std::vector<uint8_t> f = test::serialize_or_die(test::full_program());
  for (size_t len = 1; len < f.size(); ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    Status s = parse_status(std::vector<uint8_t>(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(len)));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kDataLoss);
    EXPECT_TRUE(contains(s.message(), "is truncated: " + std::to_string(len) + " bytes of ")) << s.message();
    if (len >= kHeaderSize) {
      EXPECT_TRUE(contains(s.message(), " bytes of " + std::to_string(f.size()) + ".")) << s.message();
    }
  }
}

TEST(BinReader, TrailingBytes) {
  std::vector<uint8_t> f = test::serialize_or_die(test::full_program());
  f.push_back(0);
  Status s = parse_status(f);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(s.message(), "has 1 bytes after the end of its payload")) << s.message();
}

TEST(BinReader, EveryPayloadByteFlippedIsCaughtByTheChecksum) {
  const std::vector<uint8_t> f = test::serialize_or_die(test::full_program());
  for (size_t pos = kHeaderSize; pos < f.size(); ++pos) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      std::vector<uint8_t> g = f;
      g[pos] ^= mask;
      Status s = parse_status(g);
      ASSERT_FALSE(s.ok()) << "byte " << pos;
      EXPECT_EQ(s.code(), StatusCode::kDataLoss) << "byte " << pos;
      EXPECT_TRUE(contains(s.message(), "is corrupted: payload checksum mismatch")) << "byte " << pos << ": " << s.message();
    }
  }
}

TEST(BinReader, EveryHeaderByteFlippedIsCaught) {
  const std::vector<uint8_t> f = test::serialize_or_die(test::full_program());
  for (size_t pos = 0; pos < kHeaderSize; ++pos) {
    std::vector<uint8_t> g = f;
    g[pos] ^= 0x40;
    Status s = parse_status(g);
    ASSERT_FALSE(s.ok()) << "byte " << pos;
    std::string want = "is corrupted: header checksum mismatch";
    if (pos < 8) want = "is not an edgeq model file";
    if (pos >= 8 && pos < 12) want = "newer than format version 1";  // 0x41 or a higher byte set
    EXPECT_TRUE(contains(s.message(), want)) << "byte " << pos << ": " << s.message();
  }
}

TEST(BinReader, NewerFormatVersion) {
  std::vector<uint8_t> f = test::serialize_or_die(test::full_program());
  test::put_u32(f, 8, kFormatVersion + 1);
  test::fix_checksums(f);
  Status s = parse_status(f);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_EQ(s.message(),
            "The model buffer has format version 2, newer than format version 1 that this edgeq reads; "
            "update edgeq, or rebuild the model with this toolchain.");
  // Refused before anything else is read: a later version may change the rest.
  f.resize(kHeaderSize);
  EXPECT_EQ(parse_status(f).code(), StatusCode::kUnsupported);
}

TEST(BinReader, VersionZero) {
  std::vector<uint8_t> f = test::serialize_or_die(test::full_program());
  test::put_u32(f, 8, 0);
  test::fix_checksums(f);
  EXPECT_TRUE(contains(parse_status(f).message(), "has format version 0")) << parse_status(f).message();
}

TEST(BinReader, OtherMarch) {
  Program p = test::full_program();
  p.options.march = "bernoulli2";
  const std::vector<uint8_t> f = test::serialize_or_die(p);
  Status s = parse_status(f);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_EQ(s.message(), "The model buffer was compiled for march 'bernoulli2'; this runtime runs: host.");
  ReadOptions any;
  any.marches = {};
  EXPECT_TRUE(parse_status(f, any).ok());
  ReadOptions both;
  both.marches = {"host", "bernoulli2"};
  EXPECT_TRUE(parse_status(f, both).ok());
}

TEST(BinReader, OtherIsa) {
  Program p = test::full_program();
  p.options.isa = "avx512_core_vnni";
  const std::vector<uint8_t> f = test::serialize_or_die(p);
  ReadOptions avx2;
  avx2.host_isa = "avx2";
  Status s = parse_status(f, avx2);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_EQ(s.message(), "The model buffer was compiled for avx512_core_vnni; this CPU supports avx2 only.");
  ReadOptions amx;
  amx.host_isa = "avx512_core_amx";
  EXPECT_TRUE(parse_status(f, amx).ok());
  ReadOptions skip;  // empty host ISA: no check (model_info on another machine)
  EXPECT_TRUE(parse_status(f, skip).ok());
  // A program without an ISA runs anywhere.
  p.options.isa = "";
  EXPECT_TRUE(parse_status(test::serialize_or_die(p), avx2).ok());
}

TEST(BinReader, InvalidProgramInsideAValidFile) {
  Program p = test::full_program();
  p.ops[1].inputs[0] = 99;
  Status s = parse_status(test::serialize_unvalidated_or_die(p));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "The model buffer is invalid: op 1 'dequantize_y' (Dequantize) input 0 is tensor 99, outside the 5 "
            "tensors.");
}

TEST(BinReader, UnknownEnumAndDtypeCodes) {
  Program p = test::full_program();
  p.tensors[3].dtype = static_cast<DType>(77);
  Status s = parse_status(test::serialize_unvalidated_or_die(p));
  EXPECT_TRUE(contains(s.message(), "tensor 3 'y' has unknown dtype code 77")) << s.message();
  p = test::full_program();
  p.tensors[3].layout = static_cast<Layout>(9);
  s = parse_status(test::serialize_unvalidated_or_die(p));
  EXPECT_TRUE(contains(s.message(), "tensor 3 'y' has unknown layout code 9")) << s.message();
  p = test::full_program();
  p.segments[1].placement = static_cast<Placement>(5);
  s = parse_status(test::serialize_unvalidated_or_die(p));
  EXPECT_TRUE(contains(s.message(), "segment 1 has unknown placement code 5")) << s.message();
}

TEST(BinReader, GarbagePayloadWithValidChecksumsFailsTheVerifier) {
  std::vector<uint8_t> f = test::serialize_or_die(test::full_program());
  for (size_t i = kHeaderSize; i < f.size(); ++i) f[i] = static_cast<uint8_t>(i * 131 + 7);
  test::fix_checksums(f);
  Status s = parse_status(f);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(s.message(), "fails the FlatBuffers verifier")) << s.message();
}

}  // namespace
}  // namespace edgeq::format
