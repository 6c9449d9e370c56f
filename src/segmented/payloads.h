// The payloads of each frame type, made and parsed in this one place.
//
//   kPersist         u8 id length, client id, u64 message id, record JSON
//   kPersistData     u8 id length, client id, varint message id, the record's "data" JSON
//   kClear           u8 id length, client id
//   kSegmentEnd      empty
//   kSnapshotBegin   u64 segment number, u64 offset: the log position covered
//   kSnapshotClient  u8 id length, client id, u64 highest id, checkpoint JSON
//   kSnapshotEnd     u64 number of client frames
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "segmented/record_format.h"

namespace wal::segmented {

// A place in the log: a segment and a byte offset in it. Ordered.
struct Position {
  uint64_t segment = 0;
  uint64_t offset = 0;
  friend auto operator<=>(const Position&, const Position&) = default;
};

struct PersistPayload {  // kPersist and kPersistData
  std::string_view client_id;
  uint64_t message_id = 0;
  std::string_view json;   // the whole record, or its "data" alone
  bool data_only = false;  // kPersistData: the record is {"data": json, "_metadata": {}}
};

struct ClientPayload {  // kClear
  std::string_view client_id;
};

struct SnapshotClientPayload {
  std::string_view client_id;
  uint64_t max_message_id = 0;
  std::string_view json;
};

std::string encode_persist(std::string_view client_id, uint64_t message_id, std::string_view json);
std::string encode_persist_data(std::string_view client_id, uint64_t message_id,
                                std::string_view data_json);
// What a kPersistData payload holds before the data's JSON text, appended to
// `out`: so the text can be written straight after it.
void put_persist_data_key(std::string* out, std::string_view client_id, uint64_t message_id);
std::string encode_clear(std::string_view client_id);
std::string encode_snapshot_begin(Position covered);
std::string encode_snapshot_client(std::string_view client_id, uint64_t max_message_id,
                                   std::string_view json);
std::string encode_snapshot_end(uint64_t clients);

// True for the types that hold a message: kPersist and kPersistData.
bool is_message_type(RecordType type);

// Each returns false when the payload does not have its type's shape.
bool decode_persist(std::string_view payload, PersistPayload* out);
bool decode_persist_data(std::string_view payload, PersistPayload* out);
// Either message type, by `type`; false for any other type.
bool decode_message(RecordType type, std::string_view payload, PersistPayload* out);
bool decode_clear(std::string_view payload, ClientPayload* out);
bool decode_snapshot_begin(std::string_view payload, Position* out);
bool decode_snapshot_client(std::string_view payload, SnapshotClientPayload* out);
bool decode_snapshot_end(std::string_view payload, uint64_t* clients);

}  // namespace wal::segmented
