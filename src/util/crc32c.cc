#include "util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WAL_CRC32C_HAVE_SSE42_PATH 1
#include <nmmintrin.h>
#endif

namespace wal::crc32c {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // Castagnoli, bit-reversed

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[k][b] is the CRC of byte b followed by k zero bytes, so that eight
// lookups advance the CRC over eight bytes at once.
constexpr Tables make_tables() {
  Tables tables{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (kPolynomial & (0u - (crc & 1)));
    tables[0][b] = crc;
  }
  for (size_t k = 1; k < tables.size(); ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      const uint32_t previous = tables[k - 1][b];
      tables[k][b] = (previous >> 8) ^ tables[0][previous & 0xFF];
    }
  }
  return tables;
}

constexpr Tables kTables = make_tables();
// Spot checks against the published CRC-32C table.
static_assert(kTables[0][1] == 0xF26B8303 && kTables[0][255] == 0xAD7D5351);

// Byte by byte, so it is right whatever the host byte order; compilers turn
// it into one load on little-endian machines.
inline uint32_t load_le32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

#ifdef WAL_CRC32C_HAVE_SSE42_PATH
// Compiled for SSE4.2 on its own, so the rest of the library needs no
// -msse4.2 and still runs on CPUs without it; called only when the CPU has it.
__attribute__((target("sse4.2"))) uint32_t extend_sse42(uint32_t init_crc, const char* data,
                                                        size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint64_t crc = ~init_crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);  // unaligned load
    crc = _mm_crc32_u64(crc, word);
  }
  auto crc32 = static_cast<uint32_t>(crc);
  for (; n > 0; --n, ++p) crc32 = _mm_crc32_u8(crc32, *p);
  return ~crc32;
}

bool cpu_has_sse42() {
  // Needed when this runs before libgcc's own constructor has filled in the
  // CPU model (e.g. from another static initialiser).
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#endif

}  // namespace

uint32_t extend_portable(uint32_t init_crc, const char* data, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  const auto& t = kTables;
  uint32_t crc = ~init_crc;
  for (; n >= 8; n -= 8, p += 8) {
    const uint32_t low = load_le32(p) ^ crc;
    const uint32_t high = load_le32(p + 4);
    crc = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24] ^
          t[3][high & 0xFF] ^ t[2][(high >> 8) & 0xFF] ^ t[1][(high >> 16) & 0xFF] ^
          t[0][high >> 24];
  }
  for (; n > 0; --n, ++p) crc = t[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

bool hardware_accelerated() {
#ifdef WAL_CRC32C_HAVE_SSE42_PATH
  static const bool kAccelerated = cpu_has_sse42();
  return kAccelerated;
#else
  return false;
#endif
}

uint32_t extend(uint32_t init_crc, const char* data, size_t n) {
#ifdef WAL_CRC32C_HAVE_SSE42_PATH
  if (hardware_accelerated()) return extend_sse42(init_crc, data, n);
#endif
  return extend_portable(init_crc, data, n);
}

}  // namespace wal::crc32c
