// WriteAheadLog::Engine: what each on-disk layout implements.
#pragma once

#include "wal/write_ahead_log.h"

namespace wal {

class WriteAheadLog::Engine {
 public:
  virtual ~Engine() = default;
  virtual Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                         uint64_t message_id) = 0;
  virtual Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) = 0;
  virtual Result<Json> retrieve(std::string_view client_id) = 0;
  virtual Status clear(std::string_view client_id) = 0;
  virtual Result<std::vector<ClientSummary>> clients() = 0;
  virtual const RecoveryReport& recovery_report() const = 0;
  virtual Status health() const = 0;
};

}  // namespace wal
