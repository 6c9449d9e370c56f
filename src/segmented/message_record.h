// How a message's record JSON is kept in a frame, and got back.
//
// Every built-in interpreter makes the record {"data": D, "_metadata": {}}:
// such a record is stored as D alone in a kPersistData frame, since the
// wrapper is the same 27 bytes each time (and the id a varint, not 8 bytes).
// Any other record, as an interpreter of the caller's may make, is stored
// whole in a kPersist frame. Either reads back as the same record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "segmented/payloads.h"
#include "segmented/record_format.h"
#include "wal/json.h"
#include "wal/status.h"

namespace wal::segmented {

struct MessageFrame {
  RecordType type = RecordType::kPersist;
  std::string payload;
  uint64_t record_bytes = 0;  // the whole record's JSON text, wrapper included
};

// `record` is what the interpreter's format_data returned for the message;
// without `data_frames` (a directory of layout version 1) it is stored whole.
MessageFrame frame_message(std::string_view client_id, uint64_t message_id, const Json& record,
                           bool data_frames = true);

// The kPersistData frame of the record {"data": `data`, "_metadata": {}}, made
// from the data alone: what frame_message makes of that record, without it.
MessageFrame frame_persist_data(std::string_view client_id, uint64_t message_id, const Json& data);

// The record a decoded message frame holds; kCorruption naming `path` when
// its JSON does not parse.
Result<Json> message_record(const PersistPayload& message, const std::string& path);

}  // namespace wal::segmented
