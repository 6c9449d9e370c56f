// DataPersistence: durable, idempotent per-client message recording.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wal/json.h"
#include "wal/status.h"

namespace wal {

// What persist did with a message.
enum class PersistOutcome {
  kWritten,    // recorded now, durably
  kDuplicate,  // an id at or below the client's highest recorded id: skipped
};

// "written" or "duplicate".
const char* outcome_name(PersistOutcome outcome);

struct ClientSummary {
  std::string client_id;
  std::optional<uint64_t> max_message_id;  // empty when nothing is recorded
};

class DataPersistence {
 public:
  virtual ~DataPersistence() = default;

  // Records `data` for `client_id` under `message_id`, durably before it
  // returns kWritten. Either outcome means the caller may acknowledge.
  virtual Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                         uint64_t message_id) = 0;

  // The client's merged state; the interpreter's empty state for an unknown client.
  virtual Result<Json> retrieve(std::string_view client_id) = 0;

  // Forgets everything recorded for the client, atomically.
  virtual Status clear(std::string_view client_id) = 0;

  // Every client with something recorded, sorted by id.
  virtual Result<std::vector<ClientSummary>> clients() = 0;
};

}  // namespace wal
