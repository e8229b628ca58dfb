// The fixed 64-byte header of a `.bin` file (internal to src/format; docs/format.md).
//
//   offset size  field
//        0    8  magic "EDGEQBIN"
//        8    4  format_version   (u32 LE)
//       12    4  header_size      (u32 LE, 64)
//       16    8  payload_size     (u64 LE, bytes after the header)
//       24    4  payload_crc32c   (u32 LE, CRC-32C of the payload)
//       28   32  reserved, zero
//       60    4  header_crc32c    (u32 LE, CRC-32C of bytes 0..59)
//
// magic and format_version keep their place in every version, so any reader can say
// "newer version" even if the rest of a later header changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "format/bin.h"

namespace edgeq::format::header {

inline constexpr size_t kMagicOffset = 0;
inline constexpr size_t kVersionOffset = 8;
inline constexpr size_t kHeaderSizeOffset = 12;
inline constexpr size_t kPayloadSizeOffset = 16;
inline constexpr size_t kPayloadCrcOffset = 24;
inline constexpr size_t kReservedOffset = 28;
inline constexpr size_t kHeaderCrcOffset = 60;
static_assert(kHeaderCrcOffset + 4 == kHeaderSize);

// Little-endian loads and stores (the file is little-endian whatever the host).
inline uint32_t load_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
inline uint64_t load_u64(const uint8_t* p) { return load_u32(p) | uint64_t{load_u32(p + 4)} << 32; }
inline void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void store_u64(uint8_t* p, uint64_t v) {
  store_u32(p, static_cast<uint32_t>(v));
  store_u32(p + 4, static_cast<uint32_t>(v >> 32));
}

}  // namespace edgeq::format::header
