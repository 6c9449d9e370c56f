// Where EtcdPersistence keeps things in etcd's flat, byte-ordered key space.
//
//   <prefix>/<service>/<client>/max                    highest id, 20 digits
//   <prefix>/<service>/<client>/floor                  exact dedup: the settled ids
//   <prefix>/<service>/<client>/log/<20-digit id>      one record per message
//   <prefix>/<service>/<client>/ckpt                   the checkpoint's header
//   <prefix>/<service>/<client>/ckpt/<gen>/<6 digits>  its chunks
//   <prefix>/<service>/.batch                          touched by every nested-form persist
//   <prefix>/<service>/.dedup                          "exact" when the service dedups so
//
// Ids are zero-padded because etcd compares keys and values as bytes: padded,
// byte order is numeric order, both for range reads of logs and for the
// compare on "max". The service name and client id are percent-escaped so
// that neither can contain '/': one client's range can then never hold
// another's keys, whatever the ids are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wal::etcd {

inline constexpr size_t kIdDigits = 20;  // UINT64_MAX has 20 digits

// "00000000000000000042".
std::string pad_id(uint64_t id);
// The id in exactly 20 digits, or nothing (also when above UINT64_MAX).
std::optional<uint64_t> parse_padded_id(std::string_view text);

// Percent-escapes '%', '/' and bytes below 0x21 or at 0x7f; injective.
std::string escape_segment(std::string_view text);
// The inverse of escape_segment; nothing for text it cannot have produced.
std::optional<std::string> unescape_segment(std::string_view text);

// The smallest key above every key that starts with `prefix`: the range_end
// of a prefix range read ("\0" for an empty or all-0xff prefix: everything).
std::string prefix_end(std::string_view prefix);

// "max" holds the id, then a space and the token of the write that set it,
// so that a retry can tell its own earlier landing from another writer's.
std::string max_value(uint64_t id, std::string_view token);
// The id at the start of a "max" value, and the token after it.
struct MaxValue {
  uint64_t id = 0;
  std::string token;
};
std::optional<MaxValue> parse_max_value(std::string_view value);

// "floor" (exact dedup only) holds the client's low-water mark, then a space
// and the lowest id of the recorded run that ends at it: every id at or below
// the mark is settled, a duplicate from that id on and too old below it
// (DedupState::Saved without its runs, which are the log keys above the mark).
// Its value starts with the padded mark, so a persist compares it with the
// padded id as bytes.
struct FloorValue {
  uint64_t low_water_mark = 0;
  uint64_t recorded_from = 0;
  friend bool operator==(const FloorValue&, const FloorValue&) = default;
};
std::string floor_value(const FloorValue& floor);
std::optional<FloorValue> parse_floor_value(std::string_view value);

class KeyLayout {
 public:
  // A trailing '/' of the prefix is dropped: "/wal/" and "/wal" are one.
  KeyLayout(std::string_view prefix, std::string_view service_name);

  // "<prefix>/<service>/": every key of this service starts with it.
  const std::string& service_prefix() const { return service_prefix_; }
  // "<prefix>/<service>/.batch": no client's, as no client id starts with '.'.
  std::string batch_key() const { return service_prefix_ + ".batch"; }
  // "<prefix>/<service>/.dedup": the dedup policy, when it is not the default.
  std::string dedup_policy_key() const { return service_prefix_ + ".dedup"; }
  // "<prefix>/<service>/<escaped client>/".
  std::string client_prefix(std::string_view client_id) const;
  // The client id whose "max" key this is, or nothing for any other key.
  std::optional<std::string> client_of_max_key(std::string_view key) const;

  static std::string max_key(std::string_view client_prefix);
  static std::string floor_key(std::string_view client_prefix);
  static std::string log_prefix(std::string_view client_prefix);
  static std::string log_key(std::string_view client_prefix, uint64_t id);
  static std::string checkpoint_key(std::string_view client_prefix);
  static std::string chunks_prefix(std::string_view client_prefix);
  static std::string chunk_key(std::string_view client_prefix, std::string_view generation,
                               uint32_t index);

 private:
  std::string service_prefix_;
};

}  // namespace wal::etcd
