// Little-endian fixed-width integers and LEB128 varints (as LevelDB's
// coding.h), appended to and read from byte strings.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace wal::segmented {

inline void put_fixed32(std::string* out, uint32_t value) {
  char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>(value >> (8 * i));
  out->append(bytes, 4);
}

inline void put_fixed64(std::string* out, uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(value >> (8 * i));
  out->append(bytes, 8);
}

inline uint32_t get_fixed32(const char* p) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(p[i]);
  return value;
}

inline uint64_t get_fixed64(const char* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(p[i]);
  return value;
}

// Seven bits a byte, low bits first; the high bit says another byte follows.
inline void put_varint64(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Takes a varint off the front of `in`; false when it is cut short, runs past
// ten bytes, overflows 64 bits, or is not in its shortest form (so that each
// value has one encoding and a payload re-encodes to the same bytes).
inline bool take_varint64(std::string_view* in, uint64_t* value) {
  uint64_t result = 0;
  for (size_t i = 0; i < in->size() && i < 10; ++i) {
    const uint64_t byte = static_cast<uint8_t>((*in)[i]);
    if (i == 9 && byte > 1) return false;  // bits past the 64th
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (i > 0 && byte == 0) return false;  // a trailing zero byte: not the shortest form
      *value = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

// Takes a fixed-width integer off the front of `in`; false when too short.
inline bool take_fixed64(std::string_view* in, uint64_t* value) {
  if (in->size() < 8) return false;
  *value = get_fixed64(in->data());
  in->remove_prefix(8);
  return true;
}

inline bool take_byte(std::string_view* in, uint8_t* value) {
  if (in->empty()) return false;
  *value = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  return true;
}

inline bool take_bytes(std::string_view* in, size_t n, std::string_view* value) {
  if (in->size() < n) return false;
  *value = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace wal::segmented
