// Our WriteAheadLog, in the segmented or the seed layout, with the original
// service's ConsumerStateInterpreter: the configuration walctl runs. The
// exact dedup policy runs as its own engine, to show its cost beside the
// default in the same run.
#include <wal/consumer_state_interpreter.h>
#include <wal/file_system_storage.h>
#include <wal/write_ahead_log.h>

#include "persistence_engine.h"

namespace walbench {
namespace {

class WalEngine final : public PersistenceEngine {
 public:
  WalEngine(bool segmented, wal::DedupPolicy dedup) : segmented_(segmented), dedup_(dedup) {}

  void open(const std::string& dir, Durability durability) override {
    wal::WriteAheadLogOptions options;
    options.service_name = "walbench";
    options.base_dir = dir;
    options.layout = segmented_ ? wal::Layout::kSegmented : wal::Layout::kSeed;
    options.dedup.policy = dedup_;
    // The seed layout has no sync policy: it syncs every write whatever this says.
    options.segmented.sync_policy =
        durability == Durability::kEachCall ? wal::SyncPolicy::kAlways : wal::SyncPolicy::kNone;
    auto log = wal::WriteAheadLog::open(std::make_shared<wal::ConsumerStateInterpreter>(),
                                        std::make_shared<wal::FileSystemStorage>(), options);
    if (!log.is_ok()) throw EngineError("open: " + log.status().to_string());
    set_persistence(std::move(*log));
  }

 private:
  const bool segmented_;
  const wal::DedupPolicy dedup_;
};

}  // namespace

std::unique_ptr<Engine> make_wal_engine(bool segmented, wal::DedupPolicy dedup) {
  return std::make_unique<WalEngine>(segmented, dedup);
}

}  // namespace walbench
