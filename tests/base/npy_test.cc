#include "base/npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

namespace edgeq {
namespace {

// Builds a file the way numpy's format.write_array does: magic, version, header length,
// the dict padded with spaces and '\n' to a 64-byte boundary, then the data.
std::string make_npy(int major, const std::string& dict, std::string_view data) {
  size_t len_bytes = major == 1 ? 2 : 4;
  size_t prefix = 8 + len_bytes;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  size_t header_len = total - prefix;
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((header_len >> (8 * i)) & 0xff);
  out += dict + std::string(header_len - dict.size() - 1, ' ') + "\n";
  out += data;
  return out;
}

template <typename T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

const std::vector<float> kSix = {0, 1, 2, 3, 4, 5};

TEST(Npy, ReadsAllHeaderVersionsLikeNumpyWritesThem) {
  for (int major : {1, 2, 3}) {
    std::string bytes =
        make_npy(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw_bytes(kSix));
    StatusOr<Tensor> t = parse_npy(bytes);
    ASSERT_TRUE(t.ok()) << "version " << major << ": " << t.status().to_string();
    EXPECT_EQ(t->dtype(), DType::kFloat32);
    EXPECT_EQ(t->shape(), (Dims{2, 3}));
    for (int i = 0; i < 6; ++i) EXPECT_EQ(t->data<float>()[i], kSix[i]);
  }
}

TEST(Npy, WritesTheSameBytesAsNumpy) {
  // numpy.save(np.arange(6, dtype='<f4').reshape(2, 3)) produces exactly this.
  std::string expected =
      make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw_bytes(kSix));
  ASSERT_EQ(expected.size(), 152u);
  StatusOr<std::string> got = serialize_npy(Tensor::from_vector<float>({2, 3}, kSix));
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, expected);
}

TEST(Npy, ScalarAndOneDimShapes) {
  StatusOr<std::string> s = serialize_npy(Tensor::scalar<int64_t>(-7));
  ASSERT_TRUE(s.ok());
  EXPECT_NE(s->find("'shape': (), "), std::string::npos);
  StatusOr<Tensor> t = parse_npy(*s);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->rank(), 0);
  EXPECT_EQ(t->at_int(0), -7);

  s = serialize_npy(Tensor::from_vector<int32_t>({3}, {1, 2, 3}));
  ASSERT_TRUE(s.ok());
  EXPECT_NE(s->find("'shape': (3,), "), std::string::npos);
}

template <typename T>
void round_trip(DType dtype, const std::string& descr) {
  std::mt19937 rng(1234);
  std::vector<T> values(2 * 3 * 5);
  for (auto& v : values) v = static_cast<T>(rng() % 200);
  Tensor t = Tensor::from_vector<T>({2, 3, 5}, values);
  ASSERT_EQ(t.dtype(), dtype);
  StatusOr<std::string> bytes = serialize_npy(t);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  EXPECT_NE(bytes->find("'descr': '" + descr + "'"), std::string::npos) << *bytes;
  EXPECT_EQ(bytes->size() % 64, (values.size() * sizeof(T)) % 64) << "data must start 64-byte aligned";
  StatusOr<Tensor> back = parse_npy(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->dtype(), dtype);
  EXPECT_EQ(back->shape(), t.shape());
  EXPECT_EQ(std::memcmp(back->raw(), t.raw(), t.nbytes()), 0) << "dtype " << descr;
}

TEST(Npy, RoundTripsEveryDtype) {
  round_trip<float>(DType::kFloat32, "<f4");
  round_trip<double>(DType::kFloat64, "<f8");
  round_trip<int8_t>(DType::kInt8, "|i1");
  round_trip<uint8_t>(DType::kUInt8, "|u1");
  round_trip<int16_t>(DType::kInt16, "<i2");
  round_trip<uint16_t>(DType::kUInt16, "<u2");
  round_trip<int32_t>(DType::kInt32, "<i4");
  round_trip<int64_t>(DType::kInt64, "<i8");
  round_trip<uint32_t>(DType::kUInt32, "<u4");
  round_trip<uint64_t>(DType::kUInt64, "<u8");
}

