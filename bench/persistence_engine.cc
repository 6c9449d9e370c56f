#include "persistence_engine.h"

namespace walbench {
namespace {

// Building the Json argument is part of what a caller of our API pays.
wal::Json to_json(const Call& call) {
  wal::Json data = wal::Json::object();
  data["content"] = std::string(call.content);
  return data;
}

}  // namespace

bool PersistenceEngine::persist(const Call& call) {
  auto outcome = persistence_->persist(*call.client, to_json(call), call.id);
  if (!outcome.is_ok()) throw EngineError("persist: " + outcome.status().to_string());
  return *outcome == wal::PersistOutcome::kWritten;
}

size_t PersistenceEngine::persist_batch(std::span<const Call> calls) {
  std::vector<wal::PersistRequest> batch;
  batch.reserve(calls.size());
  for (const Call& call : calls) batch.push_back({*call.client, to_json(call), call.id});
  auto outcomes = persistence_->persist_batch(batch);
  if (!outcomes.is_ok()) throw EngineError("persist_batch: " + outcomes.status().to_string());
  size_t written = 0;
  for (auto outcome : *outcomes) written += outcome == wal::PersistOutcome::kWritten;
  return written;
}

std::string PersistenceEngine::merged_content(const std::string& client) {
  auto state = persistence_->retrieve(client);
  if (!state.is_ok()) throw EngineError("retrieve: " + state.status().to_string());
  const auto content = state->find("content");
  if (content == state->end() || !content->is_string()) {
    throw EngineError("retrieve: no content string for " + client);
  }
  // Moved, not copied: the peers hand back the string they merged, and a
  // caller owns the state retrieve returns.
  return std::move(content->get_ref<std::string&>());
}

}  // namespace walbench
