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
  kDuplicate,  // recorded before (DedupPolicy says how that is decided): skipped
  // DedupPolicy::kExact only: the id is below the window of ids still tracked
  // for the client, so whether it was recorded is no longer known. Nothing was
  // written. The caller must not treat the message as done: it is a message
  // that arrived too late, to be dead-lettered or handled by hand.
  kTooOld,
};

// "written", "duplicate" or "too-old".
const char* outcome_name(PersistOutcome outcome);

struct ClientSummary {
  std::string client_id;
  std::optional<uint64_t> max_message_id;  // empty when nothing is recorded
};

// One message of a persist_batch call.
struct PersistRequest {
  std::string client_id;
  Json data;
  uint64_t message_id = 0;
};

class DataPersistence {
 public:
  virtual ~DataPersistence() = default;

  // Records `data` for `client_id` under `message_id`, durably before it
  // returns kWritten. Either outcome means the caller may acknowledge.
  virtual Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                         uint64_t message_id) = 0;

  // Records every message of `batch` as persist would, in order, and returns
  // one outcome per message (a later message with an id at or below an
  // earlier one's for the same client is kDuplicate). Every message is checked
  // before anything is written: an invalid one fails the whole call with
  // kInvalidArgument naming its index. Durable before it returns; when it
  // fails, none of the batch may be acknowledged (some may be recorded, so
  // a retry reports those as duplicates).
  virtual Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) = 0;

  // The client's merged state; the interpreter's empty state for an unknown client.
  virtual Result<Json> retrieve(std::string_view client_id) = 0;

  // Forgets everything recorded for the client, atomically.
  virtual Status clear(std::string_view client_id) = 0;

  // Every client with something recorded, sorted by id.
  virtual Result<std::vector<ClientSummary>> clients() = 0;
};

}  // namespace wal
