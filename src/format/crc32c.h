// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the `.bin` payload checksum.
// The same function as iSCSI / ext4 / RFC 3720; "123456789" → 0xE3069283.
//
//   uint32_t c = format::crc32c(bytes.data(), bytes.size());
//   uint32_t c2 = format::crc32c(more, n, c);   // continues a running checksum
//
// Uses the SSE4.2 crc32 instruction when the CPU has it, a table otherwise (both give
// the same value; crc32c_portable is the table version, for tests).
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeq::format {

uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
uint32_t crc32c_portable(const void* data, size_t size, uint32_t crc = 0);

}  // namespace edgeq::format
