// Our WriteAheadLog, in the segmented or the seed layout, with the original
// service's ConsumerStateInterpreter: the configuration walctl runs.
#include <wal/consumer_state_interpreter.h>
#include <wal/file_system_storage.h>
#include <wal/write_ahead_log.h>

#include "persistence_engine.h"

namespace walbench {
namespace {

class WalEngine final : public PersistenceEngine {
 public:
  explicit WalEngine(bool segmented) : segmented_(segmented) {}

  void open(const std::string& dir, Durability durability) override {
    wal::WriteAheadLogOptions options;
    options.service_name = "walbench";
    options.base_dir = dir;
    options.layout = segmented_ ? wal::Layout::kSegmented : wal::Layout::kSeed;
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
};

}  // namespace

std::unique_ptr<Engine> make_wal_engine(bool segmented) {
  return std::make_unique<WalEngine>(segmented);
}

}  // namespace walbench
