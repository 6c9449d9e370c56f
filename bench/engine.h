// The one interface walbench drives: our WriteAheadLog in either layout and
// each peer, reduced to what the workload needs. Every engine implements the
// same contract (persist with dedup by id, a durable batch, the merged
// content per client), so that only the storage differs between rows.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <wal/dedup_policy.h>

namespace walbench {

// Thrown by engines on any error; a run that throws has failed its check.
struct EngineError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Durability {
  kEachCall,  // persist and persist_batch are durable on return
  kNone,      // no syncs at all: only for loading the recovery image
};

struct Call {
  const std::string* client = nullptr;
  std::string_view payload;  // {"content": ...}, stored as is by the peers
  std::string_view content;  // the payload's "content", for engines that take JSON values
  uint64_t id = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Opens (creating if needed) the store in `dir`.
  virtual void open(const std::string& dir, Durability durability) = 0;

  // Records the call unless its id is at or below the client's highest id.
  // Returns true if written, false if skipped as a duplicate. Calls for
  // different clients may run on several threads at once; calls for one
  // client never do.
  virtual bool persist(const Call& call) = 0;

  // Records every call as persist would, with one durability point for all.
  // Returns how many were written.
  virtual size_t persist_batch(std::span<const Call> calls) = 0;

  // The client's merged content (every accepted message's content in id
  // order, joined by one space), read back from the store.
  virtual std::string merged_content(const std::string& client) = 0;

  // Releases the store cleanly.
  virtual void close() = 0;
};

// The engine names walbench accepts, in report order.
const std::vector<std::string>& engine_names();
// Those it runs when none are named: all but the etcd ones, which need a
// cluster started for them (and etcd installed).
const std::vector<std::string>& default_engine_names();
bool is_etcd_engine(const std::string& name);
// "wal-segmented" for "wal-segmented-exact"; empty for a name without "-exact".
std::string high_water_mark_variant(const std::string& name);
// Whether this walbench was built with the etcd engines (WAL_BUILD_ETCD).
bool etcd_engines_built();
std::unique_ptr<Engine> make_engine(const std::string& name);

// Our WriteAheadLog in the segmented or the seed layout, under a dedup policy.
std::unique_ptr<Engine> make_wal_engine(bool segmented, wal::DedupPolicy dedup);
std::unique_ptr<Engine> make_sqlite_engine();
std::unique_ptr<Engine> make_rocksdb_engine();
std::unique_ptr<Engine> make_leveldb_engine();
std::unique_ptr<Engine> make_raw_engine();
// only with etcd_engines_built()
std::unique_ptr<Engine> make_etcd_engine(wal::DedupPolicy dedup);
// A Put per message, or our persist transaction per message (`persist_txn`).
std::unique_ptr<Engine> make_etcd_bare_engine(bool persist_txn);  // only with etcd_engines_built()

}  // namespace walbench
