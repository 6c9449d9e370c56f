// Mutations rarely make a CRC match, so a fuzz target that only sees raw
// bytes seldom gets past the checksum. with_fixed_crcs walks the bytes as
// frames (record_format.h), trusting each header's length, and rewrites each
// CRC to match: the target checks both the raw bytes and this copy, so the
// fuzzer reaches the payload decoding and what recovery does with whole frames.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "segmented/coding.h"
#include "segmented/record_format.h"
#include "util/crc32c.h"

namespace wal::fuzzing {

// The file number the bytes claim in their first header (what recovery
// checks the name against), or 1 when they claim none.
inline uint64_t claimed_file_number(std::string_view bytes) {
  using namespace wal::segmented;
  if (bytes.size() < kHeaderSize) return 1;
  const uint64_t number = get_fixed64(bytes.data() + kLogNumberOffset);
  return number != 0 ? number : 1;
}

inline std::string with_fixed_crcs(std::string_view bytes) {
  using namespace wal::segmented;
  std::string fixed(bytes);
  for (size_t at = 0; fixed.size() - at >= kHeaderSize;) {
    const uint32_t length = get_fixed32(fixed.data() + at + kLengthOffset);
    if (length > fixed.size() - at - kHeaderSize) break;
    const uint32_t crc =
        crc32c::value(fixed.data() + at + kTypeOffset, kHeaderSize - kTypeOffset + length);
    const uint32_t masked = mask_crc(crc);
    for (int i = 0; i < 4; ++i) fixed[at + kCrcOffset + i] = static_cast<char>(masked >> (8 * i));
    at += kHeaderSize + length;
  }
  return fixed;
}

// Runs `check` on the bytes as they are, then on the copy with matching CRCs
// when that differs.
template <typename Check>
void check_raw_and_with_fixed_crcs(std::string_view bytes, Check check) {
  check(bytes);
  const std::string fixed = with_fixed_crcs(bytes);
  if (fixed != bytes) check(fixed);
}

}  // namespace wal::fuzzing
