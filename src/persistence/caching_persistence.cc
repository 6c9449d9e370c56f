#include "wal/caching_persistence.h"

namespace wal {

CachingPersistence::CachingPersistence(std::shared_ptr<DataPersistence> inner, size_t capacity)
    : inner_(std::move(inner)), capacity_(capacity) {
  stats_.capacity = capacity;
}

Result<PersistOutcome> CachingPersistence::persist(std::string_view client_id, const Json& data,
                                                   uint64_t message_id) {
  begin_change(client_id);
  Result<PersistOutcome> outcome = inner_->persist(client_id, data, message_id);
  // A failed persist may still have recorded the message (a sync that failed
  // after the write): only an outcome other than kWritten is sure to have
  // changed nothing.
  end_change(client_id, !outcome.is_ok() || *outcome == PersistOutcome::kWritten);
  return outcome;
}

Result<std::vector<PersistOutcome>> CachingPersistence::persist_batch(
    const std::vector<PersistRequest>& batch) {
  for (const PersistRequest& request : batch) begin_change(request.client_id);
  Result<std::vector<PersistOutcome>> outcomes = inner_->persist_batch(batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    // As in persist; a failed batch may have recorded any of its messages.
    end_change(batch[i].client_id,
               !outcomes.is_ok() || (*outcomes)[i] == PersistOutcome::kWritten);
  }
  return outcomes;
}

Result<Json> CachingPersistence::retrieve(std::string_view client_id) {
  uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    if (auto found = index_.find(client_id); found != index_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);
      ++stats_.hits;
      return found->second->second;
    }
    ++stats_.misses;
    generation = generation_;
  }
  Result<Json> state = inner_->retrieve(client_id);
  if (!state.is_ok() || capacity_ == 0) return state;
  std::lock_guard lock(mutex_);
  // A change returned while we read, or one is under way: what we read may
  // be older than what a caller has already been told.
  if (generation != generation_ || changing_.find(client_id) != changing_.end()) return state;
  if (auto found = index_.find(client_id); found != index_.end()) {
    // Another retrieve of the same generation filled it: the same state.
    lru_.splice(lru_.begin(), lru_, found->second);
    return state;
  }
  lru_.emplace_front(std::string(client_id), *state);
  index_.emplace(lru_.front().first, lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
    ++stats_.evictions;
  }
  return state;
}

Status CachingPersistence::clear(std::string_view client_id) {
  begin_change(client_id);
  Status cleared = inner_->clear(client_id);
  end_change(client_id, true);  // even on failure: part of it may be gone
  return cleared;
}

Result<std::vector<ClientSummary>> CachingPersistence::clients() { return inner_->clients(); }

void CachingPersistence::invalidate(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  invalidate_locked(client_id);
}

void CachingPersistence::begin_change(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  auto found = changing_.find(client_id);
  if (found == changing_.end()) found = changing_.emplace(std::string(client_id), 0).first;
  ++found->second;
}

void CachingPersistence::end_change(std::string_view client_id, bool changed) {
  std::lock_guard lock(mutex_);
  if (auto found = changing_.find(client_id); found != changing_.end() && --found->second == 0) {
    changing_.erase(found);
  }
  if (changed) invalidate_locked(client_id);
}

void CachingPersistence::invalidate_locked(std::string_view client_id) {
  ++generation_;
  if (auto found = index_.find(client_id); found != index_.end()) {
    lru_.erase(found->second);
    index_.erase(found);
  }
}

CacheStats CachingPersistence::stats() const {
  std::lock_guard lock(mutex_);
  CacheStats stats = stats_;
  stats.size = lru_.size();
  return stats;
}

}  // namespace wal
