// A bounded cache of merged client states, so that retrieve merges only the
// records recorded since the state was cached. Least recently used entries go
// first once the entries' sizes pass the capacity. A size is the bytes of the
// frames the state was built from: a cheap stand-in for its memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "segmented/payloads.h"
#include "wal/json.h"

namespace wal::segmented {

class StateCache {
 public:
  struct Entry {
    uint64_t generation = 0;  // the client's; a clear makes old entries useless
    Json state;
    std::optional<Position> through;  // the last record merged into `state`
    size_t bytes = 0;
  };

  explicit StateCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  // A copy of the client's entry, if it has one of `generation`.
  std::optional<Entry> get(const std::string& client_id, uint64_t generation);
  // As get, but the entry leaves the cache: no copy, for a caller that is
  // about to put its successor.
  std::optional<Entry> take(const std::string& client_id, uint64_t generation);
  void put(const std::string& client_id, Entry entry);
  void erase(const std::string& client_id);
  size_t bytes() const;

 private:
  using Lru = std::list<std::string>;
  using Entries = std::unordered_map<std::string, std::pair<Entry, Lru::iterator>>;
  // The client's entry if it is of `generation`; an older one is erased.
  Entries::iterator find_locked(const std::string& client_id, uint64_t generation);
  void erase_locked(Entries::iterator it);

  const size_t capacity_;
  mutable std::mutex mutex_;
  Lru lru_;  // most recently used first
  Entries entries_;
  size_t bytes_ = 0;
};

}  // namespace wal::segmented
