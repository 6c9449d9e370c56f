// UTF-8 decoding shared by the JSON writer and the client id check.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wal::utf8 {

// Decodes one well-formed UTF-8 sequence (Unicode table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF) at the start of `p`. Returns
// its length, or 0 when the bytes there are not one.
inline size_t decode_utf8(const unsigned char* p, size_t n, uint32_t* code_point) {
  const unsigned char lead = p[0];
  size_t length;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  uint32_t value;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
    if (lead == 0xF0) second_min = 0x90;  // overlong
    if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (n < length || p[1] < second_min || p[1] > second_max) return 0;
  value = (value << 6) | (p[1] & 0x3F);
  for (size_t i = 2; i < length; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    value = (value << 6) | (p[i] & 0x3F);
  }
  *code_point = value;
  return length;
}

}  // namespace wal::utf8
