// CRC-32C (Castagnoli), as in iSCSI (RFC 3720) and LevelDB's util/crc32c.h.
// Uses the SSE4.2 crc32 instruction when the CPU has it, else slicing-by-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wal::crc32c {

// The CRC-32C of concat(A, data[0, n)), given init_crc = the CRC-32C of A.
uint32_t extend(uint32_t init_crc, const char* data, size_t n);

// extend() without the hardware path; exposed so that tests can compare both.
uint32_t extend_portable(uint32_t init_crc, const char* data, size_t n);

// The CRC-32C of data[0, n).
inline uint32_t value(const char* data, size_t n) { return extend(0, data, n); }
inline uint32_t value(std::string_view s) { return extend(0, s.data(), s.size()); }

// True when extend() uses the SSE4.2 instruction.
bool hardware_accelerated();

}  // namespace wal::crc32c
