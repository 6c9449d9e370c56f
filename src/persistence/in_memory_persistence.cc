#include "wal/in_memory_persistence.h"

#include <string>
#include <utility>

#include "interpreter/checked_format.h"
#include "wal/client_id.h"

namespace wal {

InMemoryPersistence::InMemoryPersistence(std::shared_ptr<StateInterpreter> state_interpreter)
    : interpreter_(std::move(state_interpreter)) {}

Result<Json> InMemoryPersistence::prepare(std::string_view client_id, const Json& data) const {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  // What a log file would hold, read back as the log would read it.
  WAL_ASSIGN_OR_RETURN(Json record, checked_format_data(*interpreter_, data));
  return interpreter_->parse_data(record);
}

PersistOutcome InMemoryPersistence::record_locked(std::string_view client_id, Json stored,
                                                  uint64_t message_id) {
  auto found = clients_.find(client_id);
  if (found != clients_.end() && !found->second.entries.empty() &&
      message_id <= found->second.entries.back().message_id) {
    return PersistOutcome::kDuplicate;
  }
  if (found == clients_.end()) found = clients_.emplace(std::string(client_id), Client{}).first;
  found->second.entries.push_back(LogEntry{message_id, std::move(stored)});
  return PersistOutcome::kWritten;
}

Result<PersistOutcome> InMemoryPersistence::persist(std::string_view client_id, const Json& data,
                                                    uint64_t message_id) {
  WAL_ASSIGN_OR_RETURN(Json stored, prepare(client_id, data));
  std::lock_guard lock(mutex_);
  return record_locked(client_id, std::move(stored), message_id);
}

Result<std::vector<PersistOutcome>> InMemoryPersistence::persist_batch(
    const std::vector<PersistRequest>& batch) {
  std::vector<Json> stored;
  stored.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto one = prepare(batch[i].client_id, batch[i].data);
    if (!one.is_ok()) return one.status().with_context("message " + std::to_string(i));
    stored.push_back(std::move(one).value());
  }
  std::vector<PersistOutcome> outcomes;
  outcomes.reserve(batch.size());
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < batch.size(); ++i) {
    outcomes.push_back(
        record_locked(batch[i].client_id, std::move(stored[i]), batch[i].message_id));
  }
  return outcomes;
}

Result<Json> InMemoryPersistence::retrieve(std::string_view client_id) {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  std::vector<LogEntry> entries;
  {
    std::lock_guard lock(mutex_);
    auto found = clients_.find(client_id);
    if (found != clients_.end()) entries = found->second.entries;
  }
  return interpreter_->merge_data(interpreter_->empty_state(), entries);
}

Status InMemoryPersistence::clear(std::string_view client_id) {
  WAL_RETURN_IF_ERROR(validate_client_id(client_id));
  std::lock_guard lock(mutex_);
  if (auto found = clients_.find(client_id); found != clients_.end()) clients_.erase(found);
  return Status::ok();
}

Result<std::vector<ClientSummary>> InMemoryPersistence::clients() {
  std::lock_guard lock(mutex_);
  std::vector<ClientSummary> summaries;
  for (const auto& [id, client] : clients_) {
    summaries.push_back(ClientSummary{id, client.entries.back().message_id});
  }
  return summaries;  // std::map keeps them sorted by id
}

}  // namespace wal
