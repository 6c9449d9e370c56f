#include "segmented/state_cache.h"

namespace wal::segmented {

StateCache::Entries::iterator StateCache::find_locked(const std::string& client_id,
                                                      uint64_t generation) {
  auto it = entries_.find(client_id);
  if (it == entries_.end() || it->second.first.generation == generation) return it;
  erase_locked(it);
  return entries_.end();
}

std::optional<StateCache::Entry> StateCache::get(const std::string& client_id,
                                                 uint64_t generation) {
  std::lock_guard lock(mutex_);
  auto it = find_locked(client_id, generation);
  if (it == entries_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.second);
  return it->second.first;
}

std::optional<StateCache::Entry> StateCache::take(const std::string& client_id,
                                                  uint64_t generation) {
  std::lock_guard lock(mutex_);
  auto it = find_locked(client_id, generation);
  if (it == entries_.end()) return std::nullopt;
  std::optional<Entry> entry(std::move(it->second.first));
  erase_locked(it);
  return entry;
}

void StateCache::put(const std::string& client_id, Entry entry) {
  if (entry.bytes > capacity_) return;  // would evict everything else and not fit
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(client_id); it != entries_.end()) erase_locked(it);
  while (bytes_ + entry.bytes > capacity_ && !lru_.empty())
    erase_locked(entries_.find(lru_.back()));
  lru_.push_front(client_id);
  bytes_ += entry.bytes;
  entries_.emplace(client_id, std::make_pair(std::move(entry), lru_.begin()));
}

void StateCache::erase(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(client_id); it != entries_.end()) erase_locked(it);
}

size_t StateCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void StateCache::erase_locked(Entries::iterator it) {
  bytes_ -= it->second.first.bytes;
  lru_.erase(it->second.second);
  entries_.erase(it);
}

}  // namespace wal::segmented
