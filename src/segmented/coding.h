// Little-endian fixed-width integers, appended to and read from byte strings.
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
