// The key layout RocksDB and LevelDB share:
//   'L' client '\0' be64(id) -> payload   (the client's log, in id order)
//   'M' client               -> be64(id)  (the client's highest id, for dedup)
// One WriteBatch holds a message's two puts, so a persist is atomic.
#pragma once

#include <cstdint>
#include <string>

namespace walbench {

inline std::string log_prefix(const std::string& client) {
  std::string key = "L" + client;
  key.push_back('\0');
  return key;
}

inline std::string encode_id(uint64_t id) {
  std::string bytes;
  for (int shift = 56; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(id >> shift));
  return bytes;
}

inline uint64_t decode_id(const std::string& bytes) {
  uint64_t id = 0;
  for (char byte : bytes) id = id << 8 | static_cast<uint8_t>(byte);
  return id;
}

// Big-endian ids, so that key order is id order.
inline std::string log_key(const std::string& client, uint64_t id) {
  return log_prefix(client) + encode_id(id);
}

inline std::string highest_id_key(const std::string& client) { return "M" + client; }

}  // namespace walbench
