#include "wal/caching_persistence.h"

namespace wal {

CachingPersistence::CachingPersistence(std::shared_ptr<DataPersistence> inner, size_t capacity)
    : inner_(std::move(inner)), capacity_(capacity) {
  stats_.capacity = capacity;
}

Result<PersistOutcome> CachingPersistence::persist(std::string_view client_id, const Json& data,
                                                   uint64_t message_id) {
  Result<PersistOutcome> outcome = inner_->persist(client_id, data, message_id);
  // A failed persist may still have recorded the message (a sync that failed
  // after the write): only a duplicate is sure to have changed nothing.
  if (!outcome.is_ok() || *outcome != PersistOutcome::kDuplicate) invalidate(client_id);
  return outcome;
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
  if (generation != generation_) return state;  // a change returned while we read
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
  Status cleared = inner_->clear(client_id);
  invalidate(client_id);  // even on failure: part of it may be gone
  return cleared;
}

Result<std::vector<ClientSummary>> CachingPersistence::clients() { return inner_->clients(); }

void CachingPersistence::invalidate(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  invalidate_locked(client_id);
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
