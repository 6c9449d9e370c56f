// InMemoryPersistence: a DataPersistence that keeps everything in memory.
//
// For tests and for services that want the contract without the disk: the
// same client-id rules (wal/client_id.h), the same high-water-mark dedup
// (an id at or below a client's highest recorded id is kDuplicate), the
// same interpreter calls (format_data refuses what it refuses; retrieve folds
// the recorded data with merge_data). Nothing survives the object.
//
// Thread-safe: every call may come from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "wal/data_persistence.h"
#include "wal/state_interpreter.h"

namespace wal {

class InMemoryPersistence final : public DataPersistence {
 public:
  explicit InMemoryPersistence(std::shared_ptr<StateInterpreter> state_interpreter);

  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override;
  Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) override;
  Result<Json> retrieve(std::string_view client_id) override;
  Status clear(std::string_view client_id) override;
  Result<std::vector<ClientSummary>> clients() override;

 private:
  struct Client {
    std::vector<LogEntry> entries;  // ascending ids
  };

  // The client id checked and the data as a log would read it back.
  Result<Json> prepare(std::string_view client_id, const Json& data) const;
  PersistOutcome record_locked(std::string_view client_id, Json stored, uint64_t message_id);

  std::shared_ptr<StateInterpreter> interpreter_;
  std::mutex mutex_;
  std::map<std::string, Client, std::less<>> clients_;
};

}  // namespace wal
