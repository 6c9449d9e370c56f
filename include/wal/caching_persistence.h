// CachingPersistence: a bounded LRU cache of merged states in front of any
// DataPersistence (the seed's "in-memory caching with persistence").
//
//   auto log = wal::WriteAheadLog::open(...);
//   auto cached = std::make_shared<wal::CachingPersistence>(std::move(*log), 1000);
//
// retrieve answers from the cache when it can and otherwise asks the inner
// persistence and keeps the answer. The cache never answers with a state
// older than the last persist or clear that returned: every call that may have
// changed a client's state (a persist that did not return kDuplicate,
// failures included, and every clear) drops its entry once the inner call
// returns; while such a call is under way nothing fills the client's entry;
// and a retrieve that was under way when any such call returned does not
// fill the cache (it still returns what it read). So only a state read while
// no change could happen is cached. Errors are never cached. The cache holds at most `capacity`
// clients' states and evicts the least recently used; a capacity of 0 caches nothing.
//
// Thread-safe if the inner persistence is; calls go to it without the cache
// lock held, so they run in parallel as the inner one allows. Whoever
// changes the inner persistence other than through this object must call
// invalidate().
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "wal/data_persistence.h"

namespace wal {

struct CacheStats {
  uint64_t hits = 0;       // retrieves answered from the cache
  uint64_t misses = 0;     // retrieves that asked the inner persistence
  uint64_t evictions = 0;  // entries dropped to stay within the capacity
  size_t size = 0;         // states held now
  size_t capacity = 0;
};

class CachingPersistence final : public DataPersistence {
 public:
  CachingPersistence(std::shared_ptr<DataPersistence> inner, size_t capacity);

  Result<PersistOutcome> persist(std::string_view client_id, const Json& data,
                                 uint64_t message_id) override;
  Result<std::vector<PersistOutcome>> persist_batch(
      const std::vector<PersistRequest>& batch) override;
  Result<Json> retrieve(std::string_view client_id) override;
  Status clear(std::string_view client_id) override;
  Result<std::vector<ClientSummary>> clients() override;

  // Drops the client's cached state (for changes made behind this object).
  void invalidate(std::string_view client_id);
  CacheStats stats() const;
  DataPersistence& inner() { return *inner_; }

 private:
  using Lru = std::list<std::pair<std::string, Json>>;  // most recently used first

  // Brackets a call to the inner persistence that may change the client;
  // `changed` is false only when it surely changed nothing.
  void begin_change(std::string_view client_id);
  void end_change(std::string_view client_id, bool changed);
  void invalidate_locked(std::string_view client_id);

  const std::shared_ptr<DataPersistence> inner_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::map<std::string, Lru::iterator, std::less<>> index_;
  // Counts calls that may have changed some state; a retrieve fills the
  // cache only if none returned while it read.
  uint64_t generation_ = 0;
  // Clients with a change under way, and how many; empty when idle.
  std::map<std::string, size_t, std::less<>> changing_;
  CacheStats stats_;
};

}  // namespace wal
