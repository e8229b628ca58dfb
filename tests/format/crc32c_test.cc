#include "format/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace edgeq::format {
namespace {

TEST(Crc32c, KnownValues) {
  const std::string check = "123456789";  // the CRC catalogue's check input
  EXPECT_EQ(crc32c(check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
  // RFC 3720 B.4: 32 bytes of zeros, 32 bytes of 0xFF.
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF);
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(Crc32c, HardwareAndTableAgreeAtEveryLengthAndOffset) {
  const uint32_t seed = 12345;
  std::mt19937 rng(seed);
  std::vector<uint8_t> data(300);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; offset + len <= data.size(); len += 7) {
      ASSERT_EQ(crc32c(data.data() + offset, len), crc32c_portable(data.data() + offset, len))
          << "seed " << seed << " offset " << offset << " length " << len;
    }
  }
}

TEST(Crc32c, RunningChecksumEqualsOneShot) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  const uint32_t whole = crc32c(data.data(), data.size());
  for (size_t cut : {0, 1, 9, 500, 999, 1000}) {
    const uint32_t head = crc32c(data.data(), cut);
    EXPECT_EQ(crc32c(data.data() + cut, data.size() - cut, head), whole) << cut;
  }
}

}  // namespace
}  // namespace edgeq::format
