// The values EtcdPersistence stores: log records and checkpoints.
//
// A log record is the interpreter's record body, as the seed layout's log
// files hold it: {"data": ..., "_metadata": {"message_id": N}}, in Python's
// json.dumps form (ASCII only, so any byte string etcd returns is decodable).
//
// A checkpoint is the interpreter's checkpoint object with
// "_metadata": {"max_message_id": N}, cut into chunks below etcd's request
// limit, and a header that names them and carries their CRC-32C, so that a
// chunk that is missing, stale or damaged is detected, not merged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wal/json.h"
#include "wal/state_interpreter.h"
#include "wal/status.h"

namespace wal::etcd {

// A chunk stays well below etcd's 1.5 MiB request limit, so that a chunk,
// the header and the deletes it comes with fit one transaction.
inline constexpr size_t kChunkBytes = 512u << 10;

// The record text for a message, or kInvalidArgument when the interpreter
// refuses the data or the text exceeds max_record_bytes.
Result<std::string> encode_record(const StateInterpreter& interpreter, const Json& data,
                                  uint64_t message_id, size_t max_record_bytes);
// The business data in a stored record; `key` names it in errors.
Result<Json> decode_record(const StateInterpreter& interpreter, std::string_view value,
                           const std::string& key);

struct CheckpointHeader {
  std::string generation;  // names the chunk keys: ckpt/<generation>/<index>
  uint32_t chunks = 0;
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
  uint64_t max_message_id = 0;  // the highest id folded into it
};

struct EncodedCheckpoint {
  CheckpointHeader header;
  std::string header_value;
  std::vector<std::string> chunks;
};

Result<EncodedCheckpoint> encode_checkpoint(const StateInterpreter& interpreter, const Json& state,
                                            uint64_t max_message_id, std::string generation);
Result<CheckpointHeader> decode_checkpoint_header(std::string_view value, const std::string& key);
// The state held by the chunks the header names, in index order.
Result<Json> decode_checkpoint(const StateInterpreter& interpreter, const CheckpointHeader& header,
                               const std::vector<std::string_view>& chunks, const std::string& key);

}  // namespace wal::etcd
