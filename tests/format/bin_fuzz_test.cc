// Random bytes and random mutations of a valid file: the reader must refuse them cleanly
// or return a program that passes validate(), never crash (run under ASan/UBSan in CI).
#include <gtest/gtest.h>

#include <random>

#include "format/bin.h"
#include "programs.h"

namespace edgeq::format {
namespace {

constexpr uint32_t kSeed = 20261124;
constexpr int kIterations = 3000;

// A program the reader returns must be one the writer accepts and reproduces.
void expect_consistent(const StatusOr<Program>& r, const std::string& where) {
  if (!r.ok()) {
    EXPECT_FALSE(r.status().message().empty()) << where;
    return;
  }
  Status s = validate(*r);
  ASSERT_TRUE(s.ok()) << where << ": " << s.message();
  StatusOr<std::vector<uint8_t>> again = serialize(*r);
  ASSERT_TRUE(again.ok()) << where << ": " << again.status().message();
  ASSERT_TRUE(parse_bin(*again, {}).ok()) << where;
}

TEST(BinFuzz, RandomGarbage) {
  std::mt19937 rng(kSeed);
  for (int it = 0; it < kIterations; ++it) {
    std::vector<uint8_t> f(rng() % 600);
    for (auto& b : f) b = static_cast<uint8_t>(rng());
    const StatusOr<Program> r = parse_bin(f, {});
    ASSERT_FALSE(r.ok()) << "seed " << kSeed << " iteration " << it;
    EXPECT_TRUE(test::contains(r.status().message(), "is not an edgeq model file")) << r.status().message();
  }
}

// Garbage behind a well-formed header with correct checksums: reaches the verifier.
TEST(BinFuzz, RandomPayloadBehindAValidHeader) {
  std::mt19937 rng(kSeed + 1);
  const std::vector<uint8_t> valid = test::serialize_or_die(test::full_program());
  for (int it = 0; it < kIterations; ++it) {
    std::vector<uint8_t> f(valid.begin(), valid.begin() + kHeaderSize);
    const size_t payload = rng() % 1200;
    for (size_t i = 0; i < payload; ++i) f.push_back(static_cast<uint8_t>(rng()));
    if (payload >= 8 && rng() % 2) {  // keep the root offset and identifier plausible
      std::copy(valid.begin() + kHeaderSize, valid.begin() + kHeaderSize + 8, f.begin() + kHeaderSize);
    }
    for (int i = 0; i < 8; ++i) f[16 + i] = static_cast<uint8_t>(static_cast<uint64_t>(payload) >> (8 * i));
    test::fix_checksums(f);
    const StatusOr<Program> r = parse_bin(f, {});
    expect_consistent(r, "seed " + std::to_string(kSeed + 1) + " iteration " + std::to_string(it));
  }
}

// Mutations of a valid payload with the checksums recomputed, so the verifier, the
// conversion and validate() see them.
TEST(BinFuzz, MutatedPayloads) {
  std::mt19937 rng(kSeed + 2);
  const std::vector<uint8_t> valid = test::serialize_or_die(test::full_program());
  const size_t payload = valid.size() - kHeaderSize;
  int accepted = 0;
  for (int it = 0; it < kIterations; ++it) {
    std::vector<uint8_t> f = valid;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = kHeaderSize + rng() % payload;
      switch (rng() % 4) {
        case 0: f[pos] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: f[pos] = static_cast<uint8_t>(rng()); break;
        case 2: f[pos] = (rng() % 2) ? 0xFF : 0x00; break;
        default: f[pos] = (rng() % 2) ? 0x7F : 0x80; break;
      }
    }
    test::fix_checksums(f);
    const StatusOr<Program> r = parse_bin(f, {});
    accepted += r.ok();
    expect_consistent(r, "seed " + std::to_string(kSeed + 2) + " iteration " + std::to_string(it));
  }
  // Some mutations only change a value (a name's letter, a weight byte): the reader must
  // accept those, or it refuses too much.
  EXPECT_GT(accepted, 0);
}

// Truncations and extensions with the header's payload size (and checksums) patched to
// match: the verifier, not the size check, must catch these.
TEST(BinFuzz, ResizedPayloadsWithMatchingHeader) {
  std::mt19937 rng(kSeed + 3);
  const std::vector<uint8_t> valid = test::serialize_or_die(test::full_program());
  for (int it = 0; it < 500; ++it) {
    std::vector<uint8_t> f = valid;
    f.resize(kHeaderSize + rng() % (valid.size() - kHeaderSize + 64));
    const uint64_t payload = f.size() - kHeaderSize;
    for (int i = 0; i < 8; ++i) f[16 + i] = static_cast<uint8_t>(payload >> (8 * i));
    test::fix_checksums(f);
    expect_consistent(parse_bin(f, {}), "seed " + std::to_string(kSeed + 3) + " iteration " + std::to_string(it));
  }
}

}  // namespace
}  // namespace edgeq::format