TEST(Npy, Float16AndBool) {
  Tensor h(DType::kFloat16, {4});
  for (int i = 0; i < 4; ++i) h.data<uint16_t>()[i] = float_to_half(0.5f * i - 1.0f);
  StatusOr<std::string> s = serialize_npy(h);
  ASSERT_TRUE(s.ok());
  EXPECT_NE(s->find("'<f2'"), std::string::npos);
  StatusOr<Tensor> back = parse_npy(*s);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->dtype(), DType::kFloat16);
  EXPECT_EQ(back->at_double(3), 0.5);

  // numpy writes bools as bytes 0/1; a stray non-zero byte still reads as true.
  std::string bytes = make_npy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                               std::string("\x01\x00\x02", 3));
  StatusOr<Tensor> b = parse_npy(bytes);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->dtype(), DType::kBool);
  EXPECT_EQ(b->at_int(0), 1);
  EXPECT_EQ(b->at_int(1), 0);
  EXPECT_EQ(b->at_int(2), 1);
}

TEST(Npy, AcceptsDoubleQuotesLongsAndKeyOrder) {
  std::string bytes = make_npy(
      1, "{\"shape\": (2L, 3L), \"fortran_order\": False, \"descr\": \"<f4\"}", raw_bytes(kSix));
  StatusOr<Tensor> t = parse_npy(bytes);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->shape(), (Dims{2, 3}));
  EXPECT_EQ(t->data<float>()[5], 5.0f);
}

TEST(Npy, FileRoundTrip) {
  std::string path = (std::filesystem::temp_directory_path() / "edgeq_npy_test.npy").string();
  Tensor t = Tensor::from_vector<float>({1, 2, 3}, {1.5f, -2, 3, 4, 5, 6e-8f});
  ASSERT_TRUE(save_npy(t, path).ok());
  StatusOr<Tensor> back = load_npy(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->shape(), t.shape());
  EXPECT_EQ(std::memcmp(back->raw(), t.raw(), t.nbytes()), 0);
  std::remove(path.c_str());
}

void expect_error(const std::string& bytes, StatusCode code, const std::string& words) {
  StatusOr<Tensor> t = parse_npy(bytes, "x.npy");
  ASSERT_FALSE(t.ok()) << "expected an error containing '" << words << "'";
  EXPECT_EQ(t.status().code(), code) << t.status().to_string();
  EXPECT_NE(t.status().message().find(words), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("x.npy"), std::string::npos) << t.status().message();
}

TEST(Npy, Errors) {
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  expect_error("PK\x03\x04 this is a zip", StatusCode::kInvalidArgument, "not an npy file");
  expect_error("", StatusCode::kInvalidArgument, "not an npy file");
  // Truncated data, header, and header-length field.
  std::string good = make_npy(1, f4, raw_bytes(kSix));
  expect_error(good.substr(0, good.size() - 1), StatusCode::kDataLoss, "truncated");
  expect_error(good.substr(0, 40), StatusCode::kDataLoss, "truncated");
  expect_error(good.substr(0, 9), StatusCode::kDataLoss, "truncated");
  expect_error(make_npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", raw_bytes(kSix)),
               StatusCode::kUnsupported, "Fortran order");
  expect_error(make_npy(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", std::string(12, '\0')),
               StatusCode::kUnsupported, "big-endian");
  expect_error(make_npy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')),
               StatusCode::kUnsupported, "dtype '<c8'");
  expect_error(make_npy(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", std::string(12, '\0')),
               StatusCode::kUnsupported, "dtype");
  expect_error(make_npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", std::string(4, '\0')),
               StatusCode::kUnsupported, "structured");
  expect_error(make_npy(4, f4, raw_bytes(kSix)), StatusCode::kUnsupported, "version 4");
  expect_error(make_npy(1, "{'descr': '<f4', 'shape': (2, 3), }", raw_bytes(kSix)), StatusCode::kDataLoss,
               "lacks one of the keys");
  expect_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", raw_bytes(kSix)),
               StatusCode::kDataLoss, "malformed shape");
  expect_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999), }", ""),
               StatusCode::kDataLoss, "too large");

  StatusOr<Tensor> missing = load_npy("/nonexistent/dir/file.npy");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(Npy, RefusesToWriteUnsupportedDtypes) {
  Tensor bf(DType::kBFloat16, {2});
  StatusOr<std::string> s = serialize_npy(bf);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_FALSE(serialize_npy(Tensor()).ok());
}

}  // namespace
}  // namespace edgeq
