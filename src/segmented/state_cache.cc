#include "segmented/state_cache.h"

namespace wal::segmented {

std::optional<StateCache::Entry> StateCache::get(const std::string& client_id,
                                                 uint64_t generation) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(client_id);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.first.generation != generation) {
    erase_locked(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.second);
  return it->second.first;
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

void StateCache::erase_locked(
    std::unordered_map<std::string, std::pair<Entry, Lru::iterator>>::iterator it) {
  bytes_ -= it->second.first.bytes;
  lru_.erase(it->second.second);
  entries_.erase(it);
}

}  // namespace wal::segmented
